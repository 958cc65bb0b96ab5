"""The coverage plugin's hook implementations: what it is, its tables, routes, menu, slots, commands and demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from litestar import Request
from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Manifest, MenuLink, Permission, Site, _, hookimpl, site_of

from .settings import CoverageSettings

FOLDER = Path(__file__).resolve().parent
_VIEWERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="coverage", title_zh="四个组织全覆盖", title_en="Four-organisation coverage", version="1.0.0",
        requires=">=1.0,<2.0", settings=CoverageSettings, table_prefix="coverage_",
        migrations=FOLDER / "migrations", folder=FOLDER,
        permissions=(
            Permission("coverage.view", "查看本村四个组织的情况", "View the village's four organisations", _VIEWERS),
            Permission("coverage.manage", "登记组织、会议和十户联防分组",
                       "Record organisations, meetings and household groups", frozenset({"clerk"})),
            Permission("coverage.county", "乡镇、县级覆盖率和看板", "Township and county coverage rates and dashboard",
                       frozenset({"township_official", "county_official", "site_admin"})),
            Permission("coverage.snapshot", "生成本月覆盖率快照", "Take the month's coverage snapshot",
                       frozenset({"county_official", "site_admin"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from .controllers import ROUTES

    return list(ROUTES)


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    site = site_of(request)
    if village_code:
        links = [MenuLink(href=f"/v/{village_code}/p/coverage/summary", label=_("四个组织"), order=47)]
        if actor is not None and site.allowed(actor, "coverage.view", village_code):
            links.append(MenuLink(href=f"/v/{village_code}/p/coverage/", label=_("四个组织全覆盖"), order=47))
        return links
    if actor is not None and site.allowed_anywhere(actor, "coverage.county"):
        return [MenuLink(href="/p/coverage/", label=_("四个组织全覆盖看板"), level="site", order=40)]
    return []


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    """The county overview shows the coverage rates to those who may see them."""
    from .slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import coverage

    cli.add_command(coverage)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from .demo import build

    build(session, site, demo)
