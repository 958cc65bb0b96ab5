"""The notice board, registered through the core's own hooks."""

from __future__ import annotations

from typing import Any

from cunwu import __version__, hookimpl
from cunwu.notices.settings import NoticeSettings
from cunwu.plugin_types import DemoContext, Manifest, MenuLink, Permission

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
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.notices.models import MODELS

    return list(MODELS)


@hookimpl
def register_routes(site: Any) -> list[Any]:
    from cunwu.notices.api import ROUTES as API_ROUTES
    from cunwu.notices.controllers import ROUTES

    return [*ROUTES, *API_ROUTES]


@hookimpl
def menu_links(request: Any, actor: Any, village_code: str | None) -> list[MenuLink]:
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
def page_slots(request: Any, slot: str, village_code: str | None) -> list[Any]:
    from cunwu.notices.slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def asgi_wrapper(site: Any) -> Any:
    from cunwu.notices.front import front_cache

    return lambda app: front_cache(site, app)


@hookimpl
def demo_data(session: Any, site: Any, demo: DemoContext) -> None:
    from cunwu.notices.demo import make_demo

    make_demo(session, site, demo)
