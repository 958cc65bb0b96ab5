"""Issue #13 item 7: the tamper suite. Cutting the chain short, rewriting an entry and re-hashing the rest, and direct
edits of business rows all verified as "intact" before; checkpoints and `verify --records` catch each one."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from cunwu.audit import checkpoints
from cunwu.audit.models import AuditEntry
from cunwu.audit.records import plugin_record_problems, verify_records
from cunwu.audit.services import entry_hash, verify_chain
from cunwu.demo import run_demo_hooks
from cunwu.plugin_types import DemoContext
from cunwu.runtime import Site
from cunwu.testing import make_test_site

KEY = "a-key-kept-outside-the-database"


@pytest.fixture(scope="module")
def demo_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The demo data of every area and of 低保 and 一事一议, built once; each test works on a copy."""
    site = make_test_site(tmp_path_factory.mktemp("tamper"), enabled=["dibao", "yishi"], slug="tamper")
    run_demo_hooks(site, DemoContext(rng=random.Random(13)))
    site.db.dispose()  # the last connection to close folds the WAL into the file
    return site.config, Path(make_url(site.db.url).database or "")


@pytest.fixture
def county(demo_county: tuple[Any, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    config, database = demo_county
    target = tmp_path / "county.sqlite3"
    shutil.copy(database, target)
    monkeypatch.setenv("CUNWU_AUDIT_KEY", KEY)
    config = dataclasses.replace(config, database_url=f"sqlite:///{target}", core_settings={
        **config.core_settings, "audit": {"checkpoint_file": str(tmp_path / "checkpoints.jsonl")}})
    return Site(config)


def _checkpoint(site: Site) -> checkpoints.Checkpoint:
    with site.db.read() as session:
        head = checkpoints.head(session, site.slug).signed(checkpoints.signing_key(site))
    checkpoints.append_checkpoint(checkpoints.checkpoint_path(site), head)
    return head


def _verify(site: Site) -> str | None:
    """What `cunwu audit verify --records` checks, as the first problem's text (None: all holds)."""
    saved = checkpoints.read_checkpoints(checkpoints.checkpoint_path(site))
    with site.db.read() as session:
        _checked, problem = verify_chain(session)
        problem = problem or checkpoints.check_against(session, saved, checkpoints.signing_key(site), site.slug)
        if problem:
            return f"entry {problem.entry_id}: {problem.reason}"
        _count, mismatch = verify_records(session)
        if mismatch:
            return mismatch.describe()
        return plugin_record_problems(session, site)


def _sql(site: Site, statement: str, **params: Any) -> None:
    with site.db.transaction() as session:
        session.execute(text(statement), params)


def test_the_untouched_demo_county_verifies(county: Site) -> None:
    _checkpoint(county)
    assert _verify(county) is None
    with county.db.read() as session:
        checked, problem = verify_records(session)
    assert problem is None and checked > 1000


@pytest.mark.parametrize("cut", [1, 50])
def test_cutting_off_the_newest_entries_is_caught(county: Site, cut: int) -> None:
    head = _checkpoint(county)
    _sql(county, "DELETE FROM audit_entry WHERE id > :id", id=head.entry_id - cut)
    with county.db.read() as session:
        assert verify_chain(session)[1] is None  # the links alone cannot see it
    assert f"entry {head.entry_id}, the head at the checkpoint" in (_verify(county) or "")
    assert "cut short" in (_verify(county) or "")


def test_rewriting_an_entry_and_rehashing_the_rest_is_caught(county: Site) -> None:
    _checkpoint(county)
    with county.db.transaction() as session:
        entries = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))  # type: ignore[arg-type]
        victim = next(e for e in entries if e.object_type == "registry_person")
        prev = victim.prev_hash
        for entry in entries[entries.index(victim):]:
            if entry is victim:
                entry.after = {**(entry.after or {}), "name": "篡改"}
            entry.prev_hash = prev
            entry.hash = entry_hash(entry)
            prev = entry.hash
            session.execute(text("UPDATE audit_entry SET after = :after, prev_hash = :prev, hash = :hash "
                                 "WHERE id = :id"), {"after": json.dumps(entry.after, ensure_ascii=False),
                                                     "prev": entry.prev_hash, "hash": entry.hash, "id": entry.id})
        session.expunge_all()
    with county.db.read() as session:
        assert verify_chain(session)[1] is None  # a consistent new chain
    assert "rewritten and re-hashed" in (_verify(county) or "")


