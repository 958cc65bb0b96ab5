"""The audit chain: one write path, tamper evidence, no hard deletes, no forks under concurrency."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu.accounts.models import User
from cunwu.accounts.services import create_user
from cunwu.audit import services as audit
from cunwu.audit.models import GENESIS_HASH, AuditEntry

ACTOR = Actor.system("test")


def _users(site: Any, n: int, prefix: str = "u") -> None:
    with site.db.transaction() as session:
        for i in range(n):
            create_user(session, ACTOR, username=f"{prefix}{i}", display_name=f"用户{i}", password="password-123")


def _count(site: Any) -> int:
    with site.db.read() as session:
        return len(session.exec(select(AuditEntry)).all())


def test_chain_links_each_entry_to_the_one_before(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    before = _count(site)  # start-up may have recorded entries (the register syncs villages)
    _users(site, 3)
    with site.db.read() as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.action for e in entries[before:]] == ["accounts.user.create"] * 3
        assert entries[0].prev_hash == GENESIS_HASH
        assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert entries[before + 1].after["username"] == "u1" and entries[before + 1].before is None
        assert audit.verify_chain(session) == (before + 3, None)


def test_verify_names_the_first_entry_edited_in_the_database(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    before = _count(site)
    _users(site, 4)
    with site.db.transaction() as session:
        third = session.exec(select(AuditEntry).order_by(AuditEntry.id).offset(before + 2)).first()
        session.execute(text("UPDATE audit_entry SET actor_label = 'someone else' WHERE id = :id"), {"id": third.id})
    with site.db.read() as session:
        checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == third.id and checked == before + 3
    assert "changed after writing" in problem.reason


def test_verify_notices_a_removed_entry(site: Any) -> None:
    before = _count(site)
    _users(site, 3)
    with site.db.transaction() as session:
        second = session.exec(select(AuditEntry).order_by(AuditEntry.id).offset(before + 1)).first()
        session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": second.id})
    with site.db.read() as session:
        _checked, problem = audit.verify_chain(session)
    assert problem is not None and problem.entry_id == second.id + 1
    assert "prev_hash" in problem.reason


def test_cli_audit_verify_exit_codes(site: Any, tmp_path: Path) -> None:
    before = _count(site)
    _users(site, 2)
    env = {**os.environ, "CUNWU_SITES_DIR": str(site.config.path.parent),
           "CUNWU_DATABASE_URL": site.db.url}
    ok = subprocess.run([sys.executable, "-m", "cunwu", "audit", "verify", "--site", site.slug],
                        capture_output=True, text=True, env=env)
    assert ok.returncode == 0, ok.stderr
    assert f"{before + 2} entries verified" in ok.stderr
    with site.db.transaction() as session:
        session.execute(text("UPDATE audit_entry SET after = NULL WHERE id = :id"), {"id": before + 2})
    broken = subprocess.run([sys.executable, "-m", "cunwu", "audit", "verify", "--site", site.slug],
                            capture_output=True, text=True, env=env)
    assert broken.returncode == 1
    assert f"broken at entry {before + 2}" in broken.stderr


def test_writes_outside_the_audit_service_are_refused(site: Any) -> None:
    with pytest.raises(audit.AuditRequired, match="outside the audit service"), site.db.transaction() as session:
        session.add(User(username="sneaky", display_name="x", password_hash="x"))
    _users(site, 1)
    with pytest.raises(audit.AuditRequired, match="outside the audit service"), site.db.transaction() as session:
        user = session.exec(select(User)).one()
        user.display_name = "改名"
    with site.db.read() as session:
        assert session.exec(select(User)).one().display_name == "用户0"


def test_official_records_are_never_deleted(site: Any) -> None:
    _users(site, 1)
    with pytest.raises(audit.AuditRequired, match="never deleted"), site.db.transaction() as session:
        session.delete(session.exec(select(User)).one())
    with site.db.read() as session:
        assert session.exec(select(User)).one().username == "u0"


def test_update_records_before_and_after(site: Any) -> None:
    _users(site, 1)
    with site.db.transaction() as session:
        user = session.exec(select(User)).one()
        entry = audit.update(session, ACTOR, user, {"display_name": "新名字"}, "accounts.user.rename")
    assert entry.before["display_name"] == "用户0" and entry.after["display_name"] == "新名字"
    with site.db.read() as session:
        assert [e.action for e in audit.history(session, "accounts_user", str(user.id))] == [
            "accounts.user.create", "accounts.user.rename"]


def test_concurrent_writers_never_fork_the_chain(pg: str, site_factory: Any) -> None:
    site = site_factory(dialect=pg)
    before = _count(site)
    errors: list[BaseException] = []

    def writer(prefix: str) -> None:
        try:
            _users(site, 10, prefix)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{i}_",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with site.db.read() as session:
        assert audit.verify_chain(session) == (before + 40, None)


def test_villages_version_rises_with_a_write_in_any_of_the_villages_and_no_other(dialect: str,
                                                                                 site_factory: Any) -> None:
    """The version a cached township page is kept under (land's ledger): any of its villages' writes, or one of no
    village, raises it at commit; another village's write leaves it alone."""
    site = site_factory(dialect=dialect)
    ours, theirs = ["130926100201", "130926100202"], "130926101201"

    def version() -> tuple[int, int]:
        with site.db.read() as session:
            return audit.villages_version(session, ours)

    def write(village: str | None) -> None:
        with site.db.transaction() as session:
            audit.record(session, ACTOR, "update", object_type="thing", object_id="1", before=None,
                         after={"v": village}, village_code=village)

    first = version()
    write(theirs)
    assert version() == first
    write(ours[1])
    second = version()
    assert second[0] > first[0] and second[1] == first[1]
    write(None)
    third = version()
    assert third[0] == second[0] and third[1] > second[1]
    write(ours[0])
    assert version()[0] > third[0]
