"""The village register, registered through the core's own hooks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cunwu import __version__, hookimpl
from cunwu.i18n import _
from cunwu.plugin_types import Manifest, MenuLink, Permission
from cunwu.registry.settings import RegistrySettings

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.plugin_types import DemoContext
    from cunwu.runtime import Site
from litestar import Request
from sqlmodel import Session

_VIEWERS = frozenset({"clerk", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="registry", title_zh="村民登记", title_en="Village register", version=__version__, core=True,
        settings=RegistrySettings,
        permissions=(
            Permission("registry.view", "查看村民登记", "View the village register", _VIEWERS),
            Permission("registry.view_personal", "查看完整身份证号和电话", "See full resident IDs and phones",
                       frozenset({"clerk", "township_official"})),
            Permission("registry.edit", "修改村民登记", "Edit the village register", frozenset({"clerk"})),
            Permission("registry.import", "导入户籍表", "Import the household register", frozenset({"clerk"})),
            Permission("registry.export", "导出村民登记", "Export the village register",
                       frozenset({"clerk", "township_official"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from cunwu.registry.models import MODELS

    return list(MODELS)


@hookimpl
def startup(site: Site) -> None:
    from cunwu.registry.services import sync_villages

    with site.db.transaction() as session:
        sync_villages(session, site)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from cunwu.registry.cli import registry

    cli.add_command(registry)


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from cunwu.registry.controllers import ROUTES

    return ROUTES


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    if not village_code or actor is None:
        return []
    site = request.app.state.site
    links = []
    if site.allowed(actor, "registry.view", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/registry/", label=_("村民登记"), order=20))
        links.append(MenuLink(href=f"/v/{village_code}/registry/representatives", label=_("村民代表"), order=21))
    if site.allowed(actor, "registry.import", village_code):
        links.append(MenuLink(href=f"/v/{village_code}/registry/import", label=_("导入户籍表"), order=22))
    return links


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Any]:
    from cunwu.registry.slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from cunwu.registry.demo import build

    build(session, site, demo)


@hookimpl
def extra_template_vars(request: Request[Any, Any, Any], template: str) -> dict[str, Any]:
    """The change log's words (registry/_history.html) for the register's pages."""
    if not template.startswith("registry/"):
        return {}
    from cunwu.registry.history_labels import TEMPLATE_VARS

    return TEMPLATE_VARS
