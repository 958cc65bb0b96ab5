"""A meeting's quorum now (persons or households, named sign-ins or a paper sheet's counts), in exact fractions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlmodel import Session

from cunwu.i18n import _
from cunwu.meetings.models import (
    Meeting,
)
from cunwu.meetings.rules import (
    KindRule,
    MeetingKind,
    QuorumMode,
    QuorumStatus,
    quorum_status,
)
from cunwu.meetings.services.common import MeetingError, effective_rule, meeting_date
from cunwu.meetings.services.members import derive_members, present_members

if TYPE_CHECKING:
    from cunwu.runtime import Site


@dataclass(frozen=True)
class MeetingQuorum:
    """A meeting's quorum now: `status` in the meeting's mode, plus both counts for the record."""

    status: QuorumStatus
    rule: KindRule
    persons_present: int
    persons_total: int
    households_present: int
    households_total: int
    source: str  # names | counts

    @property
    def met(self) -> bool:
        return self.status.met

    @property
    def present(self) -> int:
        return self.status.present

    @property
    def required(self) -> int:
        return self.status.required

    @property
    def total(self) -> int:
        return self.status.total

    @property
    def missing(self) -> int:
        return self.status.missing


def meeting_quorum(session: Session, site: Site, meeting: Meeting) -> MeetingQuorum:
    """Present / required / total in the meeting's quorum mode, with exact fractions.

    Before the meeting opens the totals come from the register on the meeting date (nobody is present yet);
    afterwards from the snapshot. A paper sign-in sheet's counts replace the named sign-ins when entered.
    """
    rule = effective_rule(site, meeting)
    mode = QuorumMode(meeting.quorum_mode)
    if meeting.status == "scheduled":
        members, households = derive_members(session, site, meeting.village_code, MeetingKind(meeting.kind),
                                             meeting_date(meeting), meeting.group_id)
        persons_total, households_total, persons, homes = len(members), households, 0, 0
    else:
        persons_total, households_total = meeting.members_total or 0, meeting.households_total or 0
        if meeting.attendance_source == "counts":
            persons = meeting.counted_persons or 0
            homes = meeting.counted_households or 0
        else:
            present = present_members(session, meeting)
            persons = len(present)
            homes = len({m.household_id for m in present if m.household_id is not None})
    if mode is QuorumMode.households:
        status = quorum_status(rule, mode, homes, households_total)
    else:
        status = quorum_status(rule, mode, persons, persons_total)
    return MeetingQuorum(status, rule, persons, persons_total, homes, households_total, meeting.attendance_source)


def quorum_message(quorum: MeetingQuorum) -> str:
    """"到会 12 人，应到 20 人，法定人数至少 14 人（≥ 2/3）", in the meeting's mode."""
    if quorum.status.mode is QuorumMode.households:
        return _("到会 %(present)s 户，应到 %(total)s 户，至少需要 %(required)s 户（%(rule)s）",
                 present=quorum.present, total=quorum.total, required=quorum.required, rule=quorum.status.description)
    return _("到会 %(present)s 人，应到 %(total)s 人，至少需要 %(required)s 人（%(rule)s）",
             present=quorum.present, total=quorum.total, required=quorum.required, rule=quorum.status.description)


def _require_quorum(session: Session, site: Site, meeting: Meeting) -> MeetingQuorum:
    quorum = meeting_quorum(session, site, meeting)
    if not quorum.met:
        raise MeetingError(_("不足法定人数，不能付诸表决：%(numbers)s", numbers=quorum_message(quorum)))
    return quorum
