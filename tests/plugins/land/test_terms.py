"""A transfer's term and rent (docs/domain.md §6.2 "Term ≤ the remaining contract term, extension included, and never
before the contract starts"; §6.3 "Rent", "transfers of 5 years or more may be registered"): every boundary at,
just below and just above, with numbers checked by hand. Pure: no database, so a mutant costs about a second."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import NamedTuple

import pytest

from cunwu_plugins.land.terms import (
    add_months,
    annual_rent,
    ends_in_time,
    instalments,
    periods,
    registrable,
    rent_per_mu,
    right_ends,
    starts_in_time,
    years_of,
)

D = Decimal
date = dt.date


class Terms(NamedTuple):
    start_on: dt.date = date(2025, 1, 1)
    end_on: dt.date = date(2026, 1, 1)
    payment_schedule: str = "yearly"
    rent_kind: str = "cash"
    rent_yuan_per_mu: Decimal = D("600.00")
    grain_kg_per_mu: Decimal | None = None
    grain_price: Decimal | None = None


# --- §6.2 the term lies within the contract right, its extension included -------------------------------------------


def test_the_right_ends_with_its_extension_when_one_is_recorded():
    assert right_ends(date(2028, 1, 1), None) == date(2028, 1, 1)
    assert right_ends(date(2028, 1, 1), date(2058, 1, 1)) == date(2058, 1, 1)


def test_a_term_may_end_on_the_day_the_right_ends_but_not_a_day_later():
    right = right_ends(date(2028, 1, 1), date(2058, 1, 1))
    assert ends_in_time(date(2058, 1, 1), right)
    assert ends_in_time(date(2057, 12, 31), right)
    assert not ends_in_time(date(2058, 1, 2), right)
    # without the extension the same term is too long
    assert not ends_in_time(date(2058, 1, 1), right_ends(date(2028, 1, 1), None))


def test_a_term_may_start_on_the_day_the_right_starts_but_not_a_day_earlier():
    assert starts_in_time(date(1998, 1, 1), date(1998, 1, 1))
    assert starts_in_time(date(1998, 1, 2), date(1998, 1, 1))
    assert not starts_in_time(date(1997, 12, 31), date(1998, 1, 1))


# --- §6.3 transfers of 5 years or more may be registered (art. 41) -------------------------------------------------


def test_a_term_of_five_years_is_registrable_a_day_less_is_not():
    assert registrable(date(2025, 1, 1), date(2030, 1, 1))
    assert registrable(date(2025, 1, 1), date(2030, 1, 2))
    assert not registrable(date(2025, 1, 1), date(2029, 12, 31))
    assert not registrable(date(2025, 1, 1), date(2025, 1, 1))


def test_a_term_from_29_february_reaches_five_years_on_1_march():
    assert registrable(date(2024, 2, 29), date(2029, 3, 1))
    assert not registrable(date(2024, 2, 29), date(2029, 2, 28))
    # five years on from 29 February 2024 is 1 March 2029 even though 2028 is a leap year
    assert registrable(date(2024, 2, 29), date(2029, 3, 2))


# --- §6.3 rent: cash per 亩, or grain per 亩 at the reference price --------------------------------------------------


def test_cash_rent_is_yuan_per_mu_times_the_area():
    assert annual_rent(Terms(rent_yuan_per_mu=D("600.00")), D("2.5")) == D("1500.000")
    assert annual_rent(Terms(rent_yuan_per_mu=D("0.00")), D("2.5")) == 0
    # a cash rent ignores any grain figures left on the form
    assert annual_rent(Terms(grain_kg_per_mu=D("500"), grain_price=D("2.80")), D("1")) == D("600.00")


def test_grain_rent_is_kilograms_times_the_reference_price():
    grain = Terms(rent_kind="grain", rent_yuan_per_mu=D("0.00"), grain_kg_per_mu=D("500"), grain_price=D("2.80"))
    assert annual_rent(grain, D("2")) == D("2800.00")  # 500 kg × 2.80 元 = 1400 元/亩, × 2 亩
    assert annual_rent(grain._replace(grain_price=None), D("2")) == 0
    assert annual_rent(grain._replace(grain_kg_per_mu=None), D("2")) == 0


def test_rent_per_mu_is_rounded_half_up_to_the_fen():
    assert rent_per_mu(Terms(rent_yuan_per_mu=D("600.00"))) == D("600.00")
    grain = Terms(rent_kind="grain", grain_kg_per_mu=D("512.5"), grain_price=D("2.37"))
    assert rent_per_mu(grain) == D("1214.63")  # 512.5 × 2.37 = 1214.625 → 1214.63
    assert rent_per_mu(grain._replace(grain_price=D("2.36"))) == D("1209.50")  # 512.5 × 2.36 = 1209.5


# --- §6.3 rent periods: counted in months from the term's start; a missing day is the month's last ------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 15), 0, date(2025, 1, 15)),
    (date(2025, 1, 15), 11, date(2025, 12, 15)),    # the last month of the same year
    (date(2025, 1, 15), 12, date(2026, 1, 15)),     # the first month of the next year
    (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(2025, 11, 30), 2, date(2026, 1, 30)),
    (date(2025, 1, 15), 36, date(2028, 1, 15)),
    (date(2025, 12, 31), 1, date(2026, 1, 31)),     # a 31st into a 31-day month stays the 31st
    (date(2025, 3, 31), 1, date(2025, 4, 30)),      # … into a 30-day month is the 30th
    (date(2025, 1, 31), 1, date(2025, 2, 28)),      # … into February of a common year the 28th
    (date(2024, 1, 31), 1, date(2024, 2, 29)),      # … of a leap year the 29th
    (date(2024, 1, 30), 1, date(2024, 2, 29)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2025, 8, 31), 6, date(2026, 2, 28)),
])
def test_adding_months(day, months, expected):
    assert add_months(day, months) == expected


def test_a_part_year_counts_by_days_of_a_365_day_year():
    assert years_of(date(2025, 1, 1), date(2025, 1, 1)) == 0
    assert years_of(date(2025, 1, 1), date(2026, 1, 1)) == 1
    assert years_of(date(2025, 1, 1), date(2025, 12, 31)) == D(364) / D(365)
    assert years_of(date(2025, 1, 1), date(2026, 1, 2)) == 1 + D(1) / D(365)
    assert years_of(date(2025, 1, 1), date(2025, 3, 15)) == D("0.2")  # 31 + 28 + 14 = 73 days = 1/5 year
    # 1 January 2027 to 1 July 2027 is 31 + 28 + 31 + 30 + 31 + 30 = 181 days
    assert years_of(date(2025, 1, 1), date(2027, 7, 1)) == 2 + D(181) / D(365)


def test_a_leap_year_is_a_whole_year_not_366_days():
    assert years_of(date(2024, 1, 1), date(2025, 1, 1)) == 1
    assert years_of(date(2024, 2, 29), date(2025, 2, 28)) == 1  # a year from 29 Feb ends on 28 Feb
    assert years_of(date(2024, 3, 1), date(2025, 2, 28)) == D(364) / D(365)


def test_a_lump_sum_is_one_period_for_the_whole_term():
    term = Terms(start_on=date(2025, 1, 1), end_on=date(2030, 1, 1), payment_schedule="lump_sum")
    assert periods(term) == [(date(2025, 1, 1), date(2030, 1, 1))]


def test_yearly_periods_are_whole_years_and_the_last_is_cut_at_the_end():
    whole = Terms(start_on=date(2025, 1, 1), end_on=date(2028, 1, 1))
    assert periods(whole) == [(date(2025, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(2027, 1, 1)),
                              (date(2027, 1, 1), date(2028, 1, 1))]
    part = Terms(start_on=date(2025, 1, 1), end_on=date(2027, 7, 1))
    assert periods(part) == [(date(2025, 1, 1), date(2026, 1, 1)), (date(2026, 1, 1), date(2027, 1, 1)),
                             (date(2027, 1, 1), date(2027, 7, 1))]
    # a day short of one year: one part-year period
    assert periods(Terms(end_on=date(2025, 12, 31))) == [(date(2025, 1, 1), date(2025, 12, 31))]


def test_half_yearly_periods_count_from_the_start_not_from_the_shortened_month():
    # from 31 August: 28 February (no 31st), then 31 August again, not 28 August
    term = Terms(start_on=date(2025, 8, 31), end_on=date(2026, 8, 31), payment_schedule="half_yearly")
    assert periods(term) == [(date(2025, 8, 31), date(2026, 2, 28)), (date(2026, 2, 28), date(2026, 8, 31))]
    shorter = term._replace(end_on=date(2026, 3, 1))
    assert periods(shorter) == [(date(2025, 8, 31), date(2026, 2, 28)), (date(2026, 2, 28), date(2026, 3, 1))]


def test_yearly_rent_in_advance_with_the_last_part_year_by_days():
    # 600 元/亩 × 2.5 亩 = 1500 元 a year; the last half year 1500 × 181 / 365 = 743.835… → 743.84
    term = Terms(start_on=date(2025, 1, 1), end_on=date(2027, 7, 1))
    assert instalments(term, D("2.5")) == [
        (date(2025, 1, 1), date(2026, 1, 1), D("1500.00")),
        (date(2026, 1, 1), date(2027, 1, 1), D("1500.00")),
        (date(2027, 1, 1), date(2027, 7, 1), D("743.84")),
    ]


def test_half_yearly_rent_pays_each_half_by_its_days():
    # 1500 × 181 / 365 = 743.835… → 743.84 (January–June); 1500 × 184 / 365 = 756.164… → 756.16 (July–December)
    term = Terms(start_on=date(2025, 1, 1), end_on=date(2026, 1, 1), payment_schedule="half_yearly")
    assert instalments(term, D("2.5")) == [
        (date(2025, 1, 1), date(2025, 7, 1), D("743.84")),
        (date(2025, 7, 1), date(2026, 1, 1), D("756.16")),
    ]


def test_a_lump_sum_pays_the_whole_term_at_the_start():
    term = Terms(start_on=date(2025, 1, 1), end_on=date(2030, 3, 15), payment_schedule="lump_sum")
    # 5 whole years + 73 days (1/5 year) of 1500 元: 7500 + 300
    assert instalments(term, D("2.5")) == [(date(2025, 1, 1), date(2030, 3, 15), D("7800.00"))]


def test_an_instalment_is_rounded_half_up_to_the_fen():
    # 0.41 元/亩 × 2.5 亩 = 1.025 元 a year; 73 days are 1/5 year: 0.205 → 0.21
    term = Terms(start_on=date(2025, 1, 1), end_on=date(2025, 3, 15), rent_yuan_per_mu=D("0.41"))
    assert instalments(term, D("2.5")) == [(date(2025, 1, 1), date(2025, 3, 15), D("0.21"))]


def test_a_grain_rent_falls_due_in_yuan_at_the_reference_price():
    term = Terms(rent_kind="grain", rent_yuan_per_mu=D("0.00"), grain_kg_per_mu=D("500"), grain_price=D("2.80"),
                 start_on=date(2025, 1, 1), end_on=date(2026, 1, 1))
    assert instalments(term, D("2")) == [(date(2025, 1, 1), date(2026, 1, 1), D("2800.00"))]


def test_a_zero_rent_still_lists_each_period_at_zero():
    term = Terms(rent_yuan_per_mu=D("0.00"), end_on=date(2026, 7, 1))
    assert instalments(term, D("3")) == [(date(2025, 1, 1), date(2026, 1, 1), D("0.00")),
                                         (date(2026, 1, 1), date(2026, 7, 1), D("0.00"))]


def test_the_largest_lump_sum_over_the_longest_right_is_exact_to_the_fen():
    # the longest term a right allows, 30 years and a 30-year extension, at a rent whose total just fits the
    # money column (NUMERIC(14,2): at most 999 999 999 999.99 元)
    term = Terms(start_on=date(2028, 1, 1), end_on=date(2088, 1, 1), payment_schedule="lump_sum",
                 rent_yuan_per_mu=D("16666666666.66"))
    assert instalments(term, D("1")) == [(date(2028, 1, 1), date(2088, 1, 1), D("999999999999.60"))]
