"""The co-operative's tables (all `coop_*`, all official records: written through the audit path, never deleted).

Invariants held by the database (proved on SQLite and PostgreSQL in tests/plugins/coop):
- one co-op per 统一社会信用代码; member numbers unique per co-op; a person is an active member of a co-op once;
- the charter's patronage share is 60–100 % and additional votes 0–20 % (checks), whatever the form did;
- a contribution is money, in kind or land rights (never labour, credit or claims) and not negative; a transaction
  has a positive quantity and a non-negative amount; an imported row is recorded once;
- one current close per co-op and year (partial unique index); versions are numbered per co-op and year.

Percentages are whole percents (integers): charters state them that way, and an integer compares the same on both
databases (a `Money` column is stored as hundredths on SQLite, so a CHECK on it would not).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Date, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from cunwu.api import Money, OfficialRecord, UTCDateTime, lazy_gettext

LEVELS = {"village": lazy_gettext("村级"), "township": lazy_gettext("乡镇级")}
MEMBER_KINDS = {"farmer": lazy_gettext("农民成员"), "person": lazy_gettext("非农民个人成员"),
                "organisation": lazy_gettext("企业、事业单位或社会组织成员")}
CONTRIBUTION_KINDS = {"money": lazy_gettext("货币出资"), "in_kind": lazy_gettext("实物出资（作价）"),
                      "land": lazy_gettext("土地经营权作价出资")}
#: Refused outright (农民专业合作社法 art. 13, docs/domain.md §7.2): what the form offers so that the refusal can
#: say why.
REFUSED_KINDS = {"labour": lazy_gettext("劳务"), "credit": lazy_gettext("信用"), "claim": lazy_gettext("债权")}
BASES = {"transactions": lazy_gettext("按交易量（额）"), "contribution": lazy_gettext("按出资额"),
         "equal": lazy_gettext("平均")}
RESOLUTION_KINDS = {"ordinary": lazy_gettext("一般事项（过半数）"), "charter": lazy_gettext("修改章程（三分之二以上）"),
                    "merger": lazy_gettext("合并（三分之二以上）"), "split": lazy_gettext("分立（三分之二以上）"),
                    "dissolution": lazy_gettext("解散（三分之二以上）")}


class Cooperative(OfficialRecord, SQLModel, table=True):
    """A 农民专业合作社 seated in a village (`village_code`), run at village or township level (`level`).

    Permission checks use `scope_code`: the village for a village co-op, the township (9 digits) for a township
    one, so a village clerk runs his village's co-ops and a township official the township's.
    """

    __tablename__ = "coop_cooperative"
    __table_args__ = (
        CheckConstraint("patronage_percent >= 60 AND patronage_percent <= 100", name="patronage_at_least_60"),
        CheckConstraint("additional_votes_percent >= 0 AND additional_votes_percent <= 20",
                        name="additional_votes_at_most_20"),
        CheckConstraint("reserve_percent >= 0 AND reserve_percent <= 100", name="reserve_percent"),
        CheckConstraint("level IN ('village', 'township')", name="level"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12, index=True)
    level: str = Field(default="village", max_length=10)
    name: str = Field(max_length=100)
    credit_code: str = Field(max_length=18, unique=True)
    registered_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    business_scope: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    reserve_percent: int = Field(default=10)
    patronage_percent: int = Field(default=60)
    additional_votes_percent: int = Field(default=0)
    additional_votes_basis: str = Field(default="contribution", max_length=12)  # BASES (not "equal")
    reserve_basis: str = Field(default="transactions", max_length=12)  # BASES
    subsidy_basis: str = Field(default="equal", max_length=12)  # BASES
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))

    @property
    def scope_code(self) -> str:
        return self.village_code if self.level == "village" else self.village_code[:9]


class Member(OfficialRecord, SQLModel, table=True):
    """A line of the member roll (成员名册). Persons come from the core register (`person_id`); organisations carry
    their own name and credit code. An exit takes effect at a year close (`exit_year`, `exited_on`)."""

    __tablename__ = "coop_member"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "number"),
        CheckConstraint("kind IN ('farmer', 'person', 'organisation')", name="kind"),
        CheckConstraint("(kind = 'organisation') = (person_id IS NULL)", name="person_or_organisation"),
        Index("uq_coop_member_active_person", "cooperative_id", "person_id", unique=True,
              sqlite_where=text("exited_on IS NULL AND person_id IS NOT NULL"),
              postgresql_where=text("exited_on IS NULL AND person_id IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    number: int = Field(ge=1)
    kind: str = Field(max_length=12)  # MEMBER_KINDS
    person_id: int | None = Field(default=None, foreign_key="registry_person.id", index=True)
    name: str = Field(max_length=100)
    credit_code: str | None = Field(default=None, max_length=18)
    joined_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    exit_notice_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    exit_year: int | None = Field(default=None)
    exited_on: dt.date | None = Field(default=None, sa_column=Column(Date, nullable=True))

    @property
    def key(self) -> str:
        """The member's tie-break key in the largest-remainder rule: the member number, zero-padded."""
        return f"{self.number:06d}"


