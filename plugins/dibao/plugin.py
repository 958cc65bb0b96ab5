"""The 低保 plugin's hook implementations: what it is, its tables, routes, menu, slots, commands, demo data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from litestar import Request
from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Manifest, MenuLink, Notice, Objection, Permission, Site, hookimpl

from .settings import DibaoSettings

FOLDER = Path(__file__).resolve().parent
VERSION = "1.0.0"

_VIEWERS = frozenset({"clerk", "township_official", "county_official", "site_admin", "supervisor"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="dibao", title_zh="低保", title_en="Minimum living guarantee", version=VERSION, requires=">=1.0,<2.0",
        settings=DibaoSettings, table_prefix="dibao_", migrations=FOLDER / "migrations", folder=FOLDER,
        permissions=(
            Permission("dibao.view", "查看低保", "View minimum living guarantee cases", _VIEWERS),
            Permission("dibao.apply", "受理低保申请", "Take applications, record incomes and visits",
                       frozenset({"clerk"})),
            Permission("dibao.assess", "乡镇审核意见", "Give the township's opinion", frozenset({"township_official"})),
            Permission("dibao.confirm", "审核确认", "Confirm or refuse cases",
                       frozenset({"county_official", "township_official"})),
            Permission("dibao.standards", "设定低保标准", "Set the standards", frozenset({"county_official"})),
            Permission("dibao.payments", "低保资金发放", "Run monthly payments and see bank accounts",
                       frozenset({"county_official"})),
            Permission("dibao.county", "乡镇、县级低保统计（逐月人数和金额）",
                       "Township and county 低保 figures (recipients and amounts by month)",
                       frozenset({"township_official", "county_official", "site_admin"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


@hookimpl
def permission_allowed(actor: Actor | None, action: str, village_code: str | None, site: Site) -> bool | None:
    """Township officials confirm only where the county delegated confirmation (setting `township_confirms`)."""
    if actor is None or action != "dibao.confirm":
        return None
    roles = actor.roles_for(village_code)
    if "township_official" in roles and "county_official" not in roles and not site.settings("dibao").township_confirms:
        return False
    return None


@hookimpl
def permission_villages(actor: Actor | None, action: str, village_codes: list[str], site: Site,
                        ) -> dict[str, bool | None]:
    """`permission_allowed` for many villages at once (a county page's list): one call instead of one a village."""
    if actor is None or action != "dibao.confirm":
        return {}
    return {code: permission_allowed(actor, action, code, site) for code in village_codes}


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from .controllers import ROUTES

    return list(ROUTES)


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    from cunwu.api import _

    site = request.app.state.site
    if village_code is None:
        if site.allowed_anywhere(actor, "dibao.view"):
            return [MenuLink(href="/p/dibao/", label=_("低保"), level="site", order=40)]
        return []
    links = [MenuLink(href=f"/v/{village_code}/p/dibao/recipients", label=_("低保名单"), order=41)]
    if actor is not None and site.allowed(actor, "dibao.view", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/p/dibao/", label=_("低保"), order=40))
    return links


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    """The village dashboard shows the cases in progress (for 低保 viewers); the county overview the recipients and
    amounts by month (for township and county officials, their villages)."""
    from .slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def objection_raised(session: Session, objection: Objection, notice: Notice, site: Site) -> None:
    """An objection to one of this plugin's 公示 notices sends the case to democratic review (民主评议)."""
    from .services import objection_to_posting

    objection_to_posting(session, site, objection, notice)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import dibao

    cli.add_command(dibao)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from .demo import build

    build(session, site, demo)


@hookimpl
def audit_record_problems(session: Session, site: Site) -> str | None:
    from .disbursement import audit_problems

    return audit_problems(session)
