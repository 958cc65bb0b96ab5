"""The meetings tables. Everything except the member snapshot is an official record (audited, never deleted).

A meeting's members are derived from the register at the meeting date and frozen in `MeetingMember` when the
meeting opens, so later register changes never rewrite who could attend. The snapshot rows are written once, in
the opening transaction; the audit entry of the opening carries their count and a SHA-256 digest, so any later
change to them shows against the chain (`cunwu.meetings.services.snapshot_digest`).

Dates: `Delegation.valid_until` is inclusive (the last day the delegation holds), as the villagers' meeting words it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Date, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.audit.services import OfficialRecord
from cunwu.db.types import UTCDateTime


class Meeting(OfficialRecord, SQLModel, table=True):
    """One meeting of a village body: scheduled → in_session → closed.

    `rule_override` (a `RuleOverride` as JSON) replaces the kind's quorum/majority for this meeting only, e.g. a
    低保 民主评议 with 2/3 attendance and 2/3 approval; `rule_source` names who asked for it. `warnings` holds
    coded warnings recorded when they arose (short notice, composition), shown translated.
    """

    __tablename__ = "meetings_meeting"
    __table_args__ = (Index("ix_meetings_meeting_village_starts", "village_code", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12)
    kind: str = Field(max_length=20)  # rules.MeetingKind
    title: str = Field(max_length=200)
    group_id: int | None = Field(default=None, foreign_key="registry_group.id")
    starts_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    location: str = Field(default="", max_length=200)
    notice_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(default="scheduled", max_length=12)  # scheduled | in_session | closed
    quorum_mode: str = Field(default="persons", max_length=12)  # rules.QuorumMode
    rule_set: str = Field(default="standard", max_length=12)  # standard | yishi_yiyi
    rule_override: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    rule_source: str = Field(default="", max_length=200)
    convened_by: str = Field(default="committee", max_length=20)  # committee | villagers | representatives
    requesters: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    request_base: int | None = Field(default=None)
    warnings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    chair: str = Field(default="", max_length=50)
    recorder: str = Field(default="", max_length=50)
    attendance_source: str = Field(default="names", max_length=10)  # names | counts (paper sign-in sheet)
    counted_persons: int | None = Field(default=None, ge=0)
    counted_households: int | None = Field(default=None, ge=0)
    members_total: int | None = Field(default=None, ge=0)
    households_total: int | None = Field(default=None, ge=0)
    members_digest: str | None = Field(default=None, max_length=64)
    opened_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    closed_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    present_at_close: int | None = Field(default=None, ge=0)
    quorum_met: bool | None = Field(default=None)
    minutes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    notice_id: int | None = Field(default=None)
    resolution_notice_id: int | None = Field(default=None)


class AgendaItem(OfficialRecord, SQLModel, table=True):
    """An item on a meeting's agenda (议程), in order."""

    __tablename__ = "meetings_agenda_item"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    meeting_id: int = Field(foreign_key="meetings_meeting.id", index=True)
    position: int = Field(ge=1)
    title: str = Field(max_length=300)


class MeetingMember(SQLModel, table=True):
    """Who belonged to the meeting on its date (snapshot taken at opening; see the module docstring)."""

    __tablename__ = "meetings_member"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meetings_meeting.id", index=True)
    position: int = Field(ge=1)
    person_id: int = Field(foreign_key="registry_person.id")
    name: str = Field(max_length=50)
    sex: str = Field(max_length=1)
    household_id: int | None = Field(default=None)
    household_number: str = Field(default="", max_length=30)
    roles: str = Field(default="", max_length=200)  # comma-separated role codes (services.ROLE_TITLES)


