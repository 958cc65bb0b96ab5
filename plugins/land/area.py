"""A plot's transferred area over time (docs/domain.md §6.2): on every date the live transferred area of a plot is at
most its area, and a re-transfer stays within the area of the transfer it rests on (so no 亩 is transferred twice).

Pure arithmetic over terms [start_on, end_on): the day a transfer ends, its area is free again. The services read the
rows and call these; the database holds the same rule again in the `land_0002` trigger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Protocol

ZERO = Decimal("0")


class Term(Protocol):
    """An area taken from `start_on` up to (not including) `end_on` — a transfer's row for one plot."""

    @property
    def start_on(self) -> dt.date: ...

    @property
    def end_on(self) -> dt.date: ...

    @property
    def area_mu(self) -> Decimal: ...


def taken_on(terms: Sequence[Term], day: dt.date) -> Decimal:
    """The area the terms hold on `day`."""
    return sum((term.area_mu for term in terms if term.start_on <= day < term.end_on), ZERO)


def peak_area(terms: Sequence[Term], start: dt.date, end: dt.date) -> Decimal:
    """The largest area the terms hold on any one date in [start, end).

    The total only rises on a day a term starts, so the peak is on `start` or on a start inside the period.
    """
    starts = [term.start_on for term in terms if start < term.start_on < end]
    return max(taken_on(terms, day) for day in [start, *starts])


def fits(area: Decimal, taken: Decimal, asked: Decimal) -> bool:
    """Whether `asked` 亩 more fit in `area` 亩 of which `taken` are already transferred (the last 亩 included)."""
    return taken + asked <= area
