"""The co-op's rules applied to its records. Every function takes (session, site, actor, ...) and writes official
records only through `cunwu.api.audit`, in the caller's transaction; a refusal raises `CoopError` before anything
is written (docs/coop.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

from sqlalchemy import BigInteger, cast, func, text
from sqlmodel import Session, col, select
from stdnum.cn import uscc

from cunwu.api import (
    Actor,
    DomainError,
    NewNotice,
    NotFound,
    NoticeOrigin,
    NoticeTable,
    Problem,
    Site,
    _,
    audit,
    local_today,
    money_fen,
    paused_gc,
    publish_notices,
    registry,
    utcnow,
)

from . import rules
from .distribution import (
    DistributionError,
    distributable_surplus,
    distribute_fen,
    from_fen,
    quantify_fen,
    reserve_amount,
    to_fen,
)
from .models import (
    BASES,
    CONTRIBUTION_KINDS,
    MEMBER_KINDS,
    REFUSED_KINDS,
    RESOLUTION_KINDS,
    Allocation,
    AnnualReport,
    Assembly,
    Contribution,
    Cooperative,
    Member,
    Resolution,
    Trade,
    YearClose,
)
from .settings import CoopSettings

ZERO = Decimal("0.00")


class CoopError(DomainError):
    """A co-op rule refused the change; the message says what, and `problems` where (field or row)."""


def settings_of(site: Site) -> CoopSettings:
    return site.settings("coop")  # type: ignore[no-any-return]


def _refuse(message: str, field: str | None = None) -> CoopError:
    return CoopError(message, [Problem(message, field=field)] if field else [])


# --- co-operatives -------------------------------------------------------------------------------------------------

def clean_credit_code(value: str) -> str:
    """A valid 统一社会信用代码 (18 characters, checksum by python-stdnum), upper-cased; CoopError otherwise."""
    code = (value or "").strip().upper()
    if not uscc.is_valid(code):
        raise _refuse(_("统一社会信用代码 %(code)s 无效（应为 18 位，且校验位正确）", code=code or "—"),
                      "credit_code")
    return code


@dataclass(frozen=True)
class Charter:
    """The charter settings a co-op's year close and assembly read (percentages are whole percents)."""

    reserve_percent: int
    patronage_percent: int
    additional_votes_percent: int = 0
    additional_votes_basis: str = "contribution"
    reserve_basis: str = "transactions"
    subsidy_basis: str = "equal"


def _check_charter(charter: Charter) -> None:
    if not 60 <= charter.patronage_percent <= 100:
        raise _refuse(_("按交易量（额）返还的比例为 %(n)s%%：不得低于可分配盈余的 60%%", n=charter.patronage_percent),
                      "patronage_percent")
    if not 0 <= charter.additional_votes_percent <= 20:
        raise _refuse(_("附加表决权为基本表决权总数的 %(n)s%%：不得超过 20%%", n=charter.additional_votes_percent),
                      "additional_votes_percent")
    if not 0 <= charter.reserve_percent <= 100:
        raise _refuse(_("公积金提取比例 %(n)s%% 应在 0 到 100 之间", n=charter.reserve_percent), "reserve_percent")
    for name, value in (("additional_votes_basis", charter.additional_votes_basis),
                        ("reserve_basis", charter.reserve_basis), ("subsidy_basis", charter.subsidy_basis)):
        if value not in BASES or (name == "additional_votes_basis" and value == "equal"):
            raise _refuse(_("章程设置的量化方式无效"), name)


def create_cooperative(session: Session, site: Site, actor: Actor, *, village_code: str, name: str, credit_code: str,
                       registered_on: dt.date, charter: Charter, level: str = "village",
                       business_scope: str = "") -> Cooperative:
    if site.village(village_code) is None:
        raise _refuse(_("没有这个村：%(code)s", code=village_code), "village_code")
    if level not in ("village", "township"):
        raise _refuse(_("合作社层级无效"), "level")
    if not name.strip():
        raise _refuse(_("请填写合作社名称"), "name")
    code = clean_credit_code(credit_code)
    if registered_on > local_today():
        raise _refuse(_("登记日期 %(day)s 不能晚于今天", day=registered_on), "registered_on")
    _check_charter(charter)
    if session.exec(select(Cooperative).where(Cooperative.credit_code == code)).first():
        raise _refuse(_("统一社会信用代码 %(code)s 已登记过合作社", code=code), "credit_code")
    coop = Cooperative(village_code=village_code, level=level, name=name.strip()[:100], credit_code=code,
                       registered_on=registered_on, business_scope=business_scope.strip(),
                       created_at=utcnow(), **charter.__dict__)
    audit.create(session, actor, coop, "coop.cooperative.create")
    return coop


def change_charter(session: Session, site: Site, actor: Actor, coop: Cooperative, charter: Charter) -> Cooperative:
    """Record the charter settings an assembly adopted (the resolution itself is recorded with the assembly)."""
    _check_charter(charter)
    audit.update(session, actor, coop, dict(charter.__dict__), "coop.cooperative.charter")
    return coop


def lock(session: Session, coop: Cooperative) -> Cooperative:
    """Re-read the co-op FOR UPDATE: changes that depend on its state (the roll, a closed year, member numbers)
    queue one after another on PostgreSQL; SQLite's write transaction is exclusive already."""
    return session.exec(select(Cooperative).where(Cooperative.id == coop.id).with_for_update()
                        .execution_options(populate_existing=True)).one()


def get_cooperative(session: Session, coop_id: int, village_code: str | None = None) -> Cooperative:
    coop = session.get(Cooperative, coop_id)
    if coop is None or (village_code is not None and coop.village_code != village_code):
        raise NotFound(_("没有这个合作社"))
    return coop


def cooperatives(session: Session, village_codes: Iterable[str] | None = None) -> list[Cooperative]:
    query = select(Cooperative).order_by(Cooperative.village_code, Cooperative.name)
    if village_codes is not None:
        query = query.where(col(Cooperative.village_code).in_(list(village_codes)))
    return list(session.exec(query).all())


# --- members -------------------------------------------------------------------------------------------------------

def roll(session: Session, coop: Cooperative, *, include_exited: bool = False) -> list[Member]:
    query = select(Member).where(Member.cooperative_id == coop.id).order_by(Member.number)
    if not include_exited:
        query = query.where(col(Member.exited_on).is_(None))
    return list(session.exec(query).all())


