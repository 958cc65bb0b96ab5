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


def _many(numbers: list[str], count: int = 30) -> list[list[str]]:
    """`count` good rows: plots of the two households' contracts, alternating, with the usual repeated values."""
    rows = []
    for index in range(count):
        home = index % 2
        rows.append([f"{ISSUER}{index + 1:05d}", f"地块{index}", ("2.5", "1.25")[home], "旱地", "3", "路", "", "", "",
                     numbers[home], f"{ISSUER}{home + 1:04d}J", "1998-01-01", "2028-01-01", "2058-01-01"])
    return rows


#: One bad value each (column index, value, or a function of the row), and the column its problem names.
_BAD_VALUES: list[tuple[str, int, Any, str]] = [
    ("short code", 0, lambda row: row[0][:-1], "地块编码"),
    ("letter in code", 0, lambda row: row[0][:-1] + "x", "地块编码"),
    ("full-width digit in code", 0, lambda row: row[0][:-1] + "１", "地块编码"),
    ("code of no village of the county", 0, lambda row: "130926999999" + row[0][12:], "地块编码"),
    ("sequence 00000", 0, lambda row: row[0][:14] + "00000", "地块编码"),
    ("no name", 1, "", "地块名称"),
    ("name too long", 1, "长" * 51, "地块名称"),
    ("area 0", 2, "0", "面积（亩）"),
    ("area not a number", 2, "abc", "面积（亩）"),
    ("unknown land type", 3, "沙地", "土地类型"),
    ("grade 11", 4, "11", "地力等级"),
    ("start not a date", 11, "1998-13-01", "承包期开始"),
    ("end before start", 12, "1990-01-01", "承包期结束"),
    ("extension before end", 13, "2020-01-01", "延包至"),
    ("no household", 9, "", "户号"),
    ("household not in the register", 9, "H99999", "户号"),
    ("contract number malformed", 10, lambda row: row[10][:-1] + "K", "合同编号"),
    ("contract of another issuer", 10, lambda row: f"{VILLAGE}05" + row[10][14:], "合同编号"),
]


@pytest.mark.parametrize(("what", "column", "value", "header"), _BAD_VALUES, ids=[b[0] for b in _BAD_VALUES])
def test_one_bad_value_among_many_is_found_at_the_first_middle_and_last_row(
        land_site: Any, what: str, column: int, value: Any, header: str) -> None:
    """The checks run column by column with only suspect rows checked one by one: a bad value in any row must still
    be found, named by its row and column, and be the only problem (issue #15, round 5)."""
    good = _many(_homes(land_site))
    assert import_file(land_site, ACTOR, "plots.csv", _csv(good), commit=False).problems == []
    for position in (0, 14, len(good) - 1):
        rows = [list(row) for row in good]
        rows[position][column] = value(rows[position]) if callable(value) else value
        report = import_file(land_site, ACTOR, "plots.csv", _csv(rows), commit=True)
        assert [(p.row, p.column) for p in report.problems] == [(position + 2, header)], (what, report.problems)
        assert _counts(land_site) == (0, 0, 0)


def test_problems_in_file_order_and_repeated_codes_across_the_file(land_site: Any) -> None:
    """Several problems in one row are reported in the order of its columns, rows in file order; a plot code
    repeated far apart is reported at its second row, naming the first; a contractor given two households in the
    file is reported at the first row that disagrees."""
    numbers = _homes(land_site)
    rows = _many(numbers, 40)
    rows[0][4], rows[0][2] = "x", "-1"  # grade and area of the first row
    rows[39][0] = rows[3][0]  # the last row repeats the fourth's code
    rows[20][0] = rows[0][0]  # the first row has problems, so its code does not count as taken
    rows[30][9] = numbers[1]  # the first household's contract with the second household
    report = import_file(land_site, ACTOR, "plots.csv", _csv(rows), commit=False)
    assert [(p.row, p.column) for p in report.problems] == [
        (2, "面积（亩）"), (2, "地力等级"), (41, "地块编码"), (32, "合同编号")], report.problems
    assert "与第 5 行重复" in report.problems[2].message
    assert "对应了两个户号" in report.problems[3].message
    assert (report.rows, report.new_plots) == (40, 37)
