"""Accounts tables: users and their scoped role grants (official records: granted and revoked on the record)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from cunwu.audit.services import OfficialRecord
from cunwu.db.types import UTCDateTime, utcnow


class User(OfficialRecord, SQLModel, table=True):
    __tablename__ = "accounts_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20)
    person_id: int | None = Field(default=None, description="the register entry of a villager account")
    locale: str | None = Field(default=None, max_length=10)
    is_active: bool = Field(default=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class RoleGrant(OfficialRecord, SQLModel, table=True):
    __tablename__ = "accounts_role_grant"
    __table_args__ = (Index("ix_accounts_role_grant_user_live", "user_id", "revoked_at"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="accounts_user.id")
    role: str = Field(max_length=40)
    scope_kind: str = Field(max_length=10)
    scope_code: str = Field(default="", max_length=12)
    granted_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