class Contribution(OfficialRecord, SQLModel, table=True):
    """A line of the capital ledger (出资): money, goods in kind at their agreed value, or land operating rights
    (`pending_valuation` while a land right awaits its 作价). Exit refunds are lines of the year close
    (`Allocation.refund_contribution`). `source_ref` makes a contribution from elsewhere (a land transfer)
    idempotent."""

    __tablename__ = "coop_contribution"
    __table_args__ = (
        CheckConstraint("kind IN ('money', 'in_kind', 'land')", name="kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        UniqueConstraint("cooperative_id", "source_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12, index=True)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    member_id: int = Field(foreign_key="coop_member.id", index=True)
    kind: str = Field(max_length=10)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    description: str = Field(default="", max_length=300)
    contributed_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    source_ref: str | None = Field(default=None, max_length=80)
    pending_valuation: bool = Field(default=False)


class Trade(OfficialRecord, SQLModel, table=True):
    """A transaction of the co-op (交易): with a member (`member_id`) or a non-member (`counterparty`), kept apart.

    `import_key` is the SHA-256 of the imported row's content, so importing the same file twice adds nothing."""

    __tablename__ = "coop_trade"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        UniqueConstraint("cooperative_id", "import_key"),
        Index("ix_coop_trade_coop_date", "cooperative_id", "traded_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id")
    member_id: int | None = Field(default=None, foreign_key="coop_member.id", index=True)
    counterparty: str = Field(default="", max_length=100)
    product: str = Field(max_length=100)
    quantity: Decimal = Field(sa_column=Column(Money, nullable=False))
    unit: str = Field(default="", max_length=20)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    traded_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    import_key: str | None = Field(default=None, max_length=64)


class YearClose(OfficialRecord, SQLModel, table=True):
    """The close of a financial year (年终决算) and its surplus distribution. Immutable once written: a correction is
    a new version with a reason, and the old one stops being current."""

    __tablename__ = "coop_year_close"
    __table_args__ = (
        UniqueConstraint("cooperative_id", "year", "version"),
        Index("uq_coop_year_close_current", "cooperative_id", "year", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
        CheckConstraint("patronage_percent >= 60 AND patronage_percent <= 100", name="patronage_at_least_60"),
        CheckConstraint("distributable >= 0", name="distributable_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    year: int = Field(ge=1900, le=2999)
    version: int = Field(ge=1)
    is_current: bool = Field(default=True)
    reason: str = Field(default="", max_length=300)
    surplus: Decimal = Field(sa_column=Column(Money, nullable=False))
    losses_made_good: Decimal = Field(sa_column=Column(Money, nullable=False))
    reserve: Decimal = Field(sa_column=Column(Money, nullable=False))
    subsidy_assets: Decimal = Field(sa_column=Column(Money, nullable=False))
    distributable: Decimal = Field(sa_column=Column(Money, nullable=False))
    patronage_percent: int
    patronage_pool: Decimal = Field(sa_column=Column(Money, nullable=False))
    other_pool: Decimal = Field(sa_column=Column(Money, nullable=False))
    member_turnover: Decimal = Field(sa_column=Column(Money, nullable=False))
    nonmember_turnover: Decimal = Field(sa_column=Column(Money, nullable=False))
    closed_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    closed_by: str = Field(max_length=200)
    notice_id: int | None = Field(default=None)


class Allocation(OfficialRecord, SQLModel, table=True):
    """One member's line of a year close: their account figures, what they get, and any exit refund."""

    __tablename__ = "coop_allocation"
    __table_args__ = (UniqueConstraint("close_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    # Both looked up through the unique (close_id, member_id) index: a member's lines by way of the co-op's closes.
    close_id: int = Field(foreign_key="coop_year_close.id")
    member_id: int = Field(foreign_key="coop_member.id")
    trade_quantity: Decimal = Field(sa_column=Column(Money, nullable=False))
    trade_amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    contribution: Decimal = Field(sa_column=Column(Money, nullable=False))
    reserve_added: Decimal = Field(sa_column=Column(Money, nullable=False))
    reserve_share: Decimal = Field(sa_column=Column(Money, nullable=False))
    subsidy_added: Decimal = Field(sa_column=Column(Money, nullable=False))
    subsidy_share: Decimal = Field(sa_column=Column(Money, nullable=False))
    patronage: Decimal = Field(sa_column=Column(Money, nullable=False))
    other: Decimal = Field(sa_column=Column(Money, nullable=False))
    refund_contribution: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))
    refund_reserve: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))


class AnnualReport(OfficialRecord, SQLModel, table=True):
    """The annual report for `year` sent to the market-regulation registry (due 1 January – 30 June of year + 1)."""

    __tablename__ = "coop_annual_report"
    __table_args__ = (UniqueConstraint("cooperative_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    year: int = Field(ge=1900, le=2999)
    submitted_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    recorded_by: str = Field(max_length=200)


class Assembly(OfficialRecord, SQLModel, table=True):
    """A member assembly (成员大会): who was present and the additional votes disclosed at it (`additional_votes`
    maps member id → votes, shown with the minutes)."""

    __tablename__ = "coop_assembly"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    cooperative_id: int = Field(foreign_key="coop_cooperative.id", index=True)
    held_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    title: str = Field(max_length=200)
    members: int = Field(ge=1)
    present: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    additional_votes: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    quorum_met: bool


class Resolution(OfficialRecord, SQLModel, table=True):
    """A resolution put to an assembly: weighted votes for / against / abstaining, and the outcome by its kind."""

    __tablename__ = "coop_resolution"
    __table_args__ = (CheckConstraint("votes_for + against + abstain <= total_votes", name="counts"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    assembly_id: int = Field(foreign_key="coop_assembly.id", index=True)
    kind: str = Field(max_length=12)  # RESOLUTION_KINDS
    title: str = Field(max_length=200)
    total_votes: int = Field(ge=1)
    votes_for: int = Field(ge=0)
    against: int = Field(ge=0)
    abstain: int = Field(ge=0)
    passed: bool


MODELS: list[type[SQLModel]] = [Cooperative, Member, Contribution, Trade, YearClose, Allocation, AnnualReport,
                                Assembly, Resolution]
