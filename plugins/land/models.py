"""Land tables: the contract register (发包方, 承包方, plots, contracts), transfers of the operating right and what
hangs on them (plots transferred, rent ledger, consents, powers of attorney), and disputes.

The database holds the rules it can hold, on SQLite and PostgreSQL alike:
- codes are unique and of the right length (GB/T 35958-2018, see docs/domain.md §6);
- areas are exact (`Mu`: NUMERIC(14,4) on PostgreSQL, an integer number of 1/10000 亩 on SQLite) and positive;
- a transferred plot row has a positive area and ends after it starts;
- on every date the live first-level transferred area of a plot is at most the plot's area: a trigger on
  `land_transfer_plot` (migration `land_0002`), which on PostgreSQL first locks the plot row so two concurrent
  transfers of the last 亩 queue and the second is refused.

Every table here holds official records: written only through the audit service, never deleted.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Column, Date, Index, Numeric, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine
from sqlmodel import Field, SQLModel

from cunwu.api import Money, OfficialRecord, UTCDateTime, utcnow

from .terms import right_ends

#: One 亩 in square metres (10000/15, docs/domain.md §6.1): areas are stored in 亩, exact to 1/10000.
SQUARE_METRES_PER_MU = Decimal(10000) / Decimal(15)
MU_STEP = Decimal("0.0001")

TRANSFER_FORMS = ("lease", "subcontract", "shares", "other")
TRANSFEREE_KINDS = ("villager", "outsider", "organisation")
#: Transfer states. pending → (posting → [held →] ) ready → filed → ended/terminated; cancelled before filing.
TRANSFER_STATES = ("pending", "posting", "held", "ready", "filed", "ended", "terminated", "cancelled")
#: States whose plots are no longer taken (the area is free again).
RELEASED_STATES = ("ended", "terminated", "cancelled")
USES = ("crops", "vegetables", "orchard", "forestry", "livestock", "aquaculture", "other_agri")
RENT_KINDS = ("cash", "grain")
PAYMENT_SCHEDULES = ("yearly", "half_yearly", "lump_sum")
LAND_TYPES = ("011", "012", "013", "021", "031", "041", "099")
DISPUTE_STEPS = ("negotiation", "village_mediation", "township_mediation", "arbitration", "court")


def to_mu(value: Any) -> Decimal:
    """An area in 亩, exact (strings, ints, Decimals; floats refused), rounded half-up to 1/10000 亩."""
    if isinstance(value, float):
        raise TypeError("an area must not be a float; pass a string or Decimal")
    return Decimal(value).quantize(MU_STEP, rounding=ROUND_HALF_UP)


class Mu(TypeDecorator[Decimal]):
    """An area in 亩: NUMERIC(14,4) on PostgreSQL, an integer count of 1/10000 亩 on SQLite (sums stay exact)."""

    impl = Numeric(14, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 4, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        area = to_mu(value)
        return int(area * 10000) if dialect.name == "sqlite" else area

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 10000).quantize(MU_STEP)
        return to_mu(value)


def _mu(nullable: bool = False) -> Any:
    return Field(default=None if nullable else Decimal("0"), sa_column=Column(Mu, nullable=nullable))


def _date(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(Date, nullable=nullable))


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Issuer(OfficialRecord, SQLModel, table=True):
    """发包方: the village collective (group 00) or a villager group's collective; code = village code + group."""

    __tablename__ = "land_issuer"
    __table_args__ = (CheckConstraint("length(code) = 14", name="code"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=14, unique=True)
    village_code: str = Field(max_length=12, index=True)
    name: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))


class Contractor(OfficialRecord, SQLModel, table=True):
    """承包方: a household of the core register contracting from an issuer; code = issuer code + 4 digits."""

    __tablename__ = "land_contractor"
    __table_args__ = (UniqueConstraint("issuer_id", "household_id"), CheckConstraint("length(code) = 18", name="code"))

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=18, unique=True)
    issuer_id: int = Field(foreign_key="land_issuer.id", index=True)
    village_code: str = Field(max_length=12, index=True)
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    representative_id: int | None = Field(default=None, foreign_key="registry_person.id")
    name: str = Field(max_length=50, description="承包方代表 as on the certificate")


