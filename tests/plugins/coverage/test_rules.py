"""The covering rule and the rates with hand-checked numbers (pure functions, no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from cunwu_plugins.coverage.rules import (
    Criteria,
    GroupFacts,
    percent,
    rates,
    shortfalls,
    size_flag,
    twelve_months_before,
    type_covered,
)

CRITERIA = Criteria(min_members=3, min_meetings=2)
GOOD_GROUPS = GroupFacts(households=24, assigned=24, groups=2, without_leader=0, wrong_size=0)


def test_an_organisation_covers_only_when_present_with_members_and_meetings() -> None:
    assert shortfalls(True, 3, 2, CRITERIA) == []
    assert shortfalls(True, 2, 2, CRITERIA) == ["members"]
    assert shortfalls(True, 3, 1, CRITERIA) == ["meetings"]
    assert shortfalls(True, None, None, CRITERIA) == ["members", "meetings"]
    assert shortfalls(False, 9, 9, CRITERIA) == ["absent"]
    assert shortfalls(True, 1, 0, Criteria(1, 0)) == []


def test_group_sizes_outside_ten_to_fifteen_are_flagged() -> None:
    assert [size_flag(n, 10, 15) for n in (9, 10, 15, 16)] == ["small", "", "", "large"]


def test_household_groups_need_every_household_and_a_leader_each() -> None:
    assert GOOD_GROUPS.shortfalls() == []
    assert GroupFacts(24, 23, 2, 0, 0).shortfalls() == ["unassigned"]
    assert GroupFacts(24, 24, 2, 1, 1).shortfalls() == ["no_leader"]  # a wrong size is flagged, not failing
    assert GroupFacts(0, 0, 0, 0, 0).shortfalls() == ["no_groups"]


def test_each_type_from_its_organisations() -> None:
    every = dict.fromkeys(("party", "villagers_committee", "representative_meeting", "supervision_committee",
                           "station", "patrol_team"), True)
    assert type_covered(every, [False, True], [True], GOOD_GROUPS) == dict.fromkeys(
        ("party", "self_governance", "economic", "order"), True)
    missing = type_covered({**every, "supervision_committee": False, "patrol_team": False}, [False], [True, False],
                           GOOD_GROUPS)
    assert missing == {"party": True, "self_governance": False, "economic": False, "order": False}
    no_subareas = type_covered(every, [True], [], GOOD_GROUPS)
    assert no_subareas["order"] is False and no_subareas["economic"] is True
    unassigned = type_covered(every, [True], [True], GroupFacts(24, 20, 2, 0, 0))
    assert unassigned["order"] is False


def test_rates_per_township_and_county_hand_checked() -> None:
    t, f = True, False

    def types(p: bool, s: bool, e: bool, o: bool) -> dict[str, bool]:
        return {"party": p, "self_governance": s, "economic": e, "order": o}

    by_township, county = rates([("A", types(t, t, t, t)), ("A", types(t, f, t, t)), ("A", types(t, t, f, f)),
                                 ("B", types(f, t, t, t)), ("B", types(t, t, t, t))])
    a, b = by_township["A"], by_township["B"]
    assert (a.villages, a.covered) == (3, {"party": 3, "self_governance": 2, "economic": 2, "order": 2, "all": 1})
    assert [percent(a.share(k)) for k in ("party", "self_governance", "all")] == [
        Decimal("100.0"), Decimal("66.7"), Decimal("33.3")]
    assert [percent(b.share(k)) for k in ("party", "all")] == [Decimal("50.0"), Decimal("50.0")]
    assert county.villages == 5 and county.share("all") == Fraction(2, 5)
    assert [percent(county.share(k)) for k in ("party", "self_governance", "economic", "order", "all")] == [
        Decimal("80.0")] * 4 + [Decimal("40.0")]


def test_percent_rounds_half_up_and_an_empty_rate_is_zero() -> None:
    assert percent(Fraction(1, 8)) == Decimal("12.5") and percent(Fraction(1, 16)) == Decimal("6.3")
    assert percent(Fraction(1, 6)) == Decimal("16.7") and percent(Fraction(0)) == Decimal("0.0")
    assert rates([])[1].share("all") == 0


def test_the_twelve_month_window() -> None:
    assert twelve_months_before(dt.date(2026, 12, 7)) == dt.date(2025, 12, 8)
    assert twelve_months_before(dt.date(2024, 2, 29)) == dt.date(2023, 3, 1)
