"""Membership, vote and exit rules at, below and above each threshold."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cunwu_plugins.coop import rules


def failing(farmers: int, others: int, organisations: int) -> set[str]:
    return {c.code for c in rules.membership_checks(farmers, others, organisations) if not c.ok}


@pytest.mark.parametrize(("roll", "failed"), [
    ((4, 0, 0), {"min_members"}),            # below 5
    ((5, 0, 0), set()),                       # at 5
    ((4, 0, 1), set()),                       # 80 % farmers exactly, one organisation
    ((3, 1, 1), {"farmers"}),                 # 60 % farmers
    ((8, 1, 1), set()),                       # 80 %
    ((7, 2, 1), {"farmers"}),                 # 70 %
    ((18, 0, 2), {"organisations"}),          # ≤ 20 members, 2 organisations
    ((19, 0, 1), set()),                      # 20 members, 1 organisation
    ((39, 0, 2), set()),                      # 41 members: 2/41 = 4.9 %
    ((38, 0, 2), set()),                      # 40 members: 2/40 = 5 % exactly
    ((37, 0, 2), {"organisations"}),          # 39 members: 2/39 = 5.1 %
    ((20, 0, 1), set()),                      # 21 members: 1/21 = 4.8 %
    ((0, 0, 0), {"min_members", "farmers"}),
])
def test_membership_thresholds(roll, failed):
    assert failing(*roll) == failed


def test_checks_say_the_figures():
    messages = [c.message for c in rules.membership_checks(37, 0, 2)]
    assert messages[0] == "成员 39 名（至少 5 名）"
    assert "94.87%" in messages[1]
    assert "5.12%" in messages[2] and "不超过 5%" in messages[2]


@pytest.mark.parametrize(("basic", "additional", "ok"), [(10, 2, True), (10, 3, False), (11, 2, True), (14, 3, False),
                                                          (15, 3, True), (5, 1, True), (5, 0, True)])
def test_additional_votes_at_most_twenty_percent(basic, additional, ok):
    if ok:
        rules.check_additional_votes(basic, additional)
    else:
        with pytest.raises(ValueError, match="超过基本表决权总数"):
            rules.check_additional_votes(basic, additional)


def test_additional_votes_allotted_by_contribution():
    votes = rules.allot_additional_votes(2, {"001": Decimal("5000"), "002": Decimal("3000"), "003": Decimal("0")})
    assert votes == {"001": 1, "002": 1, "003": 0}
    assert rules.allot_additional_votes(0, {"001": Decimal("1")}) == {"001": 0}


@pytest.mark.parametrize(("members", "present", "met"), [(9, 5, False), (9, 6, True), (10, 6, False), (10, 7, True),
                                                          (3, 2, True)])
def test_quorum_two_thirds(members, present, met):
    assert rules.quorum_met(members, present) is met


def test_quorum_refuses_impossible_counts():
    with pytest.raises(ValueError, match="出席人数"):
        rules.quorum_met(5, 6)


@pytest.mark.parametrize(("kind", "total", "votes_for", "passes"), [
    ("ordinary", 12, 6, False), ("ordinary", 12, 7, True), ("ordinary", 11, 6, True),
    ("charter", 12, 7, False), ("charter", 12, 8, True), ("merger", 9, 6, True), ("dissolution", 10, 6, False),
    ("dissolution", 10, 7, True),
])
def test_resolution_thresholds(kind, total, votes_for, passes):
    assert rules.resolution_passes(kind, total, votes_for) is passes


@pytest.mark.parametrize(("notice", "months", "year"), [
    (dt.date(2025, 9, 30), 3, 2025), (dt.date(2025, 10, 1), 3, 2026), (dt.date(2025, 1, 2), 3, 2025),
    (dt.date(2025, 6, 30), 6, 2025), (dt.date(2025, 7, 1), 6, 2026),
])
def test_exit_notice_three_months_before_year_end(notice, months, year):
    assert rules.exit_year(notice, months) == year


def test_annual_report_window():
    assert rules.annual_report_window(2025) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))


# --- boundaries the mutation run (docs/testing.md) showed untested --------------------------------------------------

def test_one_member_is_all_farmers_but_too_few():
    # docs/domain.md §7.1: 1 farmer of 1 = 100 % ≥ 80 %; only "at least 5 members" fails.
    assert failing(1, 0, 0) == {"min_members"}


@pytest.mark.parametrize(("roll", "rule"), [
    ((19, 0, 1), "成员 20 名以下时至多 1 个"),   # 20 members: still the small co-op's "at most one" rule
    ((20, 0, 1), "超过 20 名时不超过 5%"),       # 21 members: the 5 % rule (1/21 = 4.76 %)
])
def test_the_organisation_rule_changes_above_twenty_members(roll, rule):
    # docs/domain.md §7.1: ≤ 20 members → at most one organisation; > 20 → at most 5 %. At 20 and 21 members both
    # rules give the same verdict, so the sentence shown is what tells them apart.
    organisations = rules.membership_checks(*roll)[2]
    assert organisations.ok and rule in organisations.message
    assert ("4.76%" in organisations.message) is (sum(roll) == 21)


@pytest.mark.parametrize(("basic", "most"), [(0, 0), (4, 0), (5, 1), (10, 2), (14, 2), (15, 3)])
def test_additional_votes_allowed_is_twenty_percent_rounded_down(basic, most):
    # docs/domain.md §7.3: additional votes ≤ 20 % of the total basic votes, whole votes: ⌊basic / 5⌋.
    assert rules.additional_votes_allowed(basic) == most


def test_refused_additional_votes_name_the_most_allowed():
    with pytest.raises(ValueError, match=r"超过基本表决权总数 14 票的 20%（至多 2 票）"):
        rules.check_additional_votes(14, 3)


@pytest.mark.parametrize("additional", [-1, -5])
def test_negative_additional_votes_are_refused(additional):
    with pytest.raises(ValueError, match="附加表决权不能是负数"):
        rules.check_additional_votes(10, additional)


def test_additional_votes_with_nothing_to_weigh_or_a_single_vote():
    # docs/domain.md §7.3: votes allotted by contribution; with no contribution at all nobody gets one (not an error).
    assert rules.allot_additional_votes(3, {"001": Decimal(0), "002": Decimal(0)}) == {"001": 0, "002": 0}
    # one vote to hand out: it goes to the larger contribution
    assert rules.allot_additional_votes(1, {"001": Decimal(100), "002": Decimal(300)}) == {"001": 0, "002": 1}
    # a single member gets the whole pool, in whole votes
    assert rules.allot_additional_votes(3, {"001": Decimal(5)}) == {"001": 3}


def test_a_negative_pool_of_additional_votes_is_refused():
    with pytest.raises(ValueError, match="不能是负数"):
        rules.allot_additional_votes(-1, {"001": Decimal(1)})


@pytest.mark.parametrize(("members", "present", "met"), [(9, 0, False), (3, 3, True), (1, 1, True), (1, 0, False)])
def test_quorum_at_zero_and_everyone_present(members, present, met):
    # docs/domain.md §7.3: at least 2/3 of the members present; 0 present and all present are counts, not errors.
    assert rules.quorum_met(members, present) is met


@pytest.mark.parametrize(("members", "present"), [(5, -1), (0, 0), (0, 1)])
def test_quorum_refuses_negative_counts_and_an_empty_roll(members, present):
    with pytest.raises(ValueError, match="出席人数"):
        rules.quorum_met(members, present)


@pytest.mark.parametrize(("kind", "total", "votes_for", "passes"), [
    ("ordinary", 12, 0, False), ("ordinary", 12, 12, True), ("ordinary", 1, 1, True), ("charter", 1, 1, True),
    ("split", 3, 2, True), ("split", 3, 1, False),
])
def test_resolutions_at_zero_and_all_votes(kind, total, votes_for, passes):
    # docs/domain.md §7.3: ordinary > 1/2 of the total votes, charter/merger/split/dissolution ≥ 2/3.
    assert rules.resolution_passes(kind, total, votes_for) is passes


@pytest.mark.parametrize(("total", "votes_for"), [(12, 13), (12, -1), (0, 0), (0, 1)])
def test_resolution_refuses_impossible_vote_counts(total, votes_for):
    with pytest.raises(ValueError, match="赞成票"):
        rules.resolution_passes("ordinary", total, votes_for)


def test_year_end_is_the_thirty_first_of_december():
    assert rules.year_end(2025) == dt.date(2025, 12, 31)


@pytest.mark.parametrize(("year", "months", "deadline"), [
    (2025, 1, dt.date(2025, 11, 30)),   # 31 Dec − 1 month: November has 30 days
    (2025, 2, dt.date(2025, 10, 31)),   # no clamping needed
    (2025, 3, dt.date(2025, 9, 30)),    # the law's minimum for a person (docs/domain.md §7.5)
    (2025, 6, dt.date(2025, 6, 30)),    # the law's minimum for an organisation
    (2025, 10, dt.date(2025, 2, 28)),   # February of a common year
    (2024, 10, dt.date(2024, 2, 29)),   # February of a leap year
    (2025, 11, dt.date(2025, 1, 31)),
    (2025, 12, dt.date(2024, 12, 31)),  # the largest notice a site may ask: back into the previous year
])
def test_exit_deadline_counts_whole_months_back_from_year_end(year, months, deadline):
    # docs/domain.md §7.5: written notice at least N months before the year end; a day the month lacks is its last.
    assert rules.exit_deadline(year, months) == deadline


@pytest.mark.parametrize(("notice", "year"), [(dt.date(2024, 12, 31), 2025), (dt.date(2025, 1, 1), 2026)])
def test_a_twelve_month_notice_always_leaves_at_next_years_close(notice, year):
    # docs/domain.md §7.5: 31 Dec 2024 is exactly 12 months before 31 Dec 2025; 1 Jan 2025 is less than 12 months
    # before 31 Dec 2025, so that member leaves at the close of 2026.
    assert rules.exit_year(notice, 12) == year
