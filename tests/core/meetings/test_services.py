"""Meetings through the services, on SQLite and PostgreSQL: members from the register, quorum edges in both modes
with site and per-meeting overrides, no vote without quorum, named and counted votes, corrections, delegation."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

from cunwu import hookimpl
from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry
from cunwu.errors import NotFound
from cunwu.meetings import services
from cunwu.meetings.models import Meeting, MeetingMember, Motion, ResultCorrection
from cunwu.meetings.rules import MeetingKind, RuleOverride, VoteRuleSet
from cunwu.meetings.services import MeetingError
from cunwu.notices.models import Notice
from cunwu.plugin_types import Manifest
from cunwu.registry.models import Membership, Person
from cunwu.sites import SiteConfigError

VILLAGE = "130926100201"


@pytest.mark.parametrize(
    ("kind", "group", "persons", "households"),
    [
        ("villagers", False, 24, 12),
        ("representatives", False, 12, 11),
        ("group", True, 12, 6),
        ("party_branch", False, 3, 2),
        ("two_committees", False, 5, 3),
        ("party_members", False, 6, 5),
        ("supervision", False, 3, 3),
    ],
)
def test_members_of_every_kind_come_from_the_register(
    village_site: Any, h: SimpleNamespace, kind: str, group: bool, persons: int, households: int
) -> None:
    site, village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, kind, group_id=village.groups[0] if group else None)
        before = services.meeting_quorum(session, site, meeting)
        services.open_meeting(session, site, h.CLERK, meeting)
        after = services.meeting_quorum(session, site, meeting)
        names = {m.name for m in h.members(session, meeting)}
    assert (before.persons_total, before.households_total) == (persons, households)
    assert (after.persons_total, after.households_total) == (persons, households)
    assert (meeting.members_total, meeting.status) == (persons, "in_session")
    assert not any(name.startswith("西") or name.startswith("子女") for name in names)  # other village, children


def test_the_member_list_is_frozen_when_the_meeting_opens(village_site: Any, h: SimpleNamespace) -> None:
    site, village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "villagers")
        services.open_meeting(session, site, h.CLERK, meeting)
        newcomer = Person(village_code=VILLAGE, name="新户主", sex="F", birth_date=dt.date(1990, 1, 1),
                          resident_id="130926199001010000")
        audit.create(session, h.CLERK, newcomer)
        audit.create(session, h.CLERK, Membership(village_code=VILLAGE, household_id=village.households[0],
                                                  person_id=newcomer.id, relation="other",
                                                  start_date=dt.date(2020, 1, 1)))
        later = h.schedule(session, site, "villagers", day=dt.date(2025, 7, 1))
        services.open_meeting(session, site, h.CLERK, later)
        assert services.snapshot_digest(h.members(session, meeting)) == meeting.members_digest
    assert (meeting.members_total, later.members_total) == (24, 25)
    with site.db.read() as session:
        opened = session.exec(select(AuditEntry).where(AuditEntry.action == "meetings.meeting.open",
                                                       AuditEntry.object_id == str(meeting.id))).one()
    assert opened.after["members_digest"] == meeting.members_digest


def test_representative_meeting_quorum_is_at_least_two_thirds(village_site: Any, h: SimpleNamespace) -> None:
    """12 members: 8 present is exactly 2/3 (quorate), 7 is one below."""
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 7)
        quorum = services.meeting_quorum(session, site, meeting)
        assert (quorum.present, quorum.required, quorum.total, quorum.met) == (7, 8, 12, False)
        with pytest.raises(MeetingError, match="不足法定人数，不能付诸表决：到会 7 人，应到 12 人，至少需要 8 人") \
                as refused:
            services.put_motion(session, site, h.CLERK, meeting, title="修路")
        assert "到会 7 人，应到 12 人，至少需要 8 人（≥ 2/3）" in refused.value.message
        h.sign_in_first(session, site, meeting, 8)
        assert services.meeting_quorum(session, site, meeting).met
        motion = services.put_motion(session, site, h.CLERK, meeting, title="修路")
        # > 1/2 of the 8 attendees: 4 for is exactly half and fails; 5 passes (see the next meeting)
        services.record_vote_counts(session, site, h.CLERK, motion, votes_for=4, against=3, abstain=1)
        assert (motion.passed, motion.required, motion.base) == (False, 5, 8)
        second = services.put_motion(session, site, h.CLERK, meeting, title="修渠")
        services.record_vote_counts(session, site, h.CLERK, second, votes_for=5, against=3, abstain=0,
                                    method="ballot")
        assert (second.passed, second.number, second.vote_method) == (True, 2, "ballot")


def test_nobody_votes_once_quorum_is_lost(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        present = h.sign_in_first(session, site, meeting, 8)
        motion = services.put_motion(session, site, h.CLERK, meeting, title="修路")
        services.sign_out(session, site, h.CLERK, meeting, present[0].id)
        with pytest.raises(MeetingError, match="不足法定人数"):
            services.record_vote_counts(session, site, h.CLERK, motion, votes_for=7, against=0, abstain=0)
        services.sign_in(session, site, h.CLERK, meeting, present[0].id)  # back in: the same row again
        services.record_vote_counts(session, site, h.CLERK, motion, votes_for=7, against=0, abstain=0)
        assert motion.passed
        with pytest.raises(MeetingError, match="已经表决"):
            services.record_vote_counts(session, site, h.CLERK, motion, votes_for=1, against=0, abstain=0)
        with pytest.raises(MeetingError, match="超过到会"):
            other = services.put_motion(session, site, h.CLERK, meeting, title="再议")
            services.record_vote_counts(session, site, h.CLERK, other, votes_for=9, against=0, abstain=0)


def test_villagers_meeting_more_than_half_of_persons(village_site: Any, h: SimpleNamespace) -> None:
    """24 villagers aged 18+: exactly half (12) is not a quorum, 13 is."""
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "villagers")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 12)
        assert not services.meeting_quorum(session, site, meeting).met
        h.sign_in_first(session, site, meeting, 13)
        quorum = services.meeting_quorum(session, site, meeting)
    assert (quorum.present, quorum.required, quorum.met) == (13, 13, True)


def test_villagers_meeting_household_mode_counts_households(village_site: Any, h: SimpleNamespace) -> None:
    """12 households: 8 (exactly 2/3) is a quorum, 7 is not; two people of one household count once."""
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "villagers", quorum_mode="households")
        services.open_meeting(session, site, h.CLERK, meeting)
        by_household: dict[int, list[MeetingMember]] = {}
        for member in h.members(session, meeting):
            by_household.setdefault(member.household_id, []).append(member)
        households = list(by_household.values())
        for pair in households[:7]:
            for member in pair:  # both adults of 7 households: 14 people
                services.sign_in(session, site, h.CLERK, meeting, member.id)
        quorum = services.meeting_quorum(session, site, meeting)
        assert (quorum.persons_present, quorum.present, quorum.required, quorum.met) == (14, 7, 8, False)
        services.sign_in(session, site, h.CLERK, meeting, households[7][0].id)
        assert services.meeting_quorum(session, site, meeting).met
        motion = services.put_motion(session, site, h.CLERK, meeting, title="宅基地方案")
        with pytest.raises(MeetingError, match="每户只能一票"):
            services.record_vote(session, site, h.CLERK, motion, {households[0][0].id: "for",
                                                                  households[0][1].id: "for"})
        # one vote per household: 5 of the 8 households present vote for (> 1/2)
        votes = {pair[0].id: "for" for pair in households[:5]} | {households[5][0].id: "against"}
        services.record_vote(session, site, h.CLERK, motion, votes)
        assert (motion.votes_for, motion.against, motion.abstain, motion.attendees, motion.passed) == (5, 1, 0, 8, True)


def test_group_meeting_in_both_modes(village_site: Any, h: SimpleNamespace) -> None:
    """Group 1: 12 villagers, 6 households; ≥ 2/3 → 8 persons or 4 households."""
    site, village = village_site
    with site.db.transaction() as session:
        persons = h.schedule(session, site, "group", group_id=village.groups[0])
        services.open_meeting(session, site, h.CLERK, persons)
        h.sign_in_first(session, site, persons, 7)
        assert not services.meeting_quorum(session, site, persons).met
        h.sign_in_first(session, site, persons, 8)
        assert services.meeting_quorum(session, site, persons).met
        homes = h.schedule(session, site, "group", group_id=village.groups[0], quorum_mode="households")
        services.open_meeting(session, site, h.CLERK, homes)
        services.record_counts(session, site, h.CLERK, homes, persons=5, households=3)
        assert not services.meeting_quorum(session, site, homes).met
        services.record_counts(session, site, h.CLERK, homes, persons=5, households=4)
        assert services.meeting_quorum(session, site, homes).met
        with pytest.raises(MeetingError, match="村民小组"):
            h.schedule(session, site, "group")
        with pytest.raises(MeetingError, match="按户"):
            h.schedule(session, site, "representatives", quorum_mode="households")


@pytest.mark.parametrize(
    ("kind", "below", "at_least"),
    [("party_branch", 1, 2), ("two_committees", 2, 3), ("party_members", 3, 4), ("supervision", 1, 2)],
)
def test_party_and_supervision_quorums(
    village_site: Any, h: SimpleNamespace, kind: str, below: int, at_least: int
) -> None:
    """Practice: > 1/2 of 3 (2), > 1/2 of 5 (3), ≥ 2/3 of 6 party members (4, exactly 2/3), > 1/2 of 3."""
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, kind)
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, below)
        assert not services.meeting_quorum(session, site, meeting).met
        h.sign_in_first(session, site, meeting, at_least)
        assert services.meeting_quorum(session, site, meeting).met


def test_site_override_changes_the_quorum(make_site: Any, h: SimpleNamespace) -> None:
    site, _village = make_site(
        '[core.meetings.rules.representatives]\nquorum = "4/5"\nquorum_inclusive = true\n'
        '[core.meetings.rules.villagers]\nquorum_households = "3/4"\nquorum_households_inclusive = true\n'
    )
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 9)  # 3/4 of 12 — enough under the law, not here
        quorum = services.meeting_quorum(session, site, meeting)
        assert (quorum.required, quorum.met) == (10, False)  # 4/5 of 12 = 9.6 → 10
        h.sign_in_first(session, site, meeting, 10)
        assert services.meeting_quorum(session, site, meeting).met
        homes = h.schedule(session, site, "villagers", quorum_mode="households")
        services.open_meeting(session, site, h.CLERK, homes)
        services.record_counts(session, site, h.CLERK, homes, persons=9, households=8)
        assert not services.meeting_quorum(session, site, homes).met  # 8 of 12 < 3/4
        services.record_counts(session, site, h.CLERK, homes, persons=9, households=9)
        assert services.meeting_quorum(session, site, homes).met


STRICT = {MeetingKind.representatives: RuleOverride(quorum="4/5", quorum_inclusive=True, majority="2/3",
                                                   majority_inclusive=True, majority_base="members")}


class _RuleSetPlugin:
    """A plugin bringing a rule set, by default a provincial one: ≥ 4/5 attend, ≥ 2/3 of ALL members approve."""

    def __init__(self, overrides: dict[MeetingKind, RuleOverride] = STRICT) -> None:
        self.overrides = overrides

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="strict", title_zh="严格规则", title_en="Strict rules", version="1.0.0",
                        requires=">=1.0,<2.0")

    @hookimpl
    def vote_rule_sets(self, site: Any) -> list[VoteRuleSet]:
        return [VoteRuleSet("strict", "严格", "Strict", self.overrides)]


def test_hook_vote_rule_sets_apply_only_to_meetings_that_ask(make_site: Any, h: SimpleNamespace) -> None:
    site, _village = make_site(enabled=["strict"], available={"strict": _RuleSetPlugin()})
    with site.db.transaction() as session:
        ordinary, _m = h.held_meeting(session, site, "representatives", present=9)
        assert ordinary.quorum_met
        special = h.schedule(session, site, "representatives", rule_set="strict")
        assert services.rule_set_title(site, special.rule_set) == "严格"
        services.open_meeting(session, site, h.CLERK, special)
        h.sign_in_first(session, site, special, 10)
        motion = services.put_motion(session, site, h.CLERK, special, title="修路筹资")
        services.record_vote_counts(session, site, h.CLERK, motion, votes_for=7, against=3, abstain=0)
        assert (motion.passed, motion.base, motion.required) == (False, 12, 8)  # 2/3 of all 12 members
        with pytest.raises(MeetingError, match="未知的表决规则集"):
            h.schedule(session, site, "representatives", rule_set="yishi_yiyi")  # no plugin brings it here


def test_a_rule_set_that_breaks_the_sites_rules_stops_start_up(make_site: Any) -> None:
    flip = _RuleSetPlugin({MeetingKind.representatives: RuleOverride(majority_inclusive=False)})  # "> 1": never
    with pytest.raises(SiteConfigError, match=r"vote rule set 'strict' with \[core.meetings\] rules: .*majority"):
        make_site('[core.meetings.rules.representatives]\nmajority = "1"\nmajority_inclusive = true\n',
                  enabled=["strict"], available={"strict": flip})


def test_the_old_yishi_yiyi_rules_section_says_where_it_moved(site_factory: Any) -> None:
    with pytest.raises(SiteConfigError, match=r"\[plugins.yishi.meeting_rules.<kind>\]"):
        site_factory(extra_toml='[core.meetings.yishi_yiyi_rules.representatives]\nnotice_days = 3\n')


def test_per_meeting_override_for_democratic_review(village_site: Any, h: SimpleNamespace) -> None:
    """A 民主评议 with 2/3 attendance and 2/3 approval, recorded on the meeting with its source."""
    site, _village = village_site
    override = RuleOverride(majority="2/3", majority_inclusive=True)
    with site.db.transaction() as session:
        with pytest.raises(MeetingError, match="依据"):
            h.schedule(session, site, "representatives", rule_override=override)
        meeting = h.schedule(session, site, "representatives", rule_override=override,
                             rule_source="低保民主评议（dibao 插件设置）")
        assert meeting.rule_override == {"majority": "2/3", "majority_inclusive": True}
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 9)
        exactly = services.put_motion(session, site, h.CLERK, meeting, title="张三户")
        services.record_vote_counts(session, site, h.CLERK, exactly, votes_for=6, against=3, abstain=0)
        below = services.put_motion(session, site, h.CLERK, meeting, title="李四户")
        services.record_vote_counts(session, site, h.CLERK, below, votes_for=5, against=4, abstain=0)
    assert (exactly.passed, below.passed) == (True, False)  # 6/9 is exactly 2/3


def test_paper_sign_in_counts(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "villagers", quorum_mode="households")
        services.open_meeting(session, site, h.CLERK, meeting)
        with pytest.raises(MeetingError, match="到会户数"):
            services.record_counts(session, site, h.CLERK, meeting, persons=10)
        with pytest.raises(MeetingError, match="超过应到人数"):
            services.record_counts(session, site, h.CLERK, meeting, persons=25, households=10)
        with pytest.raises(MeetingError, match="不能多于"):
            services.record_counts(session, site, h.CLERK, meeting, persons=5, households=8)
        services.record_counts(session, site, h.CLERK, meeting, persons=11, households=8)
        quorum = services.meeting_quorum(session, site, meeting)
        assert (quorum.source, quorum.present, quorum.persons_present, quorum.met) == ("counts", 8, 11, True)
        first = h.members(session, meeting)[0]
        with pytest.raises(MeetingError, match="纸质签到表"):
            services.sign_in(session, site, h.CLERK, meeting, first.id)
        motion = services.put_motion(session, site, h.CLERK, meeting, title="议案")
        with pytest.raises(MeetingError, match="纸质签到表"):
            services.record_vote(session, site, h.CLERK, motion, {first.id: "for"})


def test_short_notice_is_recorded_and_the_notice_posted(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        hurried = h.schedule(session, site, "villagers", notice_on=h.DAY - dt.timedelta(days=5),
                             location="村委会大院", agenda=["审议修路方案"])
        in_time = h.schedule(session, site, "villagers", notice_on=h.DAY - dt.timedelta(days=10))
        branch = h.schedule(session, site, "party_branch", notice_on=h.DAY)
        notice = session.get(Notice, hurried.notice_id)
    assert hurried.warnings == [{"code": "short_notice", "given": 5, "required": 10}]
    assert services.warning_texts(hurried) == ["通知期不足：提前 5 天通知，应至少提前 10 天"]
    assert in_time.warnings == [] and branch.warnings == []
    assert branch.notice_id is None  # party committee meetings are not announced on the public board
    assert notice is not None and notice.village_code == VILLAGE
    assert (notice.origin_kind, notice.origin_ref) == ("meeting", str(hurried.id))
    assert "村委会大院" in notice.body and "审议修路方案" in notice.body


def test_convening_on_request_needs_enough_requesters(village_site: Any, h: SimpleNamespace) -> None:
    """24 villagers: 1/10 → 3 requesters; 9 representatives: 1/3 → 3 for a villagers' meeting, 1/5 → 2."""
    site, _village = village_site
    with site.db.transaction() as session:
        with pytest.raises(MeetingError, match="提议 2 人，基数 24 人，至少需要 3 人") as few:
            h.schedule(session, site, "villagers", convened_by="villagers", requesters=["甲", "乙"])
        assert "提议 2 人，基数 24 人，至少需要 3 人" in few.value.message
        ok = h.schedule(session, site, "villagers", convened_by="villagers", requesters=["甲", "乙", "丙"])
        assert (ok.requesters, ok.request_base) == (["甲", "乙", "丙"], 24)
        with pytest.raises(MeetingError, match="至少需要 3 人"):
            h.schedule(session, site, "villagers", convened_by="representatives", requesters=["甲", "乙"])
        reps = h.schedule(session, site, "representatives", convened_by="representatives", requesters=["甲", "乙"])
        assert reps.request_base == 9
        with pytest.raises(MeetingError, match="法律没有规定"):
            h.schedule(session, site, "party_members", convened_by="villagers", requesters=["甲"])


