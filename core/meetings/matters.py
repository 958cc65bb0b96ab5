"""四议两公开: a major matter (议题) moves through six steps in order, each linked to where it happened.

1 党支部会提议 · 2 两委会商议 · 3 党员大会审议 · 4 村民代表会议/村民会议决议 (meetings, each with a passed motion);
5 决议公开 · 6 实施结果公开 (notices posted on the board). With the site setting `supervision_sign_off`
(四议两公开一监督) the village affairs supervision committee signs the matter off as step 7.

Steps cannot be skipped or reordered; `merge_steps_1_2` lets a two-committee meeting record steps 1 and 2 at once
(one person holds both posts). A step whose meeting failed quorum, or whose motion failed, stops the matter; it can
be re-proposed as a new attempt linked to the old one. Plugins bring matter types (`matter_types` hook) and hear
`matter_step_reached(session, matter, step, actor, site)` for their own types (step 0 = stopped).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from babel.support import LazyProxy
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.errors import NotFound, Problem
from cunwu.i18n import _, lazy_gettext
from cunwu.meetings.models import Matter, MatterStep, Meeting, Motion
from cunwu.meetings.rules import MeetingKind
from cunwu.meetings.services import (
    MeetingError,
    MotionResult,
    check_reserved_matter,
    meeting_date,
    motion_result,
    present_members,
    publish,
    settings_of,
)
from cunwu.meetings.services.common import _locked
from cunwu.meetings.services.matter_types import CORE_MATTER_TYPES, matter_type_of, matter_types, type_title
from cunwu.plugins import call_hook

if TYPE_CHECKING:
    from cunwu.runtime import Site

__all__ = [
    "CORE_MATTER_TYPES",
    "Attempt",
    "StepView",
    "Timeline",
    "decided_motions",
    "get_matter",
    "matter_timeline",
    "matter_type_of",
    "matter_types",
    "matters_of",
    "open_matter",
    "record_step",
    "repropose",
    "step_motion",
    "step_sequence",
    "steps_of",
    "stop_matter",
    "type_title",
]

STEP_TITLES: dict[int, LazyProxy] = {
    1: lazy_gettext("党支部会提议"),
    2: lazy_gettext("两委会商议"),
    3: lazy_gettext("党员大会审议"),
    4: lazy_gettext("村民代表会议或村民会议决议"),
    5: lazy_gettext("决议公开"),
    6: lazy_gettext("实施结果公开"),
    7: lazy_gettext("村务监督委员会监督确认"),
}
#: The meeting kinds where each meeting step may happen.
STEP_KINDS: dict[int, frozenset[MeetingKind]] = {
    1: frozenset({MeetingKind.party_branch}),
    2: frozenset({MeetingKind.two_committees}),
    3: frozenset({MeetingKind.party_members}),
    4: frozenset({MeetingKind.representatives, MeetingKind.villagers}),
    7: frozenset({MeetingKind.supervision}),
}
NOTICE_STEPS = frozenset({5, 6})
MATTER_STATUSES: dict[str, LazyProxy] = {
    "open": lazy_gettext("进行中"),
    "stopped": lazy_gettext("已终止"),
    "completed": lazy_gettext("已完成"),
}

def step_sequence(matter: Matter) -> list[int]:
    """The steps this matter goes through, in order."""
    return [1, 2, 3, 4, 5, 6, 7] if matter.sign_off else [1, 2, 3, 4, 5, 6]


def get_matter(session: Session, village_code: str, matter_id: int) -> Matter:
    matter = session.get(Matter, matter_id)
    if matter is None or matter.village_code != village_code:
        raise NotFound(_("没有这个议题"))
    return matter


def steps_of(session: Session, matter: Matter) -> list[MatterStep]:
    return list(session.exec(select(MatterStep).where(MatterStep.matter_id == matter.id)
                             .order_by(col(MatterStep.step))).all())


def _notify(session: Session, site: Site, matter: Matter, step: int, actor: Actor) -> None:
    """Tell the plugin that owns the matter's type (only that one) that its matter reached `step`, and who did it."""
    owner = matter_types(site).get(matter.matter_type)
    if owner is None:
        return
    plugin = site.plugins.objects.get(owner.plugin)
    if plugin is None:
        return
    call_hook(site.plugins.pm, "matter_step_reached", only=plugin, session=session, matter=matter, step=step,
              actor=actor, site=site)