def counts(members: Iterable[Member]) -> tuple[int, int, int]:
    """(farmers, other persons, organisations) on a roll."""
    kinds = [m.kind for m in members]
    return kinds.count("farmer"), kinds.count("person"), kinds.count("organisation")


def roll_checks(session: Session, coop: Cooperative) -> list[rules.Check]:
    """The membership rules on the current roll, for the roll page (members who gave notice count until they go)."""
    return rules.membership_checks(*counts(roll(session, coop)))


@dataclass(frozen=True)
class NewMember:
    """A line to add to the roll: a person from the register (`person_id`, farmer or not) or an organisation."""

    kind: str
    joined_on: dt.date
    person_id: int | None = None
    name: str = ""
    credit_code: str = ""


def add_members(session: Session, site: Site, actor: Actor, coop: Cooperative,
                entries: list[NewMember]) -> list[Member]:
    """Add members in one change (a founding roll is added at once). Refused when a membership rule that held before
    the change fails after it — so a roll under construction may grow, but never into a wrong shape."""
    lock(session, coop)
    current = roll(session, coop)
    before = {c.code: c.ok for c in rules.membership_checks(*counts(current))}
    active_persons = {m.person_id for m in current if m.person_id is not None}
    number = (session.exec(select(func.max(Member.number)).where(Member.cooperative_id == coop.id)).one() or 0)
    new: list[Member] = []
    for index, entry in enumerate(entries, start=1):
        if entry.kind not in MEMBER_KINDS:
            raise _refuse(_("第 %(n)s 名成员：成员类别无效", n=index), "kind")
        if entry.joined_on > local_today():
            raise _refuse(_("第 %(n)s 名成员：入社日期 %(day)s 不能晚于今天", n=index, day=entry.joined_on),
                          "joined_on")
        if entry.joined_on < coop.registered_on:
            raise _refuse(_("第 %(n)s 名成员：入社日期早于合作社登记日期 %(day)s", n=index, day=coop.registered_on),
                          "joined_on")
        if entry.kind == "organisation":
            if not entry.name.strip():
                raise _refuse(_("第 %(n)s 名成员：请填写单位名称", n=index), "name")
            name, person_id, code = entry.name.strip()[:100], None, clean_credit_code(entry.credit_code)
        else:
            found = registry.person(session, entry.person_id) if entry.person_id else None
            if found is None:
                raise _refuse(_("第 %(n)s 名成员不在村登记簿中：请先在登记簿中登记此人", n=index), "person_id")
            if found.id in active_persons:
                raise _refuse(_("%(name)s 已是本社成员", name=found.name), "person_id")
            active_persons.add(found.id)
            name, person_id, code = found.name, found.id, None
        number += 1
        new.append(Member(village_code=coop.village_code, cooperative_id=coop.id, number=number, kind=entry.kind,
                          person_id=person_id, name=name, credit_code=code, joined_on=entry.joined_on))
    after = rules.membership_checks(*counts(current + new))
    broken = [c for c in after if before[c.code] and not c.ok]
    if broken:
        message = _("加入后不符合成员构成要求：%(what)s", what="；".join(c.message for c in broken))
        raise _refuse(message)  # the roll as a whole, no one field: named on top of the form
    audit.create_many(session, actor, new, "coop.member.join")  # type: ignore[arg-type]
    return new


def get_member(session: Session, coop: Cooperative, member_id: int) -> Member:
    member = session.get(Member, member_id)
    if member is None or member.cooperative_id != coop.id:
        raise NotFound(_("没有这名成员"))
    return member


def give_exit_notice(session: Session, site: Site, actor: Actor, coop: Cooperative, member: Member,
                     notice_on: dt.date) -> int:
    """Record a written exit notice; returns the year at whose close the member leaves (this year when the notice
    came at least 3 months — 6 for organisations — before 31 December, else the next)."""
    lock(session, coop)
    session.refresh(member)
    if member.exited_on is not None or member.exit_year is not None:
        raise _refuse(_("%(name)s 已提出退社或已退社", name=member.name), "member")
    if notice_on > local_today() or notice_on < member.joined_on:
        raise _refuse(_("退社声明日期 %(day)s 无效", day=notice_on), "notice_on")
    settings = settings_of(site)
    months = settings.exit_notice_months_organisation if member.kind == "organisation" else settings.exit_notice_months
    year = rules.exit_year(notice_on, months)
    while _closed(session, coop, year):
        year += 1
    audit.update(session, actor, member, {"exit_notice_on": notice_on, "exit_year": year}, "coop.member.exit_notice")
    return year


# --- contributions and transactions ---------------------------------------------------------------------------------

def _closed(session: Session, coop: Cooperative, year: int) -> YearClose | None:
    return session.exec(select(YearClose).where(YearClose.cooperative_id == coop.id, YearClose.year == year,
                                                col(YearClose.is_current))).first()


def _open_year(session: Session, coop: Cooperative, day: dt.date, field: str) -> None:
    if _closed(session, coop, day.year):
        raise _refuse(_("%(year)s 年度已决算，不能再记入该年度的账目（如需更正，请更正决算）", year=day.year), field)


def add_contribution(session: Session, site: Site, actor: Actor, coop: Cooperative, member: Member, *, kind: str,
                     amount: Decimal, contributed_on: dt.date, description: str = "", source_ref: str | None = None,
                     pending_valuation: bool = False) -> Contribution:
    """出资: money, goods in kind at their agreed value, or land operating rights. Labour, credit and claims are
    refused (农民专业合作社法 art. 13, docs/domain.md §7.2)."""
    if kind in REFUSED_KINDS:
        raise _refuse(_("不能以%(what)s作价出资：成员只能以货币、实物或土地经营权等可以用货币估价并可以依法转让的"
                        "非货币财产出资", what=str(REFUSED_KINDS[kind])), "kind")
    if kind not in CONTRIBUTION_KINDS:
        raise _refuse(_("出资方式无效"), "kind")
    if amount < 0 or (amount == 0 and not pending_valuation) or amount != amount.quantize(Decimal("0.01")):
        raise _refuse(_("出资金额应为大于 0 的金额（精确到分）"), "amount")
    if member.exited_on is not None or contributed_on < member.joined_on:
        raise _refuse(_("%(day)s %(name)s 不是本社成员", day=contributed_on, name=member.name), "contributed_on")
    if contributed_on > local_today():
        raise _refuse(_("出资日期 %(day)s 不能晚于今天", day=contributed_on), "contributed_on")
    if kind == "in_kind" and not description.strip():
        raise _refuse(_("实物出资请写明实物名称及作价依据"), "description")
    lock(session, coop)
    _open_year(session, coop, contributed_on, "contributed_on")
    row = Contribution(village_code=coop.village_code, cooperative_id=coop.id, member_id=member.id, kind=kind,
                       amount=amount, description=description.strip()[:300], contributed_on=contributed_on,
                       source_ref=source_ref, pending_valuation=pending_valuation)
    audit.create(session, actor, row, "coop.contribution.create")
    return row


