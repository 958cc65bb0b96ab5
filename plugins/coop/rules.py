"""The co-operative's membership, voting and exit rules (农民专业合作社法 2017, docs/domain.md §7).

Pure functions over counts, dates and `Fraction`s; the services call them on every change and the member roll shows
`membership_checks` live. Every threshold here is the law's, not practice, so none is a setting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from cunwu.api import _

from .distribution import split

# The law's numbers: membership docs/domain.md §7.1, votes and the assembly §7.3.
MIN_MEMBERS = 5  # art. 12: at least five members
FARMER_MINIMUM = Fraction(4, 5)  # art. 20: farmers are at least 80 % of the members
SMALL_COOP = 20  # art. 20: with 20 members or fewer, at most one organisation member
ORGANISATION_MAXIMUM = Fraction(1, 20)  # art. 20: above 20 members, organisations at most 5 %
ADDITIONAL_VOTES_MAXIMUM = Fraction(1, 5)  # art. 22: additional votes ≤ 20 % of the total basic votes
QUORUM = Fraction(2, 3)  # art. 29: an assembly needs two thirds of the members present
ORDINARY = Fraction(1, 2)  # art. 30: more than half of the total votes
SPECIAL = Fraction(2, 3)  # art. 30: charter change, merger, split, dissolution: at least two thirds

SPECIAL_KINDS = frozenset({"charter", "merger", "split", "dissolution"})


@dataclass(frozen=True)
class Check:
    """One membership rule as shown on the roll: `ok`, and the sentence saying why (zh-CN, already filled in)."""

    code: str
    ok: bool
    message: str


def membership_checks(farmers: int, other_persons: int, organisations: int) -> list[Check]:
    """The three membership rules for a roll of `farmers` + `other_persons` + `organisations` members."""
    total = farmers + other_persons + organisations
    checks = [Check("min_members", total >= MIN_MEMBERS, _("成员 %(n)s 名（至少 5 名）", n=total))]
    farmer_ok = total > 0 and Fraction(farmers, total) >= FARMER_MINIMUM
    share = _percent(Fraction(farmers, total)) if total else "0"
    checks.append(Check("farmers", farmer_ok,
                        _("农民成员 %(n)s 名，占 %(share)s%%（至少 80%%）", n=farmers, share=share)))
    if total <= SMALL_COOP:
        checks.append(Check("organisations", organisations <= 1,
                            _("企业、事业单位或社会组织成员 %(n)s 个（成员 20 名以下时至多 1 个）", n=organisations)))
    else:
        checks.append(Check("organisations", Fraction(organisations, total) <= ORGANISATION_MAXIMUM,
                            _("企业、事业单位或社会组织成员 %(n)s 个，占 %(share)s%%（超过 20 名时不超过 5%%）",
                              n=organisations, share=_percent(Fraction(organisations, total)))))
    return checks


def _percent(value: Fraction) -> str:
    """A share as a percentage with up to two decimals, never rounded up past a threshold (truncated)."""
    hundredths = value * 10000 // 1
    return f"{Decimal(int(hundredths)) / 100:.2f}".rstrip("0").rstrip(".")


def membership_ok(farmers: int, other_persons: int, organisations: int) -> bool:
    return all(c.ok for c in membership_checks(farmers, other_persons, organisations))


def additional_votes_allowed(basic_votes: int) -> int:
    """The most additional votes an assembly may hand out: ⌊20 % of the total basic votes⌋."""
    return int(basic_votes * ADDITIONAL_VOTES_MAXIMUM)


def check_additional_votes(basic_votes: int, additional: int) -> None:
    if additional < 0:
        raise ValueError(_("附加表决权不能是负数"))
    if Fraction(additional) > basic_votes * ADDITIONAL_VOTES_MAXIMUM:
        raise ValueError(_("附加表决权共 %(n)s 票，超过基本表决权总数 %(basic)s 票的 20%%（至多 %(most)s 票）",
                           n=additional, basic=basic_votes, most=additional_votes_allowed(basic_votes)))


def allot_additional_votes(pool: int, weights: dict[str, Decimal]) -> dict[str, int]:
    """Hand `pool` additional votes out in proportion to `weights` (contribution or transactions), whole votes by
    the same largest-remainder rule as money (ties to the lower member number)."""
    if pool == 0 or not any(weights.values()):
        return dict.fromkeys(weights, 0)
    return {key: int(n) for key, n in split(Decimal(pool), weights, unit=Decimal(1)).items()}


def quorum_met(members: int, present: int) -> bool:
    """At least two thirds of the members present (art. 29, docs/domain.md §7.3)."""
    if not 0 <= present <= members or members == 0:
        raise ValueError(_("出席人数 %(present)s 应在 0 到成员数 %(members)s 之间", present=present, members=members))
    return Fraction(present, members) >= QUORUM


def resolution_passes(kind: str, total_votes: int, votes_for: int) -> bool:
    """Ordinary resolutions: more than half of the total votes; charter change, merger, split or dissolution: at
    least two thirds of the total votes (art. 30, docs/domain.md §7.3). `total_votes` counts basic + additional
    votes of all members."""
    if not 0 <= votes_for <= total_votes or total_votes == 0:
        raise ValueError(_("赞成票 %(n)s 应在 0 到表决权总数 %(total)s 之间", n=votes_for, total=total_votes))
    share = Fraction(votes_for, total_votes)
    return share >= SPECIAL if kind in SPECIAL_KINDS else share > ORDINARY


def year_end(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def _months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` earlier, clamped to the month's last day (31 Dec − 3 months = 30 Sep)."""
    year, month = divmod(day.month - 1 - months, 12)
    year, month = day.year + year, month + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def exit_deadline(year: int, notice_months: int) -> dt.date:
    """The last day a written exit notice takes effect at the end of `year` (art. 25, docs/domain.md §7.5)."""
    return _months_before(year_end(year), notice_months)


def exit_year(notice_on: dt.date, notice_months: int) -> int:
    """The year at whose close an exit given notice on `notice_on` takes effect: this year if the notice came at
    least `notice_months` before 31 December, else the next year."""
    return notice_on.year if notice_on <= exit_deadline(notice_on.year, notice_months) else notice_on.year + 1


def annual_report_window(year: int) -> tuple[dt.date, dt.date]:
    """The annual report for `year` is due between 1 January and 30 June of the next year."""
    return dt.date(year + 1, 1, 1), dt.date(year + 1, 6, 30)