def open_matter(
    session: Session, site: Site, actor: Actor, *, village_code: str, matter_type: str, title: str,
    summary: str = "", ref: str | None = None, opened_on: dt.date | None = None,
) -> Matter:
    """Open a matter of a known type; the site's step settings in force now stay with it."""
    if site.village(village_code) is None:
        raise NotFound(_("没有这个村：%(code)s", code=village_code))
    matter_type_of(site, matter_type)
    if not title.strip():
        message = _("请填写议题名称")
        raise MeetingError(message, [Problem(message, field="title")])
    settings = settings_of(site)
    matter = Matter(village_code=village_code, matter_type=matter_type, title=title.strip(), summary=summary.strip(),
                    ref=ref, merge_1_2=settings.merge_steps_1_2, sign_off=settings.supervision_sign_off,
                    opened_on=opened_on or local_today())
    audit.create(session, actor, matter, "meetings.matter.open")
    return matter


def _check_order(matter: Matter, step: int) -> bool:
    """Whether recording `step` now merges steps 1 and 2. MeetingError when the step is out of order."""
    sequence = step_sequence(matter)
    if step not in sequence:
        raise MeetingError(_("没有第 %(step)s 步", step=step))
    if matter.step == 0 and step == 2 and matter.merge_1_2:
        return True
    expected = matter.step + 1
    if step != expected:
        raise MeetingError(_("步骤不能跳过或颠倒：下一步应为第 %(expected)s 步“%(title)s”",
                             expected=expected, title=str(STEP_TITLES[expected])))
    return False


@dataclass(frozen=True)
class _MeetingCheck:
    held_on: dt.date
    expected: int
    actual: int
    failure: str | None
    signatures: list[str]


def _check_meeting(
    session: Session, site: Site, matter: Matter, step: int, meeting: Meeting | None, motion: Motion | None,
    signatures: Sequence[str],
) -> _MeetingCheck:
    if meeting is None or meeting.village_code != matter.village_code:
        raise MeetingError(_("第 %(step)s 步须关联本村召开的会议", step=step))
    kind = MeetingKind(meeting.kind)
    if kind not in STEP_KINDS[step]:
        allowed = "、".join(str(k.title) for k in sorted(STEP_KINDS[step]))
        raise MeetingError(_("第 %(step)s 步应在%(allowed)s上进行，不能在%(kind)s上进行",
                             step=step, allowed=allowed, kind=str(kind.title)))
    if meeting.status != "closed":
        raise MeetingError(_("会议结束后才能记入议事步骤（结果此时才最终确定）"))
    signed = [name.strip() for name in signatures if name.strip()]
    if not signed and meeting.attendance_source == "names":
        signed = [m.name for m in present_members(session, meeting)]
    check = dict(held_on=meeting_date(meeting), expected=meeting.members_total or 0,
                 actual=meeting.present_at_close or 0, signatures=signed)
    if not meeting.quorum_met:
        return _MeetingCheck(failure=_("%(title)s不足法定人数", title=meeting.title), **check)  # type: ignore[arg-type]
    if motion is None or motion.meeting_id != meeting.id:
        raise MeetingError(_("请选择本次会议上表决的议案"))
    if motion.matter_id is not None and motion.matter_id != matter.id:
        raise MeetingError(_("该议案属于另一个议题"))
    result: MotionResult | None = motion_result(session, motion)
    if result is None:
        raise MeetingError(_("该议案没有表决结果"))
    if step == 4:
        check_reserved_matter(session, site, meeting, matter.matter_type)
    if not result.passed:
        return _MeetingCheck(failure=_("议案“%(title)s”未获通过", title=motion.title), **check)  # type: ignore[arg-type]
    return _MeetingCheck(failure=None, **check)  # type: ignore[arg-type]


