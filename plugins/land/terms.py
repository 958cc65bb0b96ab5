"""A transfer's term and rent (docs/domain.md §6.2, §6.3): the term lies within the contract right (its extension
included), and the rent — cash, or grain at a reference price — is paid in advance per year, half-year or as one
lump sum, a part year by its days.

Pure arithmetic: the services read the rows and call these, so that the unit tests pin every boundary without a
database.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from cunwu.api import FEN

ZERO = Decimal("0")
DAYS_OF_A_PART_YEAR = Decimal(365)
MONTHS_PER_INSTALMENT = {"yearly": 12, "half_yearly": 6}
#: Transfers of at least this many years may be registered (农村土地承包法 art. 41, docs/domain.md §6.3).
REGISTRABLE_YEARS = 5


class RentTerms(Protocol):
    """A transfer's rent and term as the rent arithmetic needs them (a `Transfer` row, or a test's stand-in)."""

    @property
    def rent_kind(self) -> str: ...

    @property
    def rent_yuan_per_mu(self) -> Decimal: ...

    @property
    def grain_kg_per_mu(self) -> Decimal | None: ...

    @property
    def grain_price(self) -> Decimal | None: ...

    @property
    def payment_schedule(self) -> str: ...

    @property
    def start_on(self) -> dt.date: ...

    @property
    def end_on(self) -> dt.date: ...


def right_ends(end_on: dt.date, extended_to: dt.date | None) -> dt.date:
    """The end of a contract right: the extension (三十年延包, §6.1) when one is recorded, else the first term's end."""
    return extended_to or end_on


def starts_in_time(start_on: dt.date, right_start: dt.date) -> bool:
    """Whether a term starting on `start_on` starts no earlier than the right it rests on."""
    return start_on >= right_start


def ends_in_time(end_on: dt.date, right_end: dt.date) -> bool:
    """Whether a term ending on `end_on` ends no later than the right it rests on (art. 38(3), §6.2)."""
    return end_on <= right_end


def registrable(start_on: dt.date, end_on: dt.date) -> bool:
    """Whether a term runs 5 years or more, so that the transfer may be registered (art. 41, §6.3); a term starting
    on 29 February reaches its fifth year on 1 March."""
    try:
        return end_on >= start_on.replace(year=start_on.year + REGISTRABLE_YEARS)
    except ValueError:
        return end_on >= dt.date(start_on.year + REGISTRABLE_YEARS, 3, 1)


def annual_rent(terms: RentTerms, area: Decimal) -> Decimal:
    """The rent of `area` 亩 for one year, unrounded: cash per 亩, or grain kg per 亩 at the reference price."""
    if terms.rent_kind == "cash":
        per_mu = terms.rent_yuan_per_mu
    else:
        per_mu = (terms.grain_kg_per_mu or ZERO) * (terms.grain_price or ZERO)
    return per_mu * area


def rent_per_mu(terms: RentTerms) -> Decimal:
    """The yearly rent of one 亩, to the fen (what the contract and the ledger show)."""
    return annual_rent(terms, Decimal(1)).quantize(FEN, rounding=ROUND_HALF_UP)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; a day the month lacks becomes its last day (31 Jan + 1 month = 28/29 Feb)."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def years_of(start: dt.date, end: dt.date) -> Decimal:
    """The years in [start, end): whole years from `start`, then the rest by days of a 365-day year."""
    years = ZERO
    cursor = start
    while cursor < end:
        next_year = add_months(cursor, 12)
        if next_year <= end:
            years += 1
            cursor = next_year
        else:
            years += Decimal((end - cursor).days) / DAYS_OF_A_PART_YEAR
            cursor = end
    return years


def periods(terms: RentTerms) -> list[tuple[dt.date, dt.date]]:
    """The rent periods [start, end) of the term: one lump sum, or every 12 or 6 months counted from its start (so a
    term starting on 31 August pays again on the last day of February), the last one cut at the term's end."""
    if terms.payment_schedule == "lump_sum":
        return [(terms.start_on, terms.end_on)]
    step = MONTHS_PER_INSTALMENT[terms.payment_schedule]
    result = []
    start = terms.start_on
    index = 0
    while start < terms.end_on:
        index += 1
        end = min(add_months(terms.start_on, step * index), terms.end_on)
        result.append((start, end))
        start = end
    return result


def instalments(terms: RentTerms, area: Decimal) -> list[tuple[dt.date, dt.date, Decimal]]:
    """(period start, period end, amount) of each instalment, due on its period's first day (rent in advance); each
    amount is the yearly rent of `area` times the period's years, rounded to the fen."""
    annual = annual_rent(terms, area)
    return [(start, end, (annual * years_of(start, end)).quantize(FEN, rounding=ROUND_HALF_UP))
            for start, end in periods(terms)]
