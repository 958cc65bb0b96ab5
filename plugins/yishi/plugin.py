"""The plugin's hook implementations (imported into the package, which is the entry point object)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from litestar import Request
from markupsafe import Markup
from sqlmodel import Session

from cunwu.api import (
    Actor,
    DemoContext,
    Manifest,
    Matter,
    MatterType,
    MenuLink,
    Permission,
    Site,
    VoteRuleSet,
    hookimpl,
)

from .settings import YishiSettings, meeting_overrides

FOLDER = Path(__file__).resolve().parent
RULE_SET = "yishi_yiyi"
_VIEWERS = frozenset({"clerk", "representative", "supervisor", "township_official", "county_official", "site_admin"})


@hookimpl
def manifest() -> Manifest:
    return Manifest(
        name="yishi", title_zh="一事一议", title_en="One matter, one discussion (public works)", version="1.0.0",
        requires=">=1.0,<2.0", settings=YishiSettings, table_prefix="yishi_",
        migrations=FOLDER / "migrations", folder=FOLDER,
        permissions=(
            Permission("yishi.view", "查看一事一议项目", "View 一事一议 projects", _VIEWERS),
            Permission("yishi.manage", "办理一事一议项目（提议、表决、分摊、账目）",
                       "Run 一事一议 projects (proposal, vote, shares, account)", frozenset({"clerk"})),
            Permission("yishi.review", "乡镇审核一事一议方案", "Township review of 一事一议 plans",
                       frozenset({"township_official"})),
            Permission("yishi.file", "县级备案一事一议方案", "County filing of 一事一议 plans",
                       frozenset({"county_official"})),
            Permission("yishi.collect", "登记筹资收款和出工", "Record collections and labour delivered",
                       frozenset({"clerk"})),
            Permission("yishi.county", "乡镇、县级一事一议项目进度统计",
                       "Township and county 一事一议 progress figures",
                       frozenset({"township_official", "county_official", "site_admin"})),
        ),
    )


@hookimpl
def register_models() -> list[type]:
    from .models import MODELS

    return list(MODELS)


def _matter_url(matter: Matter) -> str:
    return f"/v/{matter.village_code}/p/yishi/projects/{matter.ref}"


@hookimpl
def matter_types() -> list[MatterType]:
    # 兴办公益事业的筹资筹劳方案 is an art. 24 matter: the villagers' meeting, or a representative meeting it
    # authorised, decides it.
    # Its motions are counted by the 一事一议 rule set in any meeting (one source for the rule: see
    # `meeting_overrides`).
    return [MatterType("yishi_project", "一事一议筹资筹劳方案", "一事一议 fund and labour raising plan", "yishi",
                       reserved_to_assembly=True, detail_url=_matter_url, rule_set=RULE_SET)]


@hookimpl
def matter_step_reached(session: Session, matter: Matter, step: int, actor: Actor, site: Site) -> None:
    """Step 4 decides the plan by the site's thresholds; a stopped matter rejects it — recorded as the clerk's act."""
    from . import services

    if step == 4:
        services.vote_from_matter_step(session, site, matter, actor)
    elif step == 0:
        services.matter_stopped(session, site, matter, actor)


@hookimpl
def vote_rule_sets(site: Site) -> list[VoteRuleSet]:
    """The 一事一议 rule set: the plugin's vote thresholds with `[plugins.yishi] meeting_rules` on top; meetings
    scheduled under it, and every motion on a 一事一议 matter, count by it."""
    return [VoteRuleSet(RULE_SET, "一事一议", "一事一议", meeting_overrides(site.settings_for(YishiSettings)))]


@hookimpl
def register_routes(site: Site) -> list[Any]:
    from .controllers import ROUTES

    return list(ROUTES)


@hookimpl
def menu_links(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None) -> list[MenuLink]:
    from cunwu.api import _, site_of

    site = site_of(request)
    if village_code:
        if actor is None or not site.allowed(actor, "yishi.view", village_code):
            return []
        return [MenuLink(href=f"/v/{village_code}/p/yishi/", label=_("一事一议"), order=40)]
    if actor is not None and _reviews_somewhere(site, actor):
        return [MenuLink(href="/p/yishi/", label=_("一事一议审核备案"), level="site", order=40)]
    return []


def _reviews_somewhere(site: Site, actor: Actor) -> bool:
    """Whether the actor reviews or files plans in any village: the first one found answers (this runs for every
    site-level menu, so it must not ask about every village of the county)."""
    return any(site.allowed(actor, "yishi.review", v.code) or site.allowed(actor, "yishi.file", v.code)
               for v in site.config.villages)


@hookimpl
def page_slots(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    from .slots import slot_html

    return slot_html(request, slot, village_code)


@hookimpl
def register_commands(cli: click.Group) -> None:
    from .cli import yishi

    cli.add_command(yishi)


@hookimpl
def demo_data(session: Session, site: Site, demo: DemoContext) -> None:
    from .demo import build

    build(session, site, demo)
