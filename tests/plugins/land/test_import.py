"""Importing plots and contracts: row errors in a dry run, one transaction, idempotent re-import, CLI."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from cunwu.api import Actor
from cunwu_plugins.land.importer import import_file
from cunwu_plugins.land.models import Contract, Contractor, Plot

from .conftest import VILLAGE, household

HEADERS = ["地块编码", "地块名称", "面积（亩）", "土地类型", "地力等级", "东至", "南至", "西至", "北至", "户号",
           "合同编号", "承包期开始", "承包期结束", "延包至"]
ISSUER = f"{VILLAGE}00"
ACTOR = Actor.system("test-import")


@pytest.fixture
def land_site(site_factory: Any, dialect: str) -> Any:
    return site_factory(enabled=["land"], dialect=dialect)


def _homes(site: Any) -> list[str]:
    with site.db.transaction() as session:
        return [household(session, site, name)[0].number for name in ("王大", "李二")]


def _rows(numbers: list[str]) -> list[list[str]]:
    first, second = f"{ISSUER}0001J", f"{ISSUER}0002J"
    return [
        [f"{ISSUER}00001", "东大块", "5.3333", "旱地", "5", "路", "渠", "张家", "李家", numbers[0], first,
         "1998-01-01", "2028-01-01", "2058-01-01"],
        [f"{ISSUER}00002", "西洼地", "2.1", "水浇地", "", "", "", "", "", numbers[0], first, "1998-01-01",
         "2028-01-01", "2058-01-01"],
        [f"{ISSUER}00003", "南岗", "1.5", "013", "", "", "", "", "", numbers[1], second, "1998/1/1", "2028/1/1", ""],
    ]


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in [HEADERS, *rows]).encode("utf-8")


def _counts(site: Any) -> tuple[int, int, int]:
    with site.db.read() as session:
        return tuple(session.exec(select(func.count()).select_from(m)).one() for m in (Plot, Contract, Contractor))  # type: ignore[return-value]


def test_dry_run_then_commit_then_idempotent(land_site: Any) -> None:
    data = _csv(_rows(_homes(land_site)))
    dry = import_file(land_site, ACTOR, "plots.csv", data, commit=False)
    assert (dry.rows, dry.new_plots, dry.new_contracts, dry.problems) == (3, 3, 2, [])
    assert _counts(land_site) == (0, 0, 0)
    done = import_file(land_site, ACTOR, "plots.csv", data, commit=True)
    assert (done.new_plots, done.new_contracts, done.problems) == (3, 2, [])
    assert _counts(land_site) == (3, 2, 2)
    with land_site.db.read() as session:
        plot = session.exec(select(Plot).where(Plot.code == f"{ISSUER}00001")).one()
        assert plot.area_mu == Decimal("5.3333") and plot.land_type == "013" and plot.grade == 5
        contractor = session.exec(select(Contractor).where(Contractor.code == f"{ISSUER}0001")).one()
        assert contractor.name == "王大"
    again = import_file(land_site, ACTOR, "plots.csv", data, commit=True)
    assert (again.new_plots, again.new_contracts, again.unchanged, again.problems) == (0, 0, 3, [])
    assert _counts(land_site) == (3, 2, 2)


def test_row_errors_name_row_and_column_and_nothing_is_written(land_site: Any) -> None:
    numbers = _homes(land_site)
    rows = _rows(numbers)
    rows.append(list(rows[2]))  # row 5 repeats the plot code of row 4
    rows[0][0] = "1309269999990000001"  # not a village of this county
    rows[1][2] = "0"
    rows[2][9] = "NOPE"
    report = import_file(land_site, ACTOR, "plots.csv", _csv(rows), commit=True)
    where = sorted((p.row, p.column) for p in report.problems)
    assert where == [(2, "地块编码"), (3, "面积（亩）"), (4, "户号"), (5, "地块编码")], report.problems
    messages = {(p.row, p.column): p.message for p in report.problems}
    assert "不是本县的村代码" in messages[(2, "地块编码")] and "与第 4 行重复" in messages[(5, "地块编码")]
    assert _counts(land_site) == (0, 0, 0)


def test_xlsx_with_codes_stored_as_numbers_is_refused(land_site: Any) -> None:
    numbers = _homes(land_site)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    row: list[Any] = list(_rows(numbers)[0])
    row[0] = float(row[0])
    sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    report = import_file(land_site, ACTOR, "plots.xlsx", buffer.getvalue(), commit=True)
    assert [p.column for p in report.problems] == ["地块编码"]
    assert "文本" in report.problems[0].message


def test_missing_column_and_unreadable_file(land_site: Any) -> None:
    report = import_file(land_site, ACTOR, "x.csv", "地块编码,地块名称\n1,2\n".encode(), commit=False)
    assert {p.column for p in report.problems} >= {"面积（亩）", "户号", "合同编号"}
    report = import_file(land_site, ACTOR, "x.csv", b"", commit=False)
    assert report.problems and report.problems[0].file == "x.csv"


def test_cli_import(land_site: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from cunwu_plugins.land import cli

    monkeypatch.setattr(cli, "_site", lambda slug: land_site)
    path = tmp_path / "plots.csv"
    path.write_bytes(_csv(_rows(_homes(land_site))))
    result = CliRunner().invoke(cli.land, ["import", str(path)])
    assert result.exit_code == 0 and "dry run" in result.output
    result = CliRunner().invoke(cli.land, ["import", str(path), "--commit"])
    assert result.exit_code == 0 and "3 new plots" in result.output
    assert _counts(land_site) == (3, 2, 2)
