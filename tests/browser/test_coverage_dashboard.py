"""四个组织全覆盖 in a real browser: a county officer opens the dashboard on the desktop and on a 390 px phone; both
charts render as SVG, the bar chart shows the same numbers as its table, each type's count of missing villages leads
to their list, and nothing overflows the screen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cunwu.api import LOCAL_TZ, Actor, local_today, meetings
from cunwu.testing import Member, build_register
from cunwu_plugins.coverage import services

VILLAGE = "130926100201"
CLERK = Actor.system("browser-setup")


def _covered_party(site: Any) -> None:
    """One village whose party organisation covers (3 party members, 2 meetings), two monthly snapshots."""
    with build_register(site, village=VILLAGE) as reg:
        homes = [reg.household(f"H{n:03d}", [Member(f"户主{n}", party_member=True)]) for n in range(1, 4)]
        for home, post in zip(homes, ("secretary", "member", "member"), strict=True):
            reg.office(home.head, body="party_branch", post=post)
    today = local_today()
    for kind in ("party_branch", "party_members"):
        with site.db.transaction() as session:
            day = today - dt.timedelta(days=3)
            meeting = meetings.schedule_meeting(
                session, site, CLERK, village_code=VILLAGE, kind=kind, title="支部会议", agenda=["学习"],
                starts_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ),
                notice_on=day - dt.timedelta(days=5), post_notice=False)
            meetings.open_meeting(session, site, CLERK, meeting)
            for member in meetings.meeting_members(session, meeting):
                meetings.sign_in(session, site, CLERK, meeting, member.id)  # type: ignore[arg-type]
            meetings.close_meeting(session, site, CLERK, meeting, minutes="记录")
    with site.db.transaction() as session:
        services.take_snapshot(session, site, today - dt.timedelta(days=40))
        services.take_snapshot(session, site, today)


def _check(page: Any) -> None:
    assert page.locator("svg#chart-townships").count() == 1 and page.locator("svg#chart-trend").count() == 1
    bars = page.eval_on_selector_all("svg#chart-townships g.bar",
                                     "els => els.map(e => [e.dataset.label, e.dataset.value])")
    rows = page.eval_on_selector_all("#table-townships tbody tr",
                                     "els => els.map(e => [e.dataset.township, e.querySelector('td.all').textContent])")
    assert bars == rows == [["肃宁镇", "0.0"], ["梁家村镇", "0.0"]]
    party = page.eval_on_selector_all("#table-townships tfoot td.num", "els => els.map(e => e.textContent)")
    assert party[:2] == ["3", "33.3"]  # 3 villages, party organisation covered in 1
    points = page.eval_on_selector_all("svg#chart-trend circle", "els => els.map(e => e.dataset.value)")
    assert points[:2] == ["0.0", "33.3"]  # party: last month none, this month one of three
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.querySelector('svg#chart-townships').getBoundingClientRect().right") <= width


@pytest.mark.browser
def test_county_dashboard_on_desktop_and_phone(live_server_factory: Any, page: Any, browser: Any,
                                               login: Any) -> None:
    server = live_server_factory(enabled=["coverage"])
    _covered_party(server.site)
    login(page, server, "county", role="county_official")
    page.goto(f"{server.url}/p/coverage/")
    _check(page)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    try:
        mobile = phone.new_page()
        login(mobile, server, "county", create=False)
        mobile.goto(f"{server.url}/p/coverage/")
        _check(mobile)
        link = mobile.locator("#missing-economic a")  # the count links to the list of villages missing the type
        assert link.inner_text() == "3 个村" and link.bounding_box()["height"] >= 40  # a thumb's tap target
        link.click()
        mobile.wait_for_url(f"{server.url}/p/coverage/missing/economic")
        assert mobile.locator("ul.missing li").count() == 3 and "经济合作组织：未建立" in mobile.inner_text("main")
        assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        mobile.goto(f"{server.url}/v/{VILLAGE}/p/coverage/summary")
        assert "东街村的四个组织" in mobile.inner_text("main")
        assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    finally:
        phone.close()
