"""低保 amounts and dates: the pure calculation core (no database, no web).

Rounding rule — the only one in this module
-------------------------------------------
Money is `decimal.Decimal` in yuan; floats are refused. Everything is computed *exactly* (with
`fractions.Fraction` inside: the income per person, household income ÷ members, is generally not a
finite decimal) and rounded **once per covered person's line**: the person's monthly amount
(base + extra) is rounded half-up (四舍五入, ties away from zero) to the fen. The line's base is the
exact base rounded the same way; its extra is the rounded line amount minus the rounded base, so
base + extra always equals the line amount (the extra column absorbs the fen in the rare case the
two parts would round differently). The household total is the sum of the rounded lines, never a
rounding of the exact household sum: three covered persons at 249.99⅓ yuan each get
3 × 249.99 = 749.97, not 749.98. Nothing else is rounded: not the income per person, the standard
or the minimum (`Benefit.income_per_person` is the exact Fraction; `income_per_person_yuan` is
for display only).

Benefit rules (docs/domain.md §5; the shares are per-site settings, see `settings.DibaoSettings`)
-----------------------------------------------------------------------------------------
- Income per person = household monthly income (all members) ÷ household members counted. This
  holds for 单人保 too (single-person enrolment of qualifying members of a borderline household):
  the whole household's income is divided by all its members; only the covered persons get a line.
- Not eligible when income per person ≥ standard (the rule is a strict "<"): total 0,
  `eligible=False`, no lines.
- Base per covered person: gap method = standard − income per person; tiered method = the first
  tier whose `max_income_share` × standard exceeds the income per person (exclusive bound) pays
  `benefit_share` × standard.
- Minimum: the base per person is raised to `minimum_share_of_standard` × standard when lower (both
  methods). The minimum applies to the base only; extras come on top.
- Extras (分类施保): elderly = aged ≥ `elderly_age` on the first day of the paid month; minor =
  aged < `minor_age` on that day; severe disability and serious illness as recorded. A person in
  several categories gets only the highest share (就高不叠加), not the sum; equal shares are
  broken in the order of `settings.EXTRA_CATEGORIES`.

Phase-out (渐退): the last monthly amount is *held* unchanged for `phase_out_months` months after
the income rose above the standard, then stops (no stepping down), see `phase_out_amount`.

Working days are Monday to Friday; there is no holiday calendar (法定节假日 and the weekend days
worked in their place, 调休, are unknown here), so deadlines near public holidays need a person's
check.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal, NamedTuple

from cunwu.api import _, fen_text

from .settings import EXTRA_CATEGORIES, DibaoSettings

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
KINDS: tuple[str, ...] = ("rural", "urban")


class NoStandardInForce(LookupError):
    """No 低保 standard is in force for the area, kind and month asked."""


def _money(value: object, what: str) -> Decimal:
    if isinstance(value, float) or not isinstance(value, Decimal | int) or isinstance(value, bool):
        raise TypeError(
            f"{what}: money must be a Decimal (or int) in yuan, got {type(value).__name__} {value!r}"
        )
    result = Decimal(value)
    if not result.is_finite():
        raise ValueError(f"{what}: must be a finite amount, got {value!r}")
    return result


def round_fen(value: Fraction | Decimal) -> Decimal:
    """Round an exact amount half-up (ties away from zero) to the fen — the module's one rounding rule.

    Integer arithmetic on the exact ratio: it runs for every line of every household of a monthly run.
    """
    numerator, denominator = value.as_integer_ratio()
    fen = (200 * abs(numerator) + denominator) // (2 * denominator)  # floor(|x| × 100 + 1/2)
    return Decimal(-fen if numerator < 0 else fen).scaleb(-2)


def _percent(share: Fraction | Decimal) -> str:
    """A share as a percentage for the explanation text ("20", "12.5")."""
    value = Decimal(Fraction(share).numerator) / Decimal(Fraction(share).denominator) * 100
    return f"{value.normalize():f}"


def _yuan(value: Fraction | Decimal) -> str:
    """An amount for the explanation text, to the fen (display only; never fed back into a computation)."""
    return f"{round_fen(value):f}"


# --- standards ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandardPeriod:
    """A 低保 standard (yuan per person per month) for an area and kind, in force from `effective_from`."""

    effective_from: date
    monthly_amount: Decimal
    area: str
    kind: Literal["rural", "urban"]

    def __post_init__(self) -> None:
        amount = _money(self.monthly_amount, "monthly_amount")
        if amount <= 0:
            raise ValueError(f"monthly_amount: a standard must be greater than 0, got {amount}")
        if self.kind not in KINDS:
            raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {self.kind!r}")
        if not self.area:
            raise ValueError("area: must not be empty")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def standard_for(month: date, history: Sequence[StandardPeriod], area: str, kind: str) -> Decimal:
    """The standard in force on the first day of `month` (any day of the month may be passed).

    It is the period of that area and kind with the latest `effective_from` on or before the first
    of the month, so a standard effective mid-month applies from the following month. Raises
    `NoStandardInForce` when none is.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    day = first_of_month(month)
    candidates = [p for p in history if p.area == area and p.kind == kind and p.effective_from <= day]
    if not candidates:
        raise NoStandardInForce(
            _(
                "%(area)s %(month)s 没有生效的%(kind)s低保标准",
                area=area,
                month=day.strftime("%Y-%m"),
                kind=_("农村") if kind == "rural" else _("城市"),
            )
        )
    latest = max(p.effective_from for p in candidates)
    amounts = {p.monthly_amount for p in candidates if p.effective_from == latest}
    if len(amounts) > 1:
        raise ValueError(
            f"standard history for {area!r} ({kind}) has several amounts effective {latest.isoformat()}: "
            f"{', '.join(str(a) for a in sorted(amounts))}"
        )
    return amounts.pop()