def contributions_of(session: Session, member: Member) -> list[Contribution]:
    return list(session.exec(select(Contribution).where(Contribution.member_id == member.id)
                             .order_by(Contribution.contributed_on, Contribution.id)).all())


@dataclass(frozen=True)
class NewTrade:
    product: str
    quantity: Decimal
    amount: Decimal
    traded_on: dt.date
    member_id: int | None = None
    counterparty: str = ""
    unit: str = ""
    import_key: str | None = None


def check_trade(session: Session, coop: Cooperative, trade: NewTrade, members: dict[int, Member]) -> list[Problem]:
    """What is wrong with one transaction (empty when it can be recorded); field names the column."""
    problems: list[Problem] = []
    if not trade.product.strip():
        problems.append(Problem(_("请填写产品"), field="product"))
    if trade.quantity <= 0:
        problems.append(Problem(_("数量应大于 0"), field="quantity"))
    if trade.amount < 0:
        problems.append(Problem(_("金额不能是负数"), field="amount"))
    if trade.traded_on > local_today():
        problems.append(Problem(_("交易日期 %(day)s 不能晚于今天", day=trade.traded_on), field="traded_on"))
    if trade.member_id is not None:
        member = members.get(trade.member_id)
        if member is None:
            problems.append(Problem(_("不是本社成员"), field="member"))
        elif trade.traded_on < member.joined_on or (member.exited_on and trade.traded_on > member.exited_on):
            problems.append(Problem(_("%(day)s %(name)s 不是本社成员（按非成员交易记账）", day=trade.traded_on,
                                      name=member.name), field="member"))
    elif not trade.counterparty.strip():
        problems.append(Problem(_("非成员交易请填写交易对象"), field="counterparty"))
    if _closed(session, coop, trade.traded_on.year):
        problems.append(Problem(_("%(year)s 年度已决算，不能再记入", year=trade.traded_on.year), field="traded_on"))
    return problems


def add_trades(session: Session, site: Site, actor: Actor, coop: Cooperative, trades: list[NewTrade]) -> int:
    """Record transactions (all or none); returns how many were written."""
    lock(session, coop)
    members = {m.id: m for m in roll(session, coop, include_exited=True)}
    for index, trade in enumerate(trades, start=1):
        problems = check_trade(session, coop, trade, members)  # type: ignore[arg-type]
        if problems:
            for problem in problems:
                problem.row = index if len(trades) > 1 else None
            raise CoopError(problems[0].message, problems)
    rows = [{"village_code": coop.village_code, "cooperative_id": coop.id, "member_id": t.member_id,
             "counterparty": "" if t.member_id else t.counterparty.strip()[:100], "product": t.product.strip()[:100],
             "quantity": t.quantity, "unit": t.unit.strip()[:20], "amount": t.amount, "traded_on": t.traded_on,
             "import_key": t.import_key} for t in trades]
    return len(audit.insert_many(session, actor, Trade, rows, "coop.trade.create"))


def trades_of(session: Session, coop: Cooperative, year: int, limit: int = 200) -> list[Trade]:
    return list(session.exec(select(Trade).where(Trade.cooperative_id == coop.id,
                                                 Trade.traded_on >= dt.date(year, 1, 1),
                                                 Trade.traded_on <= dt.date(year, 12, 31))
                             .order_by(col(Trade.traded_on).desc(), col(Trade.id).desc()).limit(limit)).all())


@dataclass(frozen=True)
class Turnover:
    members: Decimal
    non_members: Decimal
    count: int


def turnover(session: Session, coop: Cooperative, year: int) -> Turnover:
    """Member and non-member trade of a year, accounted separately (docs/coop.md, "Rules")."""
    rows = session.exec(select(col(Trade.member_id).is_(None), func.coalesce(func.sum(Trade.amount), 0),
                               func.count()).where(
        Trade.cooperative_id == coop.id, Trade.traded_on >= dt.date(year, 1, 1),
        Trade.traded_on <= dt.date(year, 12, 31)).group_by(col(Trade.member_id).is_(None))).all()
    totals = {bool(non_member): (Decimal(total), n) for non_member, total, n in rows}
    member_total, member_n = totals.get(False, (ZERO, 0))
    other_total, other_n = totals.get(True, (ZERO, 0))
    return Turnover(Decimal(member_total).quantize(Decimal("0.01")), Decimal(other_total).quantize(Decimal("0.01")),
                    member_n + other_n)


# --- year close ----------------------------------------------------------------------------------------------------

def _money_sum(values: Iterable[Any]) -> Decimal:
    return sum((Decimal(v) for v in values), ZERO).quantize(Decimal("0.01"))


class MemberRow(NamedTuple):
    """A member as the close reads them: the few columns it needs, as a plain row (a county has many thousands)."""

    id: int
    number: int
    name: str
    exit_year: int | None
    exited_on: dt.date | None

    @property
    def key(self) -> str:
        """The member's tie-break key, as `Member.key`."""
        return f"{self.number:06d}"


#: PostgreSQL's memory for the close's sorts and hashes, for its transaction only: grouping a county's year of trade
#: per member (100,000 groups at 500 co-ops) spills to disk under the default 4 MB (docs/performance.md, round 5).
CLOSE_WORK_MEM = "64MB"

#: An allocation line's money columns, which the close computes and writes in integer fen.
LINE_MONEY = ("trade_quantity", "trade_amount", "contribution", "reserve_added", "reserve_share", "subsidy_added",
              "subsidy_share", "patronage", "other", "refund_contribution", "refund_reserve")


class Line(NamedTuple):
    """One member's allocation line as the close computes it: `LINE_MONEY`, in integer fen."""

    trade_quantity: int
    trade_amount: int
    contribution: int
    reserve_added: int
    reserve_share: int
    subsidy_added: int
    subsidy_share: int
    patronage: int
    other: int
    refund_contribution: int
    refund_reserve: int


