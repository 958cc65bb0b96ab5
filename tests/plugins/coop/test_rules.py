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
