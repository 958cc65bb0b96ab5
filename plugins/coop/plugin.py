"""The co-op plugin's hook implementations: what it is, its tables, routes, menu, commands, demo data, and its side
of the land plugin's 入股 hook."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click
from litestar import Request
from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Manifest, MenuLink, Permission, Site, hookimpl

from .settings import CoopSettings

FOLDER = Path(__file__).resolve().parent
_VIEWERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="coop", title_zh="农民专业合作社", title_en="Farmer co-operatives", version="1.0.0",
        requires=">=1.0,<2.0", settings=CoopSettings, table_prefix="coop_", migrations=FOLDER / "migrations",
        folder=FOLDER,
        permissions=(
            Permission("coop.view", "查看农民专业合作社", "View farmer co-operatives", _VIEWERS),
            Permission("coop.manage", "管理合作社（成员、出资、交易、决算、成员大会）",
                       "Run a co-operative (members, capital, transactions, year close, assembly)",
                       frozenset({"clerk", "township_official"})),
            Permission("coop.supervise", "乡镇、县级合作社监管（年报逾期名单）",
                       "Township and county supervision (overdue annual reports)",
                       frozenset({"township_official", "county_official", "site_admin"})),
            Permission("coop.account", "查看本人的合作社成员账户", "See one's own co-op member account",
                       frozenset({"villager", "representative", "supervisor", "clerk"})),
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
    from cunwu.api import _, site_of

    site = site_of(request)
    if actor is None:
        return []
    if village_code is None:
        if site.allowed_anywhere(actor, "coop.supervise"):
            return [MenuLink(href="/p/coop/", label=_("农民专业合作社"), level="site", order=45)]
        return []
    links = []
    if site.allowed(actor, "coop.view", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/p/coop/", label=_("合作社"), order=45))
    if actor.person_id is not None and site.allowed(actor, "coop.account", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/p/coop/my", label=_("我的合作社账户"), order=46))
    return links


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import coop

    cli.add_command(coop)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from .demo import build

    build(session, site, demo)


@hookimpl(optionalhook=True)
def land_shares_contributed(session: Session, site: Site, actor: Actor,
                            contribution: dict[str, Any]) -> list[str] | None:
    """The land plugin filed an 入股 transfer to an organisation: if it is one of our co-ops and the contractor (or
    someone of the household) is a member, record a land operating-right contribution (docs/domain.md §6.5)."""
    from .services import land_contribution

    return [land_contribution(session, site, actor, contribution)]


@hookimpl(optionalhook=True)
def coverage_economic_organisations(session: Session, site: Site, village_codes: list[str], since: dt.date,
                                    on: dt.date) -> list[dict[str, Any]]:
    """The coverage plugin counts our co-ops as economic organisations (docs/domain.md §8): members active on `on`,
    member assemblies held from `since` to `on`."""
    from .services import coverage_facts

    return coverage_facts(session, village_codes, since, on)