def test_an_edited_checkpoint_file_is_caught(county: Site) -> None:
    _checkpoint(county)
    path = checkpoints.checkpoint_path(county)
    saved = json.loads(path.read_text())
    _sql(county, "DELETE FROM audit_entry WHERE id = :id", id=saved["entry_id"])
    path.write_text(json.dumps({**saved, "entry_id": saved["entry_id"] - 1, "entries": saved["entries"] - 1}) + "\n")
    assert "signature does not match" in (_verify(county) or "")


BUSINESS_EDITS = [
    ("notices_notice", "body", "UPDATE notices_notice SET body = body || '（已改）' WHERE id = :id"),
    ("dibao_case", "account_number", "UPDATE dibao_case SET account_number = '6222020000000000000' WHERE id = :id"),
    ("registry_person", "name", "UPDATE registry_person SET name = '王冒名' WHERE id = :id"),
    ("yishi_ballot", "choice", "UPDATE yishi_ballot SET choice = CASE choice WHEN 'for' THEN 'against' "
                               "ELSE 'for' END WHERE id = :id"),
    ("meetings_motion", "title", "UPDATE meetings_motion SET title = title || '（改）' WHERE id = :id"),
]


@pytest.mark.parametrize(("table", "column", "statement"), BUSINESS_EDITS, ids=[e[0] for e in BUSINESS_EDITS])
def test_a_direct_edit_of_a_business_row_is_named(county: Site, table: str, column: str, statement: str) -> None:
    with county.db.read() as session:
        target = session.execute(select(AuditEntry.object_id).where(
            AuditEntry.object_type == table, AuditEntry.after.is_not(None))  # type: ignore[union-attr]
            .order_by(AuditEntry.id.desc()).limit(1)).scalar_one()  # type: ignore[union-attr]
    _sql(county, statement, id=int(target))
    found = _verify(county) or ""
    assert found.startswith(f"{table} #{target}: column {column} is"), found


def test_hook_audit_record_problems_names_a_changed_payment_amount(county: Site) -> None:
    with county.db.read() as session:
        payment_id = session.execute(text("SELECT max(id) FROM dibao_payment")).scalar_one()
    _sql(county, "DROP TRIGGER IF EXISTS dibao_payment_exported_fixed")  # item 13's rule, removed by the forger
    _sql(county, "UPDATE dibao_payment SET amount = amount + 100 WHERE id = :id", id=payment_id)
    assert (_verify(county) or "").startswith(f"dibao_payment #{payment_id}: column amount is")


def test_cli_checkpoint_and_verify_records(county: Site, tmp_path: Path) -> None:
    folder = tmp_path / "sites" / county.slug
    shutil.copytree(county.config.path, folder)
    with (folder / "site.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[core.audit]\ncheckpoint_file = "{tmp_path / "cli-checkpoints.jsonl"}"\n')
    env = {**os.environ, "CUNWU_SITES_DIR": str(folder.parent), "CUNWU_DATABASE_URL": county.db.url,
           "CUNWU_AUDIT_KEY": KEY}

    def cunwu(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "cunwu", "audit", *args, "--site", county.slug],
                              capture_output=True, text=True, env=env)

    made = cunwu("checkpoint")
    assert made.returncode == 0 and "checkpoint signed" in made.stderr, made.stderr
    fine = cunwu("verify", "--records")
    assert fine.returncode == 0 and "audited records match" in fine.stderr, fine.stderr
    with county.db.read() as session:
        person = session.execute(text("SELECT max(CAST(object_id AS INTEGER)) FROM audit_entry "
                                      "WHERE object_type = 'registry_person'")).scalar_one()
    _sql(county, "UPDATE registry_person SET name = '王冒名' WHERE id = :id", id=person)
    assert cunwu("verify").returncode == 0  # without --records the rows are not looked at
    broken = cunwu("verify", "--records")
    assert broken.returncode == 1
    assert f"registry_person #{person}: column name is '王冒名'" in " ".join(broken.stderr.split())
    _sql(county, "DELETE FROM audit_entry WHERE id = (SELECT max(id) FROM audit_entry)")
    cut = cunwu("verify")
    assert cut.returncode == 1 and "cut short" in " ".join(cut.stderr.split())
    refused = cunwu("checkpoint")
    assert refused.returncode == 1 and "no checkpoint written" in " ".join(refused.stderr.split())


def test_the_chain_head_is_public(county: Site) -> None:
    from litestar.testing import TestClient

    from cunwu.app import create_site_app

    with county.db.read() as session:
        head = checkpoints.head(session, county.slug)
    with TestClient(create_site_app(county)) as client:
        published = client.get("/-/audit/head.json").json()
        assert (published["entry_id"], published["hash"], published["entries"]) == (
            head.entry_id, head.hash, head.entries)
        assert head.hash in client.get("/").text
