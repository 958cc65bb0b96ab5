"""`cunwu audit verify` and `cunwu audit checkpoint`: check the chain, its checkpoints and the records it covers."""

from __future__ import annotations

import sys
from typing import NoReturn

import click
from sqlalchemy import func, select

from cunwu.audit import checkpoints
from cunwu.audit.models import AuditEntry
from cunwu.audit.records import plugin_record_problems, verify_records
from cunwu.audit.services import verify_chain
from cunwu.commands import site_option


@click.group()
def audit() -> None:
    """The tamper-evident audit chain."""


def _fail(message: str) -> NoReturn:
    from cunwu.commands import console

    console.print(f"[bold red]{message}[/]")
    sys.exit(1)


@audit.command("verify")
@site_option
@click.option("--records", is_flag=True, help="Also compare each audited record's current row with its last entry.")
def verify(site_slug: str | None, records: bool) -> None:
    """Check every entry's hash and link, then the checkpoints; exit 1 naming the first problem."""
    from cunwu.commands import console, open_site, progress_bar

    site = open_site(site_slug)
    path = checkpoints.checkpoint_path(site)
    try:
        saved = checkpoints.read_checkpoints(path)
        key = checkpoints.signing_key(site)
    except checkpoints.CheckpointFileError as exc:
        _fail(f"audit checkpoints unreadable: {exc}")
    with site.db.read() as session:
        total = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        with progress_bar() as advance:
            checked, problem = verify_chain(session, progress=lambda n: advance("audit chain", n, total))
        if problem:
            _fail(f"audit chain broken at entry {problem.entry_id}: {problem.reason}")
        problem = checkpoints.check_against(session, saved, key, site.slug)
        if problem:
            _fail(f"audit chain broken at entry {problem.entry_id}: {problem.reason}")
        console.print(f"audit chain intact: {checked} entries verified")
        if saved:
            console.print(f"agrees with {len(saved)} checkpoints in {path} (newest: entry {saved[-1].entry_id}, "
                          f"{saved[-1].at})")
        else:
            console.print(f"[yellow]no checkpoints in {path}: a cut-off or re-hashed chain would not be noticed; "
                          "run `cunwu audit checkpoint` regularly (docs/operations.md)[/]")
        if records:
            with progress_bar() as advance:
                count, mismatch = verify_records(session, progress=lambda n: advance("audited records", n, 0))
            if mismatch:
                _fail(f"audited record differs: {mismatch.describe()}")
            other = plugin_record_problems(session, site)
            if other:
                _fail(f"audited record differs: {other}")
            console.print(f"audited records match their last entries: {count} records compared")


@audit.command("checkpoint")
@site_option
def checkpoint(site_slug: str | None) -> None:
    """Append a signed checkpoint of the chain's head, after verifying the entries since the previous one."""
    from cunwu.commands import console, open_site

    site = open_site(site_slug)
    path = checkpoints.checkpoint_path(site)
    try:
        key = checkpoints.signing_key(site)
        saved = checkpoints.read_checkpoints(path)
    except checkpoints.CheckpointFileError as exc:
        _fail(f"audit checkpoints unreadable: {exc}")
    with site.db.read() as session:
        problem = checkpoints.check_against(session, saved[-1:], key, site.slug)
        if problem is None:
            start = saved[-1] if saved else None
            _checked, problem = verify_chain(session, after_id=start.entry_id if start else 0,
                                             **({"after_hash": start.hash} if start else {}))
        if problem:
            _fail(f"no checkpoint written: audit chain broken at entry {problem.entry_id}: {problem.reason}")
        head = checkpoints.head(session, site.slug).signed(key)
    checkpoints.append_checkpoint(path, head)
    signed = "signed" if key else "[yellow]unsigned (no CUNWU_AUDIT_KEY or [core.audit] key_file)[/]"
    console.print(f"checkpoint {signed}: entry {head.entry_id}, {head.entries} entries, {head.hash} → {path}")
