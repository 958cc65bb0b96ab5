"""Sign-in and sign-out at an open meeting, or the counts of a paper sign-in sheet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import utcnow
from cunwu.errors import NotFound
from cunwu.i18n import _
from cunwu.meetings.models import (
    Attendance,
    Meeting,
    MeetingMember,
)
from cunwu.meetings.rules import (
    QuorumMode,
)
from cunwu.meetings.services.common import MeetingError, _locked, _require_status, refuse_field

if TYPE_CHECKING:
    from cunwu.runtime import Site


def _member(session: Session, meeting: Meeting, member_id: int) -> MeetingMember:
    member = session.get(MeetingMember, member_id)
    if member is None or member.meeting_id != meeting.id:
        raise NotFound(_("此人不在本次会议的应到名单中"))
    return member


def sign_in(session: Session, site: Site, actor: Actor, meeting: Meeting, member_id: int) -> Attendance:
    """Sign a member in (again, after signing out). Idempotent for someone already present."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if meeting.attendance_source == "counts":
        raise MeetingError(_("本次会议已按纸质签到表录入到会人数，不能再逐人签到"))
    member = _member(session, meeting, member_id)
    row = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                Attendance.member_id == member.id).with_for_update()).first()
    if row is None:
        row = Attendance(village_code=meeting.village_code, meeting_id=meeting.id, member_id=member.id,  # type: ignore[arg-type]
                         signed_in_at=utcnow())
        try:
            with session.begin_nested():
                audit.create(session, actor, row, "meetings.attendance.sign_in")
        except IntegrityError as exc:  # a second device signed the same person in at the same moment
            raise MeetingError(_("%(name)s 已经签到", name=member.name)) from exc
    elif row.signed_out_at is not None:
        audit.update(session, actor, row, {"signed_in_at": utcnow(), "signed_out_at": None},
                     "meetings.attendance.sign_in")
    return row


def sign_out(session: Session, site: Site, actor: Actor, meeting: Meeting, member_id: int) -> Attendance:
    """Record that a member left (or was signed in by mistake): the row keeps both times."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    member = _member(session, meeting, member_id)
    row = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                Attendance.member_id == member.id).with_for_update()).first()
    if row is None or row.signed_out_at is not None:
        raise MeetingError(_("%(name)s 没有签到", name=member.name))
    audit.update(session, actor, row, {"signed_out_at": utcnow()}, "meetings.attendance.sign_out")
    return row


def record_counts(
    session: Session, site: Site, actor: Actor, meeting: Meeting, *, persons: int, households: int | None = None
) -> Meeting:
    """Enter the counts of a paper sign-in sheet (persons present and, for the household mode, households)."""
    meeting = _locked(session, Meeting, meeting.id)
    _require_status(meeting, "in_session")
    if persons < 0 or (households is not None and households < 0):
        raise refuse_field(_("人数不能为负数"), "persons" if persons < 0 else "households")
    if persons > (meeting.members_total or 0):
        raise refuse_field(_("到会人数 %(present)s 超过应到人数 %(total)s", present=persons,
                             total=meeting.members_total or 0), "persons")
    if meeting.quorum_mode == QuorumMode.households and households is None:
        raise refuse_field(_("按户计算到会时必须填写到会户数"), "households")
    if households is not None:
        if households > (meeting.households_total or 0):
            raise refuse_field(_("到会户数 %(present)s 超过应到户数 %(total)s", present=households,
                                 total=meeting.households_total or 0), "households")
        if households > persons:
            raise refuse_field(_("到会户数不能多于到会人数"), "households")
    audit.update(session, actor, meeting, {"attendance_source": "counts", "counted_persons": persons,
                                           "counted_households": households}, "meetings.meeting.counts")
    return meeting
