"""Motions and votes: put a motion (quorum and art. 24 checked), record a named vote or the counts, correct a result."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session, func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import utcnow
from cunwu.i18n import _
from cunwu.meetings.models import (
    AgendaItem,
    Delegation,
    Meeting,
    Motion,
    ResultCorrection,
    Vote,
)
from cunwu.meetings.rules import (
    KindRule,
    MeetingKind,
    QuorumMode,
    VoteOutcome,
    VoteRuleSet,
    quorum_status,
    rules_for,
    vote_outcome,
)
from cunwu.meetings.services.common import (
    MeetingError,
    _locked,
    _require_status,
    effective_rule,
    meeting_date,
    refuse_field,
    rule_sets,
    settings_of,
)
from cunwu.meetings.services.delegation import valid_delegation
from cunwu.meetings.services.matter_types import matter_type_of, matter_types, type_title
from cunwu.meetings.services.members import present_members
from cunwu.meetings.services.quorum import MeetingQuorum, _require_quorum, meeting_quorum

if TYPE_CHECKING:
    from cunwu.meetings.models import Matter
    from cunwu.runtime import Site


def motion_rule_set(site: Site, meeting: Meeting, matter_type: str | None) -> VoteRuleSet | None:
    """The rule set a motion is counted by when its matter's type names one other than the meeting's (None: the
    meeting's own rule). One source for each voting rule: the meeting records the same result the matter's
    plugin acts on."""
    found = matter_types(site).get(matter_type) if matter_type else None
    if found is None or found.rule_set is None or found.rule_set == meeting.rule_set:
        return None
    return rule_sets(site).get(found.rule_set)


def motion_rule(site: Site, meeting: Meeting, matter_type: str | None) -> tuple[KindRule, VoteRuleSet | None]:
    """The rule a motion's vote is counted by, and the matter's rule set when that is what sets it."""
    rule_set = motion_rule_set(site, meeting, matter_type)
    if rule_set is None:
        return effective_rule(site, meeting), None
    return rules_for(settings_of(site), rule_set.overrides)[MeetingKind(meeting.kind)], rule_set


def _counted(rule: KindRule, rule_set: VoteRuleSet | None, meeting: Meeting, outcome: VoteOutcome, present: int,
             total: int) -> bool:
    """Passed under `rule`; under a matter's rule set its own quorum must be met too (the meeting's quorum only
    let the motion be put)."""
    if rule_set is None:
        return outcome.passed
    return outcome.passed and quorum_status(rule, QuorumMode(meeting.quorum_mode), present, total).met


def check_reserved_matter(
    session: Session, site: Site, meeting: Meeting, matter_type: str | None
) -> Delegation | None:
    """Art. 24: a reserved matter is decided by the villagers' meeting, or by a representative meeting holding a
    recorded delegation. Returns the delegation used; MeetingError when a representative meeting has none.

    Party and committee meetings only propose or deliberate (steps 1–3 of 四议两公开); which meeting may take the
    decision step is checked by `cunwu.meetings.matters.record_step`.
    """
    if matter_type is None or MeetingKind(meeting.kind) is not MeetingKind.representatives:
        return None
    if not matter_type_of(site, matter_type).reserved_to_assembly:
        return None
    delegation = valid_delegation(session, meeting.village_code, matter_type, meeting_date(meeting))
    if delegation is None:
        raise MeetingError(_(
            "“%(type)s”须由村民会议决定；村民代表会议只有在村民会议授权后才能决定，%(day)s 没有有效的授权",
            type=type_title(site, matter_type), day=meeting_date(meeting)))
    return delegation


def put_motion(
    session: Session, site: Site, actor: Actor, meeting: Meeting, *, title: str, body: str = "",
    agenda_item_id: int | None = None, matter: Matter | None = None, matter_type: str | None = None,
) -> Motion:
    """Put a motion to the vote. Refused without quorum (with the numbers), and for a matter reserved to the
    villagers' meeting unless this meeting may decide it (art. 24 delegation)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if not title.strip():
        raise refuse_field(_("请填写议案名称"), "title")
    if matter is not None:
        if matter.village_code != meeting.village_code:
            raise refuse_field(_("议题不属于本村"), "matter_id")
        matter_type = matter.matter_type
    if agenda_item_id is not None:
        item = session.get(AgendaItem, agenda_item_id)
        if item is None or item.meeting_id != meeting.id:
            raise refuse_field(_("议程项不属于本次会议"), "agenda_item_id")
    if matter_type is not None:
        matter_type_of(site, matter_type)  # a known type
    delegation = check_reserved_matter(session, site, meeting, matter_type)
    quorum = _require_quorum(session, site, meeting)
    last = session.exec(select(func.max(Motion.number)).where(Motion.meeting_id == meeting.id)).one()
    motion = Motion(
        village_code=meeting.village_code, meeting_id=meeting.id, number=(last or 0) + 1, title=title.strip(),  # type: ignore[arg-type]
        body=body.strip(), agenda_item_id=agenda_item_id, matter_id=matter.id if matter is not None else None,
        matter_type=matter_type, delegation_id=delegation.id if delegation else None, put_at=utcnow(),
        present_at_put=quorum.present,
    )
    audit.create(session, actor, motion, "meetings.motion.put")
    return motion


