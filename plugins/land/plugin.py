"""The land plugin's hook implementations (imported into the package, which is the entry point object)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from litestar import Request
from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Manifest, MenuLink, Notice, Objection, Permission, Site, _, hookimpl, site_of

from .settings import LandSettings

FOLDER = Path(__file__).resolve().parent
_VIEWERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="land", title_zh="土地流转", title_en="Land contracts and transfers", version="1.0.0",
        requires=">=1.0,<2.0", settings=LandSettings, table_prefix="land_", migrations=FOLDER / "migrations",
        folder=FOLDER,
        permissions=(
            Permission("land.view", "查看土地承包和流转", "View land contracts and transfers", _VIEWERS),
            Permission("land.manage", "登记承包地块和流转", "Register plots, contracts and transfers",
                       frozenset({"clerk"})),
            Permission("land.disputes", "登记和调处土地纠纷", "Record and mediate land disputes",
                       frozenset({"clerk", "township_official"})),
            Permission("land.ledger", "乡镇流转台账和县级汇总", "Township transfer ledger and county roll-up",
                       frozenset({"township_official", "county_official", "site_admin"})),
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
        links = [MenuLink(href=f"/v/{village_code}/p/land/map", label=_("土地地图"), order=46)]
        if actor is not None and site.allowed(actor, "land.view", village_code):
            links.append(MenuLink(href=f"/v/{village_code}/p/land/", label=_("土地流转"), order=45))
        return links
    if actor is not None and site.allowed_anywhere(actor, "land.ledger"):
        return [MenuLink(href="/p/land/", label=_("土地流转台账"), level="site", order=45)]
    return []


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    """The village dashboard shows transfers waiting for a step (for those who may see them)."""
    from .slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def objection_raised(session: Session, objection: Objection, notice: Notice, site: Site) -> None:
    """An objection to a priority posting holds the transfer until the clerk records how it was resolved."""
    from .services import objection_to_posting

    objection_to_posting(session, site, objection, notice)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import land

    cli.add_command(land)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from .demo import build

    build(session, site, demo)