class Contract(OfficialRecord, SQLModel, table=True):
    """A household contract and its certificate (经营权证): code = contractor code + J (household) or Q (other)."""

    __tablename__ = "land_contract"
    __table_args__ = (
        CheckConstraint("length(code) = 19", name="code"),
        CheckConstraint("end_on > start_on", name="term"),
        CheckConstraint("extended_to IS NULL OR extended_to > end_on", name="extension"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=19, unique=True)
    contractor_id: int = Field(foreign_key="land_contractor.id", index=True)
    village_code: str = Field(max_length=12, index=True)
    start_on: dt.date = _date()
    end_on: dt.date = _date()
    extended_to: dt.date | None = _date(nullable=True)
    status: str = Field(default="active", max_length=10)

    @property
    def ends(self) -> dt.date:
        """The last day of the contract right, the second-round extension included."""
        return right_ends(self.end_on, self.extended_to)


class Plot(OfficialRecord, SQLModel, table=True):
    """地块: code = issuer code + 5 digits; area in 亩 exact; optional GeoJSON polygon in CGCS2000 lon/lat."""

    __tablename__ = "land_plot"
    __table_args__ = (
        CheckConstraint("length(code) = 19", name="code"),
        CheckConstraint("area_mu > 0", name="area"),
        CheckConstraint("grade IS NULL OR (grade >= 1 AND grade <= 10)", name="grade"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=19, unique=True)
    issuer_id: int = Field(foreign_key="land_issuer.id", index=True)
    village_code: str = Field(max_length=12, index=True)
    contract_id: int | None = Field(default=None, foreign_key="land_contract.id", index=True)
    name: str = Field(max_length=50)
    area_mu: Decimal = _mu()
    land_type: str = Field(default="013", max_length=3, description="GB/T 21010 class: 011 水田, 012 水浇地, 013 旱地…")
    grade: int | None = Field(default=None)
    east: str = Field(default="", max_length=100)
    south: str = Field(default="", max_length=100)
    west: str = Field(default="", max_length=100)
    north: str = Field(default="", max_length=100)
    geometry: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    measured_mu: Decimal | None = _mu(nullable=True)


class PowerOfAttorney(OfficialRecord, SQLModel, table=True):
    """委托书: a contractor household's written authority for an agent to transfer on its behalf (art. 36,
    docs/domain.md §6.2)."""

    __tablename__ = "land_power"
    __table_args__ = (CheckConstraint("valid_until >= signed_on", name="validity"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    contractor_id: int = Field(foreign_key="land_contractor.id", index=True)
    agent_name: str = Field(max_length=50)
    scope: str = Field(max_length=200)
    signed_on: dt.date = _date()
    valid_until: dt.date = _date()
    recorded_by: str = Field(max_length=200)


class Transfer(OfficialRecord, SQLModel, table=True):
    """A transfer (流转) of the operating right of plots of one contract, for a term, with its rent.

    A re-transfer (再流转) names its `parent_id` and the contractor's written `consent_id`; its plot rows do not
    count again against the plot's area (they are checked against the parent's rows instead).
    """

    __tablename__ = "land_transfer"
    __table_args__ = (
        UniqueConstraint("village_code", "ref"),
        CheckConstraint("end_on > start_on", name="term"),
        CheckConstraint(_in("form", TRANSFER_FORMS), name="form"),
        CheckConstraint(_in("transferee_kind", TRANSFEREE_KINDS), name="transferee_kind"),
        CheckConstraint(_in("status", TRANSFER_STATES), name="status"),
        CheckConstraint(_in("rent_kind", RENT_KINDS), name="rent_kind"),
        CheckConstraint(_in("payment_schedule", PAYMENT_SCHEDULES), name="schedule"),
        CheckConstraint("transferee_kind != 'organisation' OR length(transferee_credit_code) = 18", name="uscc"),
        CheckConstraint("rent_kind != 'grain' OR (grain_kg_per_mu > 0 AND grain_price > 0)", name="grain"),
        CheckConstraint("rent_yuan_per_mu >= 0", name="rent"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=20)
    village_code: str = Field(max_length=12, index=True)
    contract_id: int = Field(foreign_key="land_contract.id", index=True)
    contractor_id: int = Field(foreign_key="land_contractor.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="land_transfer.id", index=True)
    consent_id: int | None = Field(default=None)
    agent_power_id: int | None = Field(default=None, foreign_key="land_power.id")
    form: str = Field(max_length=12)
    transferee_kind: str = Field(max_length=12)
    transferee_name: str = Field(max_length=100)
    transferee_person_id: int | None = Field(default=None, foreign_key="registry_person.id")
    transferee_credit_code: str | None = Field(default=None, max_length=18)
    transferee_address: str = Field(default="", max_length=200)
    start_on: dt.date = _date()
    end_on: dt.date = _date()
    use: str = Field(default="crops", max_length=12)
    rent_kind: str = Field(default="cash", max_length=5)
    rent_yuan_per_mu: Decimal = Field(default=Decimal("0.00"), sa_column=Column(Money, nullable=False))
    grain_kg_per_mu: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 2), nullable=True))
    grain_price: Decimal | None = Field(default=None, sa_column=Column(Numeric(10, 2), nullable=True))
    adjust_every_years: int = Field(default=3)
    payment_schedule: str = Field(default="yearly", max_length=12)
    value: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))
    facilities: str = Field(default="", sa_column=Column(Text, nullable=False))
    breach: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=12, index=True)
    notice_id: int | None = Field(default=None)
    posting_ends_on: dt.date | None = _date(nullable=True)
    hold_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    filed_on: dt.date | None = _date(nullable=True)
    ended_on: dt.date | None = _date(nullable=True)
    end_reason: str | None = Field(default=None, max_length=200)
    verify_token: str = Field(max_length=32, unique=True)
    notes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(default="", max_length=200)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False))

    @property
    def years(self) -> Decimal:
        return Decimal((self.end_on - self.start_on).days) / Decimal("365.25")