@dataclass(frozen=True)
class CountPreview:
    """What a show of hands would record, before it is recorded: `cast` votes of `present` attendees; `outcome`
    None when more votes were cast than people are present; `passed` as `_counted` decides it."""

    cast: int
    present: int
    quorate: bool
    outcome: VoteOutcome | None
    passed: bool


def _outcome(session: Session, site: Site, meeting: Meeting, motion: Motion, quorum: MeetingQuorum, *,
             votes_for: int, against: int, abstain: int) -> CountPreview:
    """The one count of a motion's votes (recorded by `_tally`, shown live by `preview_vote_counts`)."""
    rule, rule_set = motion_rule(site, meeting, motion.matter_type)
    if rule_set is None:
        rule = quorum.rule
    cast = votes_for + against + abstain
    try:
        outcome = vote_outcome(rule, votes_for=votes_for, against=against, abstain=abstain,
                               attendees=quorum.present, members=quorum.total)
    except ValueError:
        return CountPreview(cast, quorum.present, quorum.met, None, False)
    return CountPreview(cast, quorum.present, quorum.met, outcome,
                        _counted(rule, rule_set, meeting, outcome, quorum.present, quorum.total))


def preview_vote_counts(session: Session, site: Site, meeting: Meeting, motion: Motion, *, votes_for: int,
                        against: int, abstain: int) -> CountPreview:
    """The result these counts would give, for the clerk's live check while typing; nothing is written, and the
    arithmetic is the recording's own."""
    return _outcome(session, site, meeting, motion, meeting_quorum(session, site, meeting), votes_for=votes_for,
                    against=against, abstain=abstain)


def _tally(
    session: Session, site: Site, actor: Actor, motion: Motion, meeting: Meeting, *, votes_for: int, against: int,
    abstain: int, method: str,
) -> Motion:
    quorum = _require_quorum(session, site, meeting)
    counted = _outcome(session, site, meeting, motion, quorum, votes_for=votes_for, against=against,
                       abstain=abstain)
    outcome = counted.outcome
    if outcome is None:
        raise MeetingError(_("票数合计 %(cast)s 超过到会 %(present)s", cast=counted.cast, present=quorum.present))
    audit.update(session, actor, motion, {
        "status": "voted", "vote_method": method, "votes_for": votes_for, "against": against, "abstain": abstain,
        "attendees": quorum.present, "members": quorum.total, "base": outcome.base, "required": outcome.required,
        "passed": counted.passed,
        "majority": f"{outcome.description} · {outcome.majority_base}",
        "voted_at": utcnow(),
    }, "meetings.motion.vote")
    return motion


def _pending_motion(session: Session, motion: Motion) -> tuple[Motion, Meeting]:
    motion = _locked(session, Motion, motion.id)
    meeting = _locked(session, Meeting, motion.meeting_id)
    _require_status(meeting, "in_session")
    if motion.status != "pending":
        raise MeetingError(_("该议案已经表决，结果不能重复登记（如有差错请登记更正）"))
    return motion, meeting


