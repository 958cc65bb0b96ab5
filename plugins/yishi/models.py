"""The 一事一议 tables. Every row is an official record (written through `cunwu.audit.services`, never deleted).

What the database itself holds, on SQLite and PostgreSQL alike:
- one requester row per person and project; one hardship reduction per household and project;
- one share per household, project and share round (a returned plan is recomputed as a new round; the old round
  stays on the record); a share's money and labour due follow from the computed amounts and any 以资代劳
  conversion, and what is paid or delivered can never exceed what is due (CHECK constraints);
- a collection carries the household's running total after it (`paid_after`), unique per share: two clerks who
  record the same payment at once both compute the same running total, and the second insert fails;
- one vote result per project; one one-time code per household and project, stored as a SHA-256 hash (unique);
  one online ballot per household and project and per code (unique), so a code is used once and a household votes
  once, whatever the concurrency.

Workdays use the `Money` column type: it is the exact two-decimal type of the framework (integer hundredths on
SQLite, NUMERIC(14,2) on PostgreSQL), which is what a workday count with two decimals needs.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Column, Date, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cunwu.api import Money, OfficialRecord, UTCDateTime, lazy_gettext

KINDS: dict[str, object] = {
    "irrigation": lazy_gettext("小型农田水利"),
    "road": lazy_gettext("村内道路"),
    "trees": lazy_gettext("植树造林"),
    "land_improvement": lazy_gettext("土地整治"),
    "other_public_works": lazy_gettext("其他村内公益事业"),
    "public_finance": lazy_gettext("应由财政负担的事项"),
    "enterprise_debt": lazy_gettext("偿还企业债务"),
    "village_debt": lazy_gettext("偿还村级债务"),
    "village_administration": lazy_gettext("村级组织运转"),
}

ORIGINS: dict[str, object] = {
    "committee": lazy_gettext("村民委员会提议"),
    "villagers": lazy_gettext("十分之一以上村民联名提议"),
    "representatives": lazy_gettext("五分之一以上村民代表联名提议"),
}

#: The life of a project, in order. `returned` goes back to `approved` work (shares and plan are redone).
STATUSES: dict[str, object] = {
    "proposed": lazy_gettext("已提议"),
    "published": lazy_gettext("方案已公示，待表决"),
    "rejected": lazy_gettext("表决未通过"),
    "approved": lazy_gettext("表决通过，待核定分摊"),
    "shares_fixed": lazy_gettext("分摊已核定，待报乡镇审核"),
    "submitted": lazy_gettext("乡镇审核中"),
    "returned": lazy_gettext("乡镇退回"),
    "reviewed": lazy_gettext("乡镇已审核，待县级备案"),
    "filed": lazy_gettext("县级已备案，筹资筹劳中"),
    "completed": lazy_gettext("已完工，账目已公开"),
}

#: The stages as a chart names them (the full wording is STATUSES).
STAGES: dict[str, object] = {
    "proposed": lazy_gettext("已提议"), "published": lazy_gettext("公示待表决"), "rejected": lazy_gettext("未通过"),
    "approved": lazy_gettext("待核定分摊"), "shares_fixed": lazy_gettext("待报审核"),
    "submitted": lazy_gettext("乡镇审核中"), "returned": lazy_gettext("乡镇退回"),
    "reviewed": lazy_gettext("待县级备案"), "filed": lazy_gettext("筹资筹劳中"), "completed": lazy_gettext("已完工"),
}

VOTE_SOURCES: dict[str, object] = {
    "hands": lazy_gettext("举手表决"),
    "ballot": lazy_gettext("纸质投票"),
    "online": lazy_gettext("户代表凭码在线表决"),
}


class Project(OfficialRecord, SQLModel, table=True):
    """A 一事一议 project: the proposal, the plan voted on, and where it stands.

    `dibao_households` lists the households the clerk marked as 低保 on the reference date (money exemption where
    the site says so; the register keeps no 低保 flag). `requesters_base` is the register count the requesters
    were measured against on `proposed_on` (villagers of voting age, or serving representatives); 0 for a committee
    proposal. `share_round` names the current round of shares. The notice ids point at the board notices this
    project published (plan, burden list, account).
    """

    __tablename__ = "yishi_project"
    __table_args__ = (
        CheckConstraint("budget > 0", name="budget_positive"),
        CheckConstraint("money_per_person >= 0", name="money_rate_not_negative"),
        CheckConstraint("workdays_per_labourer >= 0", name="labour_rate_not_negative"),
        Index("ix_yishi_project_village_year", "village_code", "year"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(foreign_key="registry_village.code", max_length=12)
    kind: str = Field(max_length=40)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    beneficiaries: str = Field(default="", max_length=500)
    budget: Decimal = Field(sa_column=Column(Money, nullable=False))
    money_per_person: Decimal = Field(sa_column=Column(Money, nullable=False))
    workdays_per_labourer: Decimal = Field(sa_column=Column(Money, nullable=False))
    year: int = Field(ge=1900, le=2999)
    reference_date: dt.date = Field(sa_column=Column(Date, nullable=False))
    origin: str = Field(max_length=20)  # ORIGINS
    proposed_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    requesters_base: int = Field(default=0, ge=0)
    status: str = Field(default="proposed", max_length=20)  # STATUSES
    matching_ratio: Decimal | None = Field(default=None, sa_column=Column(Money, nullable=True))
    matter_id: int | None = Field(default=None, foreign_key="meetings_matter.id")
    plan_notice_id: int | None = Field(default=None)
    burden_notice_id: int | None = Field(default=None)
    account_notice_id: int | None = Field(default=None)
    share_round: int = Field(default=0, ge=0)
    dibao_households: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class Requester(OfficialRecord, SQLModel, table=True):
    """A villager or representative who signed the proposal (联名提议人)."""

    __tablename__ = "yishi_requester"
    __table_args__ = (UniqueConstraint("project_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    person_id: int = Field(foreign_key="registry_person.id")


class Reduction(OfficialRecord, SQLModel, table=True):
    """A hardship reduction voted by the meeting for one household (减免), in yuan and workdays."""

    __tablename__ = "yishi_reduction"
    __table_args__ = (
        UniqueConstraint("project_id", "household_id"),
        CheckConstraint("money_reduction >= 0 AND workday_reduction >= 0", name="not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    money_reduction: Decimal = Field(sa_column=Column(Money, nullable=False))
    workday_reduction: Decimal = Field(sa_column=Column(Money, nullable=False))
    reason: str = Field(max_length=200)


class VoteResult(OfficialRecord, SQLModel, table=True):
    """The vote on the plan: the counts, the rule applied (from the site's thresholds) and the outcome."""

    __tablename__ = "yishi_vote_result"
    __table_args__ = (
        UniqueConstraint("project_id"),
        CheckConstraint("votes_for + against + abstain <= present AND present <= members", name="counts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id")
    source: str = Field(max_length=10)  # VOTE_SOURCES
    meeting_id: int | None = Field(default=None, foreign_key="meetings_meeting.id")
    motion_id: int | None = Field(default=None, foreign_key="meetings_motion.id")
    held_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    members: int = Field(ge=1)
    present: int = Field(ge=0)
    votes_for: int = Field(ge=0)
    against: int = Field(ge=0)
    abstain: int = Field(ge=0)
    rule: str = Field(max_length=200)
    passed: bool
    entered_by: str = Field(max_length=200)


class Share(OfficialRecord, SQLModel, table=True):
    """One household's share of one project in one share round.

    `money`/`workdays` are computed (after exemptions and the reduction); `converted_workdays` of them were turned
    into `conversion_money` at the household's request (以资代劳). `money_due = money + conversion_money` and
    `workdays_due = workdays - converted_workdays`; `money_paid`/`workdays_done` never exceed them.
    """

    __tablename__ = "yishi_share"
    __table_args__ = (
        UniqueConstraint("project_id", "household_id", "share_round"),
        CheckConstraint("money >= 0 AND workdays >= 0", name="not_negative"),
        CheckConstraint("converted_workdays >= 0 AND converted_workdays <= workdays", name="conversion_within"),
        CheckConstraint("money_due = money + conversion_money", name="money_due"),
        CheckConstraint("workdays_due = workdays - converted_workdays", name="workdays_due"),
        CheckConstraint("money_paid >= 0 AND money_paid <= money_due", name="paid_within_due"),
        CheckConstraint("workdays_done >= 0 AND workdays_done <= workdays_due", name="done_within_due"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    share_round: int = Field(ge=1)
    year: int
    household_id: int = Field(foreign_key="registry_household.id", index=True)
    household_number: str = Field(max_length=30)
    head_person_id: int | None = Field(default=None, foreign_key="registry_person.id")
    money_persons: int = Field(ge=0)
    labourers: int = Field(ge=0)
    money: Decimal = Field(sa_column=Column(Money, nullable=False))
    workdays: Decimal = Field(sa_column=Column(Money, nullable=False))
    reduction_money: Decimal = Field(sa_column=Column(Money, nullable=False))
    reduction_workdays: Decimal = Field(sa_column=Column(Money, nullable=False))
    exemptions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    converted_workdays: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))
    conversion_money: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))
    money_due: Decimal = Field(sa_column=Column(Money, nullable=False))
    workdays_due: Decimal = Field(sa_column=Column(Money, nullable=False))
    money_paid: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))
    workdays_done: Decimal = Field(default=Decimal("0"), sa_column=Column(Money, nullable=False))


