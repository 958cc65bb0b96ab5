"""The county overview on a 390 px phone: a county officer sees every area's county figures (coverage, disclosure
compliance, 低保, 一事一议) as charts that fit the screen with their tables beside them; a township officer sees
only the township's villages; nothing overflows sideways."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from cunwu.api import Actor, local_today
from cunwu.notices import services as notices
from cunwu.testing import Member, build_register
from cunwu_plugins.coverage import services as coverage
from cunwu_plugins.dibao import disbursement

CLERK = Actor.system("browser-setup")
SHOTS = os.environ.get("CUNWU_SHOTS")  # a folder to keep the screenshots in, for a person to look at


def _seed(site: Any) -> None:
    from tests.plugins.dibao.conftest import enrolled_case, standard

    this_month = local_today().replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    standard(site, "580", last_month - dt.timedelta(days=60))
    for n, (village, income) in enumerate((("130926100201", "100"), ("130926101201", "300"))):
        enrolled_case(site, [dt.date(1980, 5, 20)] * 2, income, confirmed_on=last_month - dt.timedelta(days=20),
                      village=village, account=f"62220202001122{n:05d}")
    for month in (last_month, this_month):
        with site.db.transaction() as session:
            disbursement.run_month(session, site, CLERK, month)
    with build_register(site, village="130926100201") as reg:
        for n in range(1, 4):
            reg.household(f"H{n:03d}", [Member(f"户主{n}", party_member=True)])
    with site.db.transaction() as session:
        notices.publish_notice(session, site, CLERK, village_code="130926100201", stream="village",
                               category="其他村务", title="村务公开", body="正文")
        coverage.take_snapshot(session, site, local_today() - dt.timedelta(days=40))


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    width = page.evaluate("window.innerWidth")
    rights = page.eval_on_selector_all("svg.chart", "els => els.map(e => e.getBoundingClientRect().right)")
    assert rights and all(right <= width for right in rights)


@pytest.mark.browser
def test_county_overview_on_a_phone_for_county_and_township(live_server_factory: Any, browser: Any,
                                                           login: Any) -> None:
    server = live_server_factory(enabled=["coverage", "dibao", "yishi"])
    _seed(server.site)
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    paid = {"county_official": "1920.00", "township_official": "860.00"}
    try:
        for username, role, scope, townships in (("county", "county_official", "", ["肃宁镇", "梁家村镇"]),
                                                 ("town", "township_official", "130926101", ["梁家村镇"])):
            page = phone.new_page()
            login(page, server, username, role=role, scope=scope)
            page.goto(f"{server.url}/")
            for chart in ("chart-townships", "chart-disclosure", "chart-yishi-stages", "chart-dibao-people",
                          "chart-dibao-amounts"):
                assert page.locator(f"svg#{chart}").count() == 1, chart
            amounts = page.eval_on_selector_all("svg#chart-dibao-amounts g.bar", "els => els.map(e => e.dataset.value)")
            table = page.eval_on_selector_all("#table-dibao-months td:last-child", "els => els.map(e => e.textContent)")
            assert amounts == table == [paid[role]] * 2  # (580 − 50) × 2 in 东街村, (580 − 150) × 2 in 梁家村
            rows = page.eval_on_selector_all("#table-disclosure tbody tr", "els => els.map(e => e.dataset.township)")
            assert rows == townships
            bars = page.eval_on_selector_all("svg#chart-disclosure g.bar", "els => els.map(e => e.dataset.label)")
            assert bars == townships
            assert page.eval_on_selector_all("#table-townships tbody tr",
                                             "els => els.map(e => e.dataset.township)") == townships
            _fits(page)
            page.goto(f"{server.url}/p/coverage/")  # this month's snapshot not taken: said so, measured live
            assert page.locator("#no-snapshot").is_visible()
            assert page.locator("form[action='/p/coverage/snapshot']").count() == (role == "county_official")
            _fits(page)
            if SHOTS:
                page.screenshot(path=str(Path(SHOTS) / f"dashboard-{role}.png"), full_page=True)
            page.goto(f"{server.url}/")
            if SHOTS:
                page.screenshot(path=str(Path(SHOTS) / f"overview-{role}.png"), full_page=True)
                cards = page.locator("section.card")
                for index in range(cards.count()):
                    cards.nth(index).screenshot(path=str(Path(SHOTS) / f"overview-{role}-{index}.png"))
            page.close()
    finally:
        phone.close()