@dataclass(frozen=True)
class ClosePlan:
    """Everything a close writes, computed before anything is: the co-op's figures (yuan) and each member's line
    (fen, in member-number order, as `members`)."""

    year: int
    members: list[MemberRow]
    lines: list[Line]
    reserve: Decimal
    distributable: Decimal
    patronage_pool: Decimal
    other_pool: Decimal
    turnover: Turnover


@dataclass(frozen=True)
class CloseOrder:
    """One co-op's year close as asked for: the figures its accounts give (yuan), and the reason of a correction."""

    coop: Cooperative
    surplus: Decimal
    losses_made_good: Decimal = ZERO
    subsidy_assets: Decimal = ZERO
    reason: str = ""


@dataclass
class _YearBooks:
    """One co-op's records of a year as the close reads them (money in integer fen), gathered for many co-ops with
    one query per kind."""

    members: list[MemberRow] = field(default_factory=list)
    amounts: dict[int, int] = field(default_factory=dict)
    quantities: dict[int, int] = field(default_factory=dict)
    capital: dict[int, int] = field(default_factory=dict)
    carried: dict[int, tuple[int, int]] = field(default_factory=dict)
    turnover: dict[bool, list[int]] = field(default_factory=lambda: {False: [0, 0], True: [0, 0]})


def _fen_sum(column: Any) -> Any:
    """The sum of a `Money` column as exact integer fen, each value made fen before it is added: PostgreSQL adds
    BIGINTs about a tenth cheaper than NUMERICs (a county's year of trade is a million rows; docs/performance.md, "Co-op
    close, round 6"). A `NUMERIC(14,2)` times 100 is an integer, so nothing is rounded."""
    return cast(func.sum(money_fen(column)), BigInteger)


