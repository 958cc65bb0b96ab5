"""The meetings' demo: every meeting's member list is the register's on its date, the sign-ins are on the record
(one audited batch per meeting, listed in each attendance row's history), and the audit chain verifies."""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import func, select

from cunwu.audit.services import history, verify_chain
from cunwu.meetings import services
from cunwu.meetings.demo import build as meetings_demo
from cunwu.meetings.models import Attendance, Meeting
from cunwu.meetings.rules import MeetingKind
from cunwu.plugin_types import DemoContext
from cunwu.registry import queries
from cunwu.registry.demo import build as register_demo
from cunwu.testing import DEFAULT_VILLAGES


def test_demo_meetings_list_the_registers_members_and_sign_in_on_the_record(site_factory: Any) -> None:
    site = site_factory(villages=DEFAULT_VILLAGES[:1])
    code = site.config.villages[0].code
    for build in (register_demo, meetings_demo):
        with site.db.transaction() as session:
            build(session, site, DemoContext(rng=random.Random(7)))
    with site.db.read() as session:
        meetings = list(session.exec(select(Meeting).order_by(Meeting.id)).all())  # type: ignore[arg-type]
        assert len(meetings) >= 15 and all(m.status == "closed" for m in meetings)
        by_name = [m for m in meetings if m.attendance_source == "names"]
        assert by_name and any(m.kind == MeetingKind.villagers for m in meetings)
        signed = 0
        for meeting in meetings:
            on = services.meeting_date(meeting)
            kind = MeetingKind(meeting.kind)
            derived, households = services.derive_members(session, site, code, kind, on, meeting.group_id)
            frozen = services.meeting_members(session, meeting)
            assert [(m.person_id, m.household_id, m.household_number) for m in frozen] == [
                (d.person_id, d.household_id, d.household_number) for d in derived]
            assert (meeting.members_total, meeting.households_total) == (len(derived), households)
            # each member's household is the one the whole register gives for that day
            home = {member.person.id: (entry.household.id, entry.household.number)
                    for entry in queries.households(session, code, on) for member in entry.members}
            assert all(home.get(d.person_id, (None, "")) == (d.household_id, d.household_number) for d in derived)
            if meeting.attendance_source == "names":
                present = services.present_members(session, meeting)
                assert 0 < len(present) <= len(frozen)
                assert services.meeting_quorum(session, site, meeting).persons_present == len(present)
                signed += len(present)
        assert signed == session.exec(select(func.count()).select_from(Attendance)).one()
        row = session.exec(select(Attendance).order_by(Attendance.id.desc())).first()  # type: ignore[union-attr]
        assert row is not None
        entries = history(session, "meetings_attendance", str(row.id))
        assert [e.action for e in entries] == ["meetings.attendance.sign_in"]
        assert entries[0].after is not None and entries[0].after["member_id"] == row.member_id
        assert verify_chain(session)[1] is None
