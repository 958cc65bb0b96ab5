"""A file's person cells read column by column (`clean_people`, the importer's path) give each row the values and
the problems that reading the row on its own (`clean_person`, the forms' path) gives: no bad value slips through
either, and every message is the same."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunwu.registry.fields import FLAG_FIELDS, clean_people, clean_person
from cunwu.registry.resident_id import generate_resident_id

TODAY = dt.date(2026, 12, 8)
_GOOD_ID = generate_resident_id("130926", dt.date(1970, 5, 4), 11)  # a man's
_BAD_CHECK = _GOOD_ID[:-1] + ("1" if _GOOD_ID[-1] != "1" else "2")
_ID_X = next(n for n in (generate_resident_id("130926", dt.date(1988, 2, 29), s) for s in range(999))
             if n.endswith("X"))

#: Cells as clerks type them, good and bad, including a spreadsheet's numbers, dates and booleans.
CELLS: dict[str, list[Any]] = {
    "name": ["王建国", "", "  李秀英 ", "张" * 51, 12.0, None],
    "sex": ["男", "女", "", "M", "f", "Female", "男性", 1.0, None],
    "birth_date": ["1970-05-04", "1970-5-4", "1970年5月4日", "19700504", "1970-02-30", "2099-01-01", "",
                   dt.date(1970, 5, 4), dt.datetime(1971, 1, 1, 8, 0), "明天", None],
    "resident_id": [_GOOD_ID, _GOOD_ID.lower(), _ID_X, _ID_X[:-1] + "x", _BAD_CHECK, _GOOD_ID[:17],
                    "130926700504011", "13092619700504011Y", "１３０９２６１９７００５０４０１１" + _GOOD_ID[-1],
                    " 1309261970 0504011" + _GOOD_ID[-1], "130926209901010011", "130926197002300011", "",
                    130926197005040110, None],
    "phone": ["13812345678", "+86 138-1234-5678", "138", "电话", "", 13812345678.0, None],
    "ethnicity": ["汉族", "", "回" * 30, None],
    "status": ["在村", "外出务工", "已迁出", "死亡", "moved_out", "出差", "", None],
    "status_since": ["2020-01-01", "2099-01-01", "不知道", "", dt.date(2021, 3, 1), None],
    **{flag: ["是", "否", "Y", "n", "1", "0", "", "也许", True, False, 1, 1.0, 0.0, None] for flag in FLAG_FIELDS},
    "disability_grade": ["", "1", "二级", "四", "5", "无", "-", "0", 2.0, True, None],
    "gave_birth_on": ["2010-06-01", "2099-12-31", "2010-13-01", "", None],
}
_KEYS = list(CELLS)


@st.composite
def files(draw: st.DrawFn) -> tuple[list[str], list[list[Any]]]:
    """Some of the columns (the ID's presence decides where sex and birth date come from) and rows of cells."""
    keys = draw(st.lists(st.sampled_from(_KEYS), min_size=1, unique=True))
    rows = draw(st.lists(st.tuples(*(st.sampled_from(CELLS[k]) for k in keys)).map(list), min_size=1, max_size=12))
    return keys, rows


def _by_row(keys: list[str], rows: list[list[Any]]) -> tuple[list[list[tuple[str, Any]]], list[tuple[int, str, str]]]:
    values, problems = [], []
    for index, cells in enumerate(rows):
        row_values, found = clean_person(dict(zip(keys, cells, strict=True)), today=TODAY, partial=True)
        values.append(list(row_values.items()))
        problems += [(index, p.field or "", p.message) for p in found]
    return values, problems


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files())
def test_a_file_read_column_by_column_gives_each_row_what_the_row_alone_gives(file: Any) -> None:
    keys, rows = file
    columns = {key: [cells[i] for cells in rows] for i, key in enumerate(keys)}
    values, problems = clean_people(columns, len(rows), today=TODAY)
    assert ([list(v.items()) for v in values], problems) == _by_row(keys, rows)


def test_repeated_cells_are_read_once_but_reported_on_every_row() -> None:
    """The shared reading of a repeated cell (once per distinct text) still puts its problem on each of its rows."""
    rows = 40
    columns = {"name": ["王五"] * rows, "sex": ["男性"] * rows, "resident_id": [_BAD_CHECK] * rows,
               "party_member": ["也许"] * rows, "birth_date": ["1970-02-30"] * rows}
    values, problems = clean_people(columns, rows, today=TODAY)
    assert values == [{"name": "王五"}] * rows
    assert [(i, field) for i, field, _message in problems] == [
        (i, field) for i in range(rows) for field in ("sex", "birth_date", "resident_id", "party_member")]
    assert "校验位错误" in problems[2][2]


def test_a_stated_sex_or_birth_date_that_disagrees_with_the_id_is_named_on_its_row_only() -> None:
    columns = {"sex": ["男", "女", "男"], "birth_date": ["1970-05-04", "1970-05-04", "1970-05-05"],
               "resident_id": [_GOOD_ID] * 3}
    _values, problems = clean_people(columns, 3, today=TODAY)
    assert [(i, field) for i, field, _message in problems] == [(1, "sex"), (2, "birth_date")]
    assert "第17位为奇数" in problems[0][2] and "1970-05-05" in problems[1][2]