class Attendance(OfficialRecord, SQLModel, table=True):
    """A member's sign-in (签到) to a meeting; signing out and in again update the same row, on the record."""

    __tablename__ = "meetings_attendance"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    meeting_id: int = Field(foreign_key="meetings_meeting.id", index=True)
    member_id: int = Field(foreign_key="meetings_member.id")
    signed_in_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    signed_out_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Motion(OfficialRecord, SQLModel, table=True):
    """A motion (议案) put to the vote, with the recorded result. `status`: pending | voted | lapsed (never voted
    because the meeting closed first). The result is final once recorded; `ResultCorrection` rows amend it."""

    __tablename__ = "meetings_motion"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    meeting_id: int = Field(foreign_key="meetings_meeting.id", index=True)
    number: int = Field(ge=1)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    agenda_item_id: int | None = Field(default=None, foreign_key="meetings_agenda_item.id")
    matter_id: int | None = Field(default=None, foreign_key="meetings_matter.id")
    matter_type: str | None = Field(default=None, max_length=60)
    delegation_id: int | None = Field(default=None)  # meetings_delegation.id (no FK: the delegation names its motion)
    status: str = Field(default="pending", max_length=10)
    put_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    present_at_put: int = Field(ge=0)
    vote_method: str | None = Field(default=None, max_length=10)  # named | hands | ballot
    votes_for: int | None = Field(default=None, ge=0)
    against: int | None = Field(default=None, ge=0)
    abstain: int | None = Field(default=None, ge=0)
    attendees: int | None = Field(default=None, ge=0)
    members: int | None = Field(default=None, ge=0)
    base: int | None = Field(default=None, ge=0)
    required: int | None = Field(default=None, ge=0)
    passed: bool | None = Field(default=None)
    majority: str = Field(default="", max_length=40)  # the rule as described, e.g. "> 1/2 of attendees"
    voted_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Vote(OfficialRecord, SQLModel, table=True):
    """One member's named vote (记名表决) on a motion."""

    __tablename__ = "meetings_vote"
    __table_args__ = (UniqueConstraint("motion_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    motion_id: int = Field(foreign_key="meetings_motion.id", index=True)
    member_id: int = Field(foreign_key="meetings_member.id")
    choice: str = Field(max_length=8)  # for | against | abstain


class ResultCorrection(OfficialRecord, SQLModel, table=True):
    """A correction of a recorded result (a miscount found later): a new entry with its reason, never an edit."""

    __tablename__ = "meetings_result_correction"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    motion_id: int = Field(foreign_key="meetings_motion.id", index=True)
    votes_for: int = Field(ge=0)
    against: int = Field(ge=0)
    abstain: int = Field(ge=0)
    required: int = Field(ge=0)
    passed: bool
    reason: str = Field(max_length=500)
    corrected_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    corrected_by: str = Field(max_length=200)


class Delegation(OfficialRecord, SQLModel, table=True):
    """The villagers' meeting's delegation of kinds of matter (art. 24) to the representative meeting."""

    __tablename__ = "meetings_delegation"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    meeting_id: int = Field(foreign_key="meetings_meeting.id")
    motion_id: int = Field(foreign_key="meetings_motion.id")
    scope: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # matter type codes
    valid_from: dt.date = Field(sa_column=Column(Date, nullable=False))
    valid_until: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))  # inclusive
    revoked_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    revoke_reason: str | None = Field(default=None, max_length=300)


class Matter(OfficialRecord, SQLModel, table=True):
    """A major matter (议题) going through 四议两公开. `step` is the last step completed (0 = none yet).

    A stopped matter is re-proposed as a new matter (`previous_id`, `attempt` + 1); at most one re-proposal per
    matter (partial unique index). `merge_1_2` and `sign_off` keep the site settings in force when it opened.
    """

    __tablename__ = "meetings_matter"
    __table_args__ = (
        Index("uq_meetings_matter_previous", "previous_id", unique=True,
              sqlite_where=text("previous_id IS NOT NULL"), postgresql_where=text("previous_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    matter_type: str = Field(max_length=60)
    title: str = Field(max_length=300)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    ref: str | None = Field(default=None, max_length=100)
    status: str = Field(default="open", max_length=10)  # open | stopped | completed
    step: int = Field(default=0, ge=0)
    attempt: int = Field(default=1, ge=1)
    previous_id: int | None = Field(default=None, foreign_key="meetings_matter.id")
    merge_1_2: bool = Field(default=False)
    sign_off: bool = Field(default=False)
    opened_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    stopped_reason: str | None = Field(default=None, max_length=500)
    closed_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class MatterStep(OfficialRecord, SQLModel, table=True):
    """One step of a matter, with the fields the procedure logs: origin, date, expected/actual attendance,
    content, who signed. Step 7 is the supervision committee's sign-off (四议两公开一监督)."""

    __tablename__ = "meetings_matter_step"
    __table_args__ = (UniqueConstraint("matter_id", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    matter_id: int = Field(foreign_key="meetings_matter.id", index=True)
    step: int = Field(ge=1, le=7)
    outcome: str = Field(max_length=10)  # done | failed
    held_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    meeting_id: int | None = Field(default=None, foreign_key="meetings_meeting.id")
    motion_id: int | None = Field(default=None, foreign_key="meetings_motion.id")
    notice_id: int | None = Field(default=None)
    merged: bool = Field(default=False)
    origin: str = Field(default="", max_length=300)
    expected: int | None = Field(default=None, ge=0)
    actual: int | None = Field(default=None, ge=0)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    signatures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    warnings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


MODELS: list[type[SQLModel]] = [
    Meeting, AgendaItem, MeetingMember, Attendance, Matter, Delegation, Motion, Vote, ResultCorrection, MatterStep,
]
