"""Accounts: tables, the site-administration permission, the default permission rule, `cunwu users`."""

from __future__ import annotations

from typing import Any

from cunwu import __version__, hookimpl
from cunwu.plugin_types import Manifest, Permission


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="accounts", title_zh="账户与权限", title_en="Accounts and permissions", version=__version__, core=True,
        permissions=(
            Permission("accounts.manage", "管理用户与角色", "Manage users and roles", frozenset({"site_admin"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.accounts.models import RoleGrant, User

    return [User, RoleGrant]


@hookimpl
def permission_allowed(actor: Any, action: str, village_code: str | None, site: Any) -> bool | None:
    from cunwu.accounts.services import default_permission

    return default_permission(site, actor, action, village_code)


@hookimpl
def register_commands(cli: Any) -> None:
    from cunwu.accounts.cli import users

    cli.add_command(users)
