"""`BenefitRules.compute` in integers against the Fraction arithmetic it replaced (kept below as the oracle).

The monthly run computes thousands of households, so `compute` holds a month's amounts as integers over one common
denominator instead of a Fraction per step (docs/performance.md, "Issue #18, round 7: the 低保 month"). Random
incomes, household sizes, covered persons, standards and settings (gap and tiered, minimum and extra shares) must give
the same amounts, to the exponent, and the same explanation text as the Fraction version.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cunwu.api import _
from cunwu_plugins.dibao.amounts import (
    ZERO,
    Assessment,
    Benefit,
    BenefitLine,
    BenefitRules,
    CoveredPerson,
    _Extra,
    _money,
    _percent,
    _yuan,
    category_label,
    first_of_month,
    round_fen,
)
from cunwu_plugins.dibao.settings import EXTRA_CATEGORIES, DibaoSettings, Tier


class FractionRules:
    """The Fraction arithmetic `BenefitRules` used before it computed in integers: the oracle.

    The shares, the minimum, each category's extra, the age limits and the explanation's templates are the same
    for every household of a month and kind, so `compute` only does the household's own exact arithmetic. The
    explanation is written in the locale current when the rules are made.
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
        self._tiers = [(Fraction(t.max_income_share), Fraction(t.benefit_share) * exact,
                        {"bound": _percent(t.max_income_share), "tier": number, "share": _percent(t.benefit_share)})
                       for number, t in enumerate(settings.tiers, start=1)]
        self._minimum = Fraction(settings.minimum_share_of_standard) * exact
        self._minimum_text = {"share": _percent(settings.minimum_share_of_standard), "minimum": _yuan(self._minimum)}
        self._extras: dict[str, _Extra] = {}
        for category in EXTRA_CATEGORIES:
            share = Fraction(settings.extra_support.get(category, Decimal(0)))
            self._extras[category] = _Extra(share, share * exact, {
                "category": category_label(category), "share": _percent(share), "extra": _yuan(share * exact)})
        # categories that pay an extra, highest share first; equal shares in EXTRA_CATEGORIES order (sort is stable)
        paying = [c for c in EXTRA_CATEGORIES if self._extras[c].share > 0]
        paying.sort(key=lambda c: -self._extras[c].share)
        self._preference = {category: rank for rank, category in enumerate(paying)}
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

    def categories(self, person: CoveredPerson) -> list[str]:
        """The extra-support categories a covered person belongs to in the month (age taken on its first day)."""
        age = person.age_on(self.month)
        found = {
            "elderly": age >= self.settings.elderly_age,
            "minor": age < self.settings.minor_age,
            "severe_disability": person.severe_disability,
            "serious_illness": person.serious_illness,
        }
        return [c for c in EXTRA_CATEGORIES if found[c]]

    def _highest(self, categories: Iterable[str]) -> str | None:
        """The category with the highest share (就高不叠加), None when no category pays an extra."""
        return min((c for c in categories if c in self._preference), key=self._preference.__getitem__, default=None)

    def compute(self, assessment: Assessment) -> Benefit:
        """The monthly benefit of `assessment`'s household (see the module docstring for the rules)."""
        exact_standard = self.exact_standard
        income_pp = assessment.income_per_person
        per_person = _yuan(income_pp)
        members = assessment.household_size
        covered = len(assessment.covered)
        parts: list[str] = [self._income_text % {"income": f"{assessment.household_income:f}", "members": members,
                                                 "per_person": per_person, "standard": self._standard_text}]
        if assessment.single_person:
            parts.append(self._single_text % {"members": members, "covered": covered})

        if income_pp >= exact_standard:
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
            base_exact = exact_standard - income_pp
            parts.append(self._gap_text % {"standard": self._standard_text, "per_person": per_person,
                                           "base": _yuan(base_exact)})
        else:
            share_of_standard = income_pp / exact_standard
            # The settings guarantee that the last tier reaches the standard, so a tier is always found.
            base_exact, text = next((amount, text) for bound, amount, text in self._tiers if share_of_standard < bound)
            parts.append(self._tier_text % {**text, "base": _yuan(base_exact)})

        minimum_applied = base_exact < self._minimum
        if minimum_applied:
            base_exact = self._minimum
            parts.append(self._minimum_applied_text % self._minimum_text)

        base = round_fen(base_exact)
        lines: list[BenefitLine] = []
        several = False
        for person in assessment.covered:
            categories = self.categories(person)
            several = several or len(categories) > 1
            category = self._highest(categories)
            if category is None:
                lines.append(BenefitLine(person.person_id, base, ZERO, None))
                continue
            extra = self._extras[category]
            lines.append(BenefitLine(person.person_id, base, round_fen(base_exact + extra.amount) - base, category))
            parts.append(self._extra_text % {**extra.text, "person": person.person_id})
        if several:
            parts.append(self._not_summed_text)

        base_total = base * len(lines)
        extras_total = sum((line.extra for line in lines), ZERO)
        total = base_total + extras_total
        parts.append(self._total_text % {"covered": covered, "total": f"{total:f}"})
        return Benefit(
            eligible=True,
            base=base_total,
            extras=extras_total,
            minimum_applied=minimum_applied,
            total=total,
            lines=tuple(lines),
            rule="".join(parts),
            income_per_person=income_pp,
            standard=self.standard,
            month=self.month,
            method=self.settings.method,
        )



