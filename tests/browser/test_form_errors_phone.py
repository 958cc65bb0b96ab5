"""Refused forms on a phone (390 × 844): the message sits beside its own control, the summary on top links to it, what
was typed is kept, and the page still fits (no sideways scroll, every control labelled). Login, answering an
objection, linking an account to a person, revoking and recording a delegation. The browser's own `required`
checks are switched off (`novalidate`) so that the server's answer is what is seen."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import LOCAL_TZ
from cunwu.meetings import services as meetings
from cunwu.notices import services as notices
from cunwu.registry.models import Household, Membership, Person
from cunwu.testing import make_user

VILLAGE = "130926100201"
NO_CHECKS = "document.querySelectorAll('form').forEach(f => f.noValidate = true)"


def beside(page: Any, name: str) -> str:
    """The message beside one field, after checking it is drawn next to its control (within a line or two)."""
    control = page.locator(f"#f-{name} [name={name}]").first.bounding_box()
    message = page.locator(f"#e-{name}").bounding_box()
    assert control and message and abs(message["y"] - (control["y"] + control["height"])) < 60, name
    return str(page.locator(f"#e-{name}").inner_text())


@pytest.mark.browser
def test_login_names_each_empty_box_beside_it_and_keeps_the_name(phone: Any, live_server_factory: Any,
                                                                 phone_fits: Any) -> None:
    server = live_server_factory(enabled=[])
    phone.goto(f"{server.url}/login")
    phone.evaluate(NO_CHECKS)
    phone.click("form.form button[type=submit]")
    assert "请填写用户名" in beside(phone, "username") and "请填写密码" in beside(phone, "password")
    phone_fits(phone)
    phone.click("#errors a[href='#f-password']")
    assert phone.evaluate("location.hash") == "#f-password"
    phone.evaluate(NO_CHECKS)
    phone.fill("input[name=username]", "wenshu")
    phone.click("form.form button[type=submit]")
    assert phone.input_value("input[name=username]") == "wenshu"
    assert phone.locator("#e-username").count() == 0 and "请填写密码" in beside(phone, "password")


@pytest.mark.browser
def test_an_objection_answer_is_refused_beside_its_box(phone: Any, live_server_factory: Any, login: Any,
                                                      phone_fits: Any) -> None:
    server = live_server_factory(enabled=[])
    clerk = Actor.system("test")
    with server.site.db.transaction() as session:
        notice = notices.publish_notice(session, server.site, clerk, village_code=VILLAGE, stream="village",
                                        category="低保", title="低保对象公示", body="名单", window_days=7)
        notices.raise_objection(session, server.site, None, notice.id, body="赵某家有两套商品房", name="李四",
                                phone="13812345678")
    login(phone, server, "clerk", role="clerk", scope=VILLAGE)
    phone.goto(f"{server.url}/v/{VILLAGE}/notices/manage/objections")
    phone.evaluate(NO_CHECKS)
    phone.fill("textarea[name=answer]", "否")
    phone.click("text=答复 >> nth=-1")
    assert "请填写答复" in beside(phone, "answer")
    assert phone.input_value("textarea[name=answer]") == "否"
    phone_fits(phone)


@pytest.mark.browser
def test_a_refused_link_is_named_beside_the_search(phone: Any, live_server_factory: Any, login: Any,
                                                   phone_fits: Any) -> None:
    server = live_server_factory(enabled=[])
    with server.site.db.transaction() as session:
        person = Person(village_code=VILLAGE, name="王网格", sex="M", birth_date=dt.date(1975, 6, 1),
                        resident_id="130926197506010011")
        audit.create(session, Actor.system("test"), person)
    worker = make_user(server.site, "gridworker", role="villager", scope=VILLAGE)
    login(phone, server, "admin", role="site_admin")
    phone.goto(f"{server.url}/admin/users/{worker}/person?village={VILLAGE}&q=王")
    phone.evaluate("document.querySelector('#found input[name=person_id]').value = ''")  # as if none was chosen
    phone.click("#found button:has-text('关联')")
    assert "请先在下面的名单中选择一位村民" in beside(phone, "q")
    assert phone.input_value("input[name=q]") == "王"
    phone_fits(phone)


def _delegating_motion(site: Any) -> tuple[int, int]:
    """A villagers' meeting of twelve adults, held 30 days ago, whose one motion passed: (meeting id, motion id)."""
    actor = Actor.system("test")
    day = dt.date.today() - dt.timedelta(days=30)
    with site.db.transaction() as session:
        for n in range(1, 13):
            household = Household(village_code=VILLAGE, number=f"{n:03d}", created_on=dt.date(2000, 1, 1))
            audit.create(session, actor, household)
            person = Person(village_code=VILLAGE, name=f"村民{n:02d}", sex="M", birth_date=dt.date(1970, 1, 1),
                            resident_id=f"130926197001{n:06d}")
            audit.create(session, actor, person)
            audit.create(session, actor, Membership(village_code=VILLAGE, household_id=household.id,
                                                    person_id=person.id, relation="head",
                                                    start_date=dt.date(2000, 1, 1)))
        meeting = meetings.schedule_meeting(
            session, site, actor, village_code=VILLAGE, kind="villagers", title="授权村民代表会议",
            starts_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ),
            notice_on=day - dt.timedelta(days=10))
        meetings.open_meeting(session, site, actor, meeting)
        for member in meetings.meeting_members(session, meeting):
            meetings.sign_in(session, site, actor, meeting, member.id)
        motion = meetings.put_motion(session, site, actor, meeting, title="授权决定宅基地方案")
        meetings.record_vote_counts(session, site, actor, motion, votes_for=12, against=0, abstain=0)
        meetings.close_meeting(session, site, actor, meeting, minutes="会议记录")
        return meeting.id, motion.id  # type: ignore[return-value]


@pytest.mark.browser
def test_a_delegation_is_refused_and_revoked_beside_its_fields(phone: Any, live_server_factory: Any, login: Any,
                                                              phone_fits: Any) -> None:
    server = live_server_factory(enabled=[])
    meeting_id, motion_id = _delegating_motion(server.site)
    login(phone, server, "clerk", role="clerk", scope=VILLAGE)
    phone.goto(f"{server.url}/v/{VILLAGE}/meetings/{meeting_id}/motions/{motion_id}")
    phone.click("text=据此授权村民代表会议决定下列事项")
    phone.fill("input[name=valid_from]", "2020-01-01")
    phone.click("text=记录授权")
    assert "请选择授权的事项类别" in phone.locator("#e-scope").inner_text()
    assert phone.input_value("input[name=valid_from]") == "2020-01-01"
    phone_fits(phone)
    phone.locator("#f-scope input[type=checkbox]").first.check()
    phone.click("text=记录授权")
    assert "授权不能早于作出授权的村民会议" in beside(phone, "valid_from")
    assert phone.locator("#f-scope input[type=checkbox]").first.is_checked()  # the ticked kind is kept
    phone.fill("input[name=valid_from]", "")
    phone.click("text=记录授权")
    phone.goto(f"{server.url}/v/{VILLAGE}/meetings/delegations")
    phone.evaluate(NO_CHECKS)
    phone.click("text=撤销授权")
    assert "撤销授权必须写明原因" in beside(phone, "reason")
    assert phone.locator("#f-reason input").bounding_box()["x"] + 40 < 390  # the row is a card, the form in view
    phone_fits(phone)
    assert phone.locator(".badge.ok").count() == 1  # still in force: nothing was revoked