def _books(session: Session, coop_ids: list[int], year: int) -> dict[int, _YearBooks]:
    """The year's members, trade, capital, carried shares and turnover of every co-op in `coop_ids`.

    Four grouped statements whatever the number of co-ops (a county closes hundreds at once), the sums as integer
    fen (docs/performance.md, "coop_close"). Each groups by member first: when PostgreSQL sorts to group, nearly
    every comparison is then settled by that first, nearly unique integer key on its fast path, where the co-op
    first ties a county's million trades 500 ways and compares both keys each time (a sixth of the close's
    grouping, "Co-op close, round 7")."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    books = {coop_id: _YearBooks() for coop_id in coop_ids}
    rows = session.connection().execute  # plain rows: no ORM result handling for tens of thousands of them
    owner: dict[int, int] = {}
    for coop_id, member_id, number, name, exit_year, exited_on in rows(
            select(Member.cooperative_id, Member.id, Member.number, Member.name, Member.exit_year, Member.exited_on)
            .where(col(Member.cooperative_id).in_(coop_ids), Member.joined_on <= end,
                   (col(Member.exited_on).is_(None)) | (col(Member.exited_on) >= start))
            .order_by(Member.cooperative_id, Member.number)).all():
        books[coop_id].members.append(MemberRow(member_id, number, name, exit_year, exited_on))  # type: ignore[arg-type]
        owner[member_id] = coop_id  # type: ignore[index]
    # One pass over the year's trade: per member, and the non-members' (member_id NULL) as one group.
    for coop_id, member_id, amount, quantity, count in rows(
            select(Trade.cooperative_id, Trade.member_id, _fen_sum(Trade.amount), _fen_sum(Trade.quantity),
                   func.count())
            .where(col(Trade.cooperative_id).in_(coop_ids), Trade.traded_on >= start, Trade.traded_on <= end)
            .group_by(Trade.member_id, Trade.cooperative_id)).all():
        book = books[coop_id]
        totals = book.turnover[member_id is None]
        totals[0] += amount
        totals[1] += count
        if member_id is not None and owner.get(member_id) == coop_id:
            book.amounts[member_id] = amount
            book.quantities[member_id] = quantity
    for coop_id, member_id, total in rows(
            select(Contribution.cooperative_id, Contribution.member_id, _fen_sum(Contribution.amount))
            .where(col(Contribution.cooperative_id).in_(coop_ids), Contribution.contributed_on <= end)
            .group_by(Contribution.member_id, Contribution.cooperative_id)).all():
        books[coop_id].capital[member_id] = total
    for coop_id, member_id, reserve, subsidy in rows(
            select(YearClose.cooperative_id, Allocation.member_id,
                   _fen_sum(Allocation.reserve_added) - _fen_sum(Allocation.refund_reserve),
                   _fen_sum(Allocation.subsidy_added))
            .join(YearClose, col(YearClose.id) == Allocation.close_id)
            .where(col(YearClose.cooperative_id).in_(coop_ids), YearClose.year < year, col(YearClose.is_current))
            .group_by(Allocation.member_id, YearClose.cooperative_id)).all():
        books[coop_id].carried[member_id] = (reserve, subsidy)
    return books


def contribution_balances(session: Session, coop: Cooperative, on: dt.date) -> dict[int, Decimal]:
    """Capital per member on `on`: contributions up to that day (exit refunds end the membership, so an exited
    member is simply not counted)."""
    rows = session.exec(select(Contribution.member_id, func.sum(Contribution.amount))
                        .where(Contribution.cooperative_id == coop.id, Contribution.contributed_on <= on)
                        .group_by(Contribution.member_id)).all()
    return {member_id: Decimal(total) for member_id, total in rows}


def _check_order(coop: Cooperative, year: int, surplus: Decimal, losses_made_good: Decimal,
                 subsidy_assets: Decimal) -> None:
    if dt.date(year, 12, 31) >= local_today():
        raise _refuse(_("%(year)s 年度尚未结束，不能决算", year=year), "year")
    if year < coop.registered_on.year:
        raise _refuse(_("合作社 %(day)s 才登记，没有 %(year)s 年度", day=coop.registered_on, year=year), "year")
    for label, value in (("surplus", surplus), ("losses_made_good", losses_made_good),
                         ("subsidy_assets", subsidy_assets)):
        if value < 0 or value != value.quantize(Decimal("0.01")):
            raise _refuse(_("金额应为不小于 0 的金额（精确到分）"), label)


def _plan(order: CloseOrder, year: int, books: _YearBooks) -> ClosePlan:
    """The close of one co-op from its books: members of the year (those who left at an earlier close are out; a
    member who leaves at this close is in, with their trade up to the end), their figures and the distribution,
    in integer fen (the same fen as `distribution.distribute` on the yuan)."""
    coop, members = order.coop, books.members
    if not members:
        raise _refuse(_("%(year)s 年度没有成员，无法决算", year=year), "year")
    transactions = [books.amounts.get(m.id, 0) for m in members]
    capital = [books.capital.get(m.id, 0) for m in members]
    carried = [books.carried.get(m.id, (0, 0)) for m in members]
    try:
        reserve = reserve_amount(order.surplus, order.losses_made_good, Fraction(coop.reserve_percent, 100))
        distributable = distributable_surplus(order.surplus, order.losses_made_good, reserve)
        reserve_added = quantify_fen(to_fen(reserve), transactions, capital, coop.reserve_basis)
        subsidy_added = quantify_fen(to_fen(order.subsidy_assets), transactions, capital, coop.subsidy_basis)
        reserve_share = [c[0] + added for c, added in zip(carried, reserve_added, strict=True)]
        subsidy_share = [c[1] + added for c, added in zip(carried, subsidy_added, strict=True)]
        pool, patronage, other = distribute_fen(
            to_fen(distributable), Fraction(coop.patronage_percent, 100), transactions,
            [sum(weights) for weights in zip(capital, reserve_share, subsidy_share, strict=True)])
    except DistributionError as error:
        raise _refuse(str(error), "surplus") from error
    lines = []
    for index, member in enumerate(members):
        leaving = member.exit_year == year
        lines.append(Line(books.quantities.get(member.id, 0), transactions[index], capital[index],
                          reserve_added[index], reserve_share[index], subsidy_added[index], subsidy_share[index],
                          patronage[index], other[index], capital[index] if leaving else 0,
                          reserve_share[index] if leaving else 0))
    (member_total, member_n), (other_total, other_n) = books.turnover[False], books.turnover[True]
    return ClosePlan(year, members, lines, reserve, distributable, from_fen(pool), distributable - from_fen(pool),
                     Turnover(from_fen(member_total), from_fen(other_total), member_n + other_n))


def plan_close(session: Session, coop: Cooperative, year: int, *, surplus: Decimal, losses_made_good: Decimal,
               subsidy_assets: Decimal) -> ClosePlan:
    """Compute a close without writing (the CLI's preview): the same books and arithmetic as `close_years`."""
    _check_order(coop, year, surplus, losses_made_good, subsidy_assets)
    order = CloseOrder(coop, surplus, losses_made_good, subsidy_assets)
    return _plan(order, year, _books(session, [coop.id], year)[coop.id])  # type: ignore[list-item,index]


def close_year(session: Session, site: Site, actor: Actor, coop: Cooperative, year: int, *, surplus: Decimal,
               losses_made_good: Decimal = ZERO, subsidy_assets: Decimal = ZERO, reason: str = "",
               publish: bool = True) -> YearClose:
    """Close `year` for one co-op (see `close_years`)."""
    order = CloseOrder(coop, surplus, losses_made_good, subsidy_assets, reason)
    return close_years(session, site, actor, year, [order], publish=publish)[0]


@paused_gc()
def close_years(session: Session, site: Site, actor: Actor, year: int, orders: list[CloseOrder], *,
                publish: bool = True) -> list[YearClose]:
    """Close `year` for each ordered co-op: write the close and every member's line, settle exits, and post each
    distribution on the board. All or nothing: any refusal is raised before anything is written.

    A closed year is immutable. Closing it again is a correction: it needs a reason, writes version n + 1 and makes
    the old version not current (both stay readable), and posts the corrected distribution. The reads and writes
    are set-based across the co-ops (one statement per kind of record, the notices included), so a
    county's close costs about what one co-op's does per member line (docs/performance.md, "coop_close")."""
    if not orders:
        return []
    ids = [order.coop.id for order in orders]
    if len(set(ids)) != len(ids):
        raise ValueError("a co-op is ordered twice in one close")
    coops = {c.id: c for c in session.exec(select(Cooperative).where(col(Cooperative.id).in_(sorted(ids)))  # type: ignore[arg-type]
                                           .order_by(Cooperative.id).with_for_update()
                                           .execution_options(populate_existing=True)).all()}
    orders = [CloseOrder(coops[o.coop.id], o.surplus, o.losses_made_good, o.subsidy_assets, o.reason.strip())
              for o in orders]
    previous = {c.cooperative_id: c for c in session.exec(select(YearClose).where(
        col(YearClose.cooperative_id).in_(ids), YearClose.year == year, col(YearClose.is_current))).all()}
    for order in orders:
        earlier = previous.get(order.coop.id)  # type: ignore[arg-type]
        if earlier is not None and not order.reason:
            raise _refuse(_("%(year)s 年度已决算（第 %(v)s 版）。更正决算须说明理由", year=year, v=earlier.version),
                          "reason")
        _check_order(order.coop, year, order.surplus, order.losses_made_good, order.subsidy_assets)
    if session.get_bind().dialect.name == "postgresql":  # the year's trade is grouped in memory, not on disk
        session.execute(text(f"SET LOCAL work_mem = '{CLOSE_WORK_MEM}'"))
    books = _books(session, ids, year)  # type: ignore[arg-type]
    plans = [_plan(order, year, books[order.coop.id]) for order in orders]  # type: ignore[index]
    audit.update_many(session, actor, [(c, {"is_current": False}) for c in previous.values()],
                      "coop.close.superseded")
    versions = dict(session.exec(select(YearClose.cooperative_id, func.max(YearClose.version)).where(
        col(YearClose.cooperative_id).in_(ids), YearClose.year == year).group_by(YearClose.cooperative_id)).all())
    closed_at = utcnow()
    rows = [{"village_code": o.coop.village_code, "cooperative_id": o.coop.id, "year": year,
             "version": versions.get(o.coop.id, 0) + 1, "is_current": True,  # type: ignore[call-overload]
             "reason": o.reason[:300] if o.coop.id in previous else "", "surplus": o.surplus,
             "losses_made_good": o.losses_made_good, "reserve": p.reserve, "subsidy_assets": o.subsidy_assets,
             "distributable": p.distributable, "patronage_percent": o.coop.patronage_percent,
             "patronage_pool": p.patronage_pool, "other_pool": p.other_pool, "member_turnover": p.turnover.members,
             "nonmember_turnover": p.turnover.non_members, "closed_at": closed_at, "closed_by": actor.label}
            for o, p in zip(orders, plans, strict=True)]
    close_ids: dict[int, int] = {}
    for action, first in (("coop.close.create", True), ("coop.close.correct", False)):
        chosen = [row for row in rows if (row["version"] == 1) is first]
        close_ids.update(zip((r["cooperative_id"] for r in chosen),
                             audit.insert_many(session, actor, YearClose, chosen, action), strict=True))
    lines_of: dict[int, list[dict[str, Any]]] = {}
    exiting: list[int] = []  # members whose exit takes effect now, in close and number order
    for order, plan in zip(orders, plans, strict=True):
        fixed = {"village_code": order.coop.village_code, "close_id": close_ids[order.coop.id]}  # type: ignore[index]
        lines_of[order.coop.id] = [  # type: ignore[index]
            {**fixed, "member_id": member.id, **line._asdict()} for member, line in zip(plan.members, plan.lines,
                                                                                        strict=True)]
        exiting += [m.id for m in plan.members if m.exit_year == year and m.exited_on is None]
    by_village: dict[str, list[dict[str, Any]]] = defaultdict(list)  # one audited act per village's log
    for lines in lines_of.values():
        for line in lines:
            by_village[line["village_code"]].append(line)
    for village_lines in by_village.values():
        audit.insert_batch(session, actor, Allocation, village_lines, "coop.allocation.create", in_fen=LINE_MONEY)
    if exiting:  # the few leaving members as records, for their audited change
        leavers = {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(exiting))).all()}
        audit.update_many(session, actor, [(leavers[member_id], {"exited_on": dt.date(year, 12, 31)})
                                           for member_id in exiting], "coop.member.exit")
    closes = {c.cooperative_id: c for c in session.exec(select(YearClose).where(
        col(YearClose.id).in_(list(close_ids.values())))).all()}
    if publish:
        posted = [closes[order.coop.id] for order in orders]  # type: ignore[index]
        notices = publish_notices(session, site, actor, [
            distribution_notice(site, order.coop, close, list(zip(plan.members, plan.lines, strict=True)))
            for order, plan, close in zip(orders, plans, posted, strict=True)])
        audit.update_many(session, actor, [(close, {"notice_id": notice.id})  # type: ignore[misc]
                                           for close, notice in zip(posted, notices, strict=True)],
                          "coop.close.posted")
    return [closes[order.coop.id] for order in orders]  # type: ignore[index]


