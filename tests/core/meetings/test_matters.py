"""四议两公开 matters through the services: the six steps in order, a failed quorum that stops a matter and its
re-proposal, the notices of steps 5 and 6, the merge and sign-off settings, the 20-day warning, the plugin hook."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from cunwu import hookimpl
from cunwu.meetings import matters, services
from cunwu.meetings.models import Matter, MatterStep
from cunwu.meetings.services import MeetingError
from cunwu.notices.models import Notice
from cunwu.plugin_types import Manifest, MatterType

VILLAGE = "130926100201"
D = dt.date(2025, 6, 1)


def _open(session: Any, site: Any, h: SimpleNamespace, matter_type: str = "other") -> Matter:
    return matters.open_matter(session, site, h.CLERK, village_code=VILLAGE, matter_type=matter_type,
                               title="硬化村内主干道", summary="全长 1.2 公里", opened_on=D)


def _meeting_step(session: Any, site: Any, h: SimpleNamespace, matter: Matter, step: int, kind: str,
                  day: dt.date, **kwargs: Any) -> list[MatterStep]:
    meeting, motion = h.held_meeting(session, site, kind, day=day, matter=matter, title=f"第{step}步议案", **kwargs)
    return matters.record_step(session, site, h.CLERK, matter, step, meeting=meeting, motion=motion,
                               origin="党支部提议", content=f"第{step}步内容")


def test_a_matter_walks_all_six_steps_after_a_failed_quorum(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        first = _open(session, site, h)
        _meeting_step(session, site, h, first, 1, "party_branch", D)
        _meeting_step(session, site, h, first, 2, "two_committees", D + dt.timedelta(days=1))
        # the party members' meeting fails its quorum (3 of 6 < 2/3): the step fails and the matter stops
        failed = _meeting_step(session, site, h, first, 3, "party_members", D + dt.timedelta(days=2), present=3)
        assert [(row.step, row.outcome, row.expected, row.actual) for row in failed] == [(3, "failed", 6, 3)]
        assert (first.status, first.step) == ("stopped", 2)
        assert "不足法定人数" in (first.stopped_reason or "")
        with pytest.raises(MeetingError, match="重新提议"):
            _meeting_step(session, site, h, first, 3, "party_members", D + dt.timedelta(days=3))
        again = matters.repropose(session, site, h.CLERK, first, opened_on=D + dt.timedelta(days=3))
        with pytest.raises(MeetingError, match="已经重新提议过"):
            matters.repropose(session, site, h.CLERK, first)
        assert (again.attempt, again.previous_id, again.step) == (2, first.id, 0)
        start = D + dt.timedelta(days=3)
        _meeting_step(session, site, h, again, 1, "party_branch", start)
        _meeting_step(session, site, h, again, 2, "two_committees", start)
        third = _meeting_step(session, site, h, again, 3, "party_members", start + dt.timedelta(days=1))
        assert third[0].signatures == ["户主01", "户主02", "户主10", "户主11", "户主12", "配偶12"]
        _meeting_step(session, site, h, again, 4, "representatives", start + dt.timedelta(days=2))
        five = matters.record_step(session, site, h.CLERK, again, 5, held_on=start + dt.timedelta(days=2),
                                   notice_title="关于硬化村内主干道的决议公告", notice_body="村民代表会议决议……")
        assert again.step == 5 and again.status == "open"
        six = matters.record_step(session, site, h.CLERK, again, 6, held_on=start + dt.timedelta(days=9),
                                  notice_title="村内主干道硬化实施结果公开", notice_body="已完工，验收合格")
        assert (again.status, again.step, again.closed_on) == ("completed", 6, start + dt.timedelta(days=9))
        timeline = matters.matter_timeline(session, site, first)
    with site.db.read() as session:
        posted = session.exec(select(Notice).where(Notice.origin_kind == "matter")).all()
    assert {n.id for n in posted} == {five[0].notice_id, six[0].notice_id}
    assert {n.title for n in posted} == {"关于硬化村内主干道的决议公告", "村内主干道硬化实施结果公开"}
    assert all(n.origin_ref == str(again.id) and n.village_code == VILLAGE for n in posted)
    assert [a.matter.id for a in timeline.attempts] == [first.id, again.id]
    assert [s.state for s in timeline.attempts[0].steps] == ["done", "done", "failed"] + ["not_reached"] * 3
    assert [s.state for s in timeline.attempts[1].steps] == ["done"] * 6
    assert timeline.attempts[1].days == 9


def test_steps_cannot_be_skipped_or_held_in_the_wrong_meeting(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        matter = _open(session, site, h)
        reps, motion = h.held_meeting(session, site, "representatives")
        with pytest.raises(MeetingError, match="下一步应为第 1 步"):
            matters.record_step(session, site, h.CLERK, matter, 4, meeting=reps, motion=motion)
        with pytest.raises(MeetingError, match="下一步应为第 1 步"):
            matters.record_step(session, site, h.CLERK, matter, 2, meeting=reps, motion=motion)  # no merging here
        with pytest.raises(MeetingError, match="应在党支部委员会上进行"):
            matters.record_step(session, site, h.CLERK, matter, 1, meeting=reps, motion=motion)
        running = h.schedule(session, site, "party_branch")
        with pytest.raises(MeetingError, match="会议结束后"):
            matters.record_step(session, site, h.CLERK, matter, 1, meeting=running)
        # a failed motion stops the matter just like a failed quorum
        matters.record_step(session, site, h.CLERK, matter, 1,
                            **dict(zip(("meeting", "motion"),
                                       h.held_meeting(session, site, "party_branch", votes=(1, 2, 0)), strict=True)))
        assert matter.status == "stopped" and "未获通过" in (matter.stopped_reason or "")
        # step 4 of a reserved matter in a representative meeting needs a delegation
        reserved = _open(session, site, h, matter_type="homestead")
        _meeting_step(session, site, h, reserved, 1, "party_branch", D)
        _meeting_step(session, site, h, reserved, 2, "two_committees", D)
        _meeting_step(session, site, h, reserved, 3, "party_members", D)
        reps2, motion2 = h.held_meeting(session, site, "representatives", title="宅基地方案")
        with pytest.raises(MeetingError, match="没有有效的授权"):
            matters.record_step(session, site, h.CLERK, reserved, 4, meeting=reps2, motion=motion2)
        _meeting_step(session, site, h, reserved, 4, "villagers", D)
        assert reserved.step == 4
        with pytest.raises(MeetingError, match="公开的标题和内容"):
            matters.record_step(session, site, h.CLERK, reserved, 5, notice_title="", notice_body="")
        with pytest.raises(MeetingError, match="早于上一步"):
            matters.record_step(session, site, h.CLERK, reserved, 5, held_on=D - dt.timedelta(days=1),
                                notice_title="决议公告", notice_body="内容")


def test_merged_first_steps_sign_off_and_the_twenty_day_warning(make_site: Any, h: SimpleNamespace) -> None:
    site, _village = make_site("[core.meetings]\nmerge_steps_1_2 = true\nsupervision_sign_off = true\n"
                               "procedure_max_days = 10\n")
    with site.db.transaction() as session:
        matter = _open(session, site, h)
        assert (matter.merge_1_2, matter.sign_off) == (True, True)
        merged = _meeting_step(session, site, h, matter, 2, "two_committees", D)
        assert [(row.step, row.merged, row.meeting_id) for row in merged] == [
            (1, True, merged[0].meeting_id), (2, True, merged[0].meeting_id)]
        _meeting_step(session, site, h, matter, 3, "party_members", D)
        _meeting_step(session, site, h, matter, 4, "representatives", D)
        matters.record_step(session, site, h.CLERK, matter, 5, held_on=D, notice_title="决议", notice_body="决议")
        late = matters.record_step(session, site, h.CLERK, matter, 6, held_on=D + dt.timedelta(days=12),
                                   notice_title="结果", notice_body="结果")
        assert services.warning_texts(late[0]) == ["议事全过程已用 12 天，超过规定的 10 天"]
        assert matter.status == "open"  # waits for the supervision committee
        _meeting_step(session, site, h, matter, 7, "supervision", D + dt.timedelta(days=12))
        assert (matter.status, matter.step) == ("completed", 7)


class MatterPlugin:
    """An inline plugin bringing one matter type and recording the steps it hears about."""

    def __init__(self) -> None:
        self.heard: list[tuple[int, int]] = []

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="testmatters", title_zh="测试", title_en="Test", version="1.0")

    @hookimpl
    def matter_types(self) -> list[MatterType]:
        return [MatterType("testmatters_project", "测试项目", "Test project", "testmatters")]

    @hookimpl
    def matter_step_reached(self, session: Any, matter: Any, step: int, site: Any) -> None:
        self.heard.append((matter.id, step))


def test_hook_matter_step_reached_tells_only_the_owning_plugin(site_factory: Any, h: SimpleNamespace) -> None:
    plugin = MatterPlugin()
    site = site_factory(enabled=["testmatters"], available={"testmatters": plugin})
    with site.db.transaction() as session:
        h.populate(session)
        own = _open(session, site, h, matter_type="testmatters_project")
        core = _open(session, site, h, matter_type="other")
        _meeting_step(session, site, h, own, 1, "party_branch", D)
        _meeting_step(session, site, h, core, 1, "party_branch", D)
        _meeting_step(session, site, h, own, 2, "two_committees", D, present=2)  # quorum fails: stopped
    assert plugin.heard == [(own.id, 1), (own.id, 0)]


def test_hook_matter_types_adds_plugin_kinds_to_the_core_ones(site_factory: Any) -> None:
    site = site_factory(enabled=["testmatters"], available={"testmatters": MatterPlugin()})
    kinds = matters.matter_types(site)
    assert kinds["testmatters_project"].reserved_to_assembly and kinds["testmatters_project"].plugin == "testmatters"
    assert not kinds["other"].reserved_to_assembly and kinds["homestead"].reserved_to_assembly
    assert "testmatters_project" not in matters.matter_types(site_factory())  # not enabled there
