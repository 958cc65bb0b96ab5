"""Journeys at phone width (390 × 844), each ending where a real user ends: a clerk publishes a monthly finance
statement through its confirmation; a 低保 application taken on a phone (a name typed in the 户号 box is answered
beside the box) is paid — the month approved and the bank file exported through their confirmations — and the
household appears on the public list."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.registry import services as registry
from cunwu.registry.resident_id import generate_resident_id
from cunwu_plugins.dibao import amounts, services
from cunwu_plugins.dibao.models import Case

VILLAGE = "130926100201"
CLERK = Actor(user_id=None, username="setup", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
TOWN = Actor(user_id=None, username="town", display_name="乡镇", grants=(Grant("township_official", "township",
                                                                              VILLAGE[:9]),))
COUNTY = Actor(user_id=None, username="county", display_name="县民政局", grants=(Grant("county_official", "site"),))
pytestmark = pytest.mark.browser


def _fits(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, page.url


def test_a_finance_statement_is_published_from_a_phone(phone: Any, live_server_factory: Any, login: Any) -> None:
    server = live_server_factory()
    login(phone, server, "clerk", role="clerk", scope=VILLAGE)
    phone.goto(f"{server.url}/v/{VILLAGE}/notices/manage/finance")
    phone.fill("input[name=period]", "2025-03")
    phone.fill("input[name=opening]", "10000.00")
    phone.fill("textarea[name=income]", "上级转移支付 5000\n土地承包费 1200.50")
    phone.fill("textarea[name=expenditure]", "路灯电费 300.25\n保洁工资 2000")
    phone.fill("input[name=closing]", "13900.00")
    # The live check adds up while the clerk types (htmx); the full submit below checks it all again.
    phone.wait_for_selector("#finance-check:has-text('期末余额应为 13900.25 元')")
    assert "收支不平" in phone.locator("#finance-check").inner_text()
    phone.click("form.form button[type=submit]")
    assert "收支不平" in phone.locator("[role=alert]").inner_text()  # refused, with the difference
    assert phone.input_value("input[name=opening]") == "10000.00"  # what was typed is kept
    _fits(phone)
    phone.fill("input[name=closing]", "13900.25")
    phone.click("form.form button[type=submit]")
    phone.wait_for_url("**/edit")
    _fits(phone)
    phone.click("text=发布…")
    assert "内容不能再修改" in phone.locator("main").inner_text()
    _fits(phone)
    phone.click("text=确认发布")
    phone.wait_for_url(f"**/v/{VILLAGE}/notices/*")
    main = phone.locator("main").inner_text()
    assert "东街村2025年3月财务收支公开" in main and "13,900.25" in main
    _fits(phone)


def _household(site: Any) -> None:
    with site.db.transaction() as session:
        services.set_standard(session, site, COUNTY, kind="rural", monthly_amount=Decimal("600"),
                              effective_from=dt.date(2020, 1, 1))
        head = registry.create_person(session, site, CLERK, village_code=VILLAGE, data={
            "name": "赵大山", "resident_id": generate_resident_id("130926", dt.date(1958, 4, 2), 301)})
        home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number="0042", head=head,
                                         created_on=dt.date(2020, 1, 1))
        assert home.id


def _through_to_confirmation(site: Any, case_id: int) -> dt.date:
    """The steps between application and payment, by their services; the posting is dated back so the case is
    confirmed last month and paid from this month."""
    this_month = amounts.first_of_month(local_today())
    confirmed_on = amounts.add_months(this_month, -1) + dt.timedelta(days=3)
    with site.db.transaction() as session:
        case = session.get(Case, case_id)
        services.record_income(session, site, CLERK, case, person_id=case.applicant_id, kind="farming",
                               monthly_amount=Decimal("200"))
        services.record_property(session, site, CLERK, case,
                                 dict.fromkeys(services.settings_of(site).property_checks, True))
        services.record_visit(session, site, CLERK, case, visited_on=local_today(), visitors="文书、包村干部",
                              findings="老人务农为生，收入微薄")
        services.give_opinion(session, site, TOWN, case, approve=True, opinion="符合条件，同意纳入")
        services.post_case(session, site, CLERK, case)
        audit.update(session, CLERK, case, {"posting_ends_on": confirmed_on - dt.timedelta(days=1)}, "test.backdate")
        services.confirm(session, site, COUNTY, case, on=confirmed_on)
    return this_month


def test_a_dibao_application_taken_on_a_phone_is_paid(phone: Any, live_server_factory: Any, login: Any) -> None:
    server = live_server_factory(enabled=["dibao"])
    _household(server.site)
    login(phone, server, "clerk", role="clerk", scope=VILLAGE)
    phone.goto(f"{server.url}/v/{VILLAGE}/p/dibao/new")
    phone.fill("input[name=household]", "赵大山")  # a name where the number goes
    phone.click("button:has-text('查找')")
    assert "“赵大山”不是户号" in phone.locator(".field-error").inner_text()
    _fits(phone)
    phone.click("text=户号 0042")
    phone.fill("input[name=account_number]", "6222020200112233445")
    phone.fill("input[name=account_holder]", "赵大山")
    phone.click("button:has-text('受理申请')")
    phone.wait_for_url("**/p/dibao/cases/*")
    _fits(phone)
    case_id = int(phone.url.rsplit("/", 1)[-1])
    this_month = _through_to_confirmation(server.site, case_id)

    login(phone, server, "county", role="county_official")
    phone.goto(f"{server.url}/p/dibao/cycles")
    phone.fill("input[name=month]", f"{this_month:%Y-%m}")
    phone.click("button:has-text('计算应发金额')")
    assert "新增 1 户" in phone.locator("#run-summary").inner_text()
    phone.click("text=查看本月明细")
    phone.click("text=审批并生成银行批次…")
    assert "应发 1 户" in phone.locator("main").inner_text()
    _fits(phone)
    phone.click("text=确认审批")
    phone.click("main a[href^='/p/dibao/batches/']")
    phone.click("button:has-text('导出银行文件…')")
    assert "导出后批次冻结" in phone.locator("main").inner_text()
    phone.click("text=确认导出")
    assert "SHA-256" in phone.locator("main").inner_text() and "已导出，待银行回单" in phone.locator("h1").inner_text()
    _fits(phone)

    phone.goto(f"{server.url}/v/{VILLAGE}/p/dibao/recipients?month={this_month:%Y-%m}")
    listed = phone.locator("main table").inner_text()
    assert "赵大山" in listed and "1958" not in listed  # on the public list, the ID masked
    _fits(phone)
