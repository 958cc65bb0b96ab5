"""Every hook Cunwu calls. Each has one docstring; docs/hooks.md is checked against this file by a test.

Hooks return plain data and take only the arguments they name. Any hook may be `async def`; the caller awaits it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cunwu import hookspec

if TYPE_CHECKING:  # only for the annotations: importing these at run time would be a cycle
    import click
    from litestar import Request
    from litestar.types import ASGIApp, ControllerRouterHandler
    from markupsafe import Markup
    from sqlmodel import Session, SQLModel

    from cunwu.accounts.actor import Actor
    from cunwu.meetings.models import Matter
    from cunwu.meetings.rules import VoteRuleSet
    from cunwu.notices.models import Notice, Objection
    from cunwu.plugin_types import DemoContext, Manifest, MatterType, MenuLink, WorkItem
    from cunwu.runtime import Site


@hookspec
def manifest() -> Manifest:
    """Return the plugin's `Manifest`: name, zh/en title, version, required core API range, settings model,
    permissions, table prefix and migrations folder. Called once per plugin at start-up."""


@hookspec
def register_models() -> list[type[SQLModel]]:
    """Return the SQLModel table classes this plugin owns. Their table names must start with its prefix."""


@hookspec
def register_routes(site: Site) -> list[ControllerRouterHandler]:
    """Return Litestar route handlers or Routers for `site`. Paths must sit under `/v/{village_code}/p/<name>/`,
    `/p/<name>/` or `/api/v1/p/<name>/`; each handler declares `opt={"permission": ...}` or `opt={"public": True}`."""


@hookspec
def permission_allowed(actor: Actor | None, action: str, village_code: str | None, site: Site) -> bool | None:
    """Return True to allow, False to deny, None to have no opinion. Any False denies; at least one True is needed."""


@hookspec
def permission_villages(actor: Actor | None, action: str, village_codes: list[str], site: Site,
                        ) -> dict[str, bool | None]:
    """`permission_allowed` for many villages in one call (`Site.villages_for`): village code → the same answer
    `permission_allowed` gives for it (a code left out: no opinion). Optional; a plugin that implements
    `permission_allowed` without it is asked village by village."""


@hookspec
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    """Return a list of `MenuLink` for the navigation of the current page (village pages get `village_code`)."""


@hookspec
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[str | Markup]:
    """Return a list of HTML snippets (already escaped or `Markup`) for the named slot of a dashboard page:
    `village_dashboard`, `village_home`, `site_home`."""


@hookspec
def extra_template_vars(request: Request[Any, Any, Any], template: str) -> dict[str, Any]:
    """Return a dict of extra variables for rendering `template`."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the `cunwu` command line."""


@hookspec
def notice_published(session: Session, notice: Notice, site: Site) -> None:
    """A notice (or a new version of one) was published. Runs in the publishing transaction."""


@hookspec
def objection_raised(session: Session, objection: Objection, notice: Notice, site: Site) -> None:
    """A villager raised an objection to a notice during its display window. Runs in the same transaction."""


@hookspec
def matter_types() -> list[MatterType]:
    """Return a list of `MatterType`: kinds of 四议两公开 matter this plugin brings."""


@hookspec
def matter_step_reached(session: Session, matter: Matter, step: int, actor: Actor, site: Site) -> None:
    """A 四议两公开 matter of one of this plugin's types completed step `step` (1-6; 7 = the supervision committee's
    sign-off where the site uses 四议两公开一监督), or stopped (`step` = 0). `actor` recorded the step: what the plugin
    changes in response is recorded as theirs."""


@hookspec
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    """Fill the demo database of `site` with this plugin's realistic demo records (`demo` is a `DemoContext`)."""


@hookspec
def asgi_wrapper(site: Site) -> Callable[[ASGIApp], ASGIApp] | None:
    """Return a function that takes the site's ASGI app and returns an app wrapping it (or None). Wrappers run
    before the framework — no session, actor, guard or CSRF check has happened — so keep them to public answers."""


@hookspec
def audit_record_problems(session: Session, site: Site) -> str | None:
    """Return the first of this plugin's records that differs from the audit entry covering it, when entries hold
    records in the plugin's own shape (e.g. payments listed in their batch's entry): a string naming table, id and
    column; or None. `cunwu audit verify --records` asks after its own row-by-row check."""


@hookspec
def startup(site: Site) -> None:
    """The site is starting (after migrations are checked, before the first request)."""


@hookspec
def shutdown(site: Site) -> None:
    """The site is shutting down."""


@hookspec
def vote_rule_sets(site: Site) -> list[VoteRuleSet]:
    """Return a list of `VoteRuleSet`: named quorum/majority overrides a meeting may be scheduled under
    (`schedule_meeting(..., rule_set=name)`), e.g. a province's 一事一议 rules. They apply on top of the site's
    `[core.meetings] rules` for that meeting only; the plugin owns the settings they come from."""


@hookspec
def my_work(request: Request[Any, Any, Any], actor: Actor) -> list[WorkItem]:
    """Return a list of `WorkItem`: the work waiting for the signed-in `actor` in this area (drafts to publish,
    objections to answer, cases at this person's step), counted over the villages where the actor acts. Shown on
    /my and counted in the menu, so keep it to a few cheap counting queries."""
