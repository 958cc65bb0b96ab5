"""The coverage plugin's tables (all `coverage_*`). What the register, the meetings module and the co-op plugin
already know is derived, never stored here (docs/coverage.md "Sources").

Invariants held by the database (proved on SQLite and PostgreSQL in tests/plugins/coverage):
- one current organisation per village and single kind (partial unique index); many economic organisations and
  work sub-areas;
- household groups numbered uniquely per village; a household is in at most one group (unique household_id), and a
  membership's village is its group's village (composite foreign key). That every household is in one is checked
  by the services and shown as "not yet assigned";
- one snapshot row per village and month; one count per township and month (`TownshipMonth`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Date, ForeignKeyConstraint, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.api import OfficialRecord, UTCDateTime

#: Kinds of which a village has at most one at a time.
SINGLE_KINDS = ("party", "villagers_committee", "representative_meeting", "supervision_committee", "station",
                "patrol_team")
#: Kinds the clerk records here (the others come from the register and the meetings module).
RECORDED_KINDS = ("economic", "station", "work_subarea", "patrol_team")
ALL_KINDS = ("party", "villagers_committee", "representative_meeting", "supervision_committee", "economic",
             "station", "work_subarea", "patrol_team")
_KIND_LIST = ", ".join(f"'{k}'" for k in ALL_KINDS)
_SINGLE_LIST = ", ".join(f"'{k}'" for k in SINGLE_KINDS)


class Organisation(OfficialRecord, SQLModel, table=True):
    """An organisation of the village as the clerk records it. For the kinds the register knows (party,
    committees, representative meeting) it holds only the founding date; members, leader and meetings are read
    from the register and the meetings module. Dissolved, never deleted (`dissolved_on`, `dissolve_reason`)."""

    __tablename__ = "coverage_organisation"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KIND_LIST})", name="kind"),
        CheckConstraint("members IS NULL OR members >= 0", name="members_not_negative"),
        Index("uq_coverage_organisation_single_kind", "village_code", "kind", unique=True,
              sqlite_where=text(f"dissolved_on IS NULL AND kind IN ({_SINGLE_LIST})"),
              postgresql_where=text(f"dissolved_on IS NULL AND kind IN ({_SINGLE_LIST})")),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    kind: str = Field(max_length=30)  # ALL_KINDS
    name: str = Field(default="", max_length=100)
    founded_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    members: int | None = Field(default=None)
    leader: str = Field(default="", max_length=50)
    dissolved_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    dissolve_reason: str = Field(default="", max_length=200)


class OrganisationMeeting(OfficialRecord, SQLModel, table=True):
    """A meeting (or patrol duty meeting, station session) of a recorded organisation, by day."""

    __tablename__ = "coverage_meeting"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    organisation_id: int = Field(foreign_key="coverage_organisation.id", index=True)
    held_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    title: str = Field(default="", max_length=200)


class HouseholdGroup(OfficialRecord, SQLModel, table=True):
    """A 十户联防 household group: 10–15 neighbouring households led by a respected villager (`leader_person_id`)."""

    __tablename__ = "coverage_household_group"
    __table_args__ = (
        UniqueConstraint("village_code", "number"),
        UniqueConstraint("id", "village_code"),  # the target of the membership's composite foreign key
        CheckConstraint("number >= 1", name="number_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    number: int
    name: str = Field(default="", max_length=50)
    leader_person_id: int | None = Field(default=None, foreign_key="registry_person.id")


class GroupMembership(OfficialRecord, SQLModel, table=True):
    """A household's place in a household group. Unique per household: a household is in one group at most; a
    move changes `group_id` through the audited path."""

    __tablename__ = "coverage_group_member"
    __table_args__ = (
        UniqueConstraint("household_id"),
        ForeignKeyConstraint(["group_id", "village_code"],
                             ["coverage_household_group.id", "coverage_household_group.village_code"],
                             name="fk_coverage_group_member_group_village"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    group_id: int = Field(index=True)
    household_id: int = Field(foreign_key="registry_household.id")


class Snapshot(SQLModel, table=True):
    """A village's coverage in one month (`month` = its first day), for the trend: statistics, recomputable, so
    not an official record; `cunwu coverage snapshot` rewrites the month's row."""

    __tablename__ = "coverage_snapshot"
    __table_args__ = (UniqueConstraint("village_code", "month"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12)
    month: dt.date = Field(sa_column=Column(Date, nullable=False, index=True))
    party: bool
    self_governance: bool
    economic: bool
    order_stability: bool
    adults: int = Field(ge=0)
    enrolled: int = Field(ge=0)
    taken_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    #: Why the village does not cover each type, as codes (so each reader sees them in their language):
    #: type → [[organisation kind or "groups", [shortfall codes]], ...]; None on rows stored before it was kept.
    reasons: dict[str, list[list[Any]]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class TownshipMonth(SQLModel, table=True):
    """The month's snapshot counted per township (a village code's first 9 digits), kept by `take_snapshot` when it
    writes the rows: the dashboard reads ~90 of these instead of grouping 1,800 snapshot rows on every visit."""

    __tablename__ = "coverage_township_month"
    __table_args__ = (UniqueConstraint("month", "township"),)

    id: int | None = Field(default=None, primary_key=True)
    month: dt.date = Field(sa_column=Column(Date, nullable=False))
    township: str = Field(max_length=9)
    villages: int
    party: int
    self_governance: int
    economic: int
    order_stability: int
    all_four: int
    #: the earliest `taken_at` of the township's rows (the dashboard's "as of")
    taken_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


MODELS: list[type[SQLModel]] = [Organisation, OrganisationMeeting, HouseholdGroup, GroupMembership, Snapshot,
                                TownshipMonth]
