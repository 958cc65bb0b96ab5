"""Scheduling a meeting names every wrong field at once, each beside its field, and keeps what was typed."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import func, select

from cunwu.audit.models import AuditEntry
from cunwu.meetings import matters, services
from cunwu.meetings.models import Delegation, Meeting, ResultCorrection
from cunwu.testing import field_shown, login, site_client

from .conftest import VILLAGE


def test_a_meeting_with_a_bad_time_and_a_bad_notice_day_names_both(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"/v/{VILLAGE}/meetings/", data={
            "kind": "representatives", "title": "修路议事", "starts_at": "明天上午", "notice_on": "2025-02-30",
            "location": "村委会", "agenda": "修路\n水渠"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        starts = field_shown(page.text, "starts_at")
        assert "会议时间“明天上午”无效" in starts and 'value="明天上午"' in starts
        assert "通知日期" in field_shown(page.text, "notice_on")
        assert 'value="修路议事"' in field_shown(page.text, "title")
        assert "修路\n水渠" in field_shown(page.text, "agenda")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Meeting)).one() == 0


def test_a_group_meeting_without_its_group_says_so_beside_the_group(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"/v/{VILLAGE}/meetings/", data={"kind": "group", "starts_at": "2025-06-10T09:00"})
        assert page.status_code == 400
        assert "村民小组会议必须选择本村的一个村民小组" in field_shown(page.text, "group_id")


def test_a_step_of_a_matter_is_refused_inside_its_own_form_with_what_was_typed(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        h.held_meeting(session, site, "party_branch")  # a closed meeting the step may cite
        matter = matters.open_matter(session, site, h.CLERK, village_code=VILLAGE, matter_type="other",
                                     title="修建村东水渠", opened_on=h.DAY)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/matters/{matter.id}/steps", data={
        "step": "1", "where": "第一次:议案", "origin": "村民提议", "content": "先议水渠选址"})
    assert page.status_code == 400
    form = page.text[page.text.index(f'action="/v/{VILLAGE}/matters/{matter.id}/steps"'):]
    where = field_shown(form, "where")
    assert "会议须为整数" in where and "议案须为整数" in where  # both, beside the box
    assert "请改正以下 2 处" in form.split("</form>", 1)[0]
    assert 'value="村民提议"' in form and "先议水渠选址" in form


def test_paper_counts_that_cannot_be_read_name_both_boxes_and_keep_them(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        meeting = h.schedule(session, site, "villagers")
        services.open_meeting(session, site, h.CLERK, meeting)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/{meeting.id}/counts",
                                         data={"persons": "三十", "households": "-2"})
    assert page.status_code == 400
    persons = field_shown(page.text, "persons")
    assert "到会人数" in persons and 'value="三十"' in persons and 'aria-invalid="true"' in persons
    households = field_shown(page.text, "households")
    assert "到会户数" in households and 'value="-2"' in households and 'aria-invalid="true"' in households
    assert "<details class=\"card\" open>" in page.text
    with site.db.read() as session:
        assert session.get(Meeting, meeting.id).counted_persons is None  # type: ignore[union-attr]


def test_counts_beyond_the_roll_are_refused_beside_the_persons_box(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        meeting = h.schedule(session, site, "villagers")
        services.open_meeting(session, site, h.CLERK, meeting)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/{meeting.id}/counts", data={"persons": "999"})
    assert page.status_code == 400
    persons = field_shown(page.text, "persons")
    assert "超过应到人数" in persons and 'value="999"' in persons


def test_an_empty_agenda_item_is_refused_beside_its_box(site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        meeting = h.schedule(session, site, "villagers")
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/{meeting.id}/agenda", data={"title": "   "})
    assert page.status_code == 400
    assert "请填写议程内容" in field_shown(page.text, "title")


def test_a_motion_without_a_title_and_with_an_unreadable_agenda_item_names_both(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        meeting = h.schedule(session, site, "villagers")
        services.add_agenda_item(session, site, h.CLERK, meeting, "修路")
        services.open_meeting(session, site, h.CLERK, meeting)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/{meeting.id}/motions",
                                         data={"title": " ", "body": "全长 1.2 公里", "agenda_item_id": "第一项"})
    assert page.status_code == 400
    form = page.text[page.text.index('id="put-motion"'):]
    assert "请填写议案名称" in field_shown(form, "title")
    agenda = field_shown(form, "agenda_item_id")
    assert "议程须为整数" in agenda and 'aria-invalid="true"' in agenda
    assert "全长 1.2 公里" in form


def test_a_matter_without_a_title_and_with_a_bad_day_names_both_and_keeps_the_summary(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/matters/", data={
        "title": "", "matter_type": "other", "summary": "修建村东水渠", "opened_on": "2025-02-30"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "请填写议题名称" in field_shown(page.text, "title")
    opened = field_shown(page.text, "opened_on")
    assert "立项日期" in opened and 'value="2025-02-30"' in opened
    assert "修建村东水渠" in field_shown(page.text, "summary")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(matters.Matter)).one() == 0


def _delegation(session: Any, site: Any, h: SimpleNamespace) -> Delegation:
    """A delegation of homestead plans by a villagers' meeting that passed its motion."""
    h.populate(session)
    _meeting, motion = h.held_meeting(session, site, "villagers", title="授权村民代表会议决定宅基地方案")
    return services.create_delegation(session, site, h.CLERK, motion, scope=["homestead"], valid_from=h.DAY)


