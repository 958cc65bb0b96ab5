"""网格化管理 (grid management): a Cunwu plugin packaged outside the Cunwu repository's plugins.

The package is the plugin object (entry point `wangge = "wangge"`): pluggy finds the @hookimpl functions below. Only
`cunwu.api` is imported from the core. docs/plugins.md of Cunwu walks through this package.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request

from cunwu.api import Actor, Manifest, MenuLink, Permission, Site, _, hookimpl, site_of

from .settings import WanggeSettings

FOLDER = Path(__file__).resolve().parent
READERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})
#: What a grid worker may do in the village of the grid they serve (granted by `permission_allowed` below).
WORKER_ACTIONS = frozenset({"wangge.view", "wangge.visit"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="wangge", title_zh="网格化管理", title_en="Grid management", version="1.0.0", requires=">=1.0,<2.0",
        settings=WanggeSettings, migrations=FOLDER / "migrations", folder=FOLDER,
        permissions=(
            Permission("wangge.view", "查看网格、走访和事件", "View grids, visits and incidents", READERS),
            Permission("wangge.manage", "划分网格、任命网格员、办结事件",
                       "Divide grids, appoint grid workers, close incidents", frozenset({"clerk"})),
            Permission("wangge.visit", "登记走访、上报和处理事件", "Record visits, report and handle incidents",
                       frozenset({"clerk"})),
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
def permission_allowed(actor: Actor | None, action: str, village_code: str | None, site: Site) -> bool | None:
    """A grid worker's account (linked to the register person) may view and record in the village they serve."""
    if action not in WORKER_ACTIONS or actor is None or actor.person_id is None or village_code is None:
        return None
    from .services import is_worker

    with site.db.read() as session:
        return True if is_worker(session, actor.person_id, village_code) else None


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    if village_code is None:
        return []
    if actor is not None and site_of(request).allowed(actor, "wangge.view", village_code):
        return [MenuLink(href=f"/v/{village_code}/p/wangge/", label=_("网格化管理"), order=70)]
    return [MenuLink(href=f"/v/{village_code}/p/wangge/summary", label=_("网格概况"), order=70)]