def test_named_votes_need_signed_in_voters(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "party_branch")
        services.open_meeting(session, site, h.CLERK, meeting)
        everyone = h.members(session, meeting)
        present = h.sign_in_first(session, site, meeting, 2)
        motion = services.put_motion(session, site, h.CLERK, meeting, title="提议修路")
        with pytest.raises(MeetingError, match="已签到"):
            services.record_vote(session, site, h.CLERK, motion, {everyone[2].id: "for"})
        with pytest.raises(MeetingError, match="表决意见"):
            services.record_vote(session, site, h.CLERK, motion, {present[0].id: "maybe"})
        services.record_vote(session, site, h.CLERK, motion, {present[0].id: "for", present[1].id: "against"})
    assert (motion.votes_for, motion.against, motion.passed, motion.vote_method) == (1, 1, False, "named")


def test_closing_makes_results_final_and_corrections_are_audited(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        h.sign_in_first(session, site, meeting, 10)
        voted = services.put_motion(session, site, h.CLERK, meeting, title="修路")
        services.record_vote_counts(session, site, h.CLERK, voted, votes_for=5, against=5, abstain=0)
        pending = services.put_motion(session, site, h.CLERK, meeting, title="未表决")
        services.close_meeting(session, site, h.CLERK, meeting, minutes="讨论了修路")
        assert (meeting.status, meeting.quorum_met, meeting.present_at_close) == ("closed", True, 10)
        assert pending.status == "lapsed"
        with pytest.raises(MeetingError, match="已经结束"):
            services.sign_in(session, site, h.CLERK, meeting, h.members(session, meeting)[11].id)
        with pytest.raises(MeetingError, match="会议已经结束，结果不能再更改"):
            services.record_vote_counts(session, site, h.CLERK, voted, votes_for=6, against=4, abstain=0)
        with pytest.raises(MeetingError, match="原因"):
            services.correct_result(session, site, h.CLERK, voted, votes_for=6, against=4, abstain=0, reason=" ")
        correction = services.correct_result(session, site, h.CLERK, voted, votes_for=6, against=4, abstain=0,
                                             reason="计票员漏计一票")
        result = services.motion_result(session, voted)
        assert result is not None and (result.votes_for, result.passed, result.corrected) == (6, True, True)
    with site.db.read() as session:
        original = session.get(Motion, voted.id)
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "meetings.motion.correct")).all()
        stored = session.exec(select(ResultCorrection)).all()
    assert (original.votes_for, original.passed) == (5, False)  # the original stays as recorded
    assert len(entries) == 1 and entries[0].after["reason"] == "计票员漏计一票"
    assert [c.id for c in stored] == [correction.id]