def test_revoking_a_delegation_with_a_bad_day_and_no_reason_names_both_in_its_row(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        delegation = _delegation(session, site, h)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/meetings/delegations/{delegation.id}/revoke",
                                         data={"on": "2025-02-30", "reason": "  "})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    on = field_shown(page.text, "on")
    assert "撤销日期“2025-02-30”不是有效的日期" in on and 'value="2025-02-30"' in on
    assert "撤销授权必须写明原因" in field_shown(page.text, "reason")
    assert 'href="#f-on"' in page.text and 'href="#f-reason"' in page.text
    with site.db.read() as session:
        assert session.get(Delegation, delegation.id).revoked_on is None  # type: ignore[union-attr]


def test_a_bad_revocation_day_keeps_the_reason_and_revokes_nothing(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        delegation = _delegation(session, site, h)
    clerk = client_as(site, "clerk")  # (creating the clerk's account is audited too)
    with site.db.read() as session:
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    page = clerk.post(f"/v/{VILLAGE}/meetings/delegations/{delegation.id}/revoke",
                      data={"on": "六月一日", "reason": "村民会议撤回"})
    assert page.status_code == 400
    assert "撤销日期“六月一日”不是有效的日期" in field_shown(page.text, "on")
    assert 'value="村民会议撤回"' in field_shown(page.text, "reason")
    assert f'href="/v/{VILLAGE}/meetings/{delegation.meeting_id}"' in page.text  # the delegating meeting linked
    with site.db.read() as session:  # the service's change was rolled back with the refusal
        assert session.get(Delegation, delegation.id).revoked_on is None  # type: ignore[union-attr]
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries


def test_a_delegation_without_a_kind_and_with_a_bad_end_names_both_and_keeps_the_start(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        _meeting, motion = h.held_meeting(session, site, "villagers", title="授权村民代表会议")
    url = f"/v/{VILLAGE}/meetings/{motion.meeting_id}/motions/{motion.id}/delegate"
    page = client_as(site, "clerk").post(url, data={"valid_from": h.DAY.isoformat(), "valid_until": "年底"})
    assert page.status_code == 400
    form = page.text[page.text.index('id="delegate"'):]
    assert "请改正以下 2 处" in form.split("</form>", 1)[0]
    assert "请选择授权的事项类别" in field_shown(form, "scope")
    until = field_shown(form, "valid_until")
    assert "截止日期“年底”不是有效的日期" in until and 'value="年底"' in until
    assert f'value="{h.DAY.isoformat()}"' in field_shown(form, "valid_from")
    assert '<details class="card" open>' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Delegation)).one() == 0


def test_a_delegation_starting_before_its_meeting_keeps_the_kinds_ticked_and_writes_nothing(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        _meeting, motion = h.held_meeting(session, site, "villagers", title="授权村民代表会议")
    url = f"/v/{VILLAGE}/meetings/{motion.meeting_id}/motions/{motion.id}/delegate"
    page = client_as(site, "clerk").post(url, data={"scope": ["homestead", "land_compensation"],
                                                    "valid_from": "2020-01-01", "valid_until": "2019-12-31"})
    assert page.status_code == 400
    assert "授权不能早于作出授权的村民会议" in field_shown(page.text, "valid_from")
    assert page.text.count("checked") == 2 and 'value="homestead" checked' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Delegation)).one() == 0


def test_a_correction_with_an_unreadable_count_and_no_reason_names_both_and_keeps_the_counts(
        site: Any, h: SimpleNamespace, client_as: Any) -> None:
    with site.db.transaction() as session:
        h.populate(session)
        _meeting, motion = h.held_meeting(session, site, "villagers", title="修路方案")
    url = f"/v/{VILLAGE}/meetings/{motion.meeting_id}/motions/{motion.id}/correct"
    page = client_as(site, "clerk").post(url, data={"votes_for": "十二", "against": "1", "abstain": "0",
                                                    "reason": " "})
    assert page.status_code == 400
    form = page.text[page.text.index('id="correct"'):].split("</form>", 1)[0]
    assert "请改正以下 2 处" in form
    votes_for = field_shown(form, "votes_for")
    assert "赞成须为整数" in votes_for and 'value="十二"' in votes_for and 'aria-invalid="true"' in votes_for
    assert 'value="1"' in field_shown(form, "against")
    assert "更正表决结果必须写明原因" in field_shown(form, "reason")
    assert '<details class="card" open>' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(ResultCorrection)).one() == 0
