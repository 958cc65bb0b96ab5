"""一事一议 on a phone (390 × 844, no sideways scroll and every control labelled on each page): a clerk's proposal
(the yearly cap checked live while the rate is typed, then refused beside the rate), the plan on the board, an
online household vote with paper-slip codes, shares, township review, county filing, the published burden list
with masked IDs, and a payment refused beside its amount."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.registry.models import Household, Membership, Person

V = "130926100201"
pytestmark = pytest.mark.browser


def _register(site: Any) -> None:
    """Three households of two adults each (one labourer and one woman over 50 in each)."""
    actor = Actor.system("test")
    with site.db.transaction() as session:
        for n in range(1, 4):
            household = Household(village_code=V, number=f"00{n}", created_on=dt.date(2000, 1, 1))
            audit.create(session, actor, household)
            for name, sex, born, relation in ((f"户主{n}", "M", dt.date(1980, 1, 1), "head"),
                                              (f"配偶{n}", "F", dt.date(1960, 1, 1), "spouse")):
                person = Person(village_code=V, name=name, sex=sex, birth_date=born,
                                resident_id=f"1309261980010100{n}{0 if sex == 'M' else 1}")
                audit.create(session, actor, person)
                audit.create(session, actor, Membership(village_code=V, household_id=household.id,
                                                        person_id=person.id, relation=relation,
                                                        start_date=dt.date(2000, 1, 1)))


def test_proposal_to_published_burden_list(phone: Any, live_server_factory: Any, login: Any, phone_fits: Any,
                                          open_menu: Any) -> None:
    page = phone
    server = live_server_factory(enabled=["yishi"])
    _register(server.site)
    year = dt.date.today().year
    login(page, server, "clerk", role="clerk", scope=V)
    page.goto(f"{server.url}/v/{V}/")
    phone_fits(page)
    open_menu(page)
    page.click("nav.menu >> text=一事一议")
    phone_fits(page)
    page.click("text=新提议")
    phone_fits(page)
    page.fill("input[name=title]", "硬化村东道路")
    page.select_option("select[name=kind]", "road")
    page.fill("input[name=budget]", "30000")
    page.fill("input[name=reference_date]", f"{year}-01-10")
    page.fill("input[name=workdays_per_labourer]", "3")
    page.fill("input[name=money_per_person]", "16")
    # The cap is checked while the rate is typed, before anything is proposed.
    page.wait_for_selector("#cap-check:has-text('超过每人每年15元的上限')")
    page.fill("input[name=money_per_person]", "12")
    page.wait_for_selector("#cap-check:has-text('未超过年度上限')")
    page.fill("input[name=money_per_person]", "16")
    page.check("input[name=origin][value=committee]")
    page.click("button:has-text('提交提议')")
    phone_fits(page)
    # Over the yearly cap: refused while drafted, beside the rate, with what was typed kept.
    beside = page.locator("label:has(input[name=money_per_person]) .field-error").inner_text()
    assert "本方案每人筹资16.00元，超过每人每年15元的上限" in beside
    assert page.input_value("input[name=title]") == "硬化村东道路"
    page.fill("input[name=money_per_person]", "12")
    page.click("button:has-text('提交提议')")
    assert "已提议" in page.locator(".status").inner_text()
    phone_fits(page)
    assert "未超过年度上限" in page.locator("#proposal").inner_text()
    page.click("text=在公开栏公示方案并提交表决")
    phone_fits(page)
    page.click("button:has-text('确认公示')")
    assert "方案已公示，待表决" in page.locator(".status").inner_text()
    phone_fits(page)
    manage_url = page.url.split("?")[0]

    page.click("button:has-text('生成并打印表决码纸条（A4）')")
    codes = re.findall(r"[A-Z2-9]{5}-[A-Z2-9]{5}", page.locator(".sheet").inner_text())
    assert len(codes) == 3
    ballot_url = manage_url.replace("/manage", "/ballot")
    for code, choice in zip(codes, ("for", "for", "against"), strict=True):
        page.goto(ballot_url)
        phone_fits(page)
        page.fill("input[name=code]", code)
        page.check(f"input[name=choice][value={choice}]")
        page.click("button:has-text('提交表决')")
        assert "您户的表决已记录" in page.locator("main").inner_text()
        phone_fits(page)
    page.goto(ballot_url)
    page.fill("input[name=code]", codes[0])
    page.check("input[name=choice][value=against]")
    page.click("button:has-text('提交表决')")
    assert "该表决码已经使用过" in page.locator("[role=alert]").inner_text()
    phone_fits(page)

    page.goto(manage_url)
    page.click("button:has-text('结束在线表决并计票')")
    assert "表决通过，待核定分摊" in page.locator(".status").inner_text()
    phone_fits(page)
    page.click("button:has-text('核定分摊')")
    assert page.locator("tr.share").count() == 3
    phone_fits(page)
    page.click("button:has-text('报乡镇审核')")
    assert "乡镇审核中" in page.locator(".status").inner_text()

    login(page, server, "town", role="township_official", scope=V[:9])
    page.goto(f"{server.url}/p/yishi/")
    phone_fits(page)
    page.click("li.waiting a")
    phone_fits(page)
    page.fill("textarea[name=opinion]", "同意")
    page.click("button:has-text('提交审核意见')")
    assert "乡镇已审核，待县级备案" in page.locator(".status").inner_text()
    phone_fits(page)

    login(page, server, "county", role="county_official", scope="")
    page.goto(manage_url)
    phone_fits(page)
    page.click("button:has-text('提交备案意见')")
    assert "县级已备案" in page.locator(".status").inner_text()

    login(page, server, "clerk", create=False)
    page.goto(manage_url)
    page.click("button:has-text('在公开栏公示负担清单')")
    assert "负担清单已公示" in page.locator("main").inner_text()
    phone_fits(page)
    # A payment that cannot be read: refused beside the amount, the receipt number kept, the summary in view.
    page.fill("form[action$='/collection'] input[name=amount]", "三十")
    page.fill("form[action$='/collection'] input[name=receipt_no]", "A001")
    page.click("button:has-text('登记收款')")
    assert "收款金额须为数字：三十" in page.locator("#e-amount").inner_text()
    assert page.input_value("#f-receipt_no input") == "A001"
    assert page.evaluate("document.activeElement.id") == "errors"
    phone_fits(page)

    page.click("button:has-text('退出')")
    page.goto(manage_url.replace("/manage", ""))
    phone_fits(page)
    burden = page.locator("#burden").inner_text()
    # Each household: 2 persons × 12 yuan; 1 labourer (the wife is over 50) × 3 workdays; IDs masked.
    assert "24.00" in burden and "3.00" in burden and "户主1" in burden
    assert re.search(r"130926\*{8}\d{4}", burden) and "1309261980010100" not in burden
    page.goto(f"{server.url}/v/{V}/notices/")
    assert "一事一议筹资筹劳负担清单：硬化村东道路" in page.locator("main").inner_text()
    phone_fits(page)