def _shares(places: int = 2, low: str = "0", high: str = "1") -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=places)


@st.composite
def _tiers(draw: st.DrawFn) -> list[Tier]:
    count = draw(st.integers(1, 4))
    bounds = sorted(set(draw(st.lists(_shares(2, "0.01", "0.99"), min_size=count - 1, max_size=count - 1))))
    bounds.append(draw(_shares(2, "1", "1.5")))
    benefits = sorted(draw(st.lists(_shares(3, "0.001", "1"), min_size=len(bounds), max_size=len(bounds))),
                      reverse=True)
    return [Tier(max_income_share=b, benefit_share=s) for b, s in zip(bounds, benefits, strict=True)]


@st.composite
def _settings(draw: st.DrawFn) -> DibaoSettings:
    minor_age = draw(st.integers(1, 25))
    return DibaoSettings(
        method=draw(st.sampled_from(["gap", "tiered"])),
        tiers=draw(_tiers()),
        minimum_share_of_standard=draw(st.one_of(_shares(2), _shares(4))),
        extra_support={c: draw(st.one_of(st.just(Decimal(0)), _shares(2), _shares(3))) for c in EXTRA_CATEGORIES},
        minor_age=minor_age,
        elderly_age=draw(st.integers(minor_age, 90)),
    )


@st.composite
def _assessments(draw: st.DrawFn) -> Assessment:
    members = draw(st.integers(1, 9))
    ids = draw(st.lists(st.integers(1, 10**9), min_size=1, max_size=members, unique=True))
    covered = tuple(CoveredPerson(person_id, draw(st.dates(date(1900, 1, 1), date(2040, 12, 31))),
                                  severe_disability=draw(st.booleans()), serious_illness=draw(st.booleans()))
                    for person_id in ids)
    income = draw(st.one_of(st.decimals(min_value=0, max_value=50_000, places=2),
                            st.decimals(min_value=0, max_value=5_000, places=0),
                            st.integers(0, 20_000)))
    return Assessment(household_income=income, household_size=members, covered=covered)


def _written(benefit: Benefit) -> tuple[str, ...]:
    """The amounts as they are written (stored, shown): the exponent counts, not only the value."""
    return (f"{benefit.base:f}", f"{benefit.extras:f}", f"{benefit.total:f}",
            *(f"{line.base:f}/{line.extra:f}" for line in benefit.lines))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule_settings=_settings(),
       standard=st.one_of(st.decimals(min_value=Decimal("0.01"), max_value=5_000, places=2),
                          st.decimals(min_value=Decimal("0.001"), max_value=900, places=3), st.integers(1, 3_000)),
       month=st.dates(date(2000, 1, 1), date(2040, 12, 1)),
       households=st.lists(_assessments(), min_size=1, max_size=6))
def test_integer_rules_equal_the_fraction_rules(rule_settings: DibaoSettings, standard: Decimal, month: date,
                                                households: list[Assessment]) -> None:
    rules, oracle = BenefitRules(standard, month, rule_settings), FractionRules(standard, month, rule_settings)
    for assessment in households:
        benefit, expected = rules.compute(assessment), oracle.compute(assessment)
        assert benefit == expected
        assert benefit.rule == expected.rule
        assert _written(benefit) == _written(expected)


def test_integer_rules_at_the_edges() -> None:
    """Exactly at the standard, a tier bound and the minimum; ties at half a fen; a 3-decimal standard."""
    plain = DibaoSettings(extra_support={"elderly": Decimal("0.333"), "minor": Decimal("0.10")})
    tiered = plain.model_copy(update={"method": "tiered"})
    persons = (CoveredPerson(1, date(1950, 6, 1)), CoveredPerson(2, date(2015, 6, 1)),
               CoveredPerson(3, date(1980, 6, 1)))
    for standard in (Decimal("600"), Decimal("600.005"), Decimal("0.01"), 601):
        for income in (Decimal("1800"), Decimal("1799.99"), Decimal("540"), Decimal("1080"), Decimal("0"),
                       Decimal("1440.015"), Decimal("1E+3")):
            assessment = Assessment(household_income=income, household_size=3, covered=persons)
            for rule_settings in (plain, tiered):
                benefit = BenefitRules(standard, date(2024, 3, 1), rule_settings).compute(assessment)
                expected = FractionRules(standard, date(2024, 3, 1), rule_settings).compute(assessment)
                assert (benefit, _written(benefit)) == (expected, _written(expected))
