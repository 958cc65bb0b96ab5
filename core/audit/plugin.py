"""The audit chain's table, its public verification permission and `cunwu audit verify`."""

from __future__ import annotations

from typing import Any

from cunwu import __version__, hookimpl
from cunwu.plugin_types import Manifest, Permission


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="audit", title_zh="审计链", title_en="Audit chain", version=__version__, core=True,
        permissions=(Permission("audit.view", "查看审计记录", "View the audit log",
                                frozenset({"clerk", "supervisor", "township_official", "county_official",
                                           "site_admin"})),),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.audit.models import AuditEntry

    return [AuditEntry]


@hookimpl
def register_commands(cli: Any) -> None:
    from cunwu.audit.cli import audit

    cli.add_command(audit)
