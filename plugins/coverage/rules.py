"""The covering rule and the rates (docs/domain.md §8, docs/coverage.md): pure functions on plain numbers, so
they are tested with hand-checked figures and no database.

An organisation covers when it exists, has at least `min_members` members and held at least `min_meetings`
meetings in the last 12 months. A village is covered for a type when:
1. party — its party organisation covers;
2. self_governance — the villagers' committee, the representative meeting and the supervision committee all cover;
3. economic — at least one economic organisation covers;
4. order — the 综治工作站 and the patrol team cover, it has work sub-areas each with a leader, and every household
   is in a household group, each group with a leader ("3+1").
Coverage of a type in a township or county = covered villages / villages; "all four" = villages covered for all four.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

TYPES = ("party", "self_governance", "economic", "order")
SELF_GOVERNANCE = ("villagers_committee", "representative_meeting", "supervision_committee")


@dataclass(frozen=True)
class Criteria:
    min_members: int
    min_meetings: int


def shortfalls(present: bool, members: int | None, meetings: int | None, criteria: Criteria) -> list[str]:
    """What keeps one organisation from covering: "absent", "members", "meetings" (empty: it covers)."""
    if not present:
        return ["absent"]
    found = []
    if (members or 0) < criteria.min_members:
        found.append("members")
    if (meetings or 0) < criteria.min_meetings:
        found.append("meetings")
    return found


@dataclass(frozen=True)
class GroupFacts:
    """The household groups of a village, as counted: households on the register, how many are in a group, the
    groups, those without a leader and those whose size is outside the site's range."""

    households: int
    assigned: int
    groups: int
    without_leader: int
    wrong_size: int

    def shortfalls(self) -> list[str]:
        found = []
        if self.groups == 0:
            found.append("no_groups")
        if self.assigned < self.households:
            found.append("unassigned")
        if self.without_leader:
            found.append("no_leader")
        return found


def size_flag(size: int, low: int, high: int) -> str:
    """"small" / "large" / "" for a group of `size` households against the site's range (docs/domain.md §8)."""
    if size < low:
        return "small"
    if size > high:
        return "large"
    return ""


def type_covered(kind_covers: Mapping[str, bool], economic_covers: Iterable[bool], subareas_led: Iterable[bool],
                 groups: GroupFacts) -> dict[str, bool]:
    """Each of the four types for one village, from the covering of its organisations."""
    subareas = list(subareas_led)
    return {
        "party": kind_covers.get("party", False),
        "self_governance": all(kind_covers.get(k, False) for k in SELF_GOVERNANCE),
        "economic": any(economic_covers),
        "order": (kind_covers.get("station", False) and kind_covers.get("patrol_team", False)
                  and bool(subareas) and all(subareas) and not groups.shortfalls()),
    }


@dataclass
class Rate:
    """Villages covered out of villages, per type and for all four at once."""

    villages: int = 0
    covered: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*TYPES, "all"), 0))

    def add(self, types: Mapping[str, bool]) -> None:
        self.villages += 1
        flags = [bool(types.get(kind)) for kind in TYPES]
        for kind, flag in zip(TYPES, flags, strict=True):
            self.covered[kind] += flag
        self.covered["all"] += all(flags)

    def share(self, kind: str) -> Fraction:
        return Fraction(self.covered[kind], self.villages) if self.villages else Fraction(0)


def rates(villages: Iterable[tuple[str, Mapping[str, bool]]]) -> tuple[dict[str, Rate], Rate]:
    """(rate by township key, county rate) from (township key, the village's types) pairs: one pass over the
    villages, the county then summed from its townships (a county page has 300 villages, 15 townships)."""
    by_township: dict[str, Rate] = {}
    for township, types in villages:
        by_township.setdefault(township, Rate()).add(types)
    county = Rate()
    for rate in by_township.values():
        county.villages += rate.villages
        for kind, count in rate.covered.items():
            county.covered[kind] += count
    return by_township, county


def percent(share: Fraction, places: int = 1) -> Decimal:
    """A share as a percentage rounded half-up (2/3 → 66.7)."""
    exact = Decimal(share.numerator * 100) / Decimal(share.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def twelve_months_before(day: dt.date) -> dt.date:
    """The first day of the 12-month window ending on `day` (29 February → 1 March of the year before)."""
    try:
        start = day.replace(year=day.year - 1)
    except ValueError:
        start = dt.date(day.year - 1, 2, 28)
    return start + dt.timedelta(days=1)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)
