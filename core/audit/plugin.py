"""The audit chain's table, its public verification permission and `cunwu audit verify`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cunwu import __version__, hookimpl
from cunwu.audit.settings import AuditSettings
from cunwu.plugin_types import Manifest, Permission

if TYPE_CHECKING:
    from cunwu.runtime import Site
from litestar import Request


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="audit", title_zh="审计链", title_en="Audit chain", version=__version__, core=True,
        settings=AuditSettings,
        permissions=(Permission("audit.view", "查看审计记录", "View the audit log",
                                frozenset({"clerk", "supervisor", "township_official", "county_official",
                                           "site_admin"})),),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.audit.models import AuditEntry, AuditRow

    return [AuditEntry, AuditRow]


@hookimpl
def register_commands(cli: click.Group) -> None:
    from cunwu.audit.cli import audit

    cli.add_command(audit)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.audit.controllers import ROUTES

    return ROUTES


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    """The chain's head on the county overview: a printed or saved copy anchors the chain outside the servers."""
    from cunwu.audit.slots import slot_html

    return slot_html(request, slot, village_code)
