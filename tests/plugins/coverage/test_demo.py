"""The demo data: every village has its organisations recorded; most are fully covered, the third has households
left out of the groups, the last has no 综治工作站; six monthly snapshots make a trend."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import select

from cunwu.api import DemoContext
from cunwu.meetings.plugin import demo_data as meetings_demo
from cunwu.registry.plugin import demo_data as register_demo
from cunwu_plugins.coop import demo_data as coop_demo
from cunwu_plugins.coverage import demo_data, services
from cunwu_plugins.coverage.models import Snapshot


def test_demo_gives_the_dashboard_covered_and_uncovered_villages(site_factory: Any) -> None:
    site = site_factory(enabled=["coop", "coverage"])
    demo = DemoContext(rng=random.Random(7))
    for build in (register_demo, meetings_demo, coop_demo, demo_data):
        with site.db.transaction() as session:
            build(session, site, demo)
    codes = list(site.villages)
    with site.db.read() as session:
        found = services.overview(session, site, codes)
        months = services.trend(session, codes)
        snapshots = session.exec(select(Snapshot)).all()
        by_code = {v.code: v for v in services.coverage(session, site, codes)}
    assert [v.types for v in found.villages] == [by_code[c].types for c in codes]  # the snapshot is current
    assert by_code[codes[-1]].types["order"] is False  # no 综治工作站 in the last village
    assert "unassigned" in by_code[codes[2]].groups.shortfalls()
    assert by_code[codes[0]].groups.wrong_size >= 1
    assert by_code[codes[0]].types["party"] and by_code[codes[0]].types["self_governance"]
    assert by_code[codes[0]].economic[0].sources["members"] == "农民专业合作社"  # from the co-op plugin
    assert by_code[codes[0]].types["economic"] and all(v.id is None for v in by_code[codes[1]].economic)
    assert 0 < found.county.covered["all"] < found.county.villages
    assert len(months) == 6 and len(snapshots) == 6 * len(codes)
