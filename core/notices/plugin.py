"""The notice board, registered through the core's own hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cunwu import __version__, hookimpl
from cunwu.notices.settings import NoticeSettings
from cunwu.plugin_types import DemoContext, Manifest, MenuLink, Permission

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site
from litestar import Request
from sqlmodel import Session

_CLERK = frozenset({"clerk"})
_VIEWERS = frozenset({"clerk", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="notices", title_zh="村务公开", title_en="Public notice board", version=__version__, core=True,
        settings=NoticeSettings,
        permissions=(
            Permission("notices.draft", "起草公开信息", "Draft notices", _CLERK),
            Permission("notices.publish", "发布和更正公开信息", "Publish and correct notices", _CLERK),
            Permission("notices.withdraw", "撤回公开信息", "Withdraw notices", _CLERK),
            Permission("notices.answer", "答复异议", "Answer objections", _CLERK),
            Permission("notices.view_drafts", "查看草稿和公开管理", "See drafts and the notice desk", _VIEWERS),
            Permission("notices.view_objector", "查看异议人姓名和电话", "See objectors' names and phones",
                       frozenset({"clerk", "township_official"})),
            Permission("notices.county", "乡镇、县级三务公开情况统计", "Township and county disclosure compliance",
                       frozenset({"township_official", "county_official", "site_admin"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.notices.models import MODELS

    return list(MODELS)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.notices.api import ROUTES as API_ROUTES
    from cunwu.notices.controllers import ROUTES

    return [*ROUTES, *API_ROUTES]


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    from cunwu.i18n import _

    if village_code is None:
        return [MenuLink(href="/notices/", label=_("全县公开栏"), level="site", order=10)]
    links = [MenuLink(href=f"/v/{village_code}/notices/", label=_("村务公开"), level="village", order=10)]
    site = request.app.state.site
    if actor is not None and site.allowed(actor, "notices.view_drafts", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/notices/manage/", label=_("公开管理"), level="village",
                              order=11))
    return links


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    from cunwu.notices.slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def asgi_wrapper(site: Site) -> Any:
    from cunwu.notices.front import front_cache

    return lambda app: front_cache(site, app)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from cunwu.notices.demo import build

    build(session, site, demo)


@hookimpl
def my_work(request: Request[Any, Any, Any], actor: Actor) -> list[Any]:
    """The clerk's notice desk: drafts to publish, objections to answer, disclosures past their deadline."""
    from cunwu.i18n import _
    from cunwu.notices import queries
    from cunwu.plugin_types import WorkItem

    site = request.app.state.site
    publish = site.villages_for(actor, "notices.publish")
    answer = site.villages_for(actor, "notices.answer")
    draft = site.villages_for(actor, "notices.draft")
    if not (publish or answer or draft):
        return []
    area = _("村务公开")
    items: list[WorkItem] = []
    with site.db.read() as session:
        for code, n in queries.open_objection_counts(session, answer).items():
            items.append(WorkItem(area, _("待答复的异议"), n, f"/v/{code}/notices/manage/objections", code, order=10))
        for code, n in queries.draft_counts(session, publish).items():
            items.append(WorkItem(area, _("未发布的草稿"), n, f"/v/{code}/notices/manage/", code, order=11))
        for late in queries.overdue(session, site, draft) if draft else []:
            what = _("逾期未公开的财务收支") if late.stream == "finance" else _("逾期未公开的村务事项")
            href = (f"/v/{late.village_code}/notices/manage/finance" if late.stream == "finance"
                    else f"/v/{late.village_code}/notices/manage/new")
            items.append(WorkItem(area, what, max(late.missing_periods, 1), href, late.village_code,
                                  who_next=late.describe(), overdue=True, order=12))
    return items
