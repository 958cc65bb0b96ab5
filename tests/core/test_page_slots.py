"""Every area's `slots.py` fills its page slots through its `<area>/_slot_<slot>.html` template (docs/architecture.md,
"The files of an area"): the village home, the village dashboard and the county overview, core areas and plugins.
The meetings' slot is tested with a scheduled meeting in tests/core/meetings/test_web.py."""

from __future__ import annotations

from typing import Any

from cunwu.testing import site_client

VILLAGE = "130926100201"


def test_each_area_fills_its_slots(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["yishi", "dibao", "land"])
    with site_client(site) as visitor:
        village_home = visitor.get(f"/v/{VILLAGE}/")
        county_home = visitor.get("/")
    assert village_home.status_code == 200
    assert 'class="card registry-summary"' in village_home.text and "现有 " in village_home.text  # registry
    assert "正在公示" in village_home.text and 'id="nt-desk"' not in village_home.text  # notices: the desk is staff's
    assert 'class="card audit-head"' in county_home.text  # audit, on the county overview
    clerk = client_as(site, "clerk", village=VILLAGE)
    dashboard = clerk.get(f"/v/{VILLAGE}/")
    assert dashboard.status_code == 200
    assert 'id="nt-desk"' in dashboard.text  # the notices desk, for staff
    assert f'<a href="/v/{VILLAGE}/p/dibao/">' in dashboard.text and "没有办理中或在保的案件" in dashboard.text
    assert "没有进行中的一事一议项目。" in dashboard.text  # yishi: the village's open projects (none yet)
    township = client_as(site, "township_official", village=VILLAGE)
    overview = township.get("/")
    assert "一事一议审核备案" in overview.text and "没有待审核或待备案的方案。" in overview.text
