"""Importing the household register: a dry run that lists every planted error and writes nothing; the corrected file
imports in one transaction; importing it again changes nothing; re-import with edits reports field diffs."""

from __future__ import annotations

import copy
import datetime as dt
import io
import re
from typing import Any

import pytest
from sqlmodel import func, select

from cunwu.audit.models import AuditEntry
from cunwu.audit.services import verify_chain
from cunwu.registry import queries, services
from cunwu.registry.importer import ImportFileError, commit, preview, read_table, template_xlsx
from cunwu.registry.models import Household, Membership, Person
from cunwu.registry.resident_id import generate_resident_id

from .conftest import OTHER_VILLAGE, VILLAGE, make_person
from .registerfile import csv_bytes, register_rows, xlsx_bytes


def _count(session: Any, model: Any) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _groups(session: Any, site: Any, actor: Any, n: int = 3) -> None:
    for number in range(1, n + 1):
        services.create_group(session, site, actor, village_code=VILLAGE, number=number)


def _row_of(rows: list[dict[str, str]], index: int) -> int:
    return index + 2  # header is row 1


def _plant(rows: list[dict[str, str]], taken_id: str) -> dict[tuple[int, str], str]:
    """Plant one error of each kind; returns {(spreadsheet row, column): expected words in the message}."""
    planted: dict[tuple[int, str], str] = {}
    first_of = {}
    for i, row in enumerate(rows):
        first_of.setdefault(row["户号"], i)
    heads = [first_of[h] for h in sorted(first_of)]
    # 1 bad checksum
    i = heads[3] + 0
    rows[i]["身份证号"] = rows[i]["身份证号"][:-1] + ("1" if rows[i]["身份证号"][-1] != "1" else "2")
    planted[(_row_of(rows, i), "身份证号")] = "校验位错误"
    # 2 duplicate ID within the file (a later row repeats an earlier one)
    i = heads[10]
    rows[i + 0]["身份证号"] = rows[heads[9]]["身份证号"]
    rows[i]["姓名"], rows[i]["性别"], rows[i]["出生日期"] = (rows[heads[9]][k] for k in ("姓名", "性别", "出生日期"))
    planted[(_row_of(rows, i), "身份证号")] = f"与第 {_row_of(rows, heads[9])} 行重复"
    # 3 ID already registered to a person of another village
    i = heads[20]
    rows[i]["身份证号"], rows[i]["性别"], rows[i]["出生日期"] = taken_id, "", ""
    planted[(_row_of(rows, i), "身份证号")] = "其他村"
    # 4 household without a head
    i = heads[30]
    rows[i]["与户主关系"] = "其他"
    planted[(_row_of(rows, i), "与户主关系")] = "没有户主"
    # 5 household with two heads
    i = next(h for h in heads[40:] if h + 1 < len(rows) and rows[h + 1]["户号"] == rows[h]["户号"])
    rows[i + 1]["与户主关系"] = "户主"
    planted[(_row_of(rows, i), "与户主关系")] = "2 名户主"
    planted[(_row_of(rows, i + 1), "与户主关系")] = "2 名户主"
    # 6 unknown group
    i = heads[50]
    rows[i]["村民小组"] = "9"
    planted[(_row_of(rows, i), "村民小组")] = "没有村民小组"
    # 7 date in the future
    i = heads[60]
    rows[i]["入户日期"] = "2099-01-01"
    planted[(_row_of(rows, i), "入户日期")] = "晚于今天"
    # 8 stated sex disagrees with the ID
    i = heads[70]
    rows[i]["性别"] = "女" if rows[i]["性别"] == "男" else "男"
    planted[(_row_of(rows, i), "性别")] = "身份证号码第17位"
    # 9 stated birth date disagrees with the ID
    i = heads[80]
    rows[i]["出生日期"] = "1901-01-01"
    planted[(_row_of(rows, i), "出生日期")] = "不一致"
    # 10 missing required values
    i = heads[90]
    rows[i]["姓名"] = ""
    planted[(_row_of(rows, i), "姓名")] = "姓名不能为空"
    i = heads[95]
    rows[i]["户号"] = ""
    planted[(_row_of(rows, i), "户号")] = "不能为空"
    # 11 unknown relation
    i = heads[100] + 0
    rows[i + 0]["状态"] = "失踪"
    planted[(_row_of(rows, i), "状态")] = "无法识别状态"
    return planted


