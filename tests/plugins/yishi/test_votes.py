"""The vote: the plugin's matter type in the 四议两公开 procedure (hooks `matter_types`, `matter_step_reached`), the
site's thresholds and presets, and the one-code-one-vote rule, also under concurrent submissions on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from cunwu.audit.models import AuditEntry
from cunwu.db.types import LOCAL_TZ
from cunwu.meetings import matters
from cunwu.meetings import services as meetings
from cunwu.testing import login, site_client
from cunwu_plugins.yishi import services
from cunwu_plugins.yishi.models import Ballot, Project, VoteCode, VoteResult
from cunwu_plugins.yishi.services import YishiError

DAY = dt.date(2025, 5, 20)


def _held(session: Any, site: Any, y: SimpleNamespace, kind: str, matter: Any, votes: tuple[int, int, int] | None,
          ) -> tuple[Any, Any]:
    """A meeting of `kind` on DAY with everyone present (paper sign-in counts), one motion on the matter voted by
    counts (default: all for), closed."""
    meeting = meetings.schedule_meeting(
        session, site, y.CLERK, village_code=y.VILLAGE, kind=kind, notice_on=DAY - dt.timedelta(days=10),
        starts_at=dt.datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=LOCAL_TZ))
    meetings.open_meeting(session, site, y.CLERK, meeting)
    meetings.record_counts(session, site, y.CLERK, meeting, persons=meeting.members_total or 0)
    motion = meetings.put_motion(session, site, y.CLERK, meeting, title=matter.title, matter=matter)
    votes_for, against, abstain = votes or (meeting.members_total or 0, 0, 0)
    meetings.record_vote_counts(session, site, y.CLERK, motion, votes_for=votes_for, against=against,
                                abstain=abstain, method="ballot")
    meetings.close_meeting(session, site, y.CLERK, meeting, minutes="会议记录")
    return meeting, motion


def _through_step_three(session: Any, site: Any, y: SimpleNamespace, project: Project) -> Any:
    matter = matters.get_matter(session, y.VILLAGE, project.matter_id)
    for step, kind in ((1, "party_branch"), (2, "two_committees"), (3, "party_members")):
        meeting, motion = _held(session, site, y, kind, matter, None)
        matters.record_step(session, site, y.CLERK, matter, step, meeting=meeting, motion=motion)
    return matter


def test_hook_matter_types_brings_the_project_type_reserved_to_the_assembly(yishi_site: Any) -> None:
    site, _village = yishi_site
    found = matters.matter_types(site)["yishi_project"]
    assert (found.plugin, found.reserved_to_assembly, found.title_zh) == ("yishi", True, "一事一议筹资筹劳方案")


def test_hook_matter_step_reached_decides_the_plan_from_the_villagers_meeting(
        yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        matter = _through_step_three(session, site, y, project)
        # 11 villagers present, 7 for: > 1/2 of attendees (national preset).
        meeting, motion = _held(session, site, y, "villagers", matter, (7, 3, 1))
        assert [(m.id, mt.id) for m, mt in services.candidate_motions(session, project)] == [(motion.id, meeting.id)]
        services.vote_through_matter(session, site, y.CLERK, project, motion.id)
    with site.db.read() as session:
        project = session.get(Project, project.id)
        vote = services.vote_of(session, project)
        assert project.status == "approved"
        assert (vote.source, vote.members, vote.present, vote.votes_for, vote.passed, vote.motion_id) == (
            "ballot", 11, 11, 7, True, motion.id)
        assert matters.get_matter(session, y.VILLAGE, project.matter_id).step == 4
        approval = session.exec(select(AuditEntry).where(AuditEntry.action == "yishi.project.approve")).one()
        assert approval.actor_label == y.CLERK.label  # the hook hands over who recorded the step


def test_the_meeting_and_the_project_count_a_yishi_motion_by_one_rule(yishi_site: Any, y: SimpleNamespace) -> None:
    """A villagers' meeting with 7 of 11 present is quorate by law (> 1/2), so the motion may be put; but a 一事一议
    plan needs ≥ 2/3 present. The meeting counts the motion by the 一事一议 rule too: both say 未通过, the failed
    step stops the matter, and the project keeps the counts as its vote result."""
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        matter = _through_step_three(session, site, y, project)
        meeting = meetings.schedule_meeting(
            session, site, y.CLERK, village_code=y.VILLAGE, kind="villagers", notice_on=DAY - dt.timedelta(days=10),
            starts_at=dt.datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=LOCAL_TZ))
        meetings.open_meeting(session, site, y.CLERK, meeting)
        meetings.record_counts(session, site, y.CLERK, meeting, persons=7)
        motion = meetings.put_motion(session, site, y.CLERK, meeting, title=matter.title, matter=matter)
        meetings.record_vote_counts(session, site, y.CLERK, motion, votes_for=7, against=0, abstain=0,
                                    method="ballot")
        meetings.close_meeting(session, site, y.CLERK, meeting, minutes="会议记录")
        rule, rule_set = meetings.motion_rule(site, meeting, motion.matter_type)
        assert rule_set is not None and rule_set.name == "yishi_yiyi"
        assert rule.quorum_persons.describe() == "≥ 2/3"
        assert meetings.motion_result(session, motion).passed is False
        services.vote_through_matter(session, site, y.CLERK, project, motion.id)
    with site.db.read() as session:
        project = session.get(Project, project.id)
        vote = services.vote_of(session, project)
        assert project.status == "rejected"
        assert (vote.present, vote.votes_for, vote.passed, vote.motion_id) == (7, 7, False, motion.id)
        assert matters.get_matter(session, y.VILLAGE, project.matter_id).status == "stopped"
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=y.VILLAGE)
        page = client.get(f"/v/{y.VILLAGE}/meetings/{meeting.id}/motions/{motion.id}").text
        assert "本议案的议题须按“一事一议”规则表决：法定人数 ≥ 2/3" in page and "未通过" in page


def test_a_motion_without_a_rule_set_matter_keeps_the_meetings_rule(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        meeting = meetings.schedule_meeting(
            session, site, y.CLERK, village_code=y.VILLAGE, kind="villagers", notice_on=DAY - dt.timedelta(days=10),
            starts_at=dt.datetime(DAY.year, DAY.month, DAY.day, 9, tzinfo=LOCAL_TZ))
        meetings.open_meeting(session, site, y.CLERK, meeting)
        meetings.record_counts(session, site, y.CLERK, meeting, persons=7)
        motion = meetings.put_motion(session, site, y.CLERK, meeting, title="修订村规民约")
        meetings.record_vote_counts(session, site, y.CLERK, motion, votes_for=7, against=0, abstain=0)
        assert meetings.motion_rule(site, meeting, None)[1] is None
        assert meetings.motion_result(session, motion).passed is True


def test_hook_matter_step_reached_on_a_stopped_matter_rejects_the_plan(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        matter = matters.get_matter(session, y.VILLAGE, project.matter_id)
        matters.stop_matter(session, site, y.CLERK, matter, "党支部会未通过")
    with site.db.read() as session:
        assert session.get(Project, project.id).status == "rejected"


def test_hook_matter_step_reached_applies_the_provincial_preset(site_factory: Any, y: SimpleNamespace) -> None:
    """Under 4/5 attendance and 2/3 of ALL members, 7 of 11 in favour is not enough (7/11 < 2/3)."""
    site = site_factory(enabled=["yishi"], extra_toml='[plugins.yishi]\nvote_preset = "four_fifths_two_thirds_all"\n')
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        matter = _through_step_three(session, site, y, project)
        _meeting, motion = _held(session, site, y, "villagers", matter, (7, 3, 1))
        services.vote_through_matter(session, site, y.CLERK, project, motion.id)
    with site.db.read() as session:
        project = session.get(Project, project.id)
        vote = services.vote_of(session, project)
        assert project.status == "rejected" and vote.passed is False
        assert vote.rule == "到会 ≥4/5，赞成票占全体应到人员 ≥2/3"


@pytest.mark.parametrize(("toml", "present", "votes_for", "passed"), [
    ("", 8, 5, True),  # national: 8/11 ≥ 2/3 present, 5/8 > 1/2
    ("", 7, 7, False),  # national: 7/11 < 2/3 present
    ("", 8, 4, False),  # national: 4/8 is not more than half
    ('vote_preset = "four_fifths_two_thirds_all"', 9, 8, True),  # 9/11 ≥ 4/5, 8/11 ≥ 2/3
    ('vote_preset = "four_fifths_two_thirds_all"', 9, 7, False),  # 7/11 < 2/3 of all members
    ('vote_preset = "four_fifths_two_thirds_all"', 8, 8, False),  # 8/11 < 4/5 present
    ('vote_approval = ">=2/3"', 9, 6, True),  # override on the national preset: 6/9 = 2/3 exactly
])
def test_threshold_presets_decide_a_paper_vote(site_factory: Any, y: SimpleNamespace, toml: str, present: int,
                                               votes_for: int, passed: bool) -> None:
    site = site_factory(enabled=["yishi"], extra_toml=f"[plugins.yishi]\n{toml}\n")
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        vote = services.record_result(session, site, y.CLERK, project, source="hands", held_on=DAY, members=11,
                                      present=present, votes_for=votes_for, against=present - votes_for, abstain=0)
        assert vote.passed is passed
        assert session.get(Project, project.id).status == ("approved" if passed else "rejected")


def test_one_code_one_vote(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        slips = services.issue_codes(session, site, y.CLERK, project)
        assert [s.household_number for s in slips] == ["001", "002", "003", "004", "005"]
        assert services.issue_codes(session, site, y.CLERK, project) == []  # every household has its code
        stored = session.exec(select(VoteCode.code_hash)).all()
        assert all(slip.code not in stored for slip in slips) and services.hash_code(slips[0].code) in stored
    with site.db.transaction() as session:
        services.cast_ballot(session, site, project, slips[0].code.lower(), "for")
    with pytest.raises(YishiError, match="该表决码已经使用过"), site.db.transaction() as session:
        services.cast_ballot(session, site, project, slips[0].code, "against")
    with pytest.raises(YishiError, match="表决码无效"), site.db.transaction() as session:
        services.cast_ballot(session, site, project, "AAAAA-BBBBB", "for")
    with site.db.transaction() as session:
        for slip, choice in zip(slips[1:4], ("for", "for", "against"), strict=True):
            services.cast_ballot(session, site, project, slip.code, choice)
        result = services.close_online_vote(session, site, y.CLERK, project, DAY)
    # 5 households, 4 voted (4/5 ≥ 2/3), 3 for (3/4 > 1/2).
    assert (result.source, result.members, result.present, result.votes_for, result.passed) == (
        "online", 5, 4, 3, True)


def test_concurrent_submissions_of_one_code_store_one_vote(pg: str, site_factory: Any, y: SimpleNamespace) -> None:
    site = site_factory(dialect=pg, enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        code = services.issue_codes(session, site, y.CLERK, project)[0].code
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(choice: str) -> None:
        barrier.wait()
        try:
            with site.db.transaction() as session:
                services.cast_ballot(session, site, session.get(Project, project.id), code, choice)
            outcome = "stored"
        except YishiError as exc:
            outcome = exc.message
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=("for" if i % 2 else "against",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("stored") == 1
    assert outcomes.count("该表决码已经使用过，每户只能表决一次") == workers - 1
    with site.db.read() as session:
        assert len(session.exec(select(Ballot)).all()) == 1
        assert session.exec(select(VoteResult)).all() == []


def test_meeting_rules_setting_is_the_yishi_yiyi_rule_set(site_factory: Any, y: SimpleNamespace) -> None:
    """`[plugins.yishi.meeting_rules.<kind>]` (formerly `[core.meetings.yishi_yiyi_rules]`): a representative meeting
    scheduled under the `yishi_yiyi` rule set needs ≥ 4/5 present and ≥ 2/3 of ALL members for; others keep the law."""
    site = site_factory(enabled=["yishi"], extra_toml=(
        '[plugins.yishi.meeting_rules.representatives]\nquorum = "4/5"\nquorum_inclusive = true\n'
        'majority = "2/3"\nmajority_inclusive = true\nmajority_base = "members"\n'))
    at = dt.datetime(2025, 5, 20, 19, 0, tzinfo=LOCAL_TZ)
    with site.db.transaction() as session:
        y.populate(session, site)
        special = meetings.schedule_meeting(session, site, y.CLERK, village_code=y.VILLAGE, kind="representatives",
                                            starts_at=at, notice_on=DAY, rule_set="yishi_yiyi")
        ordinary = meetings.schedule_meeting(session, site, y.CLERK, village_code=y.VILLAGE, kind="representatives",
                                             starts_at=at, notice_on=DAY)
        rule = meetings.effective_rule(site, special)
        assert (rule.quorum_persons.describe(), rule.majority.describe(), rule.majority_base) == (
            "≥ 4/5", "≥ 2/3", "members")
        standard = meetings.effective_rule(site, ordinary)
        assert (standard.quorum_persons.describe(), standard.majority_base) == ("≥ 2/3", "attendees")
    assert meetings.rule_set_title(site, "yishi_yiyi") == "一事一议"


def test_meeting_rules_setting_refuses_a_rule_that_cannot_apply(site_factory: Any) -> None:
    from cunwu.sites import SiteConfigError

    with pytest.raises(SiteConfigError, match=r"meeting_rules.*supervision\.quorum_households"):
        site_factory(enabled=["yishi"], extra_toml=(
            "[plugins.yishi.meeting_rules.supervision]\nquorum_households_inclusive = true\n"))
