"""An audit entry: who changed which official record, when, from what to what, chained by SHA-256."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from cunwu.db.types import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor_id: int | None = Field(default=None)
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=100)
    object_type: str = Field(max_length=100)
    object_id: str = Field(max_length=100)
    village_code: str | None = Field(default=None, max_length=12, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Unique: an entry can be followed by only one other, so the chain can never fork, even under concurrency.
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)
