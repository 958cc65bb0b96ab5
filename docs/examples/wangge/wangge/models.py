"""The tables of 网格化管理 (all named wangge_…). Every row is an official record: written only through `audit`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cunwu.api import OfficialRecord, UTCDateTime, lazy_gettext, utcnow

STATUSES: dict[str, object] = {
    "open": lazy_gettext("待处理"),
    "handled": lazy_gettext("已处理，待办结"),
    "closed": lazy_gettext("已办结"),
}


class Grid(OfficialRecord, SQLModel, table=True):
    """A grid (网格): a block of about 300 households of one village, looked after by grid workers."""

    __tablename__ = "wangge_grid"
    __table_args__ = (UniqueConstraint("village_code", "number", name="uq_wangge_grid_village_number"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    number: int
    name: str = Field(max_length=50)


class GridHousehold(OfficialRecord, SQLModel, table=True):
    """A household's place in a grid: one grid per household (moving it is an audited update)."""

    __tablename__ = "wangge_grid_household"

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="wangge_grid.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id", unique=True)


class Worker(OfficialRecord, SQLModel, table=True):
    """A grid worker (网格员): a register person serving a grid from `start_date` until `end_date`."""

    __tablename__ = "wangge_worker"
    __table_args__ = (Index("ix_wangge_worker_person", "person_id", "end_date"),)

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="wangge_grid.id", index=True)
    person_id: int = Field(foreign_key="registry_person.id")
    start_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


class Visit(OfficialRecord, SQLModel, table=True):
    """A visit to a household (入户走访)."""

    __tablename__ = "wangge_visit"

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="wangge_grid.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    visited_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    recorded_by: str = Field(max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Incident(OfficialRecord, SQLModel, table=True):
    """An incident (事件) in a grid: open → handled (with what was done) → closed by the clerk."""

    __tablename__ = "wangge_incident"
    __table_args__ = (Index("ix_wangge_incident_grid_status", "grid_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="wangge_grid.id")
    category: str = Field(max_length=30)
    title: str = Field(max_length=200)
    reported_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(default="open", max_length=10)
    handling: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    handled_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    closed_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))


MODELS: list[type[SQLModel]] = [Grid, GridHousehold, Worker, Visit, Incident]
