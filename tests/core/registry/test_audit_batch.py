"""Issue #18 item 2: an import is one audited act. `insert_batch` writes one chained entry per bulk insert, committing
to the file's hash and to every row written; the chain still catches an edited row of the batch, `verify --records`
still names a single edited record and column, and a record's history still shows how it came in."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import alembic.command
import pytest
from sqlalchemy import text, update
from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry, AuditRow
from cunwu.audit.records import verify_records
from cunwu.db.migrate import alembic_config, upgrade
from cunwu.registry.importer import commit, preview, read_table
from cunwu.registry.models import Group, Household, Membership, Person
from cunwu.registry.resident_id import generate_resident_id

from .conftest import VILLAGE
from .registerfile import csv_bytes, register_rows


def _people(n: int) -> list[dict[str, Any]]:
    """Rows with a flag both true and false and birth dates that repeat (written once per distinct date), so the
    batch hash covers how each is written."""
    return [{"village_code": VILLAGE, "name": f"王{i}", "sex": "M", "birth_date": dt.date(1970, 1, 1 + i % 3),
             "resident_id": generate_resident_id("130926", dt.date(1970, 1, 1 + i % 3), i),
             "party_member": i % 3 == 0} for i in range(1, n + 1)]


def test_a_batch_is_one_entry_committing_to_every_row(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    actor = Actor(user_id=7, username="clerk", display_name="文书")
    with site.db.read() as session:
        before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, actor, Person, _people(20), "registry.person.import",
                                 source_sha256="ab" * 32)
    with site.db.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.id > 0).order_by(AuditEntry.id)).all()[before:]
        people = session.exec(select(Person).order_by(Person.id)).all()
        assert audit.verify_chain(session)[1] is None
        assert verify_records(session) == (20, None)
        history = audit.history(session, "registry_person", str(ids[3]))
    [entry] = entries
    batch = entry.after[audit.BATCH_KEY]
    assert (entry.object_type, entry.object_id, entry.village_code) == ("registry_person", str(ids[0]), VILLAGE)
    assert batch["rows"] == 20 and (batch["first_id"], batch["last_id"]) == (ids[0], ids[-1])
    assert batch["file_sha256"] == "ab" * 32
    texts = "".join(audit._ROW_JSON.encode(audit.snapshot(p)) + "\n" for p in people)
    assert batch["rows_sha256"] == hashlib.sha256(texts.encode()).hexdigest()
    # The record's history shows its own row of the batch, as a per-record entry would.
    assert [(e.id, e.action, e.actor_id) for e in history] == [(entry.id, "registry.person.import", 7)]
    assert history[0].after == audit.snapshot(people[3])


def test_a_batch_given_column_by_column_is_the_same_batch(site_factory: Any, dialect: str) -> None:
    """`insert_batch_columns` writes the records, entry and row lines `insert_batch` writes for the same rows given
    as dicts (columns left out take the model's default), and refuses columns of different lengths."""
    site = site_factory(dialect=dialect)
    actor = Actor.system("test")
    people = _people(6)
    with site.db.transaction() as session:
        by_rows = audit.insert_batch(session, actor, Person, people[:3], "registry.person.import")
        columns = {key: [row[key] for row in people[3:]] for key in people[0]}
        by_columns = audit.insert_batch_columns(session, actor, Person, columns, "registry.person.import")
        with pytest.raises(ValueError, match="different lengths"):
            audit.insert_batch_columns(session, actor, Person, {**columns, "name": ["王"]})
    with site.db.read() as session:
        assert audit.verify_chain(session)[1] is None
        assert verify_records(session) == (6, None)
        records = {p.id: p for p in session.exec(select(Person)).all()}
        lines = [line for chunk in session.exec(select(AuditRow.after).order_by(AuditRow.entry_id)).all()
                 for line in audit.batch_lines(chunk)]
    assert [line["id"] for line in lines] == [*by_rows, *by_columns]
    assert lines == [audit.snapshot(records[i]) for i in (*by_rows, *by_columns)]
    assert [records[i].name for i in by_columns] == ["王4", "王5", "王6"]


def test_an_edited_row_of_a_batch_breaks_the_chain(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, Actor.system("test"), Person, _people(5), "registry.person.import")
    with site.db.transaction() as session:
        # The batch's five rows are lines of one audit_row: the third record's line is edited.
        stored = session.exec(select(AuditRow).where(AuditRow.object_id == ids[0])).one()
        assert '"name":"王3"' in stored.after.split("\n")[2]
        session.execute(update(AuditRow).where(AuditRow.object_id == ids[0])  # type: ignore[arg-type]
                        .values(after=stored.after.replace("王3", "李3")))
        entry_id = stored.entry_id
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == entry_id
    assert "do not match its rows hash" in problem.reason


def test_a_removed_row_of_a_batch_breaks_the_chain(site_factory: Any) -> None:
    site = site_factory()
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, Actor.system("test"), Person, _people(5), "registry.person.import")
    with site.db.transaction() as session:  # the fifth record's line taken out of the batch's audit_row
        stored = session.exec(select(AuditRow).where(AuditRow.object_id == ids[0])).one()
        session.execute(text("UPDATE audit_row SET after = :after WHERE object_id = :id"),
                        {"after": "\n".join(stored.after.split("\n")[:4]), "id": ids[0]})
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and "do not match its rows hash" in problem.reason