def current_closes(session: Session, coop: Cooperative) -> list[YearClose]:
    return list(session.exec(select(YearClose).where(YearClose.cooperative_id == coop.id, col(YearClose.is_current))
                             .order_by(col(YearClose.year).desc())).all())


def close_versions(session: Session, coop: Cooperative, year: int) -> list[YearClose]:
    return list(session.exec(select(YearClose).where(YearClose.cooperative_id == coop.id, YearClose.year == year)
                             .order_by(col(YearClose.version).desc())).all())


def get_close(session: Session, coop: Cooperative, year: int, version: int | None = None) -> YearClose:
    query = select(YearClose).where(YearClose.cooperative_id == coop.id, YearClose.year == year)
    query = query.where(YearClose.version == version) if version else query.where(col(YearClose.is_current))
    close = session.exec(query).first()
    if close is None:
        raise NotFound(_("%(year)s 年度尚未决算", year=year))
    return close


def allocations_of(session: Session, close: YearClose) -> list[tuple[Allocation, Member]]:
    return [(a, m) for a, m in session.exec(
        select(Allocation, Member).join(Member, col(Member.id) == Allocation.member_id)
        .where(Allocation.close_id == close.id).order_by(Member.number)).all()]


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"


def _yuan_fen(fen: int) -> str:
    """`_yuan` of an amount in integer fen (a line's figures are never negative)."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def distribution_table(close: YearClose, lines: list[tuple[MemberRow, Line]]) -> NoticeTable:
    """The board's table: one row per member line (as written by the close), in member-number order."""
    rows = [[str(m.number), m.name, _yuan_fen(a.trade_amount), _yuan_fen(a.patronage),
             _yuan_fen(a.contribution + a.reserve_share + a.subsidy_share), _yuan_fen(a.other),
             _yuan_fen(a.patronage + a.other)] for m, a in lines]
    columns = [_("成员编号"), _("成员"), _("交易额（元）"), _("按交易量返还（元）"), _("出资及量化份额（元）"),
               _("按出资等分配（元）"), _("合计（元）")]
    return NoticeTable(columns=columns, rows=rows, caption=_("可分配盈余 %(total)s 元，分配合计 %(total)s 元",
                                                             total=_yuan(close.distributable)))


def distribution_notice(site: Site, coop: Cooperative, close: YearClose,
                        lines: list[tuple[MemberRow, Line]]) -> NewNotice:
    """The distribution as posted on the seat village's board (财务公开), with the table members check their line in."""
    body = _("%(name)s %(year)s 年度盈余分配方案：当年盈余 %(surplus)s 元，弥补亏损 %(losses)s 元，提取公积金 "
             "%(reserve)s 元，可分配盈余 %(distributable)s 元。其中 %(pool)s 元（%(pct)s%%）按成员与本社的交易额返还，"
             "%(other)s 元按成员出资额、公积金份额和财政补助形成财产的量化份额分配。成员交易额 %(mt)s 元，"
             "非成员交易额 %(nt)s 元（分别核算）。",
             name=coop.name, year=close.year, surplus=_yuan(close.surplus), losses=_yuan(close.losses_made_good),
             reserve=_yuan(close.reserve), distributable=_yuan(close.distributable), pool=_yuan(close.patronage_pool),
             pct=close.patronage_percent, other=_yuan(close.other_pool), mt=_yuan(close.member_turnover),
             nt=_yuan(close.nonmember_turnover))
    if close.version > 1:
        body += _("（第 %(v)s 版，更正理由：%(reason)s）", v=close.version, reason=close.reason)
    title = _("%(name)s %(year)s 年度盈余分配公示", name=coop.name, year=close.year)
    url = f"/v/{coop.village_code}/p/coop/{coop.id}/distribution/{close.year}"
    return NewNotice(village_code=coop.village_code, stream="finance", category="合作社盈余分配", title=title,
                     body=body, window_days=settings_of(site).distribution_window_days,
                     origin=NoticeOrigin(kind="coop", ref=f"{coop.id}:{close.year}:{close.version}", url=url),
                     table=distribution_table(close, lines))


