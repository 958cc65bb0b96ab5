"""A clerk runs a representative meeting on a phone (390 × 844, no sideways scroll and every control labelled on
each page): schedule it (a bad time is named beside its field, what was typed kept), sign members in until the
live counter shows the quorum (a stray tap on a signed-in member only asks; the search finds one member), record a
motion with the live check of the counts while typing, close the meeting through its confirmation and print the
minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.registry.models import Household, Membership, Office, Person, Representative

VILLAGE = "130926100201"


def _register(site: Any) -> None:
    """Nine representatives and a villagers' committee of three: a representative meeting of 12 (quorum 8)."""
    actor = Actor.system("test")
    start, term = dt.date(2000, 1, 1), (dt.date(2021, 1, 1), dt.date(2031, 1, 1))
    with site.db.transaction() as session:
        for n in range(1, 13):
            household = Household(village_code=VILLAGE, number=f"{n:03d}", created_on=start)
            audit.create(session, actor, household)
            person = Person(village_code=VILLAGE, name=f"代表{n:02d}", sex="F" if n % 3 == 0 else "M",
                            birth_date=dt.date(1970, 1, 1), resident_id=f"130926197001{n:06d}")
            audit.create(session, actor, person)
            audit.create(session, actor, Membership(village_code=VILLAGE, household_id=household.id,
                                                    person_id=person.id, relation="head", start_date=start))
            if n <= 9:
                audit.create(session, actor, Representative(village_code=VILLAGE, person_id=person.id,
                                                            term_start=term[0], term_end=term[1]))
            else:
                audit.create(session, actor, Office(village_code=VILLAGE, person_id=person.id,
                                                    body="villagers_committee", post="member", term_start=term[0],
                                                    term_end=term[1]))


@pytest.mark.browser
def test_clerk_runs_a_representative_meeting(phone: Any, live_server: Any, login: Any, phone_fits: Any) -> None:
    page = phone
    _register(live_server.site)
    login(page, live_server, "clerk", role="clerk", scope=VILLAGE)
    base = f"{live_server.url}/v/{VILLAGE}/meetings"
    page.goto(f"{base}/new")
    phone_fits(page)
    page.select_option("select[name=kind]", "representatives")
    page.fill("input[name=title]", "第四季度村民代表会议")
    page.fill("input[name=starts_at]", (dt.date.today() + dt.timedelta(days=1)).isoformat() + "T09:00")
    page.fill("input[name=notice_on]", (dt.date.today() + dt.timedelta(days=5)).isoformat())  # after the day
    page.fill("input[name=location]", "村委会会议室")
    page.fill("textarea[name=agenda]", "审议村道硬化方案")
    page.click("text=发出通知")
    assert "晚于会议日期" in page.locator("#f-notice_on .field-error").inner_text()  # beside the field
    assert page.input_value("input[name=title]") == "第四季度村民代表会议"  # what was typed is kept
    assert page.input_value("textarea[name=agenda]") == "审议村道硬化方案"
    phone_fits(page)
    page.fill("input[name=notice_on]", dt.date.today().isoformat())
    page.click("text=发出通知")
    assert page.locator("h1").inner_text() == "第四季度村民代表会议"
    phone_fits(page)

    page.click("text=开始会议，开始签到")
    page.wait_for_url("**/signin")
    phone_fits(page)
    counter = page.locator("#quorum .quorum")
    assert "到会 0 / 至少需要 8" in counter.inner_text()
    buttons = page.locator("#members button")
    assert buttons.count() == 12
    for i in range(8):
        assert "未达法定人数" in counter.inner_text()
        buttons.nth(i).click()
        page.wait_for_function(
            "n => document.querySelector('#quorum .quorum').textContent.includes('到会 ' + n + ' /')", arg=i + 1)
        assert "已签到" in buttons.nth(i).inner_text()
    assert "已达法定人数" in counter.inner_text()
    assert page.url.endswith("/signin")  # htmx updated the page in place

    # A stray tap on a signed-in member only asks; 取消 keeps them signed in.
    page.locator("#members button", has_text="代表01").click()
    page.wait_for_selector("text=确认将 代表01 签退？")
    page.click("text=取消，保持已签到")
    page.wait_for_selector("#members button:has-text('代表01 · 户号 001 — 已签到')")
    assert "到会 8 /" in counter.inner_text()
    # The search narrows the list to one member as the clerk types.
    page.fill("input[name=q]", "代表12")
    page.wait_for_function("() => document.querySelectorAll('#members li').length === 1")
    assert "代表12" in page.locator("#members").inner_text()
    phone_fits(page)

    page.click("text=返回会议")
    phone_fits(page)
    page.fill("form[action$='/motions'] input[name=title]", "村道硬化方案")
    page.click("form[action$='/motions'] button[type=submit]")
    phone_fits(page)
    # The live check answers while the counts are typed: first too many votes for the 8 present, then the result.
    page.fill("input[name=votes_for]", "7")
    page.fill("input[name=against]", "2")
    page.wait_for_selector("#count-check:has-text('超过到会的 8 人')")
    page.fill("input[name=against]", "1")
    page.fill("input[name=abstain]", "0")
    page.wait_for_selector("#count-check:has-text('按这些票数：通过')")
    assert "通过需要赞成 5 票" in page.locator("#count-check").inner_text()
    phone_fits(page)
    page.click("text=登记表决结果")
    assert "赞成 7 · 反对 1 · 弃权 0" in page.locator("main").inner_text()
    phone_fits(page)

    page.click("text=返回会议")
    page.fill("textarea[name=minutes]", "与会代表一致同意村道硬化方案。")
    page.click("form[action$='/close/confirm'] button[type=submit]")
    assert "结束后签到和表决结果即为最终结果" in page.locator("main").inner_text()
    phone_fits(page)
    page.click("text=确认结束会议")
    assert "已结束" in page.locator(".lead").inner_text()
    phone_fits(page)

    page.click("text=会议记录")
    phone_fits(page)
    main = page.locator("main").inner_text()
    assert "应到 12 人，实到 8 人" in main and "村道硬化方案" in main and "与会代表一致同意" in main
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()  # the print stylesheet hides the navigation
    assert not page.locator("text=打印").first.is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5000