def test_publish_resolution_in_one_step(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting, motion = h.held_meeting(session, site, "representatives", present=9, votes=(7, 1, 1),
                                         title="村内道路硬化方案", location="村委会")
        notice = services.publish_resolution(session, site, h.CLERK, meeting)
        with pytest.raises(MeetingError, match="已经公布"):
            services.publish_resolution(session, site, h.CLERK, meeting)
        branch, _m = h.held_meeting(session, site, "party_branch")
        with pytest.raises(MeetingError, match="只有村民会议和村民代表会议"):
            services.publish_resolution(session, site, h.CLERK, branch)
    assert meeting.resolution_notice_id == notice.id and motion is not None and motion.passed
    assert "应到 12 人，实到 9 人" in notice.body
    assert "村内道路硬化方案 —— 赞成 7，反对 1，弃权 1，通过" in notice.body


def test_reserved_matters_need_a_delegation_in_a_representative_meeting(
    village_site: Any, h: SimpleNamespace
) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        reps = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, reps)
        h.sign_in_first(session, site, reps, 12)
        with pytest.raises(MeetingError, match="没有有效的授权"):
            services.put_motion(session, site, h.CLERK, reps, title="宅基地方案", matter_type="homestead")
        services.put_motion(session, site, h.CLERK, reps, title="其他事项", matter_type="other")  # not reserved
        # the villagers' meeting delegates homestead plans for the rest of 2025
        assembly, delegating = h.held_meeting(session, site, "villagers", day=dt.date(2025, 5, 1),
                                              title="授权村民代表会议决定宅基地方案")
        with pytest.raises(MeetingError, match="无需授权"):
            services.create_delegation(session, site, h.CLERK, delegating, scope=["other"],
                                       valid_from=dt.date(2025, 5, 1))
        delegation = services.create_delegation(session, site, h.CLERK, delegating, scope=["homestead"],
                                                 valid_from=dt.date(2025, 5, 1), valid_until=dt.date(2025, 12, 31))
        motion = services.put_motion(session, site, h.CLERK, reps, title="宅基地方案", matter_type="homestead")
        assert motion.delegation_id == delegation.id
        with pytest.raises(MeetingError, match="没有有效的授权"):
            services.put_motion(session, site, h.CLERK, reps, title="征地补偿", matter_type="land_compensation")
        # expired, and revoked
        late = h.schedule(session, site, "representatives", day=dt.date(2026, 1, 5))
        services.open_meeting(session, site, h.CLERK, late)
        h.sign_in_first(session, site, late, 12)
        with pytest.raises(MeetingError, match="2026-01-05 没有有效的授权"):
            services.put_motion(session, site, h.CLERK, late, title="宅基地方案", matter_type="homestead")
        services.revoke_delegation(session, site, h.CLERK, delegation, on=dt.date(2025, 6, 1), reason="村民会议撤回")
        assert services.valid_delegation(session, VILLAGE, "homestead", dt.date(2025, 5, 31)) == delegation
        assert services.valid_delegation(session, VILLAGE, "homestead", dt.date(2025, 6, 1)) is None
        with pytest.raises(MeetingError, match="未知的议题类别"):
            services.put_motion(session, site, h.CLERK, reps, title="？", matter_type="no_such_type")
        # only a passed motion of a villagers' meeting delegates
        with pytest.raises(MeetingError, match="只有村民会议"):
            services.create_delegation(session, site, h.CLERK, motion, scope=["homestead"],
                                       valid_from=dt.date(2025, 6, 1))
        assert assembly.kind == "villagers"


