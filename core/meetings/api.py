"""Meetings and 四议两公开 matters as JSON (`/api/v1/`), with what their pages show to the same person.

Meetings: with `meetings.view` for the village, every meeting and its full record; otherwise (anyone) only the
closed villagers' and representative meetings, whose minutes are public — attendees' names only for kinds whose
attendees hold a public post, never the absentees or the clerk's warnings. Matters: public, like their pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from sqlalchemy import func
from sqlmodel import Session, col, select

from cunwu.i18n import _
from cunwu.meetings import matters, services
from cunwu.meetings.models import Meeting
from cunwu.meetings.rules import MeetingKind
from cunwu.web.jsonapi import PER_PAGE, Page, PerPage, offset
from cunwu.web.render import actor_of, site_of

#: What anyone may read: the minutes of closed villagers' and representative meetings (see `minutes_page`).
_PUBLIC_MINUTES = (MeetingKind.villagers.value, MeetingKind.representatives.value)


@dataclass(frozen=True)
class MeetingSummary:
    id: int
    kind: str
    kind_title: str
    title: str
    starts_at: dt.datetime
    location: str
    status: str  # scheduled | in_session | closed
    quorum_met: bool | None
    minutes_url: str


@dataclass(frozen=True)
class MeetingPage:
    page: int
    per_page: int
    total: int
    full: bool  # False: only the public minutes are listed
    items: list[MeetingSummary]


@dataclass(frozen=True)
class Quorum:
    mode: str  # persons | households
    persons_present: int
    persons_total: int
    households_present: int
    households_total: int
    required: int
    met: bool


@dataclass(frozen=True)
class MotionItem:
    id: int
    number: int
    title: str
    body: str
    status: str  # pending | voted | lapsed
    vote_method: str | None
    votes_for: int | None
    against: int | None
    abstain: int | None
    required: int | None
    passed: bool | None
    corrected: bool
    majority: str
    matter_id: int | None


@dataclass(frozen=True)
class MeetingDetail:
    id: int
    village_code: str
    kind: str
    kind_title: str
    title: str
    starts_at: dt.datetime
    location: str
    status: str
    chair: str
    recorder: str
    notice_id: int | None
    resolution_notice_id: int | None
    quorum: Quorum
    agenda: list[str]
    motions: list[MotionItem]
    present: list[str]  # names, only where the page shows them
    absent: list[str]  # names, only with meetings.view
    warnings: list[str]  # only with meetings.view
    minutes: str
    minutes_url: str


@dataclass(frozen=True)
class MatterSummary:
    id: int
    matter_type: str
    type_title: str
    title: str
    status: str  # open | stopped | completed
    step: int
    attempt: int
    opened_on: dt.date
    closed_on: dt.date | None
    url: str


@dataclass(frozen=True)
class MatterPage:
    page: int
    per_page: int
    total: int
    items: list[MatterSummary]


@dataclass(frozen=True)
class MatterStepItem:
    number: int
    title: str
    state: str  # done | failed | next | waiting | not_reached
    held_on: dt.date | None
    merged: bool
    meeting_id: int | None
    meeting_title: str | None
    motion_title: str | None
    passed: bool | None
    expected: int | None
    actual: int | None
    origin: str
    content: str
    signatures: list[str]  # only where the page shows them
    notice_id: int | None
    warnings: list[str]


@dataclass(frozen=True)
class MatterAttempt:
    matter_id: int
    attempt: int
    status: str
    stopped_reason: str | None
    days: int | None
    steps: list[MatterStepItem]


@dataclass(frozen=True)
class MatterDetail:
    id: int
    village_code: str
    matter_type: str
    type_title: str
    title: str
    summary: str
    status: str
    step: int
    opened_on: dt.date
    closed_on: dt.date | None
    limit_days: int
    attempts: list[MatterAttempt]
    url: str


def _minutes_url(meeting: Meeting) -> str:
    return f"/v/{meeting.village_code}/meetings/{meeting.id}/minutes"


def _summary(meeting: Meeting) -> MeetingSummary:
    return MeetingSummary(id=meeting.id or 0, kind=meeting.kind, kind_title=services.kind_title(meeting.kind),
                          title=meeting.title, starts_at=meeting.starts_at, location=meeting.location,
                          status=meeting.status, quorum_met=meeting.quorum_met if meeting.status == "closed" else None,
                          minutes_url=_minutes_url(meeting))


@get("/api/v1/v/{village_code:str}/meetings", opt={"public": True}, sync_to_thread=True)
def api_meetings(request: Request[Any, Any, Any], village_code: str, page: Page = 1,
                 per_page: PerPage = PER_PAGE) -> MeetingPage:
    """The village's meetings, newest first: all of them with `meetings.view`, else the closed villagers' and
    representative meetings (whose minutes are public). Paginated."""
    site = site_of(request)
    full = site.allowed(actor_of(request), "meetings.view", village_code)
    where = [Meeting.village_code == village_code]
    if not full:
        where += [Meeting.status == "closed", col(Meeting.kind).in_(_PUBLIC_MINUTES)]
    with site.db.read() as session:
        total = session.exec(select(func.count()).select_from(Meeting).where(*where)).one()
        rows = session.exec(select(Meeting).where(*where).order_by(col(Meeting.starts_at).desc(), col(Meeting.id))
                            .offset(offset(page, per_page)).limit(per_page)).all()
    return MeetingPage(page=page, per_page=per_page, total=total, full=full, items=[_summary(m) for m in rows])


def _motion(session: Session, motion: Any) -> MotionItem:
    result = services.motion_result(session, motion)
    return MotionItem(
        id=motion.id, number=motion.number, title=motion.title, body=motion.body, status=motion.status,
        vote_method=motion.vote_method, votes_for=result.votes_for if result else None,
        against=result.against if result else None, abstain=result.abstain if result else None,
        required=result.required if result else None, passed=result.passed if result else None,
        corrected=bool(result and result.corrected), majority=motion.majority, matter_id=motion.matter_id)


@get("/api/v1/v/{village_code:str}/meetings/{meeting_id:int}", opt={"public": True}, sync_to_thread=True)
def api_meeting(request: Request[Any, Any, Any], village_code: str, meeting_id: int) -> MeetingDetail:
    """One meeting's record as its minutes page shows it to the caller: attendance against the quorum, agenda,
    motions with the results that stand (corrections applied)."""
    site = site_of(request)
    actor = actor_of(request)
    full = site.allowed(actor, "meetings.view", village_code)
    with site.db.read() as session:
        meeting = services.get_meeting(session, village_code, meeting_id)
        if not full and not (meeting.status == "closed" and meeting.kind in _PUBLIC_MINUTES):
            if actor is None:
                raise NotAuthorizedException(_("请先登录"))
            raise PermissionDeniedException(_("您没有权限执行此操作"))
        quorum = services.meeting_quorum(session, site, meeting)
        show_names = full or MeetingKind(meeting.kind) in services.PUBLIC_NAME_KINDS
        present = services.present_members(session, meeting)
        present_ids = {m.id for m in present}
        absent = [m.name for m in services.meeting_members(session, meeting) if m.id not in present_ids] if full else []
        return MeetingDetail(
            id=meeting.id or 0, village_code=meeting.village_code, kind=meeting.kind,
            kind_title=services.kind_title(meeting.kind), title=meeting.title, starts_at=meeting.starts_at,
            location=meeting.location, status=meeting.status, chair=meeting.chair, recorder=meeting.recorder,
            notice_id=meeting.notice_id, resolution_notice_id=meeting.resolution_notice_id,
            quorum=Quorum(mode=quorum.status.mode.value, persons_present=quorum.persons_present,
                          persons_total=quorum.persons_total, households_present=quorum.households_present,
                          households_total=quorum.households_total, required=quorum.required, met=quorum.met),
            agenda=[item.title for item in services.agenda_of(session, meeting)],
            motions=[_motion(session, m) for m in services.motions_of(session, meeting)],
            present=[m.name for m in present] if show_names else [], absent=absent,
            warnings=[str(w) for w in services.warning_texts(meeting)] if full else [],
            minutes=meeting.minutes or "", minutes_url=_minutes_url(meeting))


@get("/api/v1/v/{village_code:str}/matters", opt={"public": True}, sync_to_thread=True)
def api_matters(request: Request[Any, Any, Any], village_code: str, status: str | None = None, page: Page = 1,
                per_page: PerPage = PER_PAGE) -> MatterPage:
    """The village's 四议两公开 matters, newest first (optionally only `open`, `stopped` or `completed`)."""
    site = site_of(request)
    with site.db.read() as session:
        rows = [m for m in matters.matters_of(session, village_code) if status is None or m.status == status]
    chosen = rows[offset(page, per_page): offset(page, per_page) + per_page]
    return MatterPage(page=page, per_page=per_page, total=len(rows), items=[MatterSummary(
        id=m.id or 0, matter_type=m.matter_type, type_title=matters.type_title(site, m.matter_type), title=m.title,
        status=m.status, step=m.step, attempt=m.attempt, opened_on=m.opened_on, closed_on=m.closed_on,
        url=f"/v/{village_code}/matters/{m.id}") for m in chosen])


