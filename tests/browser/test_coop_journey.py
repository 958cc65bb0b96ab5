"""农民专业合作社 in a real browser: the clerk closes a year on the desktop, the distribution is posted, and a member
reads it on a 390 px phone — on the co-op's page and on the notice board — without sideways scrolling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.registry import services as registry
from cunwu.registry.resident_id import generate_resident_id
from cunwu_plugins.coop import services
from cunwu_plugins.coop.services import Charter, NewMember, NewTrade

VILLAGE = "130926100201"
CLERK = Actor(user_id=None, username="setup", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))


def _coop_with_a_year(site: Any) -> int:
    """Seven farmer members with capital and a year of trade (awkward amounts), nothing closed yet."""
    with site.db.transaction() as session:
        coop = services.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="东街果蔬专业合作社",
                                           credit_code="91110000600037341L", registered_on=dt.date(2023, 3, 1),
                                           charter=Charter(reserve_percent=10, patronage_percent=60))
        people = [registry.create_person(session, site, CLERK, village_code=VILLAGE, data={
            "name": f"社员{i}号", "resident_id": generate_resident_id("130926", dt.date(1970, 1, 1 + i), 2 * i + 1)})
            for i in range(7)]
        members = services.add_members(session, site, CLERK, coop,
                                       [NewMember("farmer", dt.date(2023, 3, 1), person_id=p.id) for p in people])
        for index, member in enumerate(members):
            services.add_contribution(session, site, CLERK, coop, member, kind="money",
                                      amount=Decimal(1000 + 333 * index), contributed_on=dt.date(2024, 1, 2))
        services.add_trades(session, site, CLERK, coop, [
            NewTrade("苹果", Decimal(100 + i), Decimal(f"{1234 + 77 * i}.{i}7"), dt.date(2024, 6, 1),
                     member_id=m.id, unit="公斤") for i, m in enumerate(members)])
        return int(coop.id)  # type: ignore[arg-type]


def _no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.browser
def test_year_close_to_posted_distribution_desktop_and_phone(live_server_factory: Any, page: Any, browser: Any,
                                                             login: Any) -> None:
    server = live_server_factory(enabled=["coop"])
    coop_id = _coop_with_a_year(server.site)
    login(page, server, "clerk", role="clerk", scope=VILLAGE)
    page.goto(f"{server.url}/v/{VILLAGE}/p/coop/{coop_id}/close")
    page.fill("#close-form input[name=year]", "2024")
    page.fill("#close-form input[name=surplus]", "10000.07")
    page.click("#close-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "2024 年度" in page.inner_text("main")
    page.click("text=查看分配方案（可打印）")
    page.wait_for_load_state("networkidle")
    main = page.inner_text("main")
    assert "可分配盈余" in main and "9,000.06" in main  # 10000.07 − reserve 1000.01
    assert page.inner_text("tfoot .num") == "9,000.06"
    notice_href = page.get_attribute("text=公开栏中的公示", "href")

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    try:
        mobile = phone.new_page()
        mobile.goto(f"{server.url}/v/{VILLAGE}/p/coop/{coop_id}/distribution/2024")
        assert "社员6号" in mobile.inner_text("main") and _no_sideways_scroll(mobile)
        first_row = mobile.locator("table.stack tbody tr").first
        assert first_row.evaluate("e => getComputedStyle(e).display") == "block"  # rows become cards
        mobile.goto(f"{server.url}{notice_href}")
        assert "盈余分配公示" in mobile.inner_text("main") and "社员0号" in mobile.inner_text("main")
        assert _no_sideways_scroll(mobile)
    finally:
        phone.close()
