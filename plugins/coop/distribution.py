"""The year-end surplus distribution of a 农民专业合作社, exact to the fen (docs/coop.md, "Surplus distribution").

Pure arithmetic: no database, no site. Amounts are `Decimal` yuan with two places, shares are `Fraction`; a float
never enters. The work is done in integer fen (`split_fen`, `quantify_fen`, `distribute_fen`: a county's close
splits hundreds of thousands of member figures, read from the books as fen); the `Decimal` functions convert to and
from them, so both give the same fen. The steps (农民专业合作社法 2017 art. 44, docs/domain.md §7.4):

1. reserve (公积金) = (surplus − losses made good) × the charter's reserve rate, rounded half-up to the fen;
2. distributable surplus D = surplus − losses made good − reserve;
3. the patronage pool (按交易量（额）返还) = D × the charter's patronage share, rounded *up* to the fen, so the
   pool is never below the share (and never below 60 %, the legal floor the charter setting cannot go under);
4. the rest pool = D − patronage pool, allocated by each member's contribution + reserve share + subsidy share
   (出资额 + 公积金份额 + 财政补助形成财产的量化份额);
5. each pool is split with the largest-remainder method (`split`): every member first gets the fen-floor of their
   exact quota, then the fen left over go one each to the largest fractional remainders. Ties are broken by the
   member's key in ascending order (the member number), so the result is the same on every run and every database.

Σ of all allocations is D exactly, and Σ patronage allocations ≥ 60 % of D, in every case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import lcm

from cunwu.api import _

FEN = Decimal("0.01")
#: 农民专业合作社法 art. 44 (docs/domain.md §7.4): at least 60 % of the distributable surplus is returned by
#: transaction volume.
LEGAL_PATRONAGE_MINIMUM = Fraction(3, 5)


class DistributionError(ValueError):
    """The figures cannot give a lawful distribution; the message says which figure and why (zh-CN)."""


@dataclass(frozen=True)
class MemberFigures:
    """One member's figures for the year being closed (yuan, exact to the fen).

    `transactions` is the member's transaction amount with the co-op in the year (up to their exit for a member who
    left); `contribution`, `reserve_share` and `subsidy_share` are the balances of their member account at the
    close (after this year's reserve and subsidy assets were quantified to members).
    """

    key: str
    transactions: Decimal
    contribution: Decimal
    reserve_share: Decimal
    subsidy_share: Decimal

    @property
    def capital_weight(self) -> Decimal:
        return self.contribution + self.reserve_share + self.subsidy_share


@dataclass(frozen=True)
class Allocation:
    key: str
    patronage: Decimal
    other: Decimal

    @property
    def total(self) -> Decimal:
        return self.patronage + self.other


@dataclass(frozen=True)
class Distribution:
    distributable: Decimal
    patronage_share: Fraction
    patronage_pool: Decimal
    other_pool: Decimal
    allocations: tuple[Allocation, ...]

    def by_key(self) -> dict[str, Allocation]:
        return {a.key: a for a in self.allocations}


def money(value: Decimal | int | str) -> Decimal:
    """An exact yuan amount with two places; more places or a float are refused (no silent rounding)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    amount = Decimal(value)
    if not amount.is_finite() or amount != amount.quantize(FEN):
        raise DistributionError(_("金额 %(value)s 不是精确到分的数", value=value))
    return amount.quantize(FEN)


def reserve_amount(surplus: Decimal, losses_made_good: Decimal, rate: Fraction | Decimal) -> Decimal:
    """公积金 drawn this year: (surplus − losses made good) × rate, half-up to the fen; 0 when nothing is left."""
    surplus, losses = money(surplus), money(losses_made_good)
    rate = Fraction(rate)
    if not 0 <= rate <= 1:
        raise DistributionError(_("公积金提取比例 %(rate)s 应在 0 到 1 之间", rate=rate))
    if losses < 0:
        raise DistributionError(_("弥补亏损不能是负数"))
    base = surplus - losses
    if base <= 0:
        return Decimal("0.00")
    exact = Fraction(base) * rate
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(FEN, rounding=ROUND_HALF_UP)


def distributable_surplus(surplus: Decimal, losses_made_good: Decimal, reserve: Decimal) -> Decimal:
    """可分配盈余 = surplus − losses made good − reserve; refused when negative (nothing can be distributed)."""
    result = money(surplus) - money(losses_made_good) - money(reserve)
    if result < 0:
        raise DistributionError(_("弥补亏损 %(losses)s 元和提取公积金 %(reserve)s 元超过了当年盈余 %(surplus)s 元",
                                  losses=money(losses_made_good), reserve=money(reserve), surplus=money(surplus)))
    return result


def split_fen(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` whole units in proportion to integer `weights` by the largest-remainder method; the shares in
    the weights' order.

    Exact: Σ result = total. Each gets floor(quota), then the units left over go one each to the largest fractional
    remainders; equal remainders go to the earlier weight first (pass members in member-number order). All weights
    zero (or none) with a non-zero total is refused.
    """
    if total < 0:
        raise DistributionError(_("待分配金额 %(total)s 不能是负数", total=total))
    if weights and min(weights) < 0:
        raise DistributionError(_("分配依据不能有负数"))
    whole = sum(weights)
    if whole == 0:
        if total == 0:
            return [0] * len(weights)
        raise DistributionError(_("分配依据之和为零，无法按比例分配"))
    shares = [total * weight for weight in weights]
    floors = [share // whole for share in shares]
    left = total - sum(floors)
    if left:
        remainders = [share % whole for share in shares]
        for index in sorted(range(len(weights)), key=lambda i: -remainders[i])[:left]:  # stable: ties keep order
            floors[index] += 1
    return floors


def split(total: Decimal, weights: Mapping[str, Decimal | Fraction | int], unit: Decimal = FEN) -> dict[str, Decimal]:
    """Split `total` in proportion to `weights`, in whole `unit`s, by the largest-remainder method (`split_fen`).

    Equal remainders go to the lower key first (keys sort as strings, so use zero-padded member numbers).
    """
    units = Fraction(total) / Fraction(unit)
    if units.denominator != 1:
        raise DistributionError(_("%(total)s 不是 %(unit)s 的整数倍", total=total, unit=unit))
    if units < 0:
        raise DistributionError(_("待分配金额 %(total)s 不能是负数", total=total))
    exact = {key: Fraction(weight) for key, weight in weights.items()}
    # Whole-number weights over a common denominator: the same quotas, in integers.
    denominator = lcm(*(weight.denominator for weight in exact.values())) if exact else 1
    keys = sorted(exact)
    shares = split_fen(int(units), [exact[key].numerator * (denominator // exact[key].denominator) for key in keys])
    found = dict(zip(keys, shares, strict=True))
    return {key: unit * found[key] for key in weights}


def _percent(value: Fraction) -> str:
    return f"{Decimal(value.numerator) * 100 / Decimal(value.denominator):.2f}".rstrip("0").rstrip(".")


def check_patronage_share(share: Fraction | Decimal) -> Fraction:
    share = Fraction(share)
    if share < LEGAL_PATRONAGE_MINIMUM or share > 1:
        raise DistributionError(_("按交易量（额）返还的比例 %(share)s%% 不得低于可分配盈余的 60%%（也不能超过 100%%）",
                                  share=_percent(share)))
    return share


def to_fen(amount: Decimal) -> int:
    """A yuan amount exact to the fen (see `money`) as integer fen."""
    return int(money(amount).scaleb(2))


def from_fen(fen: int) -> Decimal:
    """Integer fen as yuan with two places."""
    return Decimal(fen).scaleb(-2)


def distribute_fen(distributable: int, patronage_share: Fraction,
                   transactions: Sequence[int], capital: Sequence[int]) -> tuple[int, list[int], list[int]]:
    """`distribute` in fen for members given in member-number order: (patronage pool, each member's patronage
    allocation, each member's allocation of the rest pool by capital weight)."""
    share = check_patronage_share(patronage_share)
    if distributable < 0:
        raise DistributionError(_("可分配盈余不能是负数"))
    exact_pool = distributable * share
    pool = -(-exact_pool.numerator // exact_pool.denominator)  # rounded up to the fen
    rest = distributable - pool
    if pool > 0 and not any(transactions):
        raise DistributionError(_("本年度没有成员交易额，无法按交易量（额）返还可分配盈余"))
    if rest > 0 and not any(capital):
        raise DistributionError(_("没有成员出资、公积金份额或补助量化份额，剩余部分无法分配"))
    return pool, split_fen(pool, transactions), split_fen(rest, capital)


def distribute(distributable: Decimal, patronage_share: Fraction | Decimal,
               members: Sequence[MemberFigures]) -> Distribution:
    """Allocate the distributable surplus: the patronage pool by transactions, the rest by capital weight.

    Refused (DistributionError, nothing allocated): a share below 60 %; a negative figure; a positive patronage pool
    with no member transactions; a positive rest pool with no contribution, reserve or subsidy share at all; a key
    used twice.
    """
    total = to_fen(distributable)
    share = check_patronage_share(patronage_share)
    if total < 0:
        raise DistributionError(_("可分配盈余不能是负数"))
    keys = [m.key for m in members]
    if len(set(keys)) != len(keys):
        raise DistributionError(_("成员编号重复"))
    for member in members:
        for label, value in (("交易额", member.transactions), ("出资额", member.contribution),
                             ("公积金份额", member.reserve_share), ("补助量化份额", member.subsidy_share)):
            if money(value) < 0:
                raise DistributionError(_("成员 %(key)s 的%(what)s不能是负数", key=member.key, what=_(label)))
    ordered = sorted(members, key=lambda m: m.key)
    pool, patronage, other = distribute_fen(total, share, [to_fen(m.transactions) for m in ordered],
                                            [to_fen(m.capital_weight) for m in ordered])
    by_key = {m.key: (p, o) for m, p, o in zip(ordered, patronage, other, strict=True)}
    allocations = tuple(Allocation(m.key, from_fen(by_key[m.key][0]), from_fen(by_key[m.key][1])) for m in members)
    return Distribution(from_fen(total), share, from_fen(pool), from_fen(total - pool), allocations)


def quantify_fen(total: int, transactions: Sequence[int], contribution: Sequence[int], basis: str) -> list[int]:
    """`quantify` in fen for members given in member-number order (their transactions and contributions)."""
    if total < 0:
        raise DistributionError(_("待分配金额 %(total)s 不能是负数", total=from_fen(total)))
    if not transactions:
        if total:
            raise DistributionError(_("没有成员，无法量化"))
        return []
    if total == 0:
        return [0] * len(transactions)
    if basis == "transactions":
        weights = transactions
    elif basis == "contribution":
        weights = contribution
    elif basis == "equal":
        weights = [1] * len(transactions)
    else:
        raise DistributionError(_("未知的量化方式 %(basis)s", basis=basis))
    if not any(weights):
        weights = [1] * len(transactions)
    return split_fen(total, weights)


def quantify(total: Decimal, members: Sequence[MemberFigures], basis: str) -> dict[str, Decimal]:
    """Quantify an amount (this year's reserve, or subsidy assets) to members: "equal", "transactions" or
    "contribution" (the charter's rule). With no transactions (or no contribution) at all it falls back to equal."""
    ordered = sorted(members, key=lambda m: m.key)
    shares = quantify_fen(to_fen(total), [to_fen(m.transactions) for m in ordered],
                          [to_fen(m.contribution) for m in ordered], basis)
    found = {m.key: from_fen(share) for m, share in zip(ordered, shares, strict=True)}
    return {m.key: found[m.key] for m in members}