def _step(view: Any) -> MatterStepItem:
    row, meeting = view.row, view.meeting
    names_public = meeting is None or MeetingKind(meeting.kind) in services.PUBLIC_NAME_KINDS
    return MatterStepItem(
        number=view.number, title=view.title, state=view.state, held_on=row.held_on if row else None,
        merged=bool(row and row.merged), meeting_id=meeting.id if meeting else None,
        meeting_title=meeting.title if meeting else None, motion_title=view.motion.title if view.motion else None,
        passed=view.result.passed if view.result else None, expected=row.expected if row else None,
        actual=row.actual if row else None, origin=row.origin if row else "", content=row.content if row else "",
        signatures=list(row.signatures) if row and names_public else [], notice_id=row.notice_id if row else None,
        warnings=services.warning_texts(row) if row else [])


@get("/api/v1/v/{village_code:str}/matters/{matter_id:int}", opt={"public": True}, sync_to_thread=True)
def api_matter(request: Request[Any, Any, Any], village_code: str, matter_id: int) -> MatterDetail:
    """One matter with every attempt (re-proposals) and each step's record, as its public page shows it."""
    site = site_of(request)
    with site.db.read() as session:
        matter = matters.get_matter(session, village_code, matter_id)
        timeline = matters.matter_timeline(session, site, matter)
        attempts = [MatterAttempt(matter_id=a.matter.id or 0, attempt=a.matter.attempt, status=a.matter.status,
                                  stopped_reason=a.matter.stopped_reason, days=a.days,
                                  steps=[_step(s) for s in a.steps]) for a in timeline.attempts]
    return MatterDetail(
        id=matter.id or 0, village_code=matter.village_code, matter_type=matter.matter_type,
        type_title=matters.type_title(site, matter.matter_type), title=matter.title, summary=matter.summary,
        status=matter.status, step=matter.step, opened_on=matter.opened_on, closed_on=matter.closed_on,
        limit_days=timeline.limit_days, attempts=attempts, url=f"/v/{village_code}/matters/{matter.id}")


ROUTES = [api_meetings, api_meeting, api_matters, api_matter]