class TransferPlot(OfficialRecord, SQLModel, table=True):
    """The area of one plot a transfer takes, from `start_on` up to (not including) `end_on`.

    `live` is false once the transfer is cancelled; an early termination moves `end_on`. `first_level` is false for
    re-transfers. The area rule is a trigger over the live first-level rows of a plot (see the module docstring).
    """

    __tablename__ = "land_transfer_plot"
    __table_args__ = (
        UniqueConstraint("transfer_id", "plot_id"),
        CheckConstraint("area_mu > 0", name="area"),
        CheckConstraint("end_on > start_on", name="term"),
        Index("ix_land_transfer_plot_plot_live", "plot_id", "live", "first_level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="land_transfer.id", index=True)
    plot_id: int = Field(foreign_key="land_plot.id")
    village_code: str = Field(max_length=12)
    area_mu: Decimal = _mu()
    start_on: dt.date = _date()
    end_on: dt.date = _date()
    live: bool = Field(default=True)
    first_level: bool = Field(default=True)


class Consent(OfficialRecord, SQLModel, table=True):
    """The contractor's written consent (书面同意) to a re-transfer by the transferee of `transfer_id`."""

    __tablename__ = "land_consent"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    transfer_id: int = Field(foreign_key="land_transfer.id", index=True)
    signed_on: dt.date = _date()
    document: str = Field(max_length=200, description="what the signed paper is and where it is kept")
    recorded_by: str = Field(max_length=200)


class RentInstalment(OfficialRecord, SQLModel, table=True):
    """One rent instalment owed by a transferee to the contractor household: due, then paid (in full or part)."""

    __tablename__ = "land_rent"
    __table_args__ = (
        UniqueConstraint("transfer_id", "due_on"),
        CheckConstraint("amount >= 0 AND paid_amount >= 0", name="amounts"),
        Index("ix_land_rent_village_due", "village_code", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="land_transfer.id", index=True)
    village_code: str = Field(max_length=12)
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    period_start: dt.date = _date()
    period_end: dt.date = _date()
    due_on: dt.date = _date()
    amount: Decimal = Field(default=Decimal("0.00"), sa_column=Column(Money, nullable=False))
    paid_amount: Decimal = Field(default=Decimal("0.00"), sa_column=Column(Money, nullable=False))
    paid_on: dt.date | None = _date(nullable=True)


class Dispute(OfficialRecord, SQLModel, table=True):
    """A dispute over a plot. While open the plot is frozen: no new transfer, none renewed."""

    __tablename__ = "land_dispute"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_land_dispute_plot_open", "plot_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    plot_id: int = Field(foreign_key="land_plot.id")
    parties: str = Field(max_length=200)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    opened_on: dt.date = _date()
    status: str = Field(default="open", max_length=10)
    closed_on: dt.date | None = _date(nullable=True)
    outcome: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class DisputeStep(OfficialRecord, SQLModel, table=True):
    """One step of a dispute (negotiation → mediation → arbitration → court), dated, with its outcome."""

    __tablename__ = "land_dispute_step"
    __table_args__ = (CheckConstraint(_in("kind", DISPUTE_STEPS), name="kind"),)

    id: int | None = Field(default=None, primary_key=True)
    dispute_id: int = Field(foreign_key="land_dispute.id", index=True)
    village_code: str = Field(max_length=12)
    kind: str = Field(max_length=20)
    on_date: dt.date = _date()
    outcome: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(max_length=200)


MODELS: list[type[SQLModel]] = [
    Issuer, Contractor, Contract, Plot, PowerOfAttorney, Transfer, TransferPlot, Consent, RentInstalment, Dispute,
    DisputeStep,
]
