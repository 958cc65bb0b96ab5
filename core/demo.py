"""`cunwu demo`: a fresh database for the demo county, demo accounts, then every area's and plugin's demo data."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from cunwu.accounts.actor import Actor
from cunwu.accounts.models import User
from cunwu.accounts.services import create_user, grant_role, link_person
from cunwu.audit import services as audit
from cunwu.db.migrate import upgrade
from cunwu.plugin_types import DemoContext
from cunwu.plugins import call_hook
from cunwu.registry import queries as registry
from cunwu.runtime import Site
from cunwu.sites import load_site

DEMO_SITE = "demo"
DEMO_PASSWORD = "cunwu-demo-2026"


def demo_accounts(site: Site) -> list[tuple[str, str, str, str]]:
    """(username, display name, role, scope) for each demo login; the first village gets the village roles."""
    first = site.config.villages[0].code
    second = site.config.villages[1].code if len(site.config.villages) > 1 else first
    return [
        ("admin", "县管理员 王建国", "site_admin", ""),
        ("county", "县民政局 李红梅", "county_official", ""),
        ("township", "肃宁镇 赵志强", "township_official", first[:9]),
        ("clerk", "东街村文书 张秀英", "clerk", first),
        ("clerk2", "西街村文书 刘长海", "clerk", second),
        ("rep", "村民代表 孙玉兰", "representative", first),
        ("supervisor", "监委会 周国庆", "supervisor", first),
        ("villager", "村民 陈小燕", "villager", first),
    ]


def reset_database(site: Site) -> None:
    url = make_url(site.db.url)
    if url.get_backend_name() != "sqlite" or not url.database:
        raise SystemExit("cunwu demo builds a SQLite database only; unset CUNWU_DATABASE_URL")
    site.db.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(url.database + suffix).unlink(missing_ok=True)


def build_demo(sites_dir: Path, *, scale: str = "demo", rng: random.Random | None = None,
               progress: Callable[..., None] = lambda *a, **k: None) -> Site:
    site = Site(load_site(sites_dir / DEMO_SITE))
    reset_database(site)
    return populate_demo(Site(site.config), scale=scale, rng=rng, progress=progress)


def populate_demo(site: Site, *, scale: str = "demo", rng: random.Random | None = None,
                  progress: Callable[..., None] = lambda *a, **k: None) -> Site:
    """Migrate an empty database, then add the demo accounts and every area's demo data (the benchmarks call this
    for their generated county, on SQLite or PostgreSQL)."""
    upgrade(site)
    site.run_startup()
    actor = Actor.system("demo")
    with site.db.transaction() as session:
        for username, name, role, scope in demo_accounts(site):
            user = create_user(session, actor, username=username, display_name=name, password=DEMO_PASSWORD)
            grant_role(session, actor, user, role, scope)
        progress("accounts", 1, 1)
    context = DemoContext(rng=rng or random.Random(20261122), scale=scale, progress=progress)
    run_demo_hooks(site, context)
    with site.db.transaction() as session:
        link_demo_villager(session, site, actor)
    return site


def link_demo_villager(session: Session, site: Site, actor: Actor) -> None:
    """Make the villager login a person of the register, so that "my" pages (a co-op member's own account, …) have
    something to show: the first adult of the first village in the register's order (`registry.adults`), the same
    person the areas' demos reach first (the co-op demo's founders are the first adults of that village). The
    account takes the person's name."""
    user = session.exec(select(User).where(User.username == "villager")).first()
    adults = registry.adults(session, site.config.villages[0].code)
    if user is None or not adults:
        return
    person = adults[0]
    link_person(session, actor, user, person.id)
    audit.update(session, actor, user, {"display_name": f"村民 {person.name}"}, "accounts.user.rename")


def run_demo_hooks(site: Site, context: DemoContext) -> None:
    """Each area's `demo_data` in load order (the register first), each in its own transaction."""
    for impl in site.plugins.hook.demo_data.get_hookimpls():  # registration order
        with site.db.transaction() as session:
            call_hook(site.plugins.pm, "demo_data", only=impl.plugin, session=session, site=site, demo=context)


__all__ = ["DEMO_PASSWORD", "build_demo", "demo_accounts", "link_demo_villager", "populate_demo", "run_demo_hooks"]
