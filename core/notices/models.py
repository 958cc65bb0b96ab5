"""Notice board tables.

A notice is a series of versions that share `series` (a random key): each published version is immutable, a
correction adds a new row (`version` + 1, `supersedes_id` pointing back) and marks the old one superseded. Exactly
one row per series is `current` (a partial unique index holds that on both databases).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.audit.services import OfficialRecord
from cunwu.db.types import Money, UTCDateTime, utcnow

STREAMS = ("party", "village", "finance")
STATUSES = ("draft", "published", "withdrawn")


class Notice(OfficialRecord, SQLModel, table=True):
    """One version of a notice on a board (`series` ties the versions; a correction is a new version, never an
    edit). `origin_kind` / `origin_ref` tell a plugin the notice is its own."""

    __tablename__ = "notices_notice"
    __table_args__ = (
        UniqueConstraint("series", "version"),
        Index("ix_notices_notice_current_series", "series", unique=True,
              sqlite_where=text("is_current = 1"), postgresql_where=text("is_current")),
        Index("ix_notices_notice_board", "village_code", "status", "is_current", "window_end"),
        # the disclosure calendar's "latest 村务 notice per village" (queries.overdue), answered from the index
        Index("ix_notices_notice_latest", "village_code", "stream", "status", "is_current", "window_start"),
        Index("ix_notices_notice_published_at", "published_at"),
        CheckConstraint("stream IN ('party', 'village', 'finance')", name="stream"),
        CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="status"),
        CheckConstraint("window_end IS NULL OR window_end >= window_start", name="window"),
        CheckConstraint("status = 'draft' OR content_hash IS NOT NULL", name="published_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series: str = Field(max_length=32)
    version: int = Field(default=1)
    is_current: bool = Field(default=True)
    supersedes_id: int | None = Field(default=None, foreign_key="notices_notice.id")
    village_code: str = Field(max_length=12, index=True)
    stream: str = Field(max_length=10)
    category: str = Field(max_length=40)
    kind: str = Field(default="text", max_length=10, description="text | finance")
    title: str = Field(max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    data_table: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    status: str = Field(default="draft", max_length=10)
    window_days: int = Field(default=7)
    window_start: dt.date | None = Field(default=None)
    window_end: dt.date | None = Field(default=None)
    origin_kind: str = Field(default="clerk", max_length=40)
    origin_ref: str | None = Field(default=None, max_length=64)
    origin_url: str | None = Field(default=None, max_length=300)
    correction_note: str | None = Field(default=None, max_length=500)
    content_hash: str | None = Field(default=None, max_length=64)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    created_by: str = Field(default="", max_length=200)
    published_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    published_by: str | None = Field(default=None, max_length=200)
    withdrawn_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    withdrawn_by: str | None = Field(default=None, max_length=200)
    withdrawn_reason: str | None = Field(default=None, max_length=500)


class NoticeAttachment(SQLModel, table=True):
    """A file of a notice version, kept in the database so every worker and host serves the same bytes.

    Not an official record row by row (the bytes do not belong in audit JSON); its SHA-256 is part of the notice's
    content hash, which is in the audit chain, and attachments can change only while the notice is a draft.
    """

    __tablename__ = "notices_attachment"

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notices_notice.id", index=True)
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class FinanceStatement(OfficialRecord, SQLModel, table=True):
    """The structured part of a 财务 notice version: a period and its reconciled balances."""

    __tablename__ = "notices_finance"
    __table_args__ = (CheckConstraint("period_kind IN ('month', 'quarter')", name="period_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notices_notice.id", unique=True)
    village_code: str = Field(max_length=12, index=True)
    period_kind: str = Field(max_length=10, description="month | quarter")
    period_start: dt.date
    period_end: dt.date
    opening: Decimal = Field(sa_column=Column(Money, nullable=False))
    income_total: Decimal = Field(sa_column=Column(Money, nullable=False))
    expenditure_total: Decimal = Field(sa_column=Column(Money, nullable=False))
    closing: Decimal = Field(sa_column=Column(Money, nullable=False))


class FinanceLine(SQLModel, table=True):
    """One income or expenditure line; written with its statement and never changed (covered by the hash)."""

    __tablename__ = "notices_finance_line"
    __table_args__ = (CheckConstraint("direction IN ('income', 'expenditure')", name="direction"),
                      CheckConstraint("amount >= 0", name="amount"))

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="notices_finance.id", index=True)
    direction: str = Field(max_length=12, description="income | expenditure")
    position: int
    item: str = Field(max_length=200)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))


class Objection(OfficialRecord, SQLModel, table=True):
    """An objection (异议) raised during a notice's window, and the clerk's answer on the record.

    The objector's name and phone live in `ObjectionContact`, outside the audit snapshots, so that only the roles
    holding `notices.view_objector` ever see them.
    """

    __tablename__ = "notices_objection"
    __table_args__ = (CheckConstraint("status IN ('open', 'answered')", name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notices_notice.id", index=True)
    series: str = Field(max_length=32, index=True)
    village_code: str = Field(max_length=12, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    user_id: int | None = Field(default=None)
    status: str = Field(default="open", max_length=10, description="open | answered")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    answer: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    answered_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    answered_by: str | None = Field(default=None, max_length=200)


class ObjectionContact(SQLModel, table=True):
    """Who raised an objection: kept for the clerk to reply, never published, never in the audit JSON."""

    __tablename__ = "notices_objection_contact"

    objection_id: int = Field(primary_key=True, foreign_key="notices_objection.id")
    name: str = Field(max_length=100)
    phone: str = Field(default="", max_length=20)


class BoardGeneration(SQLModel, table=True):
    """Per-village change counter, bumped in the same transaction as any public change.

    It is part of every public page's cache key, so a cached page can never outlive the change that made it stale,
    on any worker or host; the site-wide key is the sum over villages (no hot row).
    """

    __tablename__ = "notices_generation"

    village_code: str = Field(primary_key=True, max_length=12)
    counter: int = Field(default=0)
    changed_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


MODELS = (Notice, NoticeAttachment, FinanceStatement, FinanceLine, Objection, ObjectionContact, BoardGeneration)