def record_step(
    session: Session, site: Site, actor: Actor, matter: Matter, step: int, *, meeting: Meeting | None = None,
    motion: Motion | None = None, origin: str = "", content: str = "", signatures: Sequence[str] = (),
    held_on: dt.date | None = None, notice_title: str = "", notice_body: str = "",
) -> list[MatterStep]:
    """Record the next step (steps 1–2 together where the site merges them). Returns the rows written.

    Meeting steps need a closed meeting of the right kind and, if it was quorate, its passed motion; a failed
    quorum or a failed motion is recorded as a failed step and stops the matter. Steps 5 and 6 publish a notice.
    """
    matter = _locked(session, Matter, matter.id)
    if matter.status != "open":
        raise MeetingError(_("议题%(status)s，不能继续；如需重新提议请使用“重新提议”",
                             status=str(MATTER_STATUSES[matter.status])))
    merged = _check_order(matter, step)
    previous = steps_of(session, matter)
    notice_id: int | None = None
    failure: str | None = None
    if step in NOTICE_STEPS:
        if not notice_title.strip() or not notice_body.strip():
            raise MeetingError(_("请填写公开的标题和内容"))
        day, expected, actual = held_on or local_today(), None, None
        signed = [s.strip() for s in signatures if s.strip()]
    else:
        checked = _check_meeting(session, site, matter, step, meeting, motion, signatures)
        day, expected, actual, signed, failure = (checked.held_on, checked.expected, checked.actual,
                                                  checked.signatures, checked.failure)
    if previous and day < previous[-1].held_on:
        raise MeetingError(_("第 %(step)s 步的日期 %(day)s 早于上一步（%(before)s）", step=step, day=day,
                             before=previous[-1].held_on))
    warnings: list[dict[str, Any]] = []
    start = previous[0].held_on if previous else day
    limit = settings_of(site).procedure_max_days
    if (day - start).days > limit:
        warnings.append({"code": "too_long", "days": (day - start).days, "limit": limit})
    if step in NOTICE_STEPS:
        notice = publish(
            session, site, actor, village_code=matter.village_code, category="四议两公开",
            title=notice_title.strip(), body=notice_body.strip(), origin_kind="matter",
            origin_ref=str(matter.id), origin_url=f"/v/{matter.village_code}/matters/{matter.id}",
        )
        notice_id = notice.id
    common = dict(village_code=matter.village_code, matter_id=matter.id, held_on=day,
                  meeting_id=meeting.id if meeting is not None else None,
                  motion_id=motion.id if motion is not None else None,
                  notice_id=notice_id, origin=origin.strip(), expected=expected, actual=actual,
                  content=content.strip(), signatures=signed, warnings=warnings)
    numbers = [1, 2] if merged else [step]
    rows = []
    try:
        with session.begin_nested():
            for number in numbers:
                row = MatterStep(step=number, outcome="failed" if failure else "done", merged=merged, **common)  # type: ignore[arg-type]
                audit.create(session, actor, row, "meetings.matter.step")
                rows.append(row)
    except IntegrityError as exc:  # another clerk recorded this step at the same moment
        raise MeetingError(_("第 %(step)s 步已经记录", step=step)) from exc
    if failure:
        audit.update(session, actor, matter, {"status": "stopped", "stopped_reason": failure, "closed_on": day},
                     "meetings.matter.stop")
        _notify(session, site, matter, 0, actor)
        return rows
    changes: dict[str, Any] = {"step": numbers[-1]}
    if numbers[-1] == step_sequence(matter)[-1]:
        changes.update(status="completed", closed_on=day)
    audit.update(session, actor, matter, changes, "meetings.matter.advance")
    for number in numbers:
        _notify(session, site, matter, number, actor)
    return rows


def stop_matter(session: Session, site: Site, actor: Actor, matter: Matter, reason: str) -> Matter:
    """Stop an open matter (withdrawn, or overtaken by events); it can be re-proposed."""
    matter = _locked(session, Matter, matter.id)
    if matter.status != "open":
        raise MeetingError(_("只有进行中的议题可以终止"))
    if not reason.strip():
        raise MeetingError(_("终止议题必须写明原因"))
    audit.update(session, actor, matter, {"status": "stopped", "stopped_reason": reason.strip(),
                                          "closed_on": local_today()}, "meetings.matter.stop")
    _notify(session, site, matter, 0, actor)
    return matter


def repropose(
    session: Session, site: Site, actor: Actor, matter: Matter, *, title: str | None = None,
    summary: str | None = None, opened_on: dt.date | None = None,
) -> Matter:
    """Start a stopped matter again from step 1, as a new attempt linked to the old one."""
    matter = _locked(session, Matter, matter.id)
    if matter.status != "stopped":
        raise MeetingError(_("只有已终止的议题可以重新提议"))
    if session.exec(select(Matter.id).where(Matter.previous_id == matter.id)).first() is not None:
        raise MeetingError(_("该议题已经重新提议过"))
    settings = settings_of(site)
    again = Matter(
        village_code=matter.village_code, matter_type=matter.matter_type, title=(title or matter.title).strip(),
        summary=(summary if summary is not None else matter.summary).strip(), ref=matter.ref,
        attempt=matter.attempt + 1, previous_id=matter.id, merge_1_2=settings.merge_steps_1_2,
        sign_off=settings.supervision_sign_off, opened_on=opened_on or local_today(),
    )
    try:
        with session.begin_nested():
            audit.create(session, actor, again, "meetings.matter.repropose")
    except IntegrityError as exc:
        raise MeetingError(_("该议题已经重新提议过")) from exc
    return again