def test_meetings_are_per_village(village_site: Any, h: SimpleNamespace) -> None:
    site, _village = village_site
    with site.db.transaction() as session:
        meeting = h.schedule(session, site, "representatives", village="130926100202")
        services.open_meeting(session, site, h.CLERK, meeting)
        names = {m.name for m in h.members(session, meeting)}
        with pytest.raises(NotFound, match="没有这个会议"):
            services.get_meeting(session, VILLAGE, meeting.id)
    assert names and all(name.startswith("西") for name in names)


def test_two_clerks_signing_the_same_person_in_at_once(pg: str, site_factory: Any, h: SimpleNamespace) -> None:
    """Real concurrency on PostgreSQL: both taps succeed and one attendance row exists."""
    import threading

    from cunwu.meetings.models import Attendance

    site = site_factory(dialect=pg)
    with site.db.transaction() as session:
        h.populate(session)
        meeting = h.schedule(session, site, "representatives")
        services.open_meeting(session, site, h.CLERK, meeting)
        member_id = h.members(session, meeting)[0].id
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def tap() -> None:
        try:
            barrier.wait()
            with site.db.transaction() as session:
                services.sign_in(session, site, h.CLERK, session.get(Meeting, meeting.id), member_id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with site.db.read() as session:
        rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    assert errors == [] and len(rows) == 1