class Review(OfficialRecord, SQLModel, table=True):
    """A township review (审核: approved or returned with reasons) or a county filing (备案)."""

    __tablename__ = "yishi_review"

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    stage: str = Field(max_length=10)  # township | county
    decision: str = Field(max_length=10)  # approved | returned | filed
    reviewer: str = Field(max_length=200)
    reviewed_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    opinion: str = Field(sa_column=Column(Text, nullable=False))


class Collection(OfficialRecord, SQLModel, table=True):
    """Money received from a household (收款), with the household's running total after it."""

    __tablename__ = "yishi_collection"
    __table_args__ = (
        UniqueConstraint("share_id", "paid_after"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    share_id: int = Field(foreign_key="yishi_share.id")
    household_id: int = Field(foreign_key="registry_household.id")
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    paid_after: Decimal = Field(sa_column=Column(Money, nullable=False))
    received_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    receipt_no: str = Field(default="", max_length=40)


class LabourDelivered(OfficialRecord, SQLModel, table=True):
    """Workdays a household has delivered on the works (出工), with the running total after it."""

    __tablename__ = "yishi_labour"
    __table_args__ = (
        UniqueConstraint("share_id", "done_after"),
        CheckConstraint("workdays > 0", name="workdays_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    share_id: int = Field(foreign_key="yishi_share.id")
    household_id: int = Field(foreign_key="registry_household.id")
    workdays: Decimal = Field(sa_column=Column(Money, nullable=False))
    done_after: Decimal = Field(sa_column=Column(Money, nullable=False))
    worked_on: dt.date = Field(sa_column=Column(Date, nullable=False))


class Spending(OfficialRecord, SQLModel, table=True):
    """A line of the project account's spending (支出)."""

    __tablename__ = "yishi_spending"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    spent_on: dt.date = Field(sa_column=Column(Date, nullable=False))
    item: str = Field(max_length=200)
    amount: Decimal = Field(sa_column=Column(Money, nullable=False))
    voucher_no: str = Field(default="", max_length=40)


class VoteCode(OfficialRecord, SQLModel, table=True):
    """A one-time voting code for one household (printed on a paper slip); only its SHA-256 hash is kept."""

    __tablename__ = "yishi_vote_code"
    __table_args__ = (UniqueConstraint("project_id", "household_id"),)

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    code_hash: str = Field(max_length=64, unique=True)


class Ballot(OfficialRecord, SQLModel, table=True):
    """A household's online vote, cast with its code. One per household and project, one per code."""

    __tablename__ = "yishi_ballot"
    __table_args__ = (
        UniqueConstraint("project_id", "household_id"),
        UniqueConstraint("code_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    village_code: str = Field(max_length=12)
    project_id: int = Field(foreign_key="yishi_project.id", index=True)
    household_id: int = Field(foreign_key="registry_household.id")
    code_id: int = Field(foreign_key="yishi_vote_code.id")
    choice: str = Field(max_length=8)  # for | against | abstain
    cast_at: dt.datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


MODELS: list[type[SQLModel]] = [
    Project, Requester, Reduction, VoteResult, Share, Review, Collection, LabourDelivered, Spending, VoteCode, Ballot,
]