def test_planted_errors_are_all_listed_nothing_written_then_import_and_reimport(site_factory: Any, clerk: Any) -> None:
    site = site_factory()
    with site.db.transaction() as session:
        _groups(session, site, clerk)
        outsider = make_person(session, site, clerk, "外村人", village=OTHER_VILLAGE)
        taken = outsider.resident_id
    good = register_rows(1200)  # ~4,800 rows
    assert len(good) > 4000
    bad = copy.deepcopy(good)
    planted = _plant(bad, taken)
    with site.db.read() as session:
        before = (_count(session, Person), _count(session, AuditEntry))
        result = preview(session, VILLAGE, read_table(xlsx_bytes(bad), "register.xlsx"))
    assert not result.ok
    found = {(p.row, p.column): p.message for p in result.problems}
    for (row, column), words in planted.items():
        assert (row, column) in found, f"planted error at row {row} column {column} not reported"
        assert words in found[(row, column)], (row, column, found[(row, column)])
    unexpected = set(found) - set(planted)
    assert not unexpected, [(k, found[k]) for k in sorted(unexpected)][:5]
    with site.db.read() as session:
        assert (_count(session, Person), _count(session, AuditEntry)) == before  # the dry run wrote nothing
    with site.db.transaction() as session, pytest.raises(Exception, match="更正"):
        commit(session, clerk, result)

    # The corrected file imports in one go.
    with site.db.read() as session:
        clean = preview(session, VILLAGE, read_table(xlsx_bytes(good), "register.xlsx"))
    assert clean.ok and clean.count("added") == len(good) and len(clean.households_added) == 1200
    with site.db.transaction() as session:
        commit(session, clerk, clean)
    with site.db.read() as session:
        assert _count(session, Person) == len(good) + 1
        current = queries.households(session, VILLAGE)
        assert len(current) == 1200 and all(h.head is not None for h in current)
        assert sum(len(h.members) for h in current) == len(good)
        assert verify_chain(session)[1] is None
        audit_after = _count(session, AuditEntry)

    # The same file again: nothing changes, and the preview says so.
    with site.db.read() as session:
        again = preview(session, VILLAGE, read_table(csv_bytes(good), "register.csv"))
    assert again.ok and again.nothing_changes and again.count("unchanged") == len(good)
    with site.db.transaction() as session:
        commit(session, clerk, again)
    with site.db.read() as session:
        assert _count(session, AuditEntry) == audit_after and _count(session, Person) == len(good) + 1

    # An edited file updates people in place (no duplicates) and moves a member to another household.
    edited = copy.deepcopy(good)
    edited[0]["联系电话"] = "13900000000"
    mover = next(i for i, r in enumerate(edited) if r["与户主关系"] != "户主")
    edited[mover]["户号"] = "0002"
    with site.db.read() as session:
        changed = preview(session, VILLAGE, read_table(xlsx_bytes(edited), "register.xlsx"))
    assert changed.ok and changed.count("updated") == 1 and changed.moves == 1
    [update] = [c for c in changed.changes if c.kind == "updated"]
    assert update.diffs == [("联系电话", good[0]["联系电话"], "13900000000")]
    with site.db.transaction() as session:
        commit(session, clerk, changed)
    with site.db.read() as session:
        assert _count(session, Person) == len(good) + 1
        moved = session.exec(select(Person).where(Person.resident_id == edited[mover]["身份证号"])).one()
        assert queries.household_of(session, moved.id).number == "0002"
        history = session.exec(select(Membership).where(Membership.person_id == moved.id)).all()
        assert len(history) == 2 and sum(m.end_date is None for m in history) == 1
        assert verify_chain(session)[1] is None


def test_import_works_on_postgresql_too(site_factory: Any, pg: str, clerk: Any) -> None:
    site = site_factory(dialect=pg)
    rows = register_rows(60, seed=3, groups=1)
    with site.db.transaction() as session:
        _groups(session, site, clerk, 1)
    with site.db.read() as session:
        result = preview(session, VILLAGE, read_table(csv_bytes(rows, "gb18030"), "r.csv"))
    assert result.ok, result.problems[:3]
    with site.db.transaction() as session:
        commit(session, clerk, result)
    with site.db.read() as session:
        assert _count(session, Household) == 60 and verify_chain(session)[1] is None
        assert preview(session, VILLAGE, read_table(xlsx_bytes(rows))).nothing_changes


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_clerks_save(encoding: str) -> None:
    rows = register_rows(3)
    table = read_table(csv_bytes(rows, encoding), "r.csv")
    assert table.headers[:3] == ["户号", "与户主关系", "姓名"]
    assert table.rows[0][2] == rows[0]["姓名"]


def test_unreadable_files_get_clear_errors() -> None:
    import msoffcrypto.format.ooxml

    cases: list[tuple[bytes, str]] = [
        (b"", "空"),
        (b"\n\n  \n", "空"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "xlsx"),
        (b"PK\x03\x04broken zip", "不是有效的 Excel"),
        (csv_bytes([], headers=["户号", "姓名"]), "缺少必需的列：与户主关系、身份证号"),
    ]
    protected = io.BytesIO()
    msoffcrypto.format.ooxml.OOXMLFile(io.BytesIO(xlsx_bytes(register_rows(2)))).encrypt("secret", protected)
    cases.append((protected.getvalue(), "密码保护"))
    for data, words in cases:
        with pytest.raises(ImportFileError, match=re.escape(words)) as refused:
            table = read_table(data, "f")
            preview(None, VILLAGE, table)  # type: ignore[arg-type]  # missing columns fail before any query
        assert words in refused.value.message, (data[:10], refused.value.message)


def test_template_has_the_columns_and_reads_back(site_factory: Any, clerk: Any) -> None:
    site = site_factory()
    table = read_table(template_xlsx(), "template.xlsx")
    assert table.headers[:6] == ["户号", "与户主关系", "姓名", "性别", "出生日期", "身份证号"]
    with site.db.transaction() as session:
        _groups(session, site, clerk, 1)
    with site.db.read() as session:
        result = preview(session, VILLAGE, table, today=dt.date(2026, 1, 1))
    assert result.ok and result.count("added") == 1


def test_legacy_15_digit_ids_are_converted(site_factory: Any, clerk: Any) -> None:
    site = site_factory()
    full = generate_resident_id("130926", dt.date(1965, 3, 9), 123)
    legacy = full[:6] + full[8:17]
    rows = [{"户号": "1", "与户主关系": "户主", "姓名": "老王", "身份证号": legacy}]
    with site.db.read() as session:
        result = preview(session, VILLAGE, read_table(csv_bytes(rows)))
    assert result.ok and result.changes[0].resident_id == full