# --- benefit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoveredPerson:
    """A household member covered by the 低保 payment."""

    person_id: int
    birth_date: date
    severe_disability: bool = False
    serious_illness: bool = False

    def age_on(self, day: date) -> int:
        """Full years of age on `day`."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - before_birthday


@dataclass(frozen=True)
class Assessment:
    """The facts a monthly benefit is computed from.

    `household_income` is the monthly income of the whole household (all members);
    `household_size` the members counted for the average. `covered` lists the persons paid for;
    fewer than `household_size` means 单人保 (single-person enrolment): the income per person is
    still the whole household's income divided by all its members.
    """

    household_income: Decimal
    household_size: int
    covered: tuple[CoveredPerson, ...]

    def __post_init__(self) -> None:
        income = _money(self.household_income, "household_income")
        if income < 0:
            raise ValueError(f"household_income: must not be negative, got {income}")
        if isinstance(self.household_size, bool) or not isinstance(self.household_size, int):
            raise TypeError("household_size: must be an int")
        if self.household_size < 1:
            raise ValueError(f"household_size: must be at least 1, got {self.household_size}")
        covered = tuple(self.covered)
        object.__setattr__(self, "covered", covered)
        if not covered:
            raise ValueError("covered: at least one covered person is needed")
        if len(covered) > self.household_size:
            raise ValueError(
                f"covered: {len(covered)} covered persons but the household counts "
                f"{self.household_size} members"
            )
        ids = [p.person_id for p in covered]
        if len(set(ids)) != len(ids):
            raise ValueError("covered: a person is listed twice")

    @property
    def single_person(self) -> bool:
        """单人保: only some of the members are covered."""
        return len(self.covered) < self.household_size

    @property
    def income_per_person(self) -> Fraction:
        """Exact household income per member."""
        return Fraction(self.household_income) / self.household_size


class BenefitLine(NamedTuple):
    """One covered person's monthly amount. `category` is the extra-support category applied, or None."""

    person_id: int
    base: Decimal
    extra: Decimal
    category: str | None

    @property
    def total(self) -> Decimal:
        return self.base + self.extra