def record_vote_counts(
    session: Session, site: Site, actor: Actor, motion: Motion, *, votes_for: int, against: int, abstain: int,
    method: str = "hands",
) -> Motion:
    """Record a show of hands or a paper ballot by its counts; the result follows the kind's majority rule."""
    if method not in ("hands", "ballot"):
        raise MeetingError(_("未知的表决方式：%(value)s", value=method))
    if min(votes_for, against, abstain) < 0:
        raise MeetingError(_("票数不能为负数"))
    motion, meeting = _pending_motion(session, motion)
    return _tally(session, site, actor, motion, meeting, votes_for=votes_for, against=against, abstain=abstain,
                  method=method)


def record_vote(session: Session, site: Site, actor: Actor, motion: Motion, votes: Mapping[int, str]) -> Motion:
    """Record a named vote: member id → "for" / "against" / "abstain". Each voter must be signed in; in the
    household mode one vote per household (its 户代表). Present members who did not vote count as abstaining."""
    motion, meeting = _pending_motion(session, motion)
    if meeting.attendance_source == "counts":
        raise MeetingError(_("按纸质签到表计数的会议只能按票数登记表决结果"))
    present = {m.id: m for m in present_members(session, meeting)}
    seen_households: set[int] = set()
    counts = {"for": 0, "against": 0, "abstain": 0}
    for member_id, choice in votes.items():
        if choice not in counts:
            raise MeetingError(_("未知的表决意见：%(value)s", value=choice))
        member = present.get(member_id)
        if member is None:
            raise MeetingError(_("只有已签到的人员才能表决"))
        if meeting.quorum_mode == QuorumMode.households and member.household_id is not None:
            if member.household_id in seen_households:
                raise MeetingError(_("按户表决时每户只能一票（户号 %(number)s）", number=member.household_number))
            seen_households.add(member.household_id)
        counts[choice] += 1
    for member_id, choice in votes.items():
        audit.create(session, actor, Vote(village_code=meeting.village_code, motion_id=motion.id,  # type: ignore[arg-type]
                                          member_id=member_id, choice=choice), "meetings.vote.cast")
    return _tally(session, site, actor, motion, meeting, votes_for=counts["for"], against=counts["against"],
                  abstain=counts["abstain"], method="named")


def correct_result(
    session: Session, site: Site, actor: Actor, motion: Motion, *, votes_for: int, against: int, abstain: int,
    reason: str,
) -> ResultCorrection:
    """Correct a recorded result (a miscount found later): a new audited entry with its reason; the original
    stays on the record. The outcome is recomputed against the attendance recorded at the vote."""
    motion = _locked(session, Motion, motion.id)
    if motion.status != "voted":
        raise MeetingError(_("该议案尚未表决，没有可更正的结果"))
    if not reason.strip():
        raise refuse_field(_("更正表决结果必须写明原因"), "reason")
    if min(votes_for, against, abstain) < 0:
        raise MeetingError(_("票数不能为负数"))
    meeting = session.get(Meeting, motion.meeting_id)
    assert meeting is not None
    rule, rule_set = motion_rule(site, meeting, motion.matter_type)
    try:
        outcome = vote_outcome(rule, votes_for=votes_for, against=against, abstain=abstain,
                               attendees=motion.attendees or 0, members=motion.members or 0)
    except ValueError:
        raise MeetingError(_("票数合计 %(cast)s 超过到会 %(present)s", cast=votes_for + against + abstain,
                             present=motion.attendees or 0)) from None
    correction = ResultCorrection(
        village_code=motion.village_code, motion_id=motion.id, votes_for=votes_for, against=against,  # type: ignore[arg-type]
        abstain=abstain, required=outcome.required,
        passed=_counted(rule, rule_set, meeting, outcome, motion.attendees or 0, motion.members or 0),
        reason=reason.strip(),
        corrected_at=utcnow(), corrected_by=actor.label,
    )
    audit.create(session, actor, correction, "meetings.motion.correct")
    return correction
