"""Area over time (docs/domain.md §6.2 "on every date the live transferred area of a plot ≤ its area"; a re-transfer
stays within its transfer's area): terms are [start, end), so a transfer's last day is the day before `end_on`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pytest

from cunwu_plugins.land.area import fits, peak_area, taken_on

D = Decimal
JAN1, JUL1, JAN1_NEXT = dt.date(2025, 1, 1), dt.date(2025, 7, 1), dt.date(2026, 1, 1)


class Row(NamedTuple):
    start_on: dt.date
    end_on: dt.date
    area_mu: Decimal


def test_no_transfer_leaves_nothing_taken():
    assert peak_area([], JAN1, JAN1_NEXT) == D("0")


def test_a_term_holds_its_area_from_its_first_day_to_the_day_before_its_end():
    row = Row(JAN1, JUL1, D("2.5"))
    assert taken_on([row], dt.date(2024, 12, 31)) == 0
    assert taken_on([row], JAN1) == D("2.5")
    assert taken_on([row], dt.date(2025, 6, 30)) == D("2.5")
    assert taken_on([row], JUL1) == 0


def test_back_to_back_terms_never_overlap():
    # 3 亩 in the first half-year, 2 亩 from 1 July: on no day are 5 亩 taken.
    rows = [Row(JAN1, JUL1, D("3")), Row(JUL1, JAN1_NEXT, D("2"))]
    assert peak_area(rows, JAN1, JAN1_NEXT) == D("3")
    # a new transfer of the first half-year only meets the 3 亩; one starting on 1 July only the 2 亩
    assert peak_area(rows, JAN1, JUL1) == D("3")
    assert peak_area(rows, JUL1, JAN1_NEXT) == D("2")


def test_a_term_starting_on_the_new_end_does_not_count():
    # 4 亩 taken from 1 July: a new transfer ending on 1 July (its last day 30 June) meets nothing.
    rows = [Row(JUL1, JAN1_NEXT, D("4"))]
    assert peak_area(rows, JAN1, JUL1) == D("0")
    assert peak_area(rows, JAN1, dt.date(2025, 7, 2)) == D("4")


def test_the_peak_is_on_the_day_the_most_terms_overlap():
    # 1 亩 all year, 2 亩 from 1 March to 1 September, 3 亩 from 1 August: 1 + 2 + 3 = 6 亩 during August.
    rows = [Row(JAN1, JAN1_NEXT, D("1")), Row(dt.date(2025, 3, 1), dt.date(2025, 9, 1), D("2")),
            Row(dt.date(2025, 8, 1), JAN1_NEXT, D("3"))]
    assert peak_area(rows, JAN1, JAN1_NEXT) == D("6")
    assert peak_area(rows, JAN1, dt.date(2025, 8, 1)) == D("3")    # before 1 August: 1 + 2
    assert peak_area(rows, dt.date(2025, 9, 1), JAN1_NEXT) == D("4")  # after 1 September: 1 + 3
    assert peak_area(rows, JAN1, dt.date(2025, 3, 1)) == D("1")


def test_a_term_before_the_period_is_ignored():
    rows = [Row(dt.date(2024, 1, 1), JAN1, D("5")), Row(dt.date(2025, 2, 1), JUL1, D("1.25"))]
    assert peak_area(rows, JAN1, JAN1_NEXT) == D("1.25")


@pytest.mark.parametrize(("area", "taken", "asked", "ok"), [
    (D("5"), D("3"), D("2"), True),             # the last 亩 may go
    (D("5"), D("3"), D("2.0001"), False),       # 1/10000 亩 over
    (D("5"), D("3"), D("1.9999"), True),
    (D("5"), D("0"), D("5"), True),             # the whole plot at once
    (D("5"), D("5"), D("0.0001"), False),       # nothing left
])
def test_asked_area_fits_up_to_the_last_ten_thousandth_of_a_mu(area, taken, asked, ok):
    assert fits(area, taken, asked) is ok