# --- member accounts -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """成员账户: capital ledger, reserve and subsidy shares, and what each closed year gave the member."""

    member: Member
    coop: Cooperative
    contributions: list[Contribution]
    lines: list[tuple[YearClose, Allocation]]
    capital: Decimal
    reserve_share: Decimal
    subsidy_share: Decimal
    trade_this_year: Decimal


def account(session: Session, coop: Cooperative, member: Member) -> Account:
    contributions = contributions_of(session, member)
    # Through the co-op's current closes (a few, one a year), each line then one probe of the lines' unique
    # (close_id, member_id) index: the lines table keeps no index of its own on member_id (migration coop_0003).
    lines = [(c, a) for c, a in session.exec(
        select(YearClose, Allocation).join(Allocation, col(Allocation.close_id) == YearClose.id)
        .where(YearClose.cooperative_id == coop.id, col(YearClose.is_current), Allocation.member_id == member.id)
        .order_by(col(YearClose.year).desc())).all()]
    refunded = sum((a.refund_contribution for _c, a in lines), ZERO)
    reserve = sum((a.reserve_added - a.refund_reserve for _c, a in lines), ZERO)
    subsidy = ZERO if member.exited_on else sum((a.subsidy_added for _c, a in lines), ZERO)
    year = local_today().year
    trade = session.exec(select(func.coalesce(func.sum(Trade.amount), 0)).where(
        Trade.member_id == member.id, Trade.traded_on >= dt.date(year, 1, 1))).one()
    return Account(member, coop, contributions, lines, _money_sum(c.amount for c in contributions) - refunded,
                   reserve, subsidy, Decimal(trade).quantize(Decimal("0.01")))


def memberships_of_person(session: Session, person_id: int) -> list[tuple[Member, Cooperative]]:
    return [(m, c) for m, c in session.exec(
        select(Member, Cooperative).join(Cooperative, col(Cooperative.id) == Member.cooperative_id)
        .where(Member.person_id == person_id).order_by(Member.joined_on)).all()]


# --- annual report ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportState:
    """Where the co-op stands with its annual reports on `today`: `due` (the window is open and last year's is not
    in), `overdue` (years past their 30 June with no report), or neither."""

    due_year: int | None
    overdue_years: list[int]

    @property
    def ok(self) -> bool:
        return self.due_year is None and not self.overdue_years


def report_state(coop: Cooperative, submitted: set[int], today: dt.date) -> ReportState:
    overdue = [y for y in range(coop.registered_on.year, today.year)
               if y not in submitted and rules.annual_report_window(y)[1] < today]
    last = today.year - 1
    window = rules.annual_report_window(last)
    due = last if (last >= coop.registered_on.year and last not in submitted
                   and window[0] <= today <= window[1]) else None
    return ReportState(due, overdue)


