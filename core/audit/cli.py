"""`cunwu audit verify`: re-walk the hash chain and name the first entry that does not verify."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from cunwu.audit.models import AuditEntry
from cunwu.audit.service import verify_chain


@click.group()
def audit() -> None:
    """The tamper-evident audit chain."""


@audit.command("verify")
@click.option("--site", "site_slug", default=None)
def verify(site_slug: str | None) -> None:
    """Check every entry's hash and link; exit 1 naming the first broken entry."""
    from cunwu.cli import console, open_site, progress_bar

    site = open_site(site_slug)
    with site.db.read() as session:
        total = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        with progress_bar() as advance:
            checked, problem = verify_chain(session, progress=lambda n: advance("audit chain", n, total))
    if problem:
        console.print(f"[bold red]audit chain broken at entry {problem.entry_id}[/]: {problem.reason}")
        sys.exit(1)
    console.print(f"audit chain intact: {checked} entries verified")
