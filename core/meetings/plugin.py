"""Village meetings, registered through the core's own hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from cunwu import __version__, hookimpl
from cunwu.i18n import _
from cunwu.meetings.settings import MeetingSettings
from cunwu.plugin_types import DemoContext, Manifest, MatterType, MenuLink, Permission

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site
from litestar import Request
from sqlmodel import Session

_VIEWERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="meetings", title_zh="村务会议", title_en="Village meetings", version=__version__, core=True,
        settings=MeetingSettings,
        permissions=(
            Permission("meetings.view", "查看会议记录", "View meetings and minutes", _VIEWERS),
            Permission("meetings.manage", "组织会议（通知、签到、表决、结束、公布）",
                       "Run meetings (schedule, sign-in, motions, close, publish)", frozenset({"clerk"})),
            Permission("meetings.matters", "办理四议两公开议题", "Open and advance 四议两公开 matters",
                       frozenset({"clerk"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.meetings.models import MODELS

    return list(MODELS)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.meetings.api import ROUTES as API_ROUTES
    from cunwu.meetings.controllers import ROUTES

    return [*ROUTES, *API_ROUTES]


@hookimpl
def matter_types() -> list[MatterType]:
    from cunwu.meetings.matters import CORE_MATTER_TYPES

    return list(CORE_MATTER_TYPES)


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    if not village_code:
        return []
    from cunwu.web.render import site_of

    links = [MenuLink(href=f"/v/{village_code}/matters/", label=_("四议两公开"), order=30)]
    if site_of(request).allowed(actor, "meetings.view", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/meetings/", label=_("村务会议"), order=25))
    return links


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    from cunwu.meetings.slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from cunwu.meetings.demo import build

    build(session, site, demo)


@hookimpl
def startup(site: Site) -> None:
    """Refuse to start when a plugin's vote rule set does not fit the site's meeting rules."""
    from cunwu.meetings.services import check_rule_sets

    check_rule_sets(site)


@hookimpl
def my_work(request: Request[Any, Any, Any], actor: Actor) -> list[Any]:
    """The clerk's meetings: ones whose start time has passed but that are not closed yet, and 四议两公开 matters
    waiting for their next step."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from cunwu.clock import utcnow
    from cunwu.meetings.models import Matter, Meeting
    from cunwu.plugin_types import WorkItem
    from cunwu.web.render import site_of

    site = site_of(request)
    manage = site.villages_for(actor, "meetings.manage")
    advance = site.villages_for(actor, "meetings.matters")
    if not (manage or advance):
        return []
    items: list[WorkItem] = []
    with site.db.read() as session:
        unrecorded = session.exec(
            select(Meeting.village_code, func.count()).where(
                col(Meeting.village_code).in_(manage), Meeting.status != "closed", Meeting.starts_at <= utcnow())
            .group_by(Meeting.village_code)).all()
        for code, n in unrecorded:
            items.append(WorkItem(_("村务会议"), _("已到开会时间、尚未记录结束的会议"), int(n), f"/v/{code}/meetings/",
                                  code, who_next=_("签到、表决、结束会议并公布决议"), order=20))
        waiting = session.exec(
            select(Matter.village_code, func.count()).where(col(Matter.village_code).in_(advance),
                                                            Matter.status == "open")
            .group_by(Matter.village_code)).all()
        for code, n in waiting:
            items.append(WorkItem(_("四议两公开"), _("等待下一步的议题"), int(n), f"/v/{code}/matters/", code,
                                  order=30))
    return items
