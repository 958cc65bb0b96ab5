"""低保 in a real browser: the clerk posts a case for 7 days, a villager objects on a phone, the case goes to
民主评议, the result is posted again for 7 days, and the county confirms once the posting is over."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.meetings import services as meetings
from cunwu.registry import services as registry
from cunwu.registry.resident_id import generate_resident_id
from cunwu_plugins.dibao import services

VILLAGE = "130926100201"
CLERK = Actor(user_id=None, username="setup", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
TOWN = Actor(user_id=None, username="town", display_name="乡镇", grants=(Grant("township_official", "township",
                                                                              VILLAGE[:9]),))
COUNTY = Actor(user_id=None, username="county", display_name="县民政局", grants=(Grant("county_official", "site"),))


def _person(session: Any, site: Any, name: str, born: dt.date, n: int) -> Any:
    return registry.create_person(session, site, CLERK, village_code=VILLAGE,
                                  data={"name": name, "resident_id": generate_resident_id("130926", born, n)})


def _proposed_case(site: Any) -> tuple[int, str]:
    """Six representatives, and a household whose application the township has approved (ready to post)."""
    with site.db.transaction() as session:
        services.set_standard(session, site, COUNTY, kind="rural", monthly_amount=Decimal("600"),
                              effective_from=dt.date(2026, 1, 1))
        for i in range(6):
            rep = _person(session, site, f"代表{i}", dt.date(1970, 1, 1 + i), 101 + 2 * i)
            home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number=f"R{i}", head=rep,
                                             created_on=dt.date(2020, 1, 1))
            registry.set_representative(session, site, CLERK, village_code=VILLAGE, person=rep,
                                        household_ids=[home.id], on=dt.date(2024, 1, 1),
                                        term_start=dt.date(2024, 1, 1), term_end=dt.date(2029, 1, 1))
        head = _person(session, site, "赵大山", dt.date(1958, 4, 2), 301)
        wife = _person(session, site, "钱秀兰", dt.date(1960, 8, 9), 302)
        home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number="0042", head=head,
                                         created_on=dt.date(2020, 1, 1))
        registry.add_member(session, site, CLERK, home, wife, "spouse", dt.date(2020, 1, 1))
        case = services.apply(session, site, CLERK, village_code=VILLAGE, household_id=home.id,
                              applicant_id=head.id, covered=[head.id, wife.id], bank_code="RCC",
                              account_number="6222020200112233445", account_holder="赵大山")
        services.record_income(session, site, CLERK, case, person_id=head.id, kind="farming",
                               monthly_amount=Decimal("400"))
        services.record_property(session, site, CLERK, case,
                                 dict.fromkeys(services.settings_of(site).property_checks, True))
        services.record_visit(session, site, CLERK, case, visited_on=local_today(), visitors="文书、包村干部",
                              findings="两位老人务农为生，收入微薄")
        services.give_opinion(session, site, TOWN, case, approve=True, opinion="符合条件，同意纳入")
        return int(case.id), head.resident_id  # type: ignore[arg-type]


@pytest.mark.browser
def test_posting_objection_democratic_review_and_reposting(page: Any, phone_page: Any, live_server_factory: Any,
                                                           login: Any) -> None:
    server = live_server_factory(enabled=["dibao"])
    site = server.site
    site.config.supervision_phone = "0317-5012345"
    case_id, resident_id = _proposed_case(site)
    case_url = f"{server.url}/v/{VILLAGE}/p/dibao/cases/{case_id}"

    # the clerk posts the case (公示) for 7 days
    login(page, server, "clerk", role="clerk", scope=VILLAGE)
    page.goto(case_url)
    # (600 − 400 / 2) × 2 = 800; both are 60 or older: + 2 × 60
    assert page.locator("#proposed").inner_text() == "920.00"
    page.click("#post-button")
    assert page.locator("#status").inner_text() == "公示中"
    # 7 days counted inclusively: posted today, the last day is today + 6
    assert page.locator("#posting-end").inner_text() == str(local_today() + dt.timedelta(days=6))
    page.click("#notice-link")
    notice_url = page.url
    board = page.locator("main").inner_text()
    assert "赵大山" in board and "920.00" in board and "0317-5012345" in board and "公示期" in board
    assert resident_id not in board and resident_id[:6] in board and resident_id[-4:] in board

    # a villager objects from a phone, without an account
    phone_page.goto(notice_url)
    phone_page.fill("textarea[name=body]", "赵大山家的儿子在县城有房有车，请核实")
    phone_page.fill("input[name=name]", "孙村民")
    phone_page.fill("input[name=phone]", "13812345678")
    phone_page.click("form.nt-object button[type=submit]")
    phone_page.wait_for_load_state("networkidle")
    assert "赵大山家的儿子" in phone_page.locator("#objections").inner_text()

    # the case is now in 民主评议; the clerk calls the meeting
    page.goto(case_url)
    assert page.locator("#status").inner_text() == "民主评议中"
    page.fill("input[name=starts_at]", f"{local_today() + dt.timedelta(days=2):%Y-%m-%d}T09:00")
    page.fill("input[name=location]", "村委会会议室")
    page.click("#schedule-review")
    assert "评议会议" in page.locator("#procedure").inner_text()
    with site.db.transaction() as session:  # the meeting itself runs in the core meetings area
        case = services.get_case(session, case_id)
        meeting = meetings.get_meeting(session, VILLAGE, case.meeting_id)  # type: ignore[arg-type]
        meetings.open_meeting(session, site, CLERK, meeting)
        meetings.record_counts(session, site, CLERK, meeting, persons=6)
        motion = meetings.put_motion(session, site, CLERK, meeting, title="同意赵大山户纳入低保")
        meetings.record_vote_counts(session, site, CLERK, motion, votes_for=5, against=1, abstain=0)
        meetings.close_meeting(session, site, CLERK, meeting)

    # the result is posted again, for another 7 days
    page.goto(case_url)
    page.fill("input[name=summary]", "与会代表核实该户儿子已分户单过")
    page.click("#post-result")
    assert page.locator("#status").inner_text() == "公示中"
    assert page.locator("#review-result").inner_text() == "通过"
    page.click("#notice-link")
    assert page.url != notice_url
    reposted = page.locator("main").inner_text()
    assert "民主评议结果" in reposted and "通过" in reposted and "0317-5012345" in reposted

    # the county cannot confirm during the posting; once it is over, it can
    login(page, server, "county", role="county_official")
    page.goto(case_url)
    assert page.locator("#confirm-button").count() == 0
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        audit.update(session, CLERK, case, {"posting_ends_on": local_today() - dt.timedelta(days=1)},
                     "test.posting_over")
    page.goto(case_url)
    page.click("#confirm-button")
    assert page.locator("#status").inner_text() == "已纳入保障"
    assert "6222020200112233445" in page.locator("#account").inner_text()


@pytest.mark.browser
def test_county_forms_refuse_beside_the_field_on_a_phone(phone: Any, live_server_factory: Any, login: Any,
                                                        phone_fits: Any) -> None:
    """A standard, a monthly run and a month's figures typed wrong, on a phone: each refusal beside its box, what was
    typed kept, the page still fitting the screen."""
    page = phone
    server = live_server_factory(enabled=["dibao"])
    login(page, server, "county", role="county_official")
    page.goto(f"{server.url}/p/dibao/standards")
    page.fill("input[name=monthly_amount]", "六百")
    page.fill("input[name=effective_from]", "2026-01-01")
    page.fill("input[name=note]", "民发〔2026〕1 号")
    page.click("button:has-text('设定')")
    assert "金额须为数字：六百" in page.locator("#e-monthly_amount").inner_text()
    assert page.input_value("input[name=note]") == "民发〔2026〕1 号"
    assert page.evaluate("document.activeElement.id") == "errors"
    phone_fits(page)
    page.goto(f"{server.url}/p/dibao/cycles")
    page.fill("input[name=month]", "2026-13")
    page.click("button:has-text('计算应发金额')")
    assert "月份格式应为 YYYY-MM：2026-13" in page.locator("#e-month").inner_text()
    phone_fits(page)
    page.goto(f"{server.url}/p/dibao/totals")
    page.fill("input[name=month]", "2026-13")
    page.click("button:has-text('查看')")
    assert page.input_value("input[name=month]") == "2026-13" and page.locator("#e-month").is_visible()
    phone_fits(page)
