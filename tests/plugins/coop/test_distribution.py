"""The surplus arithmetic: hand-computed co-ops to the fen, boundaries of the 60 % rule, and properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cunwu_plugins.coop.distribution import (
    DistributionError,
    MemberFigures,
    distributable_surplus,
    distribute,
    distribute_fen,
    quantify,
    quantify_fen,
    reserve_amount,
    split,
    split_fen,
)

D = Decimal
SIXTY = Fraction(3, 5)


def m(key: str, transactions: str, contribution: str = "0", reserve: str = "0", subsidy: str = "0") -> MemberFigures:
    return MemberFigures(key, D(transactions), D(contribution), D(reserve), D(subsidy))


def amounts(result) -> dict[str, tuple[str, str]]:
    return {a.key: (str(a.patronage), str(a.other)) for a in result.allocations}


def test_three_equal_members_and_two_newcomers():
    # D = 100.00; pool 60.00 → 20.00 each; rest 40.00 = 4000 fen over three equal capitals: 1333.33… each,
    # one fen left, equal remainders → the lowest member number (001) gets it.
    members = [m("001", "1000", "100"), m("002", "1000", "100"), m("003", "1000", "100"), m("004", "0"),
               m("005", "0")]
    result = distribute(D("100.00"), SIXTY, members)
    assert amounts(result) == {"001": ("20.00", "13.34"), "002": ("20.00", "13.33"), "003": ("20.00", "13.33"),
                               "004": ("0.00", "0.00"), "005": ("0.00", "0.00")}
    assert sum(a.total for a in result.allocations) == D("100.00")


def test_patronage_pool_rounds_up_so_sixty_percent_always_holds():
    # D = 0.07: 60 % is 4.2 fen → the pool is 5 fen (never 4), the rest 2 fen.
    # Pool 5 fen by transactions 1:2 → quotas 1.67 and 3.33 → floors 1 + 3, the fen left goes to the larger
    # remainder (A, .67). Rest 2 fen by equal capital → 1 + 1.
    result = distribute(D("0.07"), SIXTY, [m("A", "1.00", "5"), m("B", "2.00", "5")])
    assert result.patronage_pool == D("0.05") and result.other_pool == D("0.02")
    assert amounts(result) == {"A": ("0.02", "0.01"), "B": ("0.03", "0.01")}


def test_seven_equal_members_many_ties():
    # D = 1.00: pool 60 fen / 7 = 8.57 → floors 56, 4 left → 1..4; rest 40 fen / 7 = 5.71 → floors 35, 5 left → 1..5.
    members = [m(f"00{i}", "10", "10") for i in range(1, 8)]
    result = distribute(D("1.00"), SIXTY, members)
    totals = {a.key: str(a.total) for a in result.allocations}
    assert totals == {"001": "0.15", "002": "0.15", "003": "0.15", "004": "0.15", "005": "0.14", "006": "0.13",
                      "007": "0.13"}


def test_full_year_with_losses_reserve_and_a_member_who_left_mid_year():
    # surplus 12,345.67, losses made good 1,000.00, reserve 10 % of 11,345.67 = 1,134.567 → 1,134.57 (half-up);
    # D = 10,211.10; pool 60 % = 6,126.66 exactly; rest 4,084.44. Member 004 left in June: their transactions up
    # to the exit (700.00) and their contribution still count this year.
    reserve = reserve_amount(D("12345.67"), D("1000.00"), Fraction(1, 10))
    assert reserve == D("1134.57")
    distributable = distributable_surplus(D("12345.67"), D("1000.00"), reserve)
    assert distributable == D("10211.10")
    members = [m("001", "3000.00", "5000.00", "120.00"), m("002", "2000.00", "3000.00", "80.00"),
               m("003", "1500.00", "1000.00", "60.00"), m("004", "700.00", "1000.00"), m("005", "0", "500.00"),
               m("006", "1234.56", "0", "40.00")]
    result = distribute(distributable, SIXTY, members)
    # Patronage quotas in fen (pool 612,666 × transactions / 8,434.56): 217,912.73 · 145,275.15 · 108,956.37 ·
    # 50,846.30 · 0 · 89,675.45 → floors sum to 612,664; the 2 fen go to .73 (001) and .45 (006).
    # Rest quotas (408,444 × capital / 10,800.00): 193,632.71 · 116,482.18 · 40,088.02 · 37,818.89 · 18,909.44 ·
    # 1,512.76 → floors sum to 408,441; the 3 fen go to .89 (004), .76 (006), .71 (001).
    assert amounts(result) == {
        "001": ("2179.13", "1936.33"), "002": ("1452.75", "1164.82"), "003": ("1089.56", "400.88"),
        "004": ("508.46", "378.19"), "005": ("0.00", "189.09"), "006": ("896.76", "15.13"),
    }
    assert sum(a.total for a in result.allocations) == distributable


def test_subsidy_assets_quantified_equally_then_weighted():
    # 1,000.00 of subsidy assets over 3 members: 333.33… each → the fen left goes to 001 (tie, lowest number).
    members = [m("001", "100"), m("002", "100"), m("003", "200")]
    shares = quantify(D("1000.00"), members, "equal")
    assert shares == {"001": D("333.34"), "002": D("333.33"), "003": D("333.33")}
    with_subsidy = [m(x.key, str(x.transactions), subsidy=str(shares[x.key])) for x in members]
    # D = 333.33 with a 70 % charter share: 233.331 → pool 233.34 (rounded up), rest 99.99.
    # Pool by transactions 1:1:2 → 58.335, 58.335, 116.67 → floors 58.33+58.33+116.67 = 233.33, 1 fen left,
    # 001 and 002 tie at .5 → 001.  Rest by subsidy shares 33334:33333:33333 of 99.99 → 33.33339…, 33.32999…,
    # 33.32999… → floors 33.33+33.32+33.32 = 99.97, 2 fen left → 002 and 003 (.999 each) before 001 (.339).
    result = distribute(D("333.33"), Fraction(7, 10), with_subsidy)
    assert result.patronage_pool == D("233.34") and result.other_pool == D("99.99")
    assert amounts(result) == {"001": ("58.34", "33.33"), "002": ("58.33", "33.33"), "003": ("116.67", "33.33")}


def test_all_to_patronage_when_charter_says_100_percent():
    result = distribute(D("10.01"), Fraction(1), [m("1", "1"), m("2", "1"), m("3", "1")])
    assert result.other_pool == D("0.00")
    assert [str(a.patronage) for a in result.allocations] == ["3.34", "3.34", "3.33"]


def test_nothing_to_distribute_gives_zeroes():
    result = distribute(D("0.00"), SIXTY, [m("1", "0"), m("2", "0")])
    assert all(a.total == 0 for a in result.allocations)


@pytest.mark.parametrize(("share", "ok"), [(Fraction(59, 100), False), (Fraction(5999, 10000), False),
                                            (Fraction(3, 5), True), (Fraction(61, 100), True),
                                            (Fraction(1), True), (Fraction(101, 100), False)])
def test_patronage_share_boundary(share, ok):
    members = [m("1", "1", "1")]
    if ok:
        assert distribute(D("100.00"), share, members).patronage_pool >= D("60.00")
    else:
        with pytest.raises(DistributionError, match="60%"):
            distribute(D("100.00"), share, members)


def test_refusals_name_the_problem():
    with pytest.raises(DistributionError, match="没有成员交易额"):
        distribute(D("10.00"), SIXTY, [m("1", "0", "5")])
    with pytest.raises(DistributionError, match="剩余部分无法分配"):
        distribute(D("10.00"), SIXTY, [m("1", "5")])
    with pytest.raises(DistributionError, match="超过了当年盈余"):
        distributable_surplus(D("100.00"), D("50.00"), D("50.01"))
    with pytest.raises(DistributionError, match="交易额不能是负数"):
        distribute(D("10.00"), SIXTY, [m("1", "-1", "5")])
    with pytest.raises(DistributionError, match="精确到分"):
        distribute(D("10.001"), SIXTY, [m("1", "1", "5")])
    with pytest.raises(DistributionError, match="成员编号重复"):
        distribute(D("10.00"), SIXTY, [m("1", "1", "5"), m("1", "1", "5")])
    with pytest.raises(TypeError, match="float"):
        reserve_amount(0.1, D("0"), Fraction(1, 10))  # type: ignore[arg-type]


def test_reserve_boundaries():
    assert reserve_amount(D("100.00"), D("100.00"), Fraction(1, 10)) == D("0.00")
    assert reserve_amount(D("100.00"), D("150.00"), Fraction(1, 10)) == D("0.00")
    assert reserve_amount(D("0.05"), D("0"), Fraction(1, 10)) == D("0.01")  # 0.005 → half-up
    assert reserve_amount(D("0.04"), D("0"), Fraction(1, 10)) == D("0.00")
    with pytest.raises(DistributionError, match="0 到 1"):
        reserve_amount(D("1.00"), D("0"), Fraction(11, 10))


def test_split_votes_in_whole_units():
    assert split(D(3), {"a": D("1"), "b": D("1"), "c": D("1"), "d": D("0")}, unit=D(1)) == {
        "a": D(1), "b": D(1), "c": D(1), "d": D(0)}
    assert split(D(2), {"b": 1, "a": 1, "c": 1}, unit=D(1)) == {"a": D(1), "b": D(1), "c": D(0)}


# --- boundaries the mutation run (docs/testing.md) showed untested --------------------------------------------------

def test_reserve_rate_from_zero_to_the_whole():
    # docs/domain.md §7.4: the reserve is (surplus − losses made good) × the charter's rate, 0 ≤ rate ≤ 1.
    assert reserve_amount(D("100.00"), D("0"), Fraction(0)) == D("0.00")
    assert reserve_amount(D("100.00"), D("20.00"), Fraction(1)) == D("80.00")
    assert reserve_amount(D("1.00"), D("0"), Fraction(1, 10)) == D("0.10")
    with pytest.raises(DistributionError, match="0 到 1"):
        reserve_amount(D("1.00"), D("0"), Fraction(-1, 10))


def test_losses_just_over_the_surplus_leave_no_reserve():
    # docs/domain.md §7.4: losses made good of 100.50 on a surplus of 100.00 leave nothing to draw (not −0.05).
    assert reserve_amount(D("100.00"), D("100.50"), Fraction(1, 10)) == D("0.00")


def test_negative_losses_made_good_are_refused():
    with pytest.raises(DistributionError, match="弥补亏损不能是负数"):
        reserve_amount(D("100.00"), D("-0.50"), Fraction(1, 10))


def test_losses_and_reserve_may_take_the_whole_surplus():
    # docs/domain.md §7.4: D = surplus − losses − reserve = 0 is lawful (nothing to distribute); one fen more is not.
    assert distributable_surplus(D("100.00"), D("50.00"), D("50.00")) == D("0.00")
    assert distributable_surplus(D("100.00"), D("50.00"), D("49.50")) == D("0.50")


def test_a_negative_distributable_surplus_is_refused():
    with pytest.raises(DistributionError, match="可分配盈余不能是负数"):
        distribute(D("-0.50"), SIXTY, [m("1", "1", "1")])


def test_small_pools_with_nobody_to_take_them_are_refused():
    # D = 1.00: pool 0.60 and rest 0.40, each under one yuan, still need someone to go to.
    with pytest.raises(DistributionError, match="没有成员交易额"):
        distribute(D("1.00"), SIXTY, [m("1", "0", "5")])
    with pytest.raises(DistributionError, match="剩余部分无法分配"):
        distribute(D("1.00"), SIXTY, [m("1", "5")])


def test_nothing_to_distribute_is_written_as_zero_fen():
    result = distribute(D("0.00"), SIXTY, [m("1", "0"), m("2", "0")])
    assert [(str(a.patronage), str(a.other)) for a in result.allocations] == [("0.00", "0.00"), ("0.00", "0.00")]


def test_split_to_a_single_weight_and_its_refusals():
    assert split(D("0.03"), {"a": 1}) == {"a": D("0.03")}
    assert split(D("0.03"), {"a": 1, "b": 0}) == {"a": D("0.03"), "b": D("0.00")}
    with pytest.raises(DistributionError, match=r"不是 0\.01 的整数倍"):
        split(D("0.005"), {"a": 1})
    with pytest.raises(DistributionError, match=r"待分配金额 -0\.01 不能是负数"):
        split(D("-0.01"), {"a": 1})
    with pytest.raises(DistributionError, match="分配依据不能有负数"):
        split(D("1.00"), {"a": D("-0.50"), "b": 1})
    with pytest.raises(DistributionError, match="分配依据之和为零"):
        split(D("0.01"), {"a": 0})


def test_quantify_by_transactions_and_by_contribution():
    # docs/domain.md §7.2: the reserve and subsidy assets are quantified to member accounts by the charter's rule.
    members = [m("001", "100", "300"), m("002", "300", "100")]
    assert quantify(D("1.00"), members, "transactions") == {"001": D("0.25"), "002": D("0.75")}
    assert quantify(D("1.00"), members, "contribution") == {"001": D("0.75"), "002": D("0.25")}
    assert quantify(D("1.00"), members, "equal") == {"001": D("0.50"), "002": D("0.50")}


def test_quantify_falls_back_to_equal_shares_when_nobody_traded():
    members = [m("001", "0", "300"), m("002", "0", "100")]
    assert quantify(D("0.03"), members, "transactions") == {"001": D("0.02"), "002": D("0.01")}


def test_quantify_with_nobody_or_nothing():
    assert quantify(D("0.00"), [], "equal") == {}
    assert quantify(D("0.00"), [m("001", "5")], "equal") == {"001": D("0.00")}
    with pytest.raises(DistributionError, match="没有成员，无法量化"):
        quantify(D("0.01"), [], "equal")
    with pytest.raises(DistributionError, match="不能是负数"):
        quantify(D("-1.00"), [m("001", "5")], "equal")
    with pytest.raises(DistributionError, match="未知的量化方式"):
        quantify(D("1.00"), [m("001", "5")], "seniority")


# --- properties (last: the slowest, so a mutant a boundary test catches never waits for them) ---------------

cents = st.integers(min_value=0, max_value=10**9).map(lambda n: D(n) / 100)
member_lists = st.lists(st.tuples(cents, cents, cents, cents), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(distributable=cents, share_pct=st.integers(min_value=60, max_value=100), rows=member_lists)
def test_properties_sum_exact_and_sixty_percent(distributable, share_pct, rows):
    members = [MemberFigures(f"{i:04d}", *row) for i, row in enumerate(rows)]
    share = Fraction(share_pct, 100)
    try:
        result = distribute(distributable, share, members)
    except DistributionError as error:  # only the two "nobody to give it to" refusals are allowed here
        assert "无法" in str(error)
        return
    assert sum(a.total for a in result.allocations) == distributable
    assert sum(a.patronage for a in result.allocations) == result.patronage_pool
    assert Fraction(result.patronage_pool) >= Fraction(distributable) * share >= Fraction(distributable) * SIXTY
    assert Fraction(result.patronage_pool) - Fraction(distributable) * share < Fraction(1, 100)
    for member, allocation in zip(members, result.allocations, strict=True):
        assert allocation.patronage >= 0 and allocation.other >= 0
        if member.transactions == 0:
            assert allocation.patronage == 0
        # largest remainder never moves a member more than one fen from their exact quota
        if result.patronage_pool and sum(x.transactions for x in members):
            quota = Fraction(result.patronage_pool) * Fraction(member.transactions) / Fraction(
                sum(x.transactions for x in members))
            assert abs(Fraction(allocation.patronage) - quota) < Fraction(1, 100)


@settings(max_examples=200, deadline=None)
@given(total=cents, weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30))
def test_split_is_exact_and_deterministic(total, weights):
    keyed = {f"{i:03d}": D(w) for i, w in enumerate(weights)}
    if not any(weights):
        return
    first = split(total, keyed)
    assert sum(first.values()) == total
    assert split(total, dict(reversed(list(keyed.items())))) == first


def test_one_fen_below_zero_is_refused_by_each_fen_step() -> None:
    """The fen core refuses the smallest negative amount itself, each with its own message (not a later step's)."""
    with pytest.raises(DistributionError, match="不能是负数"):
        split_fen(-1, [1])
    with pytest.raises(DistributionError, match=r"-0\.01"):
        quantify_fen(-1, [1], [1], "equal")
    with pytest.raises(DistributionError, match="可分配盈余"):
        distribute_fen(-1, Fraction(3, 5), [1], [1])


def test_one_fen_is_quantified_and_a_one_fen_pool_needs_its_basis() -> None:
    assert quantify_fen(1, [0, 0], [0, 0], "equal") == [1, 0]
    assert quantify_fen(0, [3, 1], [0, 0], "transactions") == [0, 0]
    # 1 fen distributable at 60 %: the patronage pool is that fen (rounded up), the rest pool nothing.
    with pytest.raises(DistributionError, match="交易"):
        distribute_fen(1, Fraction(3, 5), [0, 0], [5, 5])
    # 3 fen at 60 %: pool 2 (1.8 rounded up), rest 1 fen, with no capital at all.
    with pytest.raises(DistributionError, match="出资"):
        distribute_fen(3, Fraction(3, 5), [1, 1], [0, 0])