# --- timeline ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepView:
    """One step of an attempt as shown: the row once recorded, with its meeting and motion result."""

    number: int
    title: str
    state: str  # done | failed | next | waiting | not_reached
    row: MatterStep | None = None
    meeting: Meeting | None = None
    motion: Motion | None = None
    result: MotionResult | None = None


@dataclass(frozen=True)
class Attempt:
    matter: Matter
    steps: list[StepView]
    days: int | None


@dataclass(frozen=True)
class Timeline:
    """The whole history of a matter: every attempt oldest first (the one asked for included), and its limit."""

    matter: Matter
    attempts: list[Attempt] = field(default_factory=list)
    limit_days: int = 20

    @property
    def latest(self) -> Attempt:
        return self.attempts[-1]


def _attempt(session: Session, matter: Matter) -> Attempt:
    rows = {row.step: row for row in steps_of(session, matter)}
    views = []
    reached_end = matter.status != "open"
    for number in step_sequence(matter):
        row = rows.get(number)
        if row is not None:
            meeting = session.get(Meeting, row.meeting_id) if row.meeting_id else None
            motion = session.get(Motion, row.motion_id) if row.motion_id else None
            views.append(StepView(number, str(STEP_TITLES[number]), row.outcome, row, meeting, motion,
                                  motion_result(session, motion) if motion is not None else None))
        elif reached_end:
            views.append(StepView(number, str(STEP_TITLES[number]), "not_reached"))
        elif number == matter.step + 1:
            views.append(StepView(number, str(STEP_TITLES[number]), "next"))
        else:
            views.append(StepView(number, str(STEP_TITLES[number]), "waiting"))
    held = [row.held_on for row in rows.values()]
    return Attempt(matter, views, (max(held) - min(held)).days if held else None)


def matter_timeline(session: Session, site: Site, matter: Matter) -> Timeline:
    """Every attempt of the matter (earlier ones it re-proposes, later re-proposals of it), oldest first."""
    chain = [matter]
    seen = {matter.id}
    while chain[0].previous_id is not None and chain[0].previous_id not in seen:
        earlier = session.get(Matter, chain[0].previous_id)
        if earlier is None:
            break
        seen.add(earlier.id)
        chain.insert(0, earlier)
    while True:
        later = session.exec(select(Matter).where(Matter.previous_id == chain[-1].id)).first()
        if later is None or later.id in seen:
            break
        seen.add(later.id)
        chain.append(later)
    return Timeline(matter, [_attempt(session, m) for m in chain], settings_of(site).procedure_max_days)


def matters_of(session: Session, village_code: str) -> list[Matter]:
    """The village's matters, newest first."""
    return list(session.exec(select(Matter).where(Matter.village_code == village_code)
                             .order_by(col(Matter.opened_on).desc(), col(Matter.id).desc())).all())


def decided_motions(session: Session, matter_id: int) -> list[tuple[Motion, Meeting]]:
    """Motions on a matter voted in a closed villagers' or representative meeting: what its step 4 may cite."""
    rows = session.exec(
        select(Motion, Meeting).join(Meeting, col(Meeting.id) == Motion.meeting_id)
        .where(Motion.matter_id == matter_id, Motion.status == "voted", Meeting.status == "closed",
               col(Meeting.kind).in_([MeetingKind.villagers.value, MeetingKind.representatives.value]))
        .order_by(col(Motion.id))
    ).all()
    return [(motion, meeting) for motion, meeting in rows]


def step_motion(session: Session, matter: Matter, step: int) -> tuple[Motion, Meeting] | None:
    """The motion and meeting a recorded step of the matter cites, if it cites one."""
    recorded = next((s for s in steps_of(session, matter) if s.step == step), None)
    if recorded is None or recorded.motion_id is None or recorded.meeting_id is None:
        return None
    motion, meeting = session.get(Motion, recorded.motion_id), session.get(Meeting, recorded.meeting_id)
    return (motion, meeting) if motion is not None and meeting is not None else None