def reports_submitted(session: Session, coop_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    for coop_id, year in session.exec(select(AnnualReport.cooperative_id, AnnualReport.year)
                                      .where(col(AnnualReport.cooperative_id).in_(list(coop_ids)))).all():
        found[coop_id].add(year)
    return found


def record_annual_report(session: Session, site: Site, actor: Actor, coop: Cooperative, year: int,
                         submitted_on: dt.date) -> AnnualReport:
    if year < coop.registered_on.year or year >= local_today().year:
        raise _refuse(_("没有 %(year)s 年度的年报可报", year=year), "year")
    if submitted_on > local_today() or submitted_on.year <= year:
        raise _refuse(_("报送日期 %(day)s 无效：年报在次年 1 月 1 日至 6 月 30 日报送", day=submitted_on),
                      "submitted_on")
    if session.exec(select(AnnualReport).where(AnnualReport.cooperative_id == coop.id,
                                               AnnualReport.year == year)).first():
        raise _refuse(_("%(year)s 年度年报已登记", year=year), "year")
    report = AnnualReport(village_code=coop.village_code, cooperative_id=coop.id, year=year,
                          submitted_on=submitted_on, recorded_by=actor.label)
    audit.create(session, actor, report, "coop.annual_report.create")
    return report


# --- member assembly -------------------------------------------------------------------------------------------------

def additional_vote_weights(session: Session, coop: Cooperative, members: list[Member],
                            held_on: dt.date) -> dict[str, Decimal]:
    """What additional votes follow: each member's capital, or their trade in the 12 months before the assembly."""
    if coop.additional_votes_basis == "transactions":
        since = held_on - dt.timedelta(days=365)
        rows = dict(session.exec(select(Trade.member_id, func.sum(Trade.amount)).where(
            Trade.cooperative_id == coop.id, Trade.traded_on > since, Trade.traded_on <= held_on,
            col(Trade.member_id).is_not(None)).group_by(Trade.member_id)).all())
    else:
        rows = contribution_balances(session, coop, held_on)  # type: ignore[assignment]
    return {m.key: Decimal(rows.get(m.id, 0)) for m in members}


def hold_assembly(session: Session, site: Site, actor: Actor, coop: Cooperative, *, held_on: dt.date, title: str,
                  present: list[int]) -> Assembly:
    """Record a member assembly: attendance, the quorum (≥ 2/3 of members) and the additional votes disclosed."""
    if held_on > local_today():
        raise _refuse(_("会议日期 %(day)s 不能晚于今天", day=held_on), "held_on")
    members = [m for m in roll(session, coop) if m.joined_on <= held_on]
    if not members:
        raise _refuse(_("本社还没有成员"), "present")
    ids = {m.id for m in members}
    unknown = [p for p in present if p not in ids]
    if unknown:
        raise _refuse(_("出席名单中有非本社成员"), "present")
    pool = int(len(members) * Fraction(coop.additional_votes_percent, 100))
    try:
        rules.check_additional_votes(len(members), pool)
    except ValueError as error:
        raise _refuse(str(error)) from error  # the charter's share, not this form's: named on top
    weights = additional_vote_weights(session, coop, members, held_on)
    votes = rules.allot_additional_votes(pool, weights)
    by_key = {m.key: m.id for m in members}
    assembly = Assembly(village_code=coop.village_code, cooperative_id=coop.id, held_on=held_on,
                        title=title.strip()[:200] or _("成员大会"), members=len(members), present=sorted(set(present)),
                        additional_votes={str(by_key[k]): v for k, v in votes.items() if v},
                        quorum_met=rules.quorum_met(len(members), len(set(present))))
    audit.create(session, actor, assembly, "coop.assembly.create")
    return assembly


def votes_of(assembly: Assembly, member_id: int) -> int:
    """One basic vote plus any additional votes disclosed for the member."""
    return 1 + int(assembly.additional_votes.get(str(member_id), 0))


def put_resolution(session: Session, site: Site, actor: Actor, assembly: Assembly, *, kind: str, title: str,
                   ballots: dict[int, str]) -> Resolution:
    """Count a resolution with weighted votes: `ballots` maps a present member's id to for/against/abstain. Passes
    with > 1/2 of the total votes of all members (≥ 2/3 for charter change, merger, split or dissolution), and only
    at a quorate assembly."""
    if kind not in RESOLUTION_KINDS:
        raise _refuse(_("决议类别无效"), "kind")
    if not title.strip():
        raise _refuse(_("请填写决议事项"), "title")
    if not assembly.quorum_met:
        raise _refuse(_("出席成员不足三分之二，会议不能作出决议"), "ballots")
    present = set(assembly.present)
    if any(member_id not in present for member_id in ballots):
        raise _refuse(_("只有出席的成员可以表决"), "ballots")
    if any(choice not in ("for", "against", "abstain") for choice in ballots.values()):
        raise _refuse(_("表决意见无效"), "ballots")
    total = assembly.members + sum(int(v) for v in assembly.additional_votes.values())
    tally = {c: sum(votes_of(assembly, m) for m, x in ballots.items() if x == c) for c in ("for", "against", "abstain")}
    resolution = Resolution(village_code=assembly.village_code, assembly_id=assembly.id, kind=kind,  # type: ignore[arg-type]
                            title=title.strip()[:200], total_votes=total, votes_for=tally["for"],
                            against=tally["against"], abstain=tally["abstain"],
                            passed=rules.resolution_passes(kind, total, tally["for"]))
    audit.create(session, actor, resolution, "coop.resolution.create")
    return resolution


def assemblies_of(session: Session, coop: Cooperative) -> list[tuple[Assembly, list[Resolution]]]:
    found = list(session.exec(select(Assembly).where(Assembly.cooperative_id == coop.id)
                              .order_by(col(Assembly.held_on).desc())).all())
    resolutions: dict[int, list[Resolution]] = defaultdict(list)
    for resolution in session.exec(select(Resolution).where(
            col(Resolution.assembly_id).in_([a.id for a in found]))).all():
        resolutions[resolution.assembly_id].append(resolution)
    return [(a, resolutions[a.id]) for a in found]  # type: ignore[index]


# --- land 入股 (the land plugin's hook) ------------------------------------------------------------------------

def land_contribution(session: Session, site: Site, actor: Actor, contribution: dict[str, Any]) -> str:
    """Record a land operating-right contribution for the member behind an 入股 transfer (docs/domain.md §6.5),
    once per transfer; a note says what was recorded, or why nothing was (the transfer stands either way)."""
    ref = str(contribution["transfer_ref"])
    code = str(contribution["transferee_credit_code"]).strip().upper()
    coop = session.exec(select(Cooperative).where(Cooperative.credit_code == code)).first()
    if coop is None:
        return _("合作社：统一社会信用代码 %(code)s 不是本县登记的合作社，未记出资", code=code)
    active = roll(session, coop)
    member = next((m for m in active if contribution.get("person_id") and m.person_id == contribution["person_id"]),
                  None)
    if member is None:
        household = registry.members_of(session, [contribution["household_id"]], contribution["start"])
        persons = {m.person.id for m in household.get(contribution["household_id"], [])}
        member = next((m for m in active if m.person_id in persons), None)
    if member is None:
        return _("合作社：%(coop)s 中没有该承包户的成员，未记出资（流转照常有效）", coop=coop.name)
    source = f"land:{contribution['transfer_id']}"
    if session.exec(select(Contribution).where(Contribution.cooperative_id == coop.id,
                                               Contribution.source_ref == source)).first():
        return _("合作社：流转 %(ref)s 的土地经营权出资已登记过", ref=ref)
    value = contribution.get("value")
    area = Decimal(contribution["area_mu"])
    description = _("土地经营权入股：流转 %(ref)s，%(area)s 亩，%(start)s 至 %(end)s，地块 %(plots)s",
                    ref=ref, area=area, start=contribution["start"], end=contribution["end"],
                    plots="、".join(contribution.get("plot_codes") or []))
    if value is None:
        description += _("（待评估）")
    day = min(contribution["start"], local_today())
    day = max(day, member.joined_on)
    try:
        add_contribution(session, site, actor, coop, member, kind="land",
                         amount=Decimal(value).quantize(Decimal("0.01")) if value is not None else ZERO,
                         contributed_on=day, description=description, source_ref=source,
                         pending_valuation=value is None)
    except CoopError as error:
        return _("合作社：%(coop)s 未记出资：%(why)s", coop=coop.name, why=error.message)
    if value is None:
        return _("合作社：已为 %(coop)s 成员 %(name)s 登记土地经营权出资 %(area)s 亩，作价待评估",
                 coop=coop.name, name=member.name, area=area)
    return _("合作社：已为 %(coop)s 成员 %(name)s 登记土地经营权出资 %(value)s 元（%(area)s 亩）",
             coop=coop.name, name=member.name, value=_yuan(Decimal(value)), area=area)


def coverage_facts(session: Session, village_codes: list[str], since: dt.date, on: dt.date) -> list[dict[str, Any]]:
    """Each co-op seated in `village_codes` and registered by `on`, as the coverage plugin's hook asks for it."""
    found = [c for c in cooperatives(session, village_codes) if c.registered_on <= on]
    ids = [c.id for c in found]
    members: dict[int, list[Member]] = defaultdict(list)
    for member in session.exec(select(Member).where(col(Member.cooperative_id).in_(ids), Member.joined_on <= on)):
        if member.exited_on is None or member.exited_on > on:
            members[member.cooperative_id].append(member)
    assemblies = dict(session.exec(select(Assembly.cooperative_id, func.count()).where(
        col(Assembly.cooperative_id).in_(ids), Assembly.held_on >= since, Assembly.held_on <= on)
        .group_by(col(Assembly.cooperative_id))).all())
    return [{"village_code": c.village_code, "name": c.name, "source": _("农民专业合作社"),
             "founded_on": c.registered_on, "members": len(members[c.id]),  # type: ignore[index]
             "person_ids": [m.person_id for m in members[c.id] if m.person_id is not None],  # type: ignore[index]
             "meetings": int(assemblies.get(c.id, 0)), "leader": "",
             "url": f"/v/{c.village_code}/p/coop/{c.id}/"} for c in found]
