"""The demo data: three projects at different stages across the demo villages, built after the core areas."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import select

from cunwu.plugin_types import DemoContext
from cunwu.registry.plugin import demo_data as register_demo
from cunwu_plugins.yishi import demo_data, services
from cunwu_plugins.yishi.models import Project


def test_demo_builds_projects_at_three_stages(site_factory: Any) -> None:
    site = site_factory(enabled=["yishi"])
    site.run_startup()
    demo = DemoContext(rng=random.Random(7))
    with site.db.transaction() as session:
        register_demo(session, site, demo)
    with site.db.transaction() as session:
        demo_data(session, site, demo)
    with site.db.read() as session:
        projects = session.exec(select(Project).order_by(Project.id)).all()
        assert [p.status for p in projects] == ["completed", "submitted", "proposed"]
        assert [p.village_code for p in projects] == [v.code for v in site.config.villages]
        road = projects[0]
        assert road.burden_notice_id is not None and road.account_notice_id is not None
        account = services.account_of(session, site, road)
        assert account.raised > 0 and account.spending and account.balance >= 0
        assert services.vote_of(session, road).source == "online"
