"""The register's tables. Every one is an official record: written only through `cunwu.audit.services`, never deleted.

Dates: every `end_date` is exclusive — a membership with start 2020-01-01 and end 2024-03-01 holds up to and
including 2024-02-29; a change on day D ends the old row on D and starts the new row on D. `end_date IS NULL`
means "current". The database holds what it can (unique resident ID, unique 户号 per village, one current head per
household, one current household per person, one current representative per household); the services hold the rest
(overlap of dated rows, exactly one head on every date).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.audit.services import OfficialRecord
from cunwu.i18n import lazy_gettext

_CURRENT = "end_date IS NULL"
_CURRENT_HEAD = "end_date IS NULL AND relation = 'head'"

#: 与户主关系 — the relation to the head, in the order clerks list them.
RELATIONS: dict[str, object] = {
    "head": lazy_gettext("户主"),
    "spouse": lazy_gettext("配偶"),
    "child": lazy_gettext("子女"),
    "parent": lazy_gettext("父母"),
    "grandchild": lazy_gettext("孙子女"),
    "other": lazy_gettext("其他"),
}

STATUSES: dict[str, object] = {
    "resident": lazy_gettext("在村"),
    "away": lazy_gettext("外出务工"),
    "moved_out": lazy_gettext("已迁出"),
    "deceased": lazy_gettext("已故"),
}
#: Statuses that end a person's place in the village (they no longer count as villagers).
GONE = frozenset({"moved_out", "deceased"})

SEXES: dict[str, object] = {"M": lazy_gettext("男"), "F": lazy_gettext("女")}

BODIES: dict[str, object] = {
    "villagers_committee": lazy_gettext("村民委员会"),
    "party_branch": lazy_gettext("党支部"),
    "supervision_committee": lazy_gettext("村务监督委员会"),
}
POSTS: dict[str, object] = {
    "secretary": lazy_gettext("书记"),
    "deputy_secretary": lazy_gettext("副书记"),
    "chair": lazy_gettext("主任"),
    "vice_chair": lazy_gettext("副主任"),
    "member": lazy_gettext("委员"),
}

LINK_KINDS: dict[str, object] = {"split": lazy_gettext("分户"), "merge": lazy_gettext("合户")}


def _partial(name: str, *columns: str, where: str) -> Index:
    """A unique index over current rows only, the same on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


class Village(OfficialRecord, SQLModel, table=True):
    """A village (村民委员会), synced from site.toml at start-up: added and renamed, never deleted."""

    __tablename__ = "registry_village"

    code: str = Field(primary_key=True, max_length=12, description="12-digit statistical code")
    name: str = Field(max_length=100)
    township_code: str = Field(max_length=9)
    township_name: str = Field(max_length=100)

    @property
    def id(self) -> str:
        """The audit chain names a record by `id`; a village is named by its code."""
        return self.code

    @property
    def village_code(self) -> str:
        return self.code


class Group(OfficialRecord, SQLModel, table=True):
    """A villager group (村民小组), numbered 1–99 within its village."""

    __tablename__ = "registry_group"
    __table_args__ = (UniqueConstraint("village_code", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    number: int = Field(ge=1, le=99)
    name: str = Field(max_length=100)

    @property
    def label(self) -> str:
        return f"{self.number:02d} {self.name}"


class Household(OfficialRecord, SQLModel, table=True):
    """A household (户). `number` is the 户号, unique within the village; a closed household keeps its history."""

    __tablename__ = "registry_household"
    __table_args__ = (UniqueConstraint("village_code", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    number: str = Field(max_length=30)
    address: str = Field(default="", max_length=200)
    group_id: int | None = Field(default=None, foreign_key="registry_group.id", index=True)
    created_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    closed_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    close_reason: str | None = Field(default=None, max_length=200)


class HouseholdLink(OfficialRecord, SQLModel, table=True):
    """History of 分户 (split: `source` gave members to the new `target`) and 合户 (merge: `source` joined `target`)."""

    __tablename__ = "registry_household_link"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    kind: str = Field(max_length=10)  # LINK_KINDS
    source_id: int = Field(foreign_key="registry_household.id", index=True)
    target_id: int = Field(foreign_key="registry_household.id", index=True)
    on_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    note: str = Field(default="", max_length=200)


class Person(OfficialRecord, SQLModel, table=True):
    """A person on the register. `village_code` is the village whose register holds the record."""

    __tablename__ = "registry_person"
    __table_args__ = (Index("ix_registry_person_village_name", "village_code", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    name: str = Field(max_length=50)
    sex: str = Field(max_length=1)  # "M" | "F"
    birth_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    resident_id: str = Field(max_length=18, unique=True)
    phone: str | None = Field(default=None, max_length=30)
    ethnicity: str | None = Field(default=None, max_length=20)
    status: str = Field(default="resident", max_length=12)  # STATUSES
    status_since: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    party_member: bool = Field(default=False)
    active_soldier: bool = Field(default=False)
    disabled_veteran: bool = Field(default=False)
    student: bool = Field(default=False)
    disability_grade: int | None = Field(default=None, ge=1, le=4)
    gave_birth_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class Membership(OfficialRecord, SQLModel, table=True):
    """A person's place in a household, with the relation to its head, from `start_date` until `end_date`."""

    __tablename__ = "registry_membership"
    __table_args__ = (
        _partial("uq_registry_membership_current_person", "person_id", where=_CURRENT),
        _partial("uq_registry_membership_current_head", "household_id", where=_CURRENT_HEAD),
        Index("ix_registry_membership_household_dates", "household_id", "start_date"),
        # A village's current members counted from its own entries (the village home, on every view: core_0006).
        Index("ix_registry_membership_village_current", "village_code", sqlite_where=text(_CURRENT),
              postgresql_where=text(_CURRENT)),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    person_id: int = Field(foreign_key="registry_person.id", index=True)
    relation: str = Field(max_length=12)  # RELATIONS
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    end_reason: str | None = Field(default=None, max_length=200)


class Representative(OfficialRecord, SQLModel, table=True):
    """A villager representative (村民代表) for a term. `end_date` set = left office early (exclusive)."""

    __tablename__ = "registry_representative"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    person_id: int = Field(foreign_key="registry_person.id", index=True)
    term_start: dt.date = Field(sa_column=Column(Date, nullable=False))
    term_end: dt.date = Field(sa_column=Column(Date, nullable=False))  # exclusive, usually term_start + 5 years
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    end_reason: str | None = Field(default=None, max_length=200)


class Representation(OfficialRecord, SQLModel, table=True):
    """A household represented by a representative, from `start_date` until `end_date`."""

    __tablename__ = "registry_representation"
    __table_args__ = (_partial("uq_registry_representation_current_household", "household_id", where=_CURRENT),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    representative_id: int = Field(foreign_key="registry_representative.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class Office(OfficialRecord, SQLModel, table=True):
    """A post held in a village body (villagers' committee, party branch, supervision committee) for a term."""

    __tablename__ = "registry_office"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    person_id: int = Field(foreign_key="registry_person.id", index=True)
    body: str = Field(max_length=30)  # BODIES
    post: str = Field(max_length=20)  # POSTS
    term_start: dt.date = Field(sa_column=Column(Date, nullable=False))
    term_end: dt.date = Field(sa_column=Column(Date, nullable=False))  # exclusive
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    end_reason: str | None = Field(default=None, max_length=200)


MODELS: list[type[SQLModel]] = [
    Village, Group, Household, HouseholdLink, Person, Membership, Representative, Representation, Office,
]
