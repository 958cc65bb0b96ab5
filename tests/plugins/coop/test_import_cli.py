"""Transactions import (dry run, row errors, --commit, idempotent, one transaction) and `cunwu coop close-year`."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlmodel import select

from cunwu.cli import cli
from cunwu_plugins.coop import importer, register_commands, services
from cunwu_plugins.coop.models import Member, Trade, YearClose

from .conftest import CLERK, CREDIT_CODES, contribute, make_coop


def _csv(*rows: str) -> bytes:
    return ("交易日期,成员编号,交易对象,产品,数量,单位,金额\n" + "\n".join(rows) + "\n").encode("utf-8")


def _preview(site: Any, coop_id: int, data: bytes, name: str = "trades.csv") -> importer.TradePreview:
    with site.db.read() as session:
        return importer.preview(session, services.get_cooperative(session, coop_id), data, name)


def _commit(site: Any, coop_id: int, result: importer.TradePreview) -> int:
    with site.db.transaction() as session:
        return importer.commit(session, site, CLERK, services.get_cooperative(session, coop_id), result)


def test_row_errors_name_row_and_column_and_nothing_is_written(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    result = _preview(site, coop_id, _csv(
        "2024-05-01,1,,玉米,100,公斤,230.00",
        "2024-13-01,2,,玉米,100,公斤,230.00",      # a 13th month
        "2024-05-02,3,,小麦,-5,公斤,10.00",         # negative quantity
        "2024-05-03,99,,小麦,5,公斤,10.00",         # not on the roll
        "2024-05-04,,,小麦,5,公斤,10.00",           # non-member without a counterparty
        "2024-05-05,2,,小麦,5,公斤,abc",             # not a number
    ))
    where = [(p.row, p.column) for p in result.problems]
    assert where == [(3, "交易日期"), (4, "数量"), (5, "成员编号"), (6, "交易对象"), (7, "金额")]
    assert "2024-13-01" in result.problems[0].message
    assert result.problems[0].where() == "trades.csv · 第 3 行 · 交易日期"
    with pytest.raises(services.CoopError, match="未写入任何数据"):
        _commit(site, coop_id, result)
    with site.db.read() as session:
        assert session.exec(select(Trade)).all() == []


def test_xlsx_import_commit_is_idempotent(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    book = Workbook()
    sheet = book.active
    sheet.append(["日期", "社员编号", "客户", "品名", "数量", "单位", "金额（元）"])
    sheet.append([dt.date(2024, 5, 1), 1, None, "玉米", 100, "公斤", "230.50"])
    sheet.append(["2024/5/2", None, "县粮站", "玉米", 50, "公斤", 115])
    sheet.append(["2024-05-03", 2, None, "玉米", 10.5, "公斤", "24.15"])
    buffer = io.BytesIO()
    book.save(buffer)
    first = _preview(site, coop_id, buffer.getvalue(), "trades.xlsx")
    assert first.ok and len(first.new) == 3
    assert _commit(site, coop_id, first) == 3
    again = _preview(site, coop_id, buffer.getvalue(), "trades.xlsx")
    assert again.ok and again.new == [] and again.already == 3
    with site.db.read() as session:
        trades = session.exec(select(Trade).order_by(Trade.traded_on)).all()
        first_member = session.exec(select(Member).where(Member.number == 1)).one()
    assert [(t.member_id, t.counterparty, t.amount) for t in trades] == [
        (first_member.id, "", Decimal("230.50")), (None, "县粮站", Decimal("115.00")),
        (trades[2].member_id, "", Decimal("24.15"))]


def test_missing_columns_are_named(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    with pytest.raises(services.DomainError, match="缺少列：数量、金额"):
        _preview(site, coop_id, "交易日期,产品\n2024-05-01,玉米\n".encode())


def test_cli_import_and_close_year(site_factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    site = site_factory(enabled=["coop"], slug="cli")
    coop_id, members = make_coop(site)
    for member_id in members:
        contribute(site, coop_id, member_id, "1000.00", dt.date(2024, 1, 2))
    monkeypatch.setenv("CUNWU_SITES_DIR", str(site.config.path.parent))
    monkeypatch.setenv("CUNWU_DATABASE_URL", site.db.url)
    register_commands(cli)
    runner = CliRunner()
    file = tmp_path / "t.csv"
    file.write_bytes(_csv(*[f"2024-0{n}-01,{n},,玉米,100,公斤,{n * 100}.00" for n in range(1, 6)]))
    dry = runner.invoke(cli, ["coop", "import", str(file), "--site", "cli", "--coop", CREDIT_CODES[0]])
    assert dry.exit_code == 0 and "这是预览" in dry.output
    done = runner.invoke(cli, ["coop", "import", str(file), "--site", "cli", "--coop", CREDIT_CODES[0], "--commit"])
    assert done.exit_code == 0 and "已导入 5 笔交易" in done.output
    preview = runner.invoke(cli, ["coop", "close-year", "--site", "cli", "--coop", CREDIT_CODES[0], "--year", "2024",
                                  "--surplus", "1000.01"])
    assert preview.exit_code == 0, preview.output
    assert "可分配盈余 900.01 元" in preview.output and "这是预览" in preview.output
    closed = runner.invoke(cli, ["coop", "close-year", "--site", "cli", "--coop", CREDIT_CODES[0], "--year", "2024",
                                 "--surplus", "1000.01", "--commit"])
    assert closed.exit_code == 0 and "已决算 2024 年度（第 1 版）" in closed.output
    with site.db.read() as session:
        close = session.exec(select(YearClose)).one()
    assert close.distributable == Decimal("900.01") and close.notice_id is not None
    bad = runner.invoke(cli, ["coop", "close-year", "--site", "cli", "--coop", CREDIT_CODES[0], "--year", "2024",
                              "--surplus", "12.345"])
    assert bad.exit_code != 0 and "精确到分" in bad.output
