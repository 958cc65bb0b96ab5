"""An audit entry: who changed which official record, when, from what to what, chained by SHA-256."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Index, Integer, Text
from sqlmodel import Field, SQLModel

from cunwu.db.types import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_object", "object_type", "object_id"),
        # A village's entries in order: its history, and its newest entry (a cache's version) as one index descent.
        Index("ix_audit_entry_village_id", "village_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor_id: int | None = Field(default=None)
    actor_label: str = Field(max_length=200)
    action: str = Field(max_length=100)
    object_type: str = Field(max_length=100)
    object_id: str = Field(max_length=100)
    village_code: str | None = Field(default=None, max_length=12)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Unique: an entry can be followed by only one other, so the chain can never fork, even under concurrency.
    prev_hash: str = Field(max_length=64, unique=True)
    hash: str = Field(max_length=64, unique=True)


class AuditRow(SQLModel, table=True):
    """Records written by a batch entry (`service.insert_batch`): up to `ROWS_PER_CHUNK` full rows as the chain's JSON
    text, one line each in id order, keyed by the batch entry and the first record's id.

    The batch entry's `after` holds the count and the SHA-256 over these lines (each plus a newline) in id order, so
    the chain commits to every row without an entry (and two random-hash index insertions) per row; `verify_chain`
    re-hashes them and `verify_records` compares each line with its record, naming a single edited row. Stored as
    text, not JSON, so the bytes hashed are the bytes read back (JSON text never holds a raw newline). A thousand
    records to a row: one narrow key per thousand, not per record (migration core_0005 merged the rows of one
    record each). No rowid on SQLite: the key is the only index, filled in order.
    """

    __tablename__ = "audit_row"
    __table_args__ = {"sqlite_with_rowid": False}

    entry_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    object_id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    after: str = Field(sa_column=Column(Text, nullable=False))