def test_verify_records_names_the_edited_record_of_a_batch_unless_a_newer_entry_records_it(
        site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    actor = Actor.system("test")
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, actor, Person, _people(6), "registry.person.import")
        entry_id = session.exec(select(func.max(AuditEntry.id))).one()
        # A later audited change: the person's newest entry is now this one, not the batch.
        audit.update(session, actor, session.get(Person, ids[1]), {"phone": "13900000000"}, "registry.person.update")
    with site.db.read() as session:
        assert verify_records(session)[1] is None
        assert [e.action for e in audit.history(session, "registry_person", str(ids[1]))] == [
            "registry.person.import", "registry.person.update"]
    with site.db.transaction() as session:
        session.execute(text("UPDATE registry_person SET name = '王冒名' WHERE id = :id"), {"id": ids[4]})
    with site.db.read() as session:
        _count, problem = verify_records(session)
    assert problem is not None
    assert problem.describe().startswith(f"registry_person #{ids[4]}: column name is '王冒名', but its last audit "
                                         f"entry {entry_id} recorded '王5'")
    with site.db.transaction() as session:
        session.execute(text("UPDATE registry_person SET name = '王5' WHERE id = :id"), {"id": ids[4]})
        session.execute(text("UPDATE registry_person SET phone = '13800000000' WHERE id = :id"), {"id": ids[1]})
    with site.db.read() as session:
        _count, problem = verify_records(session)
    assert problem is not None and problem.object_id == str(ids[1]) and problem.column == "phone"


def test_an_import_is_one_act_naming_the_file(site_factory: Any, dialect: str, clerk: Actor) -> None:
    site = site_factory(dialect=dialect)
    rows = register_rows(40, seed=5, groups=1)
    data = csv_bytes(rows)
    with site.db.transaction() as session:
        audit.create(session, clerk, Group(village_code=VILLAGE, number=1, name="一组"), "registry.group.create")
        first = session.exec(select(func.max(AuditEntry.id))).one()
    with site.db.read() as session:
        result = preview(session, VILLAGE, read_table(data, "register.csv"))
    assert result.ok, result.problems[:3]
    with site.db.transaction() as session:
        commit(session, clerk, result)
    with site.db.read() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.id > first).order_by(AuditEntry.id)).all()
        counts = [session.exec(select(func.count()).select_from(model)).one()
                  for model in (Person, Household, Membership)]
        assert audit.verify_chain(session)[1] is None and verify_records(session)[1] is None
    assert [e.action for e in entries] == ["registry.person.import", "registry.household.import",
                                           "registry.membership.import"]
    sha = hashlib.sha256(data).hexdigest()
    assert [e.after[audit.BATCH_KEY]["file_sha256"] for e in entries] == [sha] * 3
    assert [e.after[audit.BATCH_KEY]["rows"] for e in entries] == counts == [len(rows), 40, len(rows)]


def test_a_batch_refuses_unknown_columns_and_writes_nothing(site_factory: Any) -> None:
    site = site_factory()
    with site.db.read() as session:
        before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(AttributeError, match="no column 'colour'"), site.db.transaction() as session:
        audit.insert_batch(session, Actor.system("test"), Group, [{"village_code": VILLAGE, "number": 1,
                                                                   "name": "一组", "colour": "red"}])
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == before
        assert session.exec(select(func.count()).select_from(AuditRow)).one() == 0
        assert session.exec(select(Group)).all() == []


def test_a_batch_gets_the_ids_the_sequence_hands_out_even_with_gaps(site_factory: Any, pg: str) -> None:
    """PostgreSQL ids come back as a range when consecutive and as the list otherwise (another writer took some in
    between: here the sequence steps by 3); either way they are the rows' ids, in order, and the audit matches."""
    site = site_factory(dialect=pg)
    actor = Actor.system("test")
    with site.db.transaction() as session:
        consecutive = audit.insert_batch(session, actor, Person, _people(5))
        session.execute(text("ALTER SEQUENCE registry_person_id_seq INCREMENT BY 3"))
        stepped = audit.insert_batch(session, actor, Person, _people(10)[5:])
    with site.db.read() as session:
        stored = session.exec(select(Person.id).order_by(Person.id)).all()
        assert verify_records(session) == (10, None)
        assert audit.verify_chain(session)[1] is None
    assert consecutive == list(range(consecutive[0], consecutive[0] + 5))
    assert stepped == list(range(stepped[0], stepped[0] + 15, 3))
    assert stored == consecutive + stepped


