"""低保 tables. The database itself holds the money invariants, on SQLite and PostgreSQL alike:

- one live case per household (`uq_dibao_case_live_household`, partial: refused/stopped/withdrawn cases are history);
- one entitlement per household per month (`uq_dibao_entitlement_household_month`);
- at most one live payment per entitlement (`uq_dibao_payment_live_entitlement`, partial: a failed or cancelled
  payment may be re-issued, a pending/exported/paid one never);
- one cycle per month, one batch per cycle, bank and round;
- money is never negative and a payment never exceeds what it pays (CHECK constraints).

Cases, standards, incomes, visits, decisions and assessments are official records (written only through
`cunwu.audit.services`). Cycles, entitlements, batches and payments are written in bulk with
`INSERT ... ON CONFLICT DO NOTHING` (that is what makes concurrent runs safe); every such write is recorded in the
audit chain by the services with `audit.record`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Date, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.api import Money, OfficialRecord, UTCDateTime, utcnow

#: Case states, in the order a case moves through them.
CASE_STATES = ("applied", "proposed", "posting", "democratic_review", "enrolled", "refused", "stopped", "withdrawn")
#: States of a case that is over: a household may apply again.
CLOSED_STATES = ("refused", "stopped", "withdrawn")
#: Payment states; `failed` and `cancelled` are dead (the entitlement may be paid by a new payment).
PAYMENT_STATES = ("pending", "exported", "paid", "failed", "cancelled")
DEAD_PAYMENT_STATES = ("failed", "cancelled")
INCOME_KINDS = ("wages", "farming", "pension", "transfer", "other")

_LIVE_CASE = "status NOT IN ('refused', 'stopped', 'withdrawn')"
_LIVE_PAYMENT = "status NOT IN ('failed', 'cancelled')"


def _partial(name: str, *columns: str, where: str) -> Index:
    """A unique index over the live rows only, the same on SQLite and PostgreSQL."""
    return Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))


def _money(nullable: bool = False) -> Any:
    return Field(default=None if nullable else Decimal("0.00"), sa_column=Column(Money, nullable=nullable))


class Standard(OfficialRecord, SQLModel, table=True):
    """A 低保 standard in yuan per person per month for an area and kind, in force from `effective_from`.

    Never changed: a new standard is a new row, so the history stays and each month uses the one in force.
    """

    __tablename__ = "dibao_standard"
    __table_args__ = (
        UniqueConstraint("area", "kind", "effective_from"),
        CheckConstraint("kind IN ('rural', 'urban')", name="kind"),
        CheckConstraint("monthly_amount > 0", name="positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area: str = Field(max_length=12, description="division code of the area (county, township or village)")
    kind: str = Field(max_length=5)
    monthly_amount: Decimal = _money()
    effective_from: dt.date = Field(sa_column=Column(Date, nullable=False))
    note: str = Field(default="", max_length=200)
    set_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Case(OfficialRecord, SQLModel, table=True):
    """A household's 低保 case, from application to enrolment and on (reviews, stop).

    `covered` is the list of covered persons `[{"person_id", "serious_illness", "severe_disability"}]` as the
    clerk recorded it (单人保 when fewer than the household's members); the amount paid each month comes from the
    case's `Assessment` in force that month, never from these working fields directly.
    """

    __tablename__ = "dibao_case"
    __table_args__ = (
        _partial("uq_dibao_case_live_household", "household_id", where=_LIVE_CASE),
        CheckConstraint(
            "status IN ('applied', 'proposed', 'posting', 'democratic_review', 'enrolled', 'refused', 'stopped', "
            "'withdrawn')", name="status"),
        CheckConstraint("kind IN ('rural', 'urban')", name="kind"),
        CheckConstraint("household_size >= 1", name="size"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    applicant_id: int = Field(foreign_key="registry_person.id")
    kind: str = Field(default="rural", max_length=5)
    review_category: str = Field(default="stable", max_length=20)
    status: str = Field(default="applied", max_length=20, index=True)
    applied_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    check_due_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    household_size: int = Field(default=1)
    covered: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    proposed_amount: Decimal | None = _money(nullable=True)
    township_opinion: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    opinion_by: str | None = Field(default=None, max_length=200)
    opinion_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    notice_id: int | None = Field(default=None, description="the current 公示 notice (notice board id)")
    posting_ends_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    confirm_due_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    reviewed_democratically: bool = Field(default=False)
    meeting_id: int | None = Field(default=None, description="the 民主评议 meeting (core meetings id)")
    review_result: str | None = Field(default=None, max_length=20, description="approved | rejected")
    decided_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    decided_by: str | None = Field(default=None, max_length=200)
    refusal_reasons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    first_month: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    next_review_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    bank_code: str = Field(default="", max_length=20)
    account_number: str = Field(default="", max_length=40)
    account_holder: str = Field(default="", max_length=50)


class Income(OfficialRecord, SQLModel, table=True):
    """One monthly income item of a household member (wages, farming, pension, transfers, other)."""

    __tablename__ = "dibao_income"
    __table_args__ = (
        CheckConstraint("kind IN ('wages', 'farming', 'pension', 'transfer', 'other')", name="kind"),
        CheckConstraint("monthly_amount >= 0", name="not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    person_id: int = Field(foreign_key="registry_person.id")
    kind: str = Field(max_length=10)
    monthly_amount: Decimal = _money()
    note: str = Field(default="", max_length=200)
    withdrawn: bool = Field(default=False)


class PropertyCheck(OfficialRecord, SQLModel, table=True):
    """The investigator's answer to one of the site's property rules for a case."""

    __tablename__ = "dibao_property_check"
    __table_args__ = (UniqueConstraint("case_id", "rule"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    rule: str = Field(max_length=200)
    passed: bool
    note: str = Field(default="", max_length=200)


class Visit(OfficialRecord, SQLModel, table=True):
    """A home visit (入户调查): who went, when, what they found."""

    __tablename__ = "dibao_visit"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    visited_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    visitors: str = Field(max_length=200)
    findings: str = Field(sa_column=Column(Text, nullable=False))


class Evidence(SQLModel, table=True):
    """An evidence file (stored in the database) for a case: income proof, property proof, visit photo.

    Not an official-record row (the audit chain holds JSON, not files): its upload is audited by name and
    SHA-256, and it is never changed or deleted.
    """

    __tablename__ = "dibao_evidence"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    topic: str = Field(max_length=10, description="income | property | visit")
    filename: str = Field(max_length=200)
    content_type: str = Field(max_length=60)
    size: int
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Assessment(OfficialRecord, SQLModel, table=True):
    """What a case is paid from `effective_month` on, until the next assessment: the facts of the benefit.

    `mode` "pay" computes the benefit each month with the standard then in force; "phase_out" holds
    `held_amount` for the phase-out months counted from `effective_month`; "stop" pays nothing.
    """

    __tablename__ = "dibao_assessment"
    __table_args__ = (
        UniqueConstraint("case_id", "effective_month"),
        CheckConstraint("mode IN ('pay', 'phase_out', 'stop')", name="mode"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    effective_month: dt.date = Field(sa_column=Column(Date, nullable=False))
    mode: str = Field(default="pay", max_length=10)
    household_income: Decimal = _money()
    household_size: int = Field(default=1)
    covered: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    held_amount: Decimal | None = _money(nullable=True)


class Decision(OfficialRecord, SQLModel, table=True):
    """A written decision on a case: confirm, refuse, review, increase, reduce, phase-out, stop."""

    __tablename__ = "dibao_decision"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    village_code: str = Field(max_length=12)
    kind: str = Field(max_length=12)
    effective_month: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    amount_before: Decimal | None = _money(nullable=True)
    amount_after: Decimal | None = _money(nullable=True)
    reasons: str = Field(sa_column=Column(Text, nullable=False))
    decided_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    decided_by: str = Field(max_length=200)


class Cycle(SQLModel, table=True):
    """The monthly disbursement cycle: entitlements computed → approved → batches → exported → reconciled."""

    __tablename__ = "dibao_cycle"
    __table_args__ = (CheckConstraint("status IN ('computed', 'approved')", name="status"),)

    id: int | None = Field(default=None, primary_key=True)
    month: dt.date = Field(sa_column=Column(Date, nullable=False, unique=True))
    status: str = Field(default="computed", max_length=10)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))
    approved_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    approved_by: str | None = Field(default=None, max_length=200)


class Entitlement(SQLModel, table=True):
    """What one household is owed for one month. Exactly one per household and month, enforced by the database."""

    __tablename__ = "dibao_entitlement"
    __table_args__ = (
        UniqueConstraint("household_id", "month", name="uq_dibao_entitlement_household_month"),
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_dibao_entitlement_cycle_village", "cycle_id", "village_code"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="dibao_cycle.id")
    month: dt.date = Field(sa_column=Column(Date, nullable=False))
    case_id: int = Field(foreign_key="dibao_case.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    village_code: str = Field(max_length=12)
    covered_count: int
    standard: Decimal = _money()
    amount: Decimal = _money()
    extras: Decimal = _money()
    categories: str = Field(default="", max_length=100, description="extra-support categories, comma-separated")
    rule: str = Field(default="", sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Batch(SQLModel, table=True):
    """Payments sent to one bank in one file. `round` 0 is the month's batch, 1, 2, ... re-issue failed ones.

    Once exported (`file_sha256` set) a batch never changes: its payments, totals and file are fixed.
    """

    __tablename__ = "dibao_batch"
    __table_args__ = (
        UniqueConstraint("cycle_id", "bank_code", "round"),
        CheckConstraint("status IN ('open', 'exported', 'reconciled')", name="status"),
        CheckConstraint("control_count >= 0 AND control_total >= 0", name="totals"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cycle_id: int = Field(foreign_key="dibao_cycle.id", index=True)
    bank_code: str = Field(max_length=20)
    round: int = Field(default=0)
    status: str = Field(default="open", max_length=10)
    control_count: int = Field(default=0)
    control_total: Decimal = _money()
    file_format: str | None = Field(default=None, max_length=4)
    file_name: str | None = Field(default=None, max_length=100)
    file_sha256: str | None = Field(default=None, max_length=64)
    file_data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    exported_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    exported_by: str | None = Field(default=None, max_length=200)
    return_sha256: str | None = Field(default=None, max_length=64)
    reconciled_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class Payment(SQLModel, table=True):
    """One transfer of one entitlement to the account snapshotted here. Never two live ones per entitlement."""

    __tablename__ = "dibao_payment"
    __table_args__ = (
        _partial("uq_dibao_payment_live_entitlement", "entitlement_id", where=_LIVE_PAYMENT),
        UniqueConstraint("entitlement_id", "attempt"),
        CheckConstraint("status IN ('pending', 'exported', 'paid', 'failed', 'cancelled')", name="status"),
        CheckConstraint("amount > 0", name="positive"),
        Index("ix_dibao_payment_batch_status", "batch_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entitlement_id: int = Field(foreign_key="dibao_entitlement.id", index=True)
    batch_id: int = Field(foreign_key="dibao_batch.id")
    attempt: int = Field(default=1)
    month: dt.date = Field(sa_column=Column(Date, nullable=False))
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    village_code: str = Field(max_length=12)
    amount: Decimal = _money()
    payee: str = Field(max_length=50)
    bank_code: str = Field(max_length=20)
    account_number: str = Field(max_length=40)
    status: str = Field(default="pending", max_length=10)
    failure_reason: str | None = Field(default=None, max_length=200)
    bank_reference: str | None = Field(default=None, max_length=64)
    settled_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


MODELS: list[type[SQLModel]] = [
    Standard, Case, Income, PropertyCheck, Visit, Evidence, Assessment, Decision, Cycle, Entitlement, Batch, Payment,
]
