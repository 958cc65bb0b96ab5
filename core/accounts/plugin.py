"""Accounts: tables, the site-administration permission, the default permission rule, `cunwu users`, and the
administrator's pages (accounts, and linking an account to a register person)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cunwu import __version__, hookimpl
from cunwu.i18n import _
from cunwu.plugin_types import Manifest, MenuLink, Permission

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site
from litestar import Request


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
def permission_allowed(actor: Actor | None, action: str, village_code: str | None, site: Site) -> bool | None:
    from cunwu.accounts.services import default_permission

    return default_permission(site, actor, action, village_code)


@hookimpl
def permission_villages(actor: Actor | None, action: str, village_codes: list[str], site: Site,
                        ) -> dict[str, bool | None]:
    from cunwu.accounts.services import default_permission_villages

    return default_permission_villages(site, actor, action, village_codes)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from cunwu.accounts.cli import users

    cli.add_command(users)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.accounts.controllers import ROUTES

    return ROUTES


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    if village_code or actor is None or not request.app.state.site.allowed(actor, "accounts.manage", None):
        return []
    return [MenuLink(href="/admin/users", label=_("账户管理"), level="site", order=90)]
