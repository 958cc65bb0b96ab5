"""Who may attend a meeting, derived from the register on the meeting date, and the snapshot frozen at opening."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from cunwu.meetings.models import (
    Attendance,
    Meeting,
    MeetingMember,
)
from cunwu.meetings.rules import (
    MeetingKind,
)

if TYPE_CHECKING:
    from cunwu.runtime import Site


@dataclass(frozen=True)
class DerivedMember:
    """A person entitled to attend, as derived from the register on the meeting date."""

    person_id: int
    name: str
    sex: str
    household_id: int | None
    household_number: str
    roles: tuple[str, ...]


def _voting_age(site: Site) -> int:
    try:
        return int(site.settings("registry").voting_age)
    except (KeyError, AttributeError):
        return 18


def derive_members(
    session: Session, site: Site, village_code: str, kind: MeetingKind, on: dt.date, group_id: int | None = None
) -> tuple[list[DerivedMember], int]:
    """(members, households represented among them) of a meeting of `kind` on `on`, from the register.

    Villagers' meeting: villagers of voting age; representative meeting: the representatives and the villagers'
    committee (art. 25); group meeting: the group's villagers of voting age; party branch / supervision committee:
    their office holders; two-committee meeting: party branch + villagers' committee; party members' meeting: the
    party members. The household total counts households with at least one member of voting age (the household
    quorum of art. 22 and 28 counts households represented at the meeting).
    """
    from cunwu.registry import queries

    people: dict[int, Any] = {}
    roles: dict[int, list[str]] = {}

    def add(person: Any, role: str) -> None:
        people.setdefault(person.id, person)
        roles.setdefault(person.id, [])
        if role not in roles[person.id]:
            roles[person.id].append(role)

    def add_office(body: str) -> None:
        for holder in queries.office_holders(session, village_code, body, on):
            add(holder.person, body)

    if kind in (MeetingKind.villagers, MeetingKind.group):
        for person in queries.adults(session, village_code, on, group_id=group_id, age=_voting_age(site)):
            add(person, "villager")
    elif kind is MeetingKind.representatives:
        for term in queries.representatives(session, village_code, on):
            add(term.person, "representative")
        add_office("villagers_committee")
    elif kind is MeetingKind.party_branch:
        add_office("party_branch")
    elif kind is MeetingKind.two_committees:
        add_office("party_branch")
        add_office("villagers_committee")
    elif kind is MeetingKind.party_members:
        for person in queries.party_members(session, village_code, on):
            add(person, "party_member")
    elif kind is MeetingKind.supervision:
        add_office("supervision_committee")

    household_of = queries.person_households(session, village_code, people, on, group_id=group_id)
    members = []
    for person_id, person in people.items():
        household_id, number = household_of.get(person_id, (None, ""))
        members.append(DerivedMember(person_id, person.name, person.sex, household_id, number,
                                     tuple(roles[person_id])))
    members.sort(key=lambda m: (m.household_number or "~", m.name, m.person_id))
    household_count = len({m.household_id for m in members if m.household_id is not None})
    return members, household_count


def snapshot_digest(rows: Iterable[MeetingMember | DerivedMember]) -> str:
    """SHA-256 over the member list (person, name, household, roles): recorded in the audit entry of the opening."""
    payload = [
        [r.person_id, r.name, r.household_id, r.household_number,
         ",".join(r.roles) if isinstance(r.roles, tuple) else r.roles]
        for r in sorted(rows, key=lambda r: r.person_id)
    ]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def meeting_members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    return list(session.exec(
        select(MeetingMember).where(MeetingMember.meeting_id == meeting.id).order_by(col(MeetingMember.position))
    ).all())


def attendance_of(session: Session, meeting: Meeting) -> dict[int, Attendance]:
    """Attendance rows by member id."""
    rows = session.exec(select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    return {row.member_id: row for row in rows}


def present_members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    """Members signed in and not signed out, in list order."""
    rows = session.exec(
        select(MeetingMember)
        .join(Attendance, col(Attendance.member_id) == MeetingMember.id)
        .where(Attendance.meeting_id == meeting.id, col(Attendance.signed_out_at).is_(None))
        .order_by(col(MeetingMember.position))
    ).all()
    return list(rows)
