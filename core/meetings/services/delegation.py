"""The villagers' meeting's delegation of reserved matters to the representative meeting (art. 24)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.i18n import _
from cunwu.meetings.models import (
    Delegation,
    Meeting,
    Motion,
)
from cunwu.meetings.rules import (
    MeetingKind,
)
from cunwu.meetings.services.common import MeetingError, _locked, meeting_date, motion_result, refuse_field
from cunwu.meetings.services.matter_types import matter_type_of, type_title

if TYPE_CHECKING:
    from cunwu.runtime import Site


def valid_delegation(session: Session, village_code: str, matter_type: str, on: dt.date) -> Delegation | None:
    """The villagers' meeting's delegation covering `matter_type` on `on` (not revoked by then), if any."""
    rows = session.exec(select(Delegation).where(Delegation.village_code == village_code,
                                                 Delegation.valid_from <= on)).all()
    for row in sorted(rows, key=lambda d: d.valid_from, reverse=True):
        if matter_type not in row.scope:
            continue
        if row.valid_until is not None and row.valid_until < on:
            continue
        if row.revoked_on is not None and row.revoked_on <= on:
            continue
        return row
    return None


def create_delegation(
    session: Session, site: Site, actor: Actor, motion: Motion, *, scope: Sequence[str], valid_from: dt.date,
    valid_until: dt.date | None = None,
) -> Delegation:
    """Record the villagers' meeting's delegation of matter kinds to the representative meeting (art. 24)."""
    meeting = session.get(Meeting, motion.meeting_id)
    assert meeting is not None
    if MeetingKind(meeting.kind) is not MeetingKind.villagers:
        raise MeetingError(_("只有村民会议才能授权村民代表会议"))
    result = motion_result(session, motion)
    if result is None or not result.passed:
        raise MeetingError(_("授权必须由村民会议表决通过"))
    codes = sorted({code for code in scope if code})
    if not codes:
        raise refuse_field(_("请选择授权的事项类别"), "scope")
    for code in codes:
        if not matter_type_of(site, code).reserved_to_assembly:
            raise refuse_field(_("“%(type)s”不是须由村民会议决定的事项，无需授权", type=type_title(site, code)),
                               "scope")
    if valid_from < meeting_date(meeting):
        raise refuse_field(_("授权不能早于作出授权的村民会议（%(day)s）", day=meeting_date(meeting)), "valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise refuse_field(_("授权的截止日期早于开始日期"), "valid_until")
    delegation = Delegation(village_code=meeting.village_code, meeting_id=meeting.id, motion_id=motion.id,  # type: ignore[arg-type]
                            scope=codes, valid_from=valid_from, valid_until=valid_until)
    audit.create(session, actor, delegation, "meetings.delegation.create")
    return delegation


def revoke_delegation(
    session: Session, site: Site, actor: Actor, delegation: Delegation, *, on: dt.date, reason: str
) -> Delegation:
    """End a delegation from `on` (a later villagers' meeting withdrew it); the record stays."""
    delegation = _locked(session, Delegation, delegation.id)
    if delegation.revoked_on is not None:
        raise MeetingError(_("该授权已经撤销"))
    if not reason.strip():
        raise refuse_field(_("撤销授权必须写明原因"), "reason")
    audit.update(session, actor, delegation, {"revoked_on": on, "revoke_reason": reason.strip()},
                 "meetings.delegation.revoke")
    return delegation


def delegations_of(session: Session, village_code: str) -> list[Delegation]:
    return list(session.exec(select(Delegation).where(Delegation.village_code == village_code)
                             .order_by(col(Delegation.valid_from).desc())).all())
