"""The demo data: a co-op with a closed, posted year; one on the overdue list; a township co-op; the land
shareholding co-op of the first village's households; all lawful rolls."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from cunwu.api import DemoContext, local_today, registry
from cunwu.registry.plugin import demo_data as register_demo
from cunwu_plugins.coop import demo as demo_module
from cunwu_plugins.coop import demo_data, services


def test_demo_builds_four_coops(site_factory: Any) -> None:
    site = site_factory(enabled=["coop"])
    demo = DemoContext(rng=random.Random(7))
    with site.db.transaction() as session:
        register_demo(session, site, demo)
    with site.db.transaction() as session:
        demo_data(session, site, demo)
    today = local_today()
    with site.db.read() as session:
        coops = services.cooperatives(session)
        assert [c.level for c in coops] == ["village", "village", "village", "township"]
        land = coops[1]
        heads = [h.head.id for h in registry.households(session, land.village_code)[:demo_module.LAND_COOP_HOUSEHOLDS]]
        assert (land.credit_code, land.name) == ("93130926MA0D1234XE", "肃宁县丰泽土地股份合作社")
        assert [m.person_id for m in services.roll(session, land)] == heads
        assert all(all(c.ok for c in services.roll_checks(session, coop)) for coop in coops)
        fruit = coops[0]
        close = services.get_close(session, fruit, today.year - 1)
        lines = services.allocations_of(session, close)
        assert close.notice_id is not None and close.nonmember_turnover > 0
        assert sum((a.patronage + a.other for a, _m in lines), Decimal("0")) == close.distributable > 0
        reports = services.reports_submitted(session, [c.id for c in coops])
        states = [services.report_state(c, reports.get(c.id, set()), today) for c in coops]
    assert states[0].ok and states[1].ok and states[2].overdue_years == [today.year - 2] and states[3].ok


def test_demo_villager_login_sees_own_coop_account(tmp_path: Any) -> None:
    """The demo's villager login is linked to a register person who is a founder of the fruit co-op, so the
    member's own account page shows that co-op, a contribution and last year's distribution line."""
    import re

    from cunwu.demo import DEMO_PASSWORD, populate_demo
    from cunwu.testing import drop_test_site, make_test_site, site_client
    from cunwu.web.sessions import CSRF_COOKIE

    site = make_test_site(tmp_path, enabled=["coop"], migrate=False)
    try:
        populate_demo(site, rng=random.Random(5))
        village = site.config.villages[0].code
        with site_client(site) as client:
            client.get("/login")
            client.headers["x-csrftoken"] = client.cookies.get(CSRF_COOKIE) or ""
            assert client.post("/login", data={"username": "villager", "password": DEMO_PASSWORD}).status_code == 200
            page = client.get(f"/v/{village}/p/coop/my")
        with site.db.read() as session:
            founder = registry.adults(session, village)[0]
    finally:
        drop_test_site(site)
    assert page.status_code == 200
    assert "肃宁县东街果蔬种植专业合作社" in page.text and founder.name in page.text
    assert "尚未关联" not in page.text
    assert re.search(rf'/distribution/{local_today().year - 1}">{local_today().year - 1}</a>', page.text)