def test_a_batch_over_several_audit_rows_is_checked_line_by_line(site_factory: Any, dialect: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's records are kept `ROWS_PER_CHUNK` lines to an audit_row (two here, so seven records make four rows):
    the history of a record in a later row, an edited record there, and an edited line there are each found."""
    monkeypatch.setattr(audit, "ROWS_PER_CHUNK", 2)
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, Actor.system("test"), Person, _people(7), "registry.person.import")
    with site.db.read() as session:
        chunks = session.exec(select(AuditRow.object_id).order_by(AuditRow.object_id)).all()
        assert audit.verify_chain(session)[1] is None and verify_records(session) == (7, None)
        history = audit.history(session, "registry_person", str(ids[5]))
        people = {p.id: p for p in session.exec(select(Person))}
    assert chunks == [ids[0], ids[2], ids[4], ids[6]]
    assert [(e.action, e.after) for e in history] == [("registry.person.import", audit.snapshot(people[ids[5]]))]
    with site.db.transaction() as session:
        session.execute(text("UPDATE registry_person SET name = '王冒名' WHERE id = :id"), {"id": ids[5]})
    with site.db.read() as session:
        _count, problem = verify_records(session)
    assert problem is not None and (problem.object_id, problem.column) == (str(ids[5]), "name")
    with site.db.transaction() as session:
        stored = session.exec(select(AuditRow).where(AuditRow.object_id == ids[4])).one()
        session.execute(update(AuditRow).where(AuditRow.object_id == ids[4])  # type: ignore[arg-type]
                        .values(after=stored.after.replace("王6", "李6")))
    with site.db.read() as session:
        _checked, chain_problem = audit.verify_chain(session)
    assert chain_problem is not None and "do not match its rows hash" in chain_problem.reason


def test_migration_core_0005_merges_one_row_per_record_into_chunks(site_factory: Any, dialect: str) -> None:
    """Rows written one per record (before core_0005: its downgrade splits them so) are merged a thousand to an
    audit_row by the upgrade; the chain, `verify --records` and a record's history read them as before."""
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, Actor.system("test"), Person, _people(6), "registry.person.import")
    with site.db.write_engine.begin() as connection:
        alembic.command.downgrade(alembic_config(site, connection), "core_0004")
    with site.db.read() as session:
        assert session.exec(select(AuditRow.object_id).order_by(AuditRow.object_id)).all() == ids
        assert audit.verify_chain(session)[1] is None
    assert upgrade(site) == ["core"]
    with site.db.read() as session:
        [chunk] = session.exec(select(AuditRow)).all()
        assert audit.verify_chain(session)[1] is None and verify_records(session) == (6, None)
        history = audit.history(session, "registry_person", str(ids[3]))
    assert chunk.object_id == ids[0] and len(chunk.after.split("\n")) == 6
    assert [e.action for e in history] == ["registry.person.import"] and history[0].after["id"] == ids[3]


def _compression(session: Any) -> dict[str, str]:
    return dict(session.execute(text(
        "SELECT attrelid::regclass::text || '.' || attname, attcompression FROM pg_attribute WHERE (attrelid, attname)"
        " IN (('audit_entry'::regclass, 'before'), ('audit_entry'::regclass, 'after'),"
        " ('audit_row'::regclass, 'after'), ('notices_notice'::regclass, 'data_table'))")).all())


def test_migration_core_0007_stores_large_audit_values_with_lz4(pg: str, site_factory: Any) -> None:
    """A batch's rows go into `audit_row` compressed with lz4 (pglz cost a county's co-op close ≈ 0.6 s of server
    CPU), read back and verified as before; the downgrade returns the columns to the server's default."""
    site = site_factory(dialect=pg)
    with site.db.read() as session:
        if "lz4" not in session.execute(text(
                "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar():
            pytest.skip("this PostgreSQL is built without lz4")
        assert set(_compression(session).values()) == {"l"}
    with site.db.transaction() as session:
        ids = audit.insert_batch(session, Actor.system("test"), Person, _people(30), "registry.person.import")
    with site.db.read() as session:
        assert session.execute(text("SELECT pg_column_compression(after) FROM audit_row")).scalar() == "lz4"
        assert audit.verify_chain(session)[1] is None and verify_records(session) == (30, None)
        assert audit.history(session, "registry_person", str(ids[-1]))[0].after["id"] == ids[-1]
    with site.db.write_engine.begin() as connection:
        alembic.command.downgrade(alembic_config(site, connection), "core_0006")
    with site.db.read() as session:
        assert set(_compression(session).values()) == {""}
        assert verify_records(session) == (30, None)
    assert upgrade(site) == ["core"]
