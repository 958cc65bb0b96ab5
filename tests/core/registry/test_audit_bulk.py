"""The bulk audit helpers (used by the importer and the demo) keep the one chain: verify passes, tampering is found,
and records written in bulk stay guarded like any other."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import col, func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry
from cunwu.registry.models import Group, Person
from cunwu.registry.resident_id import generate_resident_id

from .conftest import VILLAGE


def test_create_many_and_update_many_extend_the_chain(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    actor = Actor.system("test")
    with site.db.transaction() as session:
        groups = [Group(village_code=VILLAGE, number=n, name=f"第{n}组") for n in range(1, 41)]
        assert audit.create_many(session, actor, groups, "registry.group.bulk") == 40
        audit.create(session, actor, Group(village_code=VILLAGE, number=50, name="单独"), "registry.group.create")
        assert audit.update_many(session, actor, [(g, {"name": g.name + "（改）"}) for g in groups[:10]],
                                 "registry.group.rename") == 10
    with site.db.read() as session:
        checked, problem = audit.verify_chain(session)
        entries = session.exec(select(AuditEntry).where(AuditEntry.object_type == "registry_group")
                               .order_by(AuditEntry.id)).all()
        first = audit.history(session, "registry_group", str(groups[0].id))
    assert problem is None and checked >= 51
    assert [e.action for e in first] == ["registry.group.bulk", "registry.group.rename"]
    assert first[1].before["name"] == "第1组" and first[1].after["name"] == "第1组（改）"
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(entries))
    with site.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == entries[20].id).values(action="forged"))
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == entries[20].id


def test_insert_many_records_full_rows_in_the_one_chain(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    actor = Actor(user_id=7, username='clerk "7"', display_name="文书\\王")  # quotes, backslash, an int id
    with site.db.transaction() as session:
        audit.create(session, actor, Group(village_code=VILLAGE, number=1, name="一组"), "registry.group.create")
        group_ids = audit.insert_many(session, actor, Group, [
            {"village_code": VILLAGE, "number": n, "name": f'第{n}组 "甲"\\乙\n😀'} for n in range(2, 42)])
        ids = audit.insert_many(session, actor, Person, [
            {"village_code": VILLAGE, "name": f"王{n}", "sex": "M", "birth_date": dt.date(1970, 1, n),
             "resident_id": generate_resident_id("130926", dt.date(1970, 1, n), 11)} for n in range(1, 21)
        ], "registry.person.import")
        assert audit.update_many(session, actor, [(session.get(Group, group_ids[0]), {"name": "改名"})],
                                 "registry.group.rename") == 1
    with site.db.read() as session:
        checked, problem = audit.verify_chain(session)
        groups = session.exec(select(Group).where(col(Group.id).in_(group_ids)).order_by(Group.id)).all()
        people = session.exec(select(Person).where(col(Person.id).in_(ids)).order_by(Person.id)).all()
        entries = session.exec(select(AuditEntry).where(AuditEntry.object_type == "registry_person")
                               .order_by(AuditEntry.id)).all()
        renamed = audit.history(session, "registry_group", str(group_ids[0]))
    assert problem is None and checked >= 62
    assert [g.id for g in groups] == group_ids and [g.number for g in groups] == list(range(2, 42))
    assert groups[5].name == '第7组 "甲"\\乙\n😀'
    assert [p.id for p in people] == ids and [p.name for p in people] == [f"王{n}" for n in range(1, 21)]
    # Columns left out take the model's defaults; each entry holds the full row, as `create` records it.
    assert all(p.status == "resident" and p.party_member is False and p.phone is None for p in people)
    assert [e.after for e in entries] == [audit.snapshot(p) for p in people]
    assert {e.action for e in entries} == {"registry.person.import"} and entries[0].actor_id == 7
    assert [e.action for e in renamed] == ["registry_group.create", "registry.group.rename"]
    assert renamed[1].before["name"] == '第2组 "甲"\\乙\n😀' and renamed[1].after["name"] == "改名"
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(entries))


def test_insert_many_refuses_unknown_and_missing_columns(site_factory: Any) -> None:
    site = site_factory()
    actor = Actor.system("test")
    with site.db.read() as session:
        before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(AttributeError, match="no column 'colour'"), site.db.transaction() as session:
        audit.insert_many(session, actor, Group, [{"village_code": VILLAGE, "number": 1, "name": "一组",
                                                   "colour": "red"}])
    with pytest.raises(ValueError, match="no value for column 'name'"), site.db.transaction() as session:
        audit.insert_many(session, actor, Group, [{"village_code": VILLAGE, "number": 1}])
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == before
        assert session.exec(select(Group)).all() == []


def test_records_written_in_bulk_stay_guarded_and_their_entries_tamper_evident(site_factory: Any) -> None:
    site = site_factory()
    actor = Actor.system("test")
    with site.db.transaction() as session:
        [group_id] = audit.insert_many(session, actor, Group, [{"village_code": VILLAGE, "number": 1, "name": "一组"}])
    with pytest.raises(audit.AuditRequired, match="outside the audit service"), site.db.transaction() as session:
        session.add(Group(village_code=VILLAGE, number=2, name="二组"))
    with pytest.raises(audit.AuditRequired, match="outside the audit service"), site.db.transaction() as session:
        group = session.get(Group, group_id)
        group.name = "改名"
    with pytest.raises(audit.AuditRequired, match="never deleted"), site.db.transaction() as session:
        session.delete(session.get(Group, group_id))
    with site.db.read() as session:
        assert [g.name for g in session.exec(select(Group)).all()] == ["一组"]
        [entry] = audit.history(session, "registry_group", str(group_id))
    with site.db.transaction() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(after={**entry.after, "number": 9}))
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == entry.id


def test_concurrent_bulk_writers_never_fork_the_chain(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    errors: list[BaseException] = []

    def writer(first: int) -> None:
        try:
            for start in range(first, first + 10, 5):
                with site.db.transaction() as session:
                    audit.insert_many(session, Actor.system("test"), Group, [
                        {"village_code": VILLAGE, "number": n, "name": f"{n}组"} for n in range(start, start + 5)])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(1 + 10 * i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
        assert problem is None and len(session.exec(select(Group)).all()) == 40


@pytest.mark.parametrize(("actor_id", "village_code", "before"), [
    (None, None, None), (42, VILLAGE, {"name": '旧"名"\\', "n": 1.5, "flag": False, "list": [1, None]})])
def test_the_bulk_hash_is_the_hash_verify_checks(actor_id: int | None, village_code: str | None,
                                                  before: dict[str, Any] | None) -> None:
    """The bulk path hashes text it has already serialised; it must give exactly `entry_hash` (verify_chain's)."""
    at = dt.datetime(2026, 1, 2, 3, 4, 5, 6789, tzinfo=dt.UTC)
    after = {"id": 3, "name": "新名\n😀", "born": "1970-01-01", "grade": None}
    entry = AuditEntry(at=at, actor_id=actor_id, actor_label='文书 "王" (clerk)', action="registry.x.update",
                       object_type="registry_x", object_id="3", village_code=village_code, before=before,
                       after=after, prev_hash="ab" * 32, hash="")
    encode = audit._ROW_JSON.encode
    spliced = audit._spliced_hash(
        entry.prev_hash, audit._json_text(at.isoformat()),
        audit._actor_json(actor_id, entry.actor_label), entry.action,
        entry.object_type, entry.object_id, village_code, encode(before), encode(after))
    assert spliced == audit.entry_hash(entry)
