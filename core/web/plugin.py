"""The core web shell registers itself through the same hooks as any plugin."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cunwu import __version__, hookimpl
from cunwu.i18n import _
from cunwu.plugin_types import Manifest, MenuLink

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site
from litestar import Request


@hookimpl
def manifest() -> Manifest:
    from cunwu.web.settings import WebSettings

    return Manifest(name="web", title_zh="网站", title_en="Web shell", version=__version__, core=True,
                    table_prefix="core_", settings=WebSettings)


@hookimpl
def register_models() -> list[type]:
    from cunwu.web.store import StoreItem

    return [StoreItem]


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.web.controllers import ROUTES
    from cunwu.web.jsonapi import ROUTES as API_ROUTES
    from cunwu.web.mywork import ROUTES as MY_WORK_ROUTES

    return [*ROUTES, *API_ROUTES, *MY_WORK_ROUTES]


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    links = []
    if actor is not None:  # 我的待办 (N): on every page, village or county
        from cunwu.web.mywork import MY_WORK_PATH, total_for

        label = _("我的待办 (%(n)s)", n=total_for(request, actor))
        links.append(MenuLink(href=MY_WORK_PATH, label=label, level="village" if village_code else "site", order=-1))
    if village_code:
        return [*links, MenuLink(href=f"/v/{village_code}/", label=_("本村首页"), level="village", order=0)]
    return [*links, MenuLink(href="/", label=_("全县概况"), level="site", order=0)]
