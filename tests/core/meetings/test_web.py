"""The meeting and matter pages in-process: the clerk's journey, live sign-in over htmx, print pages, public minutes
and timeline without personal data, and permissions per role and across villages."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
from sqlmodel import select

from cunwu.clock import local_today
from cunwu.meetings import matters, services
from cunwu.meetings.models import Attendance, Meeting, Motion
from cunwu.notices.models import Notice
from cunwu.testing import login, site_client

VILLAGE = "130926100201"
OTHER = "130926100202"
BASE = f"/v/{VILLAGE}/meetings"


def _new_meeting(client: Any, kind: str = "representatives", **extra: str) -> int:
    form = {"kind": kind, "starts_at": "2025-06-01T09:00", "notice_on": "2025-05-20", "location": "村委会",
            "agenda": "审议村道硬化方案\n其他事项", "convened_by": "committee", **extra}
    response = client.post(f"{BASE}/", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text[:500]
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_clerk_runs_a_representative_meeting_over_http(village_site: Any) -> None:
    site, _village = village_site
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        meeting_id = _new_meeting(client)
        page = client.get(f"{BASE}/{meeting_id}")
        assert page.status_code == 200 and "审议村道硬化方案" in page.text
        assert "至少需要 8" in page.text  # 2/3 of the 12 members on the register, before opening
        sheet = client.get(f"{BASE}/{meeting_id}/sheet")
        assert sheet.status_code == 200 and 'class="signature"' in sheet.text and "户主01" in sheet.text
        opened = client.post(f"{BASE}/{meeting_id}/open", follow_redirects=False)
        assert opened.headers["location"].endswith("/signin")
        signin = client.get(f"{BASE}/{meeting_id}/signin")
        member_ids = [int(x) for x in re.findall(r'id="m-(\d+)"', signin.text)]
        assert len(member_ids) == 12
        # a motion before quorum is refused with the numbers
        refused = client.post(f"{BASE}/{meeting_id}/motions", data={"title": "村道硬化", "body": "全长 1.2 公里"})
        assert refused.status_code == 400 and "到会 0 人，应到 12 人，至少需要 8 人" in refused.text
        typed = refused.text.split('id="put-motion"', 1)[1]  # kept, with the reason beside the form
        assert 'value="村道硬化"' in typed and "全长 1.2 公里" in typed and "至少需要 8 人" in typed
        for i, member_id in enumerate(member_ids[:8]):
            tap = client.post(f"{BASE}/{meeting_id}/signin/{member_id}", data={"action": "in"},
                              headers={"HX-Request": "true"})
            assert tap.status_code == 200
            assert f'id="m-{member_id}"' in tap.text and 'hx-swap-oob="true"' in tap.text
            assert f"到会 {i + 1} / 至少需要 8" in tap.text
        assert "已达法定人数" in tap.text
        put = client.post(f"{BASE}/{meeting_id}/motions", data={"title": "村道硬化", "body": "全长 1.2 公里"},
                          follow_redirects=False)
        assert put.status_code == 303
        motion_url = put.headers["location"]
        too_many = client.post(f"{motion_url}/vote", data={"method": "ballot", "votes_for": "7", "against": "1",
                                                           "abstain": "1"})
        assert too_many.status_code == 400 and "票数合计 9 超过到会 8" in too_many.text
        counts = too_many.text.split("按票数登记", 1)[1]
        assert 'name="votes_for" min="0" required value="7"' in counts and "票数合计 9 超过到会 8" in counts
        assert '<option value="ballot" selected>' in counts
        voted = client.post(f"{motion_url}/vote", data={"method": "hands", "votes_for": "6", "against": "1",
                                                        "abstain": "1"})
        assert voted.status_code == 200 and "赞成 6 · 反对 1 · 弃权 1" in voted.text and "通过" in voted.text
        confirm = client.post(f"{BASE}/{meeting_id}/close/confirm", data={"minutes": "与会代表一致同意"})
        assert confirm.status_code == 200 and "结束后签到和表决结果即为最终结果" in confirm.text
        assert '<input type="hidden" name="minutes" value="与会代表一致同意">' in confirm.text
        assert "已结束" not in client.get(f"{BASE}/{meeting_id}").text  # the confirmation changes nothing
        closed = client.post(f"{BASE}/{meeting_id}/close", data={"minutes": "与会代表一致同意"})
        assert closed.status_code == 200 and "已结束" in closed.text
        published = client.post(f"{BASE}/{meeting_id}/publish")
        assert published.status_code == 200
        minutes = client.get(f"{BASE}/{meeting_id}/minutes")
        assert "应到 12 人，实到 8 人" in minutes.text and "与会代表一致同意" in minutes.text
        again = client.post(f"{motion_url}/vote", data={"method": "hands", "votes_for": "8", "against": "0",
                                                        "abstain": "0"})
        assert again.status_code == 400 and "会议已经结束" in again.text
        corrected = client.post(f"{motion_url}/correct", data={"votes_for": "7", "against": "0", "abstain": "1",
                                                               "reason": "漏记一票"})
        assert corrected.status_code == 200 and "漏记一票" in corrected.text and "已更正" in corrected.text
    with site.db.read() as session:
        meeting = session.get(Meeting, meeting_id)
        notices = session.exec(select(Notice).where(Notice.origin_ref == str(meeting_id))).all()
        attendance = session.exec(select(Attendance).where(Attendance.meeting_id == meeting_id)).all()
    assert meeting.status == "closed" and meeting.quorum_met
    assert len(attendance) == 8
    assert sorted(n.title for n in notices) == sorted([f"关于召开{meeting.title}的通知", f"{meeting.title}决议"])


def test_sign_in_without_javascript_and_search(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "villagers")
        services.open_meeting(session, site, h.CLERK, meeting)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        found = client.get(f"{BASE}/{meeting.id}/signin", params={"q": "户主03"})
        ids = re.findall(r'id="m-(\d+)"', found.text)
        assert len(ids) == 1 and "户主03" in found.text and "户主04" not in found.text
        tap = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "in", "q": "户主03"},
                          follow_redirects=False)
        assert tap.status_code == 303 and unquote(tap.headers["location"]).endswith("signin?q=户主03")
        page = client.get(tap.headers["location"])
        assert "已签到（点此签退）" in page.text and "到会 1 / 至少需要 13" in page.text
        # Tapping a signed-in person only asks: nobody is signed out unasked.
        ask = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "ask", "q": "户主03"},
                          follow_redirects=False)
        assert ask.status_code == 303 and f"ask={ids[0]}" in ask.headers["location"]
        asking = client.get(ask.headers["location"])
        assert "确认将 户主03 签退？" in asking.text and "到会 1 / 至少需要 13" in asking.text
        keep = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "keep"},
                           headers={"HX-Request": "true"})
        assert "已签到（点此签退）" in keep.text and "确认将" not in keep.text
        asked = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "ask"},
                            headers={"HX-Request": "true"})
        assert 'value="out"' in asked.text and "到会 1 / 至少需要 13" in asked.text
        out = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "out"})
        assert "到会 0 / 至少需要 13" in out.text
        twice = client.post(f"{BASE}/{meeting.id}/signin/{ids[0]}", data={"action": "out"})
        assert twice.status_code == 400 and "没有签到" in twice.text
        counts = client.post(f"{BASE}/{meeting.id}/counts", data={"persons": "30"})
        assert counts.status_code == 400 and "超过应到人数 24" in counts.text


def test_public_minutes_show_counts_for_villagers_and_names_for_representatives(
    village_site: Any, h: SimpleNamespace
) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        villagers, _m = h.held_meeting(session, site, "villagers", present=14, title="修路")
        reps, _m = h.held_meeting(session, site, "representatives", present=9, title="修渠")
        branch, _m = h.held_meeting(session, site, "party_branch")
        running = h.schedule(session, site, "representatives")
    with site_client(site) as client:
        public = client.get(f"{BASE}/{villagers.id}/minutes")
        assert public.status_code == 200
        assert "应到 24 人，实到 14 人" in public.text and "户主01" not in public.text and "缺席" not in public.text
        names = client.get(f"{BASE}/{reps.id}/minutes")
        assert "出席" in names.text and "户主01" in names.text and "缺席" not in names.text
        assert client.get(f"{BASE}/{branch.id}/minutes", follow_redirects=False).status_code in (302, 303, 307)
        assert client.get(f"{BASE}/{running.id}/minutes", follow_redirects=False).status_code in (302, 303, 307)
        login(client, site, "villager", role="villager", scope=VILLAGE)
        assert client.get(f"{BASE}/{branch.id}/minutes").status_code == 403
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        full = client.get(f"{BASE}/{villagers.id}/minutes")
        assert "缺席" in full.text and "户主01" in full.text


def test_matter_timeline_page_and_steps_over_http(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        branch, motion = h.held_meeting(session, site, "party_branch", title="提议修路")
        failed, _none = h.held_meeting(session, site, "two_committees", present=2)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        created = client.post(f"/v/{VILLAGE}/matters/", data={"title": "硬化村道", "matter_type": "other",
                                                                "summary": "1.2 公里"}, follow_redirects=False)
        matter_url = created.headers["location"]
        form = client.get(matter_url)
        assert f'value="{branch.id}:{motion.id}"' in form.text
        assert '<option value="" selected disabled>请选择会议及议案</option>' in form.text  # nothing preselected
        assert "进度：已完成 0 / 6 步" in form.text and 'aria-current="step"' in form.text
        skipped = client.post(f"{matter_url}/steps", data={"step": "3", "where": f"{branch.id}:{motion.id}"})
        assert skipped.status_code == 400 and "下一步应为第 1 步" in skipped.text
        step1 = client.post(f"{matter_url}/steps", data={"step": "1", "where": f"{branch.id}:{motion.id}",
                                                         "origin": "村民代表建议", "content": "提议硬化村道"})
        assert step1.status_code == 200 and "提议硬化村道" in step1.text
        assert "进度：已完成 1 / 6 步" in step1.text
        assert f'value="{failed.id}:"' in step1.text  # the failed-quorum meeting can be chosen for step 2
        step2 = client.post(f"{matter_url}/steps", data={"step": "2", "where": f"{failed.id}:"})
        assert "已终止" in step2.text and "不足法定人数" in step2.text
        again = client.post(f"{matter_url}/repropose", follow_redirects=False)
        assert again.status_code == 303 and again.headers["location"] != matter_url
        client.post("/logout")
        public = client.get(again.headers["location"])
        assert public.status_code == 200
        assert "第 1 次提议" in public.text and "第 2 次提议" in public.text and "村民代表建议" in public.text
        assert "记录第" not in public.text  # no forms for the public
        assert client.get(f"/v/{VILLAGE}/matters/").status_code == 200
        assert client.get(f"/v/{OTHER}/matters/{matter_url.rsplit('/', 1)[1]}").status_code == 404


ROUTES_VIEW = ["", "/{m}", "/{m}/sheet", "/{m}/agenda", "/{m}/motions/{x}", "/delegations"]
ROUTES_MANAGE_GET = ["/new", "/{m}/signin"]


@pytest.mark.parametrize(
    ("role", "scope", "view", "manage"),
    [
        ("clerk", VILLAGE, True, True),
        ("representative", VILLAGE, True, False),
        ("supervisor", VILLAGE, True, False),
        ("township_official", VILLAGE[:9], True, False),
        ("county_official", "", True, False),
        ("site_admin", "", True, False),
        ("villager", VILLAGE, False, False),
        ("clerk", OTHER, False, False),  # a clerk of the next village
    ],
)
def test_permissions_per_role_and_village(
    village_site: Any, h: SimpleNamespace, role: str, scope: str, view: bool, manage: bool
) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting, motion = h.held_meeting(session, site, "representatives")
        open_one = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, open_one)
        matter = matters.open_matter(session, site, h.CLERK, village_code=VILLAGE, matter_type="other",
                                     title="议题")
    with site_client(site) as client:
        login(client, site, "user", role=role, scope=scope)
        for path in ROUTES_VIEW:
            url = BASE + path.format(m=meeting.id, x=motion.id)
            assert client.get(url).status_code == (200 if view else 403), url
        for path in ROUTES_MANAGE_GET:
            url = BASE + path.format(m=open_one.id)
            assert client.get(url).status_code == (200 if manage else 403), url
        with site.db.read() as session:
            member_id = h.members(session, open_one)[0].id
        posts = [
            (f"{BASE}/{open_one.id}/signin/{member_id}", {"action": "in"}),
            (f"{BASE}/{open_one.id}/agenda", {"title": "加一项"}),
            (f"{BASE}/{open_one.id}/close", {"minutes": ""}),
            (f"/v/{VILLAGE}/matters/{matter.id}/stop", {"reason": "测试"}),
        ]
        for url, data in posts:
            status = client.post(url, data=data, follow_redirects=False).status_code
            assert (status in (200, 303)) if manage else status == 403, (url, status)
        assert client.get(f"/v/{VILLAGE}/matters/{matter.id}").status_code == 200  # public
        menu = client.get(f"/v/{VILLAGE}/").text
        assert ("村务会议" in menu) == view
    with site.db.read() as session:
        assert (session.get(Meeting, open_one.id).status == "closed") == manage
        assert session.get(Motion, motion.id).status == "voted"


def test_meetings_of_another_village_are_not_found(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        theirs = h.schedule(session, site, "representatives", village=OTHER)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert client.get(f"{BASE}/{theirs.id}").status_code == 404
        assert client.post(f"{BASE}/{theirs.id}/open").status_code == 404
        assert client.get(f"/v/{OTHER}/meetings/{theirs.id}").status_code == 403


def test_village_home_lists_upcoming_public_meetings(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    soon = local_today() + dt.timedelta(days=3)
    with site.db.transaction() as session:
        h.schedule(session, site, "villagers", day=soon, title="年度村民会议", notice_on=local_today())
        h.schedule(session, site, "party_branch", day=soon, title="支委会", notice_on=local_today())
    with site_client(site) as client:
        public = client.get(f"/v/{VILLAGE}/").text
        assert "年度村民会议" in public and "支委会" not in public
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert "支委会" in client.get(f"/v/{VILLAGE}/").text


def test_schedule_form_errors_are_shown(village_site: Any) -> None:
    site, _village = village_site
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert client.get(f"{BASE}/new").status_code == 200
        response = client.post(f"{BASE}/", data={"kind": "villagers", "starts_at": "2025-06-01T09:00",
                                                  "notice_on": "2025-05-20", "convened_by": "villagers",
                                                  "requesters": "甲\n乙"})
        assert response.status_code == 400 and "至少需要 3 人" in response.text
        missing = client.post(f"{BASE}/", data={"kind": "villagers", "starts_at": ""})
        assert missing.status_code == 400 and "请填写会议时间" in missing.text


def test_delegation_over_http(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        _assembly, motion = h.held_meeting(session, site, "villagers", day=dt.date(2025, 5, 1), title="授权")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        url = f"{BASE}/{motion.meeting_id}/motions/{motion.id}/delegate"
        done = client.post(url, data={"scope": ["homestead", "land_compensation"], "valid_from": "2025-05-01",
                                      "valid_until": "2025-12-31"})
        assert done.status_code == 200
        page = client.get(f"{BASE}/delegations")
        assert "宅基地的使用方案" in page.text and "征地补偿费的使用和分配方案" in page.text
        assert "2025-12-31" in page.text


def test_meeting_pages_in_english(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 3)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        client.get("/-/locale/en")
        page = client.get(f"{BASE}/{meeting.id}").text
        refused = client.post(f"{BASE}/{meeting.id}/motions", data={"title": "Road"}).text
    assert "Representative meeting" in page or "representatives" in page.lower()
    assert "3 present / 8 needed" in page and "Sign people in" in page
    assert "No quorum, so nothing can be put to the vote: 3 present of 12; at least 8 needed (≥ 2/3)" in refused
