"""The live check beside a motion's vote counts (htmx): the total against the attendees and the result the counts
would record, by the recording's own arithmetic; managers of the village only; the full submit checks again."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import select

from cunwu.meetings import services
from cunwu.meetings.models import Motion
from cunwu.testing import field_shown

from .conftest import OTHER_VILLAGE, VILLAGE


def _pending_motion(site: Any, h: SimpleNamespace) -> tuple[Any, Any, int]:
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, meeting.members_total or 0)
        motion = services.put_motion(session, site, h.CLERK, meeting, title="修路")
        present = services.meeting_quorum(session, site, meeting).present
        return meeting, motion, present


def test_the_count_check_shows_the_total_and_the_result_while_typing(
        village_site: tuple[Any, Any], h: SimpleNamespace, client_as: Any) -> None:
    site, _village = village_site
    meeting, motion, present = _pending_motion(site, h)
    url = f"/v/{VILLAGE}/meetings/{meeting.id}/motions/{motion.id}"
    clerk = client_as(site, "clerk")
    page = clerk.get(url).text
    assert f'hx-get="{url}/count-check"' in page and 'id="count-check"' in page
    passing = clerk.get(f"{url}/count-check", params={"votes_for": present, "against": 0, "abstain": 0},
                        headers={"HX-Request": "true"})
    assert passing.status_code == 200
    assert f"合计 {present} 票，到会 {present} 人" in passing.text and "按这些票数：通过" in passing.text
    assert "<html" not in passing.text  # a fragment, not a page
    failing = clerk.get(f"{url}/count-check", params={"votes_for": 0, "against": present, "abstain": 0})
    assert "按这些票数：未通过" in failing.text
    over = clerk.get(f"{url}/count-check", params={"votes_for": present, "against": 1, "abstain": 1})
    assert f"合计 {present + 2} 票，超过到会的 {present} 人" in over.text
    unreadable = clerk.get(f"{url}/count-check", params={"votes_for": "十", "against": "x", "abstain": "0"})
    assert "赞成须为整数" in unreadable.text and "反对须为整数" in unreadable.text
    with site.db.read() as session:  # nothing was recorded by checking
        assert session.exec(select(Motion).where(Motion.id == motion.id)).one().status == "pending"


def test_the_count_check_is_for_the_village_managers_only(
        village_site: tuple[Any, Any], h: SimpleNamespace, client_as: Any) -> None:
    site, _village = village_site
    meeting, motion, _present = _pending_motion(site, h)
    check = f"/v/{VILLAGE}/meetings/{meeting.id}/motions/{motion.id}/count-check?votes_for=1&against=0&abstain=0"
    for role in ("villager", "representative", "supervisor", "county_official"):
        assert client_as(site, role).get(check).status_code == 403, role
    assert client_as(site, "clerk", OTHER_VILLAGE).get(check).status_code == 403
    other = f"/v/{OTHER_VILLAGE}/meetings/{meeting.id}/motions/{motion.id}/count-check?votes_for=1"
    assert client_as(site, "clerk", OTHER_VILLAGE).get(other).status_code == 404  # not that village's meeting
    assert client_as(site, "clerk").get(check).status_code == 200


def test_the_vote_form_names_every_unreadable_count_beside_it_and_keeps_them(
        village_site: tuple[Any, Any], h: SimpleNamespace, client_as: Any) -> None:
    site, _village = village_site
    meeting, motion, _present = _pending_motion(site, h)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/{meeting.id}/motions/{motion.id}/vote",
                                         data={"method": "hands", "votes_for": "十", "against": "-", "abstain": "0"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    votes_for = field_shown(page.text, "votes_for")
    assert "赞成须为整数" in votes_for and 'value="十"' in votes_for
    assert "反对" in field_shown(page.text, "against") and 'value="-"' in field_shown(page.text, "against")
    assert 'value="0"' in field_shown(page.text, "abstain")