@dataclass(frozen=True)
class Benefit:
    """The monthly benefit of a household; `total` = sum of the rounded `lines` = `base` + `extras`."""

    eligible: bool
    base: Decimal
    extras: Decimal
    minimum_applied: bool
    total: Decimal
    lines: tuple[BenefitLine, ...]
    rule: str
    income_per_person: Fraction
    standard: Decimal
    month: date
    method: str

    @property
    def income_per_person_yuan(self) -> Decimal:
        """The income per person rounded to the fen, for display only."""
        return round_fen(self.income_per_person)


def category_label(category: str) -> str:
    """The Chinese (or current-locale) name of an extra-support category."""
    labels = {
        "elderly": _("老年人"),
        "minor": _("未成年人"),
        "severe_disability": _("重度残疾人"),
        "serious_illness": _("重病患者"),
    }
    return labels[category]


@dataclass(frozen=True)
class _Extra:
    """One extra-support category under a month's rules: its share, the exact extra per person, the text's values."""

    share: Fraction
    amount: Fraction
    text: dict[str, str]


def _half_up_fen(numerator: int, denominator: int) -> int:
    """`round_fen` of the non-negative numerator / denominator (yuan), in whole fen."""
    return (200 * numerator + denominator) // (2 * denominator)


def _fen(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


class BenefitRules:
    """The benefit rules of one month under one standard, worked out once for a whole run of households.

    The shares, the minimum, each category's extra, the age limits and the explanation's templates are the same
    for every household of a month and kind, so `compute` only does the household's own exact arithmetic. It does
    it in integers: every amount of the month (standard, tier bounds and amounts, minimum, extras) is held as a
    numerator over one common denominator, and a household's income per person n/d puts them all over
    `denominator × d` — the same exact values as Fractions, without a Fraction per step (a county's monthly run
    computes thousands of households). The explanation is written in the locale current when the rules are made.
    """

    def __init__(self, standard: Decimal, month: date, settings: DibaoSettings) -> None:
        standard = _money(standard, "standard")
        if standard <= 0:
            raise ValueError(f"standard: must be greater than 0, got {standard}")
        self.standard = standard
        self.month = first_of_month(month)
        self.settings = settings
        exact = self.exact_standard = Fraction(standard)
        self._standard_text = f"{standard:f}"
        minimum = Fraction(settings.minimum_share_of_standard) * exact
        self._minimum_text = {"share": _percent(settings.minimum_share_of_standard), "minimum": _yuan(minimum)}
        extras: dict[str, _Extra] = {}
        for category in EXTRA_CATEGORIES:
            share = Fraction(settings.extra_support.get(category, Decimal(0)))
            extras[category] = _Extra(share, share * exact, {
                "category": category_label(category), "share": _percent(share), "extra": _yuan(share * exact)})
        tiers = [(Fraction(t.max_income_share) * exact, Fraction(t.benefit_share) * exact,
                  {"bound": _percent(t.max_income_share), "tier": number, "share": _percent(t.benefit_share)})
                 for number, t in enumerate(settings.tiers, start=1)]
        common = self._denominator = math.lcm(
            exact.denominator, minimum.denominator, *(e.amount.denominator for e in extras.values()),
            *(bound.denominator for bound, _amount, _text in tiers),
            *(amount.denominator for _bound, amount, _text in tiers))
        self._standard_numerator = int(exact * common)
        self._minimum_numerator = int(minimum * common)
        # income per person below bound × standard (exclusive) → the tier's amount per person
        self._tiers = [(int(bound * common), int(amount * common), text) for bound, amount, text in tiers]
        # categories that pay an extra, highest share first; equal shares in EXTRA_CATEGORIES order (sort is stable)
        paying = [c for c in EXTRA_CATEGORIES if extras[c].share > 0]
        paying.sort(key=lambda c: -extras[c].share)
        # a person's categories as bits in EXTRA_CATEGORIES order → (in several?, the category paid (就高不叠加),
        # its extra's numerator, the text's values)
        self._by_categories: list[tuple[bool, str | None, int, dict[str, str]]] = []
        for bits in range(1 << len(EXTRA_CATEGORIES)):
            found = [c for i, c in enumerate(EXTRA_CATEGORIES) if bits >> i & 1]
            highest = next((c for c in paying if c in found), None)
            self._by_categories.append((
                len(found) > 1, highest, int(extras[highest].amount * common) if highest else 0,
                extras[highest].text if highest else {}))
        self._category_bits = {c: 1 << i for i, c in enumerate(EXTRA_CATEGORIES)}
        self._income_text = _(
            "家庭月人均收入 = 家庭月收入 %(income)s 元 ÷ %(members)s 人 = %(per_person)s 元；"
            "保障标准 %(standard)s 元。")
        self._single_text = _("单人保：按全家 %(members)s 人计算人均收入，保障其中 %(covered)s 人。")
        self._not_eligible_text = _("家庭月人均收入不低于保障标准，不符合低保条件。")
        self._gap_text = _("差额法：每人补差 = %(standard)s − %(per_person)s = %(base)s 元。")
        self._tier_text = _(
            "分档法：人均收入低于保障标准的 %(bound)s%%，属第 %(tier)s 档，每人按保障标准的 %(share)s%% "
            "发放 %(base)s 元。")
        self._minimum_applied_text = _("低于保障标准的 %(share)s%%，每人按最低 %(minimum)s 元发放。")
        self._extra_text = _("%(person)s 号（%(category)s）另加保障标准的 %(share)s%%：%(extra)s 元。")
        self._not_summed_text = _("同时属于多个类别的，只按最高一项加发，不叠加。")
        self._total_text = _("每人金额四舍五入到分，合计为各人金额之和：%(covered)s 人共 %(total)s 元。")

    def _category_index(self, person: CoveredPerson) -> int:
        """The person's extra-support categories in the month (age on its first day), as bits of `_by_categories`."""
        bits = self._category_bits
        age = person.age_on(self.month)
        return ((bits["severe_disability"] if person.severe_disability else 0)
                | (bits["serious_illness"] if person.serious_illness else 0)
                | (bits["elderly"] if age >= self.settings.elderly_age else 0)
                | (bits["minor"] if age < self.settings.minor_age else 0))

    def compute(self, assessment: Assessment) -> Benefit:
        """The monthly benefit of `assessment`'s household (see the module docstring for the rules)."""
        members = assessment.household_size
        covered = len(assessment.covered)
        numerator, denominator = assessment.household_income.as_integer_ratio()
        denominator *= members  # income per person = numerator / denominator
        income_pp = Fraction(numerator, denominator)
        common = self._denominator
        income = numerator * common  # the income per person over `scale` = common × denominator, like every amount
        scale = common * denominator
        per_person = fen_text(_half_up_fen(numerator, denominator))
        parts: list[str] = [self._income_text % {"income": f"{assessment.household_income:f}", "members": members,
                                                 "per_person": per_person, "standard": self._standard_text}]
        if covered < members:
            parts.append(self._single_text % {"members": members, "covered": covered})

        if income >= self._standard_numerator * denominator:
            parts.append(self._not_eligible_text)
            return Benefit(
                eligible=False,
                base=ZERO,
                extras=ZERO,
                minimum_applied=False,
                total=ZERO,
                lines=(),
                rule="".join(parts),
                income_per_person=income_pp,
                standard=self.standard,
                month=self.month,
                method=self.settings.method,
            )

        if self.settings.method == "gap":
            base_exact = self._standard_numerator * denominator - income
            parts.append(self._gap_text % {"standard": self._standard_text, "per_person": per_person,
                                           "base": fen_text(_half_up_fen(base_exact, scale))})
        else:
            # The settings guarantee that the last tier reaches the standard, so a tier is always found.
            amount, text = next((amount, text) for bound, amount, text in self._tiers if income < bound * denominator)
            base_exact = amount * denominator
            parts.append(self._tier_text % {**text, "base": fen_text(_half_up_fen(base_exact, scale))})

        minimum = self._minimum_numerator * denominator
        minimum_applied = base_exact < minimum
        if minimum_applied:
            base_exact = minimum
            parts.append(self._minimum_applied_text % self._minimum_text)

        base_fen = _half_up_fen(base_exact, scale)
        base = _fen(base_fen)
        lines: list[BenefitLine] = []
        several = False
        extras_fen = 0
        by_categories = self._by_categories
        for person in assessment.covered:
            in_several, category, extra, text = by_categories[self._category_index(person)]
            several = several or in_several
            if category is None:
                lines.append(BenefitLine(person.person_id, base, ZERO, None))
                continue
            extra_fen = _half_up_fen(base_exact + extra * denominator, scale) - base_fen
            extras_fen += extra_fen
            lines.append(BenefitLine(person.person_id, base, _fen(extra_fen), category))
            parts.append(self._extra_text % {**text, "person": person.person_id})
        if several:
            parts.append(self._not_summed_text)

        base_total_fen = base_fen * len(lines)
        total_fen = base_total_fen + extras_fen
        parts.append(self._total_text % {"covered": covered, "total": fen_text(total_fen)})
        return Benefit(
            eligible=True,
            base=_fen(base_total_fen),
            extras=_fen(extras_fen),
            minimum_applied=minimum_applied,
            total=_fen(total_fen),
            lines=tuple(lines),
            rule="".join(parts),
            income_per_person=income_pp,
            standard=self.standard,
            month=self.month,
            method=self.settings.method,
        )


def compute_benefit(
    assessment: Assessment, standard: Decimal, month: date, settings: DibaoSettings
) -> Benefit:
    """The monthly benefit of `assessment`'s household for `month` under `standard`.

    See the module docstring for the rules and the rounding; for many households of one month use `BenefitRules`.
    """
    return BenefitRules(standard, month, settings).compute(assessment)


# --- phase-out, review, dates ---------------------------------------------------------------------


def phase_out_amount(
    last_benefit: Decimal, months_since_income_rose: int, settings: DibaoSettings
) -> Decimal:
    """The amount paid during 渐退 (phase-out) after the household's income rose above the standard.

    `months_since_income_rose` numbers the months of the phase-out: 1 is the first month paid after
    the rise was recorded (0, the month of the rise itself, is also still paid). The last monthly
    amount is *held unchanged* — not stepped down — through month `phase_out_months`; from the month
    after, the amount is 0.
    """
    amount = _money(last_benefit, "last_benefit")
    if amount < 0:
        raise ValueError(f"last_benefit: must not be negative, got {amount}")
    if isinstance(months_since_income_rose, bool) or not isinstance(months_since_income_rose, int):
        raise TypeError("months_since_income_rose: must be an int")
    if months_since_income_rose < 0:
        raise ValueError(f"months_since_income_rose: must not be negative, got {months_since_income_rose}")
    if months_since_income_rose > settings.phase_out_months:
        return ZERO
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, the day clamped to the end of a shorter month.

    31 Jan + 6 → 31 Jul; 31 Aug + 6 → 28 Feb (29 Feb in a leap year).
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_date(confirmed_or_last_review: date, category: str, settings: DibaoSettings) -> date:
    """The next review date: the interval of the household's category (or legacy class A/B/C) later."""
    return add_months(confirmed_or_last_review, settings.review_interval(category))


def first_payment_month(confirmed_on: date) -> date:
    """Payment starts the month after confirmation: the first day of that month."""
    return add_months(first_of_month(confirmed_on), 1)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (Monday–Friday; `start` itself is not counted).

    No holiday calendar: public holidays count as working days and 调休 Saturdays do not.
    `days=0` returns `start`.
    """
    if days < 0:
        raise ValueError(f"days: must not be negative, got {days}")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current
