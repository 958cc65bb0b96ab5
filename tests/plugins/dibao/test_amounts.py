"""低保 calculation core: every amount below is computed by hand, to the fen."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from pydantic import ValidationError

from cunwu import i18n
from cunwu_plugins.dibao.amounts import (
    Assessment,
    Benefit,
    BenefitLine,
    BenefitRules,
    CoveredPerson,
    NoStandardInForce,
    StandardPeriod,
    add_working_days,
    category_label,
    compute_benefit,
    first_payment_month,
    next_review_date,
    phase_out_amount,
    round_fen,
    standard_for,
)
from cunwu_plugins.dibao.settings import DibaoSettings, Tier

D = Decimal
MARCH = date(2024, 3, 1)
ADULT = date(1980, 5, 20)  # 43 in 2024: in no age category


def adults(n: int, first_id: int = 1) -> tuple[CoveredPerson, ...]:
    return tuple(CoveredPerson(person_id=first_id + i, birth_date=ADULT) for i in range(n))


def compute(income: str, members: int, covered: tuple[CoveredPerson, ...], standard: str = "600",
            month: date = MARCH, settings: DibaoSettings | None = None) -> Benefit:
    assessment = Assessment(household_income=D(income), household_size=members, covered=covered)
    return compute_benefit(assessment, D(standard), month, settings or DibaoSettings())


# --- benefit --------------------------------------------------------------------------------------


def test_plain_gap() -> None:
    # 900 / 3 = 300 per person; 600 − 300 = 300; × 3 covered = 900.00
    benefit = compute("900", 3, adults(3))
    assert benefit.eligible
    assert benefit.total == D("900.00")
    assert benefit.base == D("900.00")
    assert benefit.extras == D("0.00")
    assert not benefit.minimum_applied
    assert benefit.lines == tuple(BenefitLine(i, D("300.00"), D("0.00"), None) for i in (1, 2, 3))
    assert benefit.income_per_person == Fraction(300)
    assert benefit.standard == D("600")
    assert "差额法" in benefit.rule


def test_tiered_method() -> None:
    settings = DibaoSettings(method="tiered")  # default tiers: <30 % → 100 %, <60 % → 70 %, <100 % → 40 %
    # 450 / 3 = 150 = 25 % of 600 → tier 1: 600.00 per person
    assert compute("450", 3, adults(3), settings=settings).total == D("1800.00")
    # 900 / 3 = 300 = 50 % → tier 2: 70 % of 600 = 420.00 per person
    benefit = compute("900", 3, adults(3), settings=settings)
    assert benefit.total == D("1260.00")
    assert {line.base for line in benefit.lines} == {D("420.00")}
    assert "第 2 档" in benefit.rule
    # 540 / 3 = 180 = exactly 30 %: the bound is exclusive → tier 2, not tier 1
    assert compute("540", 3, adults(3), settings=settings).total == D("1260.00")
    # 1500 / 3 = 500 ≈ 83 % → tier 3: 40 % of 600 = 240.00 (the gap method would pay the minimum 120.00)
    assert compute("1500", 3, adults(3), settings=settings).total == D("720.00")


def test_tiered_method_minimum() -> None:
    settings = DibaoSettings(
        method="tiered",
        tiers=[Tier(max_income_share=D("0.5"), benefit_share=D("0.5")),
               Tier(max_income_share=D("1"), benefit_share=D("0.1"))],
    )
    # 480 / 1 = 80 % → tier 2 pays 10 % = 60.00 < minimum 20 % = 120.00
    benefit = compute("480", 1, adults(1), settings=settings)
    assert benefit.minimum_applied
    assert benefit.total == D("120.00")


def test_minimum_applied() -> None:
    # 1500 / 3 = 500; gap 100 < 20 % × 600 = 120 → 120.00 × 3 = 360.00
    benefit = compute("1500", 3, adults(3))
    assert benefit.minimum_applied
    assert benefit.total == D("360.00")
    assert {line.base for line in benefit.lines} == {D("120.00")}
    # gap 120 exactly (income 480 / 1): not below the minimum
    at_bound = compute("480", 1, adults(1))
    assert not at_bound.minimum_applied
    assert at_bound.total == D("120.00")
    # a site minimum of 25 % = 150.00
    site = DibaoSettings(minimum_share_of_standard=D("0.25"))
    assert compute("1500", 3, adults(3), settings=site).total == D("450.00")


def test_extras_by_category() -> None:
    july = date(2024, 7, 1)
    covered = (
        CoveredPerson(1, birth_date=date(1964, 7, 1)),  # 60 on 1 Jul 2024 → elderly, +10 % = 60.00
        CoveredPerson(2, birth_date=date(2006, 7, 2)),  # 17 on 1 Jul 2024 → minor, +10 % = 60.00
        CoveredPerson(3, birth_date=ADULT, severe_disability=True),  # +20 % = 120.00
    )
    benefit = compute("900", 3, covered, month=july)
    assert benefit.lines == (
        BenefitLine(1, D("300.00"), D("60.00"), "elderly"),
        BenefitLine(2, D("300.00"), D("60.00"), "minor"),
        BenefitLine(3, D("300.00"), D("120.00"), "severe_disability"),
    )
    assert benefit.base == D("900.00")
    assert benefit.extras == D("240.00")
    assert benefit.total == D("1140.00")
    assert not benefit.minimum_applied


def test_age_boundaries_on_first_of_month() -> None:
    july = date(2024, 7, 20)  # ages are taken on 1 July
    covered = (
        CoveredPerson(1, birth_date=date(1964, 7, 2)),  # 59 on 1 July: not yet elderly
        CoveredPerson(2, birth_date=date(2006, 7, 1)),  # 18 on 1 July: no longer a minor
        CoveredPerson(3, birth_date=date(1964, 6, 30)),  # 60: elderly
    )
    benefit = compute("900", 3, covered, month=july)
    assert [line.category for line in benefit.lines] == [None, None, "elderly"]
    assert benefit.total == D("960.00")  # 3 × 300 + 60


def test_leap_day_birthdays() -> None:
    # born 29 Feb 1964: still 59 on 1 Feb 2024, 60 (elderly) on 1 Mar 2024; 18 on 1 Mar 2024 when born 29 Feb 2006
    covered = (CoveredPerson(1, birth_date=date(1964, 2, 29)), CoveredPerson(2, birth_date=date(2006, 2, 28)))
    february = compute("600", 2, covered, month=date(2024, 2, 1))
    assert [line.category for line in february.lines] == [None, "minor"]
    march = compute("600", 2, covered, month=MARCH)
    assert [line.category for line in march.lines] == ["elderly", None]


def test_rules_made_once_serve_many_households() -> None:
    """A month's `BenefitRules`, made once for a run, give each household what `compute_benefit` gives it alone."""
    settings = DibaoSettings(extra_support={"elderly": D("0.15"), "serious_illness": D("0.15")})
    rules = BenefitRules(D("600"), MARCH, settings)
    households = [
        Assessment(D("900"), 3, adults(3)),  # 300 each
        Assessment(D("1600"), 4, adults(1)),  # 单人保: 600 − 400 = 200
        # 500 per person → gap 100, raised to the minimum 120; + serious illness 90 (ties with elderly, listed
        # first), + severe disability 120 (not minor 60), + nothing: 210 + 240 + 120
        Assessment(D("1500"), 3, (CoveredPerson(1, date(1950, 1, 1), serious_illness=True),
                                  CoveredPerson(2, date(2010, 5, 5), severe_disability=True), *adults(1, 3))),
        Assessment(D("2000"), 2, adults(2)),  # 1000 per person: not eligible
        # 33.33666… per person → 566.66333… + minor 60 = 626.66333… → 626.66
        Assessment(D("100.01"), 3, (CoveredPerson(7, date(2015, 3, 1)),)),
    ]
    assert [rules.compute(a).total for a in households] == [D("900.00"), D("200.00"), D("570.00"), D("0.00"),
                                                          D("626.66")]
    assert [line.category for line in rules.compute(households[2]).lines] == [
        "serious_illness", "severe_disability", None]
    for assessment in households:
        assert rules.compute(assessment) == compute_benefit(assessment, D("600"), MARCH, settings)
    tiered = DibaoSettings(method="tiered")
    tier_rules = BenefitRules(D("600"), MARCH, tiered)
    for assessment in households:
        assert tier_rules.compute(assessment) == compute_benefit(assessment, D("600"), MARCH, tiered)


def test_extras_highest_only_not_summed() -> None:
    covered = (
        # elderly 10 % and severe disability 20 %
        CoveredPerson(1, birth_date=date(1950, 1, 1), severe_disability=True),
        CoveredPerson(2, birth_date=ADULT, severe_disability=True, serious_illness=True),  # 20 % and 20 %
    )
    benefit = compute("600", 2, covered)  # 300 per person, gap 300
    assert benefit.lines == (
        BenefitLine(1, D("300.00"), D("120.00"), "severe_disability"),  # 20 %, not 30 %
        BenefitLine(2, D("300.00"), D("120.00"), "severe_disability"),  # tie → first in EXTRA_CATEGORIES
    )
    assert benefit.total == D("840.00")
    assert "不叠加" in benefit.rule
    # a site raising the elderly share above the disability share
    raised = compute("600", 2, covered, settings=DibaoSettings(extra_support={"elderly": D("0.25")}))
    assert raised.lines[0] == BenefitLine(1, D("300.00"), D("150.00"), "elderly")


def test_single_person_enrolment() -> None:
    # 单人保: 4 members, 1 covered. 1600 / 4 (all members) = 400 → gap 200 for the one covered person.
    benefit = compute("1600", 4, adults(1))
    assert benefit.eligible
    assert benefit.income_per_person == Fraction(400)
    assert benefit.lines == (BenefitLine(1, D("200.00"), D("0.00"), None),)
    assert benefit.total == D("200.00")
    assert "单人保" in benefit.rule


def test_not_eligible() -> None:
    # 1800 / 3 = 600 = the standard: "<" is strict → not eligible
    benefit = compute("1800", 3, adults(3))
    assert not benefit.eligible
    assert benefit.total == D("0.00")
    assert benefit.base == benefit.extras == D("0.00")
    assert benefit.lines == ()
    assert not benefit.minimum_applied
    assert "不符合" in benefit.rule
    # one fen less for the household: 1799.99 / 3 < 600 → eligible, gap 0.003… but the minimum 120.00 applies
    assert compute("1799.99", 3, adults(3)).total == D("360.00")


def test_standard_changing_mid_year() -> None:
    history = [
        StandardPeriod(date(2024, 1, 1), D("600"), "城关镇", "rural"),
        StandardPeriod(date(2024, 7, 1), D("650"), "城关镇", "rural"),
        StandardPeriod(date(2024, 10, 15), D("700"), "城关镇", "rural"),  # mid-month: from November
        StandardPeriod(date(2024, 1, 1), D("800"), "城关镇", "urban"),
        StandardPeriod(date(2024, 1, 1), D("900"), "其他镇", "rural"),
    ]
    june, july = date(2024, 6, 1), date(2024, 7, 1)
    assert standard_for(date(2024, 6, 30), history, "城关镇", "rural") == D("600")
    assert standard_for(july, history, "城关镇", "rural") == D("650")
    assert standard_for(date(2024, 10, 31), history, "城关镇", "rural") == D("650")
    assert standard_for(date(2024, 11, 1), history, "城关镇", "rural") == D("700")
    assert standard_for(july, history, "城关镇", "urban") == D("800")
    # 900 / 3 = 300 per person: June (600 − 300) × 3 = 900.00; July (650 − 300) × 3 = 1050.00
    june_benefit = compute("900", 3, adults(3), standard=str(standard_for(june, history, "城关镇", "rural")))
    july_benefit = compute("900", 3, adults(3), standard=str(standard_for(july, history, "城关镇", "rural")))
    assert june_benefit.total == D("900.00")
    assert july_benefit.total == D("1050.00")


def test_no_standard_in_force() -> None:
    history = [StandardPeriod(date(2024, 1, 2), D("600"), "城关镇", "rural")]
    with pytest.raises(NoStandardInForce, match="城关镇 2024-01"):
        standard_for(date(2024, 1, 31), history, "城关镇", "rural")  # effective on the 2nd: not on the 1st
    with pytest.raises(NoStandardInForce, match="其他镇 2024-06 没有生效的农村低保标准"):
        standard_for(date(2024, 6, 1), history, "其他镇", "rural")
    with pytest.raises(NoStandardInForce, match="城关镇 2024-06 没有生效的城市低保标准"):
        standard_for(date(2024, 6, 1), history, "城关镇", "urban")
    with pytest.raises(ValueError, match="kind"):
        standard_for(date(2024, 6, 1), history, "城关镇", "town")
    clash = [*history, StandardPeriod(date(2024, 1, 2), D("610"), "城关镇", "rural")]
    with pytest.raises(ValueError, match="several amounts"):
        standard_for(date(2024, 6, 1), clash, "城关镇", "rural")


def test_rounding_once_per_person_line() -> None:
    # 1000.01 / 3 = 333.33666…; 583.33 − 333.33666… = 249.99333… → 249.99 per line (a third of a fen dropped).
    # Total = 3 × 249.99 = 749.97, not the rounded exact household sum 749.98.
    benefit = compute("1000.01", 3, adults(3), standard="583.33")
    assert {line.base for line in benefit.lines} == {D("249.99")}
    assert benefit.total == D("749.97")
    # An exact half fen rounds up (not to even): 666.65 / 2 = 333.325 → gap 250.005 → 250.01 per line
    half = compute("666.65", 2, adults(2), standard="583.33")
    assert half.lines[0].base == D("250.01")
    assert half.total == D("500.02")
    # The line amount (base + extra) is rounded once: 249.99333… + 10 % × 583.33 = 249.99333… + 58.333
    # = 308.32633… → 308.33; base shown 249.99, so the extra column is 308.33 − 249.99 = 58.34.
    elderly = compute("1000.01", 3, (CoveredPerson(1, date(1950, 1, 1)), *adults(2, first_id=2)),
                      standard="583.33")
    assert elderly.lines[0] == BenefitLine(1, D("249.99"), D("58.34"), "elderly")
    assert elderly.lines[0].total == D("308.33")
    assert elderly.total == D("808.31")  # 308.33 + 249.99 + 249.99
    assert elderly.base + elderly.extras == elderly.total


def test_round_fen_half_up() -> None:
    assert round_fen(Fraction(1, 200)) == D("0.01")
    assert round_fen(Fraction(1, 300)) == D("0.00")
    assert round_fen(D("2.675")) == D("2.68")
    assert round_fen(D("-2.675")) == D("-2.68")
    assert round_fen(Fraction(-1, 200)) == D("-0.01")
    assert round_fen(Fraction(749975, 3000)) == D("249.99")  # 249.991666…
    # always exactly two places, as stored and shown
    assert [str(round_fen(v)) for v in (Fraction(3), D("0"), Fraction(-1, 300), D("1234567.895"))] == [
        "3.00", "0.00", "0.00", "1234567.90"]


def test_money_refuses_floats() -> None:
    with pytest.raises(TypeError, match="household_income"):
        Assessment(household_income=900.0, household_size=3, covered=adults(3))  # type: ignore[arg-type]
    assessment = Assessment(household_income=D("900"), household_size=3, covered=adults(3))
    with pytest.raises(TypeError, match="standard"):
        compute_benefit(assessment, 600.0, MARCH, DibaoSettings())  # type: ignore[arg-type]


def test_assessment_checks() -> None:
    with pytest.raises(ValueError, match="covered"):
        Assessment(household_income=D("900"), household_size=2, covered=adults(3))
    with pytest.raises(ValueError, match="twice"):
        Assessment(household_income=D("900"), household_size=3, covered=(*adults(1), *adults(1)))
    with pytest.raises(ValueError, match="negative"):
        Assessment(household_income=D("-1"), household_size=3, covered=adults(3))
    as_list: list[CoveredPerson] = list(adults(2))
    listed = Assessment(household_income=D("900"), household_size=3, covered=as_list)  # type: ignore[arg-type]
    assert isinstance(listed.covered, tuple)
    assert listed.single_person


def test_rule_is_translated() -> None:
    i18n.load_catalogs(Path(i18n.__file__).parent.parent / "plugins" / "dibao" / "locale")
    token = i18n.current_locale.set("en")
    try:
        benefit = compute("1500", 3, (CoveredPerson(1, date(1950, 1, 1)), *adults(2, first_id=2)))
        assert "Gap method" in benefit.rule
        assert "minimum of 120.00 yuan" in benefit.rule
        assert "(elderly)" in benefit.rule
    finally:
        i18n.current_locale.reset(token)
    assert "差额法" in compute("900", 3, adults(3)).rule


# --- phase-out, review, dates ---------------------------------------------------------------------


def test_phase_out_holds_then_stops() -> None:
    settings = DibaoSettings()
    assert settings.phase_out_months == 6
    amounts = [phase_out_amount(D("900.00"), month, settings) for month in range(1, 8)]
    assert amounts == [D("900.00")] * 6 + [D("0.00")]  # held (not stepped down) for months 1–6, 0 in month 7
    assert phase_out_amount(D("900.00"), 0, settings) == D("900.00")
    assert phase_out_amount(D("900.00"), 1, DibaoSettings(phase_out_months=0)) == D("0.00")
    assert phase_out_amount(D("900.00"), 3, DibaoSettings(phase_out_months=3)) == D("900.00")
    assert phase_out_amount(D("900.00"), 4, DibaoSettings(phase_out_months=3)) == D("0.00")
    with pytest.raises(ValueError, match="months_since_income_rose: must not be negative, got -1"):
        phase_out_amount(D("900.00"), -1, settings)


def test_next_review_dates() -> None:
    settings = DibaoSettings()
    assert next_review_date(date(2024, 1, 31), "unstable", settings) == date(2024, 7, 31)
    assert next_review_date(date(2023, 8, 31), "unstable", settings) == date(2024, 2, 29)
    assert next_review_date(date(2024, 8, 31), "unstable", settings) == date(2025, 2, 28)
    assert next_review_date(date(2024, 2, 29), "stable", settings) == date(2025, 2, 28)
    assert next_review_date(date(2024, 3, 15), "A", settings) == date(2025, 3, 15)
    assert next_review_date(date(2024, 3, 15), "B", settings) == date(2025, 3, 15)
    assert next_review_date(date(2024, 3, 15), "C", settings) == date(2024, 9, 15)
    with pytest.raises(ValueError, match="unknown review category"):
        next_review_date(date(2024, 3, 15), "D", settings)
    custom = DibaoSettings(review_months={"一类": 12, "二类": 3})
    assert next_review_date(date(2024, 11, 30), "二类", custom) == date(2025, 2, 28)
    assert custom.review_category_aliases == {}


def test_first_payment_month() -> None:
    assert first_payment_month(date(2024, 3, 1)) == date(2024, 4, 1)
    assert first_payment_month(date(2024, 1, 31)) == date(2024, 2, 1)
    assert first_payment_month(date(2024, 12, 15)) == date(2025, 1, 1)


def test_working_days_across_weekend() -> None:
    friday = date(2024, 3, 1)
    assert add_working_days(friday, 1) == date(2024, 3, 4)  # Monday
    assert add_working_days(friday, 5) == date(2024, 3, 8)  # next Friday
    assert add_working_days(date(2024, 2, 29), 3) == date(2024, 3, 5)  # Thu → Fri, Mon, Tue
    assert add_working_days(date(2024, 3, 2), 1) == date(2024, 3, 4)  # Saturday → Monday
    assert add_working_days(date(2024, 3, 6), 10) == date(2024, 3, 20)  # confirmation deadline, two weekends
    assert add_working_days(friday, 0) == friday
    with pytest.raises(ValueError, match="days: must not be negative, got -1"):
        add_working_days(friday, -1)


# --- settings -------------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    s = DibaoSettings()
    assert s.posting_days == 7
    assert (s.confirm_within_working_days, s.refusal_reasons_within_working_days) == (10, 3)
    assert (s.flow_max_working_days, s.flow_extended_max_working_days) == (25, 40)
    assert s.minimum_share_of_standard == D("0.20")
    assert s.extra_support == {"elderly": D("0.10"), "minor": D("0.10"),
                               "severe_disability": D("0.20"), "serious_illness": D("0.20")}
    assert (s.elderly_age, s.minor_age, s.method, s.phase_out_months) == (60, 18, "gap", 6)
    assert [(t.max_income_share, t.benefit_share) for t in s.tiers] == [
        (D("0.30"), D("1.00")), (D("0.60"), D("0.70")), (D("1.00"), D("0.40"))]
    assert s.review_months == {"stable": 12, "unstable": 6}
    assert s.quorum_fraction == s.approval_fraction == Fraction(2, 3)
    assert len(s.property_checks) == 4


def test_settings_from_toml_values() -> None:
    # TOML gives floats; they become Decimals through their text, and a partial extra_support keeps the rest.
    s = DibaoSettings.model_validate({"minimum_share_of_standard": 0.15, "extra_support": {"elderly": 0.15}})
    assert s.minimum_share_of_standard == D("0.15")
    assert s.extra_support["elderly"] == D("0.15")
    assert s.extra_support["severe_disability"] == D("0.20")


def _error_locs(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[object, ...]]:
    return [tuple(err["loc"]) for err in exc.value.errors()]


def test_settings_tiers_must_increase() -> None:
    with pytest.raises(ValidationError, match="greater than the previous") as exc:
        DibaoSettings(tiers=[{"max_income_share": "0.6", "benefit_share": "0.7"},  # type: ignore[list-item]
                             {"max_income_share": "0.3", "benefit_share": "0.5"}])
    assert _error_locs(exc) == [("tiers",)]
    with pytest.raises(ValidationError, match="at least 1"):
        DibaoSettings(tiers=[{"max_income_share": "0.5", "benefit_share": "0.5"}])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="must not exceed"):
        DibaoSettings(tiers=[{"max_income_share": "0.5", "benefit_share": "0.5"},  # type: ignore[list-item]
                             {"max_income_share": "1", "benefit_share": "0.6"}])


def test_settings_unknown_key() -> None:
    with pytest.raises(ValidationError, match="posting_dayz") as exc:
        DibaoSettings.model_validate({"posting_dayz": 7})
    assert _error_locs(exc) == [("posting_dayz",)]
    assert exc.value.errors()[0]["type"] == "extra_forbidden"
    with pytest.raises(ValidationError, match=r"tiers\.0\.note") as exc:
        DibaoSettings.model_validate({"tiers": [{"max_income_share": 1, "benefit_share": 1, "note": "x"}]})
    assert _error_locs(exc) == [("tiers", 0, "note")]


def test_settings_value_errors_name_the_field() -> None:
    cases: list[tuple[dict[str, object], tuple[object, ...]]] = [
        ({"extra_support": {"veteran": "0.1"}}, ("extra_support",)),
        ({"minimum_share_of_standard": "1.5"}, ("minimum_share_of_standard",)),
        ({"democratic_review_quorum": "3/2"}, ("democratic_review_quorum",)),
        ({"democratic_review_approval": "two thirds"}, ("democratic_review_approval",)),
        ({"method": "flat"}, ("method",)),
        ({"review_months": {"stable": 0}}, ("review_months",)),
        ({"posting_days": 0}, ("posting_days",)),
    ]
    for values, loc in cases:
        with pytest.raises(ValidationError, match=str(loc[0])) as exc:
            DibaoSettings.model_validate(values)
        assert _error_locs(exc) == [loc], values
    with pytest.raises(ValidationError, match="flow_extended_max_working_days"):
        DibaoSettings(flow_max_working_days=30, flow_extended_max_working_days=20)
    with pytest.raises(ValidationError, match="review_category_aliases"):
        DibaoSettings(review_months={"一类": 12}, review_category_aliases={"A": "stable"})


# --- boundaries: each rule at, just below and just above its threshold ------------------------------


@pytest.mark.parametrize(
    ("income", "members", "eligible", "per_person_base"),
    [
        ("0", 2, True, "600.00"),  # no income at all: the whole standard (zero income is not refused)
        ("1199.98", 2, True, "120.00"),  # 599.99 per person: 0.01 below the standard → eligible, raised to the minimum
        ("1200", 2, False, None),  # exactly the standard: the rule is a strict "<"
        ("1200.02", 2, False, None),  # 600.01 per person
        ("959.98", 2, True, "120.01"),  # 479.99 per person: gap 120.01, just above the minimum of 120.00
        ("960", 2, True, "120.00"),  # 480 per person: gap exactly the minimum, not "raised"
        ("960.02", 2, True, "120.00"),  # 480.01: gap 119.99, raised to the minimum
    ],
)
def test_eligibility_and_minimum_boundaries(income: str, members: int, eligible: bool,
                                            per_person_base: str | None) -> None:
    benefit = compute(income, members, adults(members))
    assert benefit.eligible is eligible
    if per_person_base is None:
        assert (benefit.total, benefit.lines) == (D("0.00"), ())
        assert "不符合低保条件" in benefit.rule
    else:
        assert {line.base for line in benefit.lines} == {D(per_person_base)}
        assert benefit.total == D(per_person_base) * members
        assert benefit.minimum_applied is (D(income) / members > 480)


def test_minimum_applied_flag_at_the_exact_minimum() -> None:
    assert not compute("960", 2, adults(2)).minimum_applied  # gap 120.00 = the minimum: nothing raised
    raised = compute("960.02", 2, adults(2))
    assert raised.minimum_applied
    assert "低于保障标准的 20%，每人按最低 120.00 元发放。" in raised.rule


def test_zero_income_household_is_assessed_not_refused() -> None:
    assessment = Assessment(household_income=D("0"), household_size=1, covered=adults(1))
    assert assessment.income_per_person == 0
    assert compute_benefit(assessment, D("600"), MARCH, DibaoSettings()).total == D("600.00")
    with pytest.raises(ValueError, match=r"household_income: must not be negative, got -0\.01"):
        Assessment(household_income=D("-0.01"), household_size=1, covered=adults(1))


def test_household_size_boundaries() -> None:
    assert Assessment(household_income=D("0"), household_size=1, covered=adults(1)).household_size == 1
    with pytest.raises(ValueError, match="household_size: must be at least 1, got 0"):
        Assessment(household_income=D("0"), household_size=0, covered=())
    for wrong in (True, 2.0, "2"):
        with pytest.raises(TypeError, match="household_size: must be an int"):
            Assessment(household_income=D("0"), household_size=wrong, covered=adults(1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="covered: at least one covered person is needed"):
        Assessment(household_income=D("0"), household_size=1, covered=())


def test_full_coverage_is_not_single_person_enrolment() -> None:
    full = Assessment(household_income=D("900"), household_size=3, covered=adults(3))
    partial = Assessment(household_income=D("900"), household_size=3, covered=adults(2))
    assert (full.single_person, partial.single_person) == (False, True)
    assert "单人保" not in compute("900", 3, adults(3)).rule
    assert "单人保：按全家 3 人计算人均收入，保障其中 2 人。" in compute("900", 3, adults(2)).rule


@pytest.mark.parametrize("wrong", ["600", True, 600.0, None])
def test_money_must_be_decimal_or_int(wrong: object) -> None:
    """A string, a bool, a float or None is refused everywhere money enters the module (no silent conversion)."""
    assessment = Assessment(household_income=D("900"), household_size=3, covered=adults(3))
    with pytest.raises(TypeError, match="household_income: money must be a Decimal"):
        Assessment(household_income=wrong, household_size=3, covered=adults(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="monthly_amount: money must be a Decimal"):
        StandardPeriod(date(2024, 1, 1), wrong, "城关镇", "rural")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="standard: money must be a Decimal"):
        BenefitRules(wrong, MARCH, DibaoSettings())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="last_benefit: money must be a Decimal"):
        phase_out_amount(wrong, 1, DibaoSettings())  # type: ignore[arg-type]
    assert compute_benefit(assessment, 600, MARCH, DibaoSettings()).total == D("900.00")  # an int is yuan


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity"])
def test_money_must_be_finite(amount: str) -> None:
    with pytest.raises(ValueError, match="standard: must be a finite amount"):
        BenefitRules(D(amount), MARCH, DibaoSettings())


@pytest.mark.parametrize(("amount", "accepted"), [("-1", False), ("-0.01", False), ("0", False), ("0.01", True),
                                                  ("1", True), ("600", True)])
def test_a_standard_must_be_above_zero(amount: str, accepted: bool) -> None:
    if accepted:
        assert StandardPeriod(date(2024, 1, 1), D(amount), "城关镇", "rural").monthly_amount == D(amount)
        assert BenefitRules(D(amount), MARCH, DibaoSettings()).standard == D(amount)
        return
    with pytest.raises(ValueError, match=f"monthly_amount: a standard must be greater than 0, got {amount}"):
        StandardPeriod(date(2024, 1, 1), D(amount), "城关镇", "rural")
    with pytest.raises(ValueError, match=f"standard: must be greater than 0, got {amount}"):
        BenefitRules(D(amount), MARCH, DibaoSettings())


def test_standard_period_checks_kind_and_area() -> None:
    with pytest.raises(ValueError, match="kind: expected one of rural, urban, got 'town'"):
        StandardPeriod(date(2024, 1, 1), D("600"), "城关镇", "town")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="area: must not be empty"):
        StandardPeriod(date(2024, 1, 1), D("600"), "", "rural")


@pytest.mark.parametrize(("last", "paid"), [("0", "0.00"), ("0.5", "0.50"), ("0.005", "0.01"), ("900", "900.00")])
def test_phase_out_holds_any_last_amount_from_zero(last: str, paid: str) -> None:
    assert phase_out_amount(D(last), 6, DibaoSettings()) == D(paid)
    assert phase_out_amount(D(last), 7, DibaoSettings()) == D("0.00")


def test_phase_out_refuses_what_is_not_a_last_amount_or_a_month_count() -> None:
    with pytest.raises(ValueError, match=r"last_benefit: must not be negative, got -0\.01"):
        phase_out_amount(D("-0.01"), 1, DibaoSettings())
    with pytest.raises(ValueError, match="last_benefit: must not be negative, got -1"):
        phase_out_amount(D("-1"), 1, DibaoSettings())
    for wrong in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="months_since_income_rose: must be an int"):
            phase_out_amount(D("900"), wrong, DibaoSettings())  # type: ignore[arg-type]


def test_a_category_switched_off_pays_no_extra_and_is_not_named() -> None:
    elderly = CoveredPerson(1, date(1950, 1, 1))
    off = DibaoSettings(extra_support={"elderly": D("0")})
    benefit = compute("900", 3, (elderly, *adults(2, first_id=2)), settings=off)
    assert benefit.lines[0] == BenefitLine(1, D("300.00"), D("0.00"), None)
    assert benefit.extras == D("0.00")
    assert "老年人" not in benefit.rule and "另加" not in benefit.rule
    # an elderly person with a severe disability still gets the disability extra
    both = CoveredPerson(1, date(1950, 1, 1), severe_disability=True)
    assert compute("900", 3, (both, *adults(2, first_id=2)), settings=off).lines[0].category == "severe_disability"


def test_explanation_states_each_share_and_amount() -> None:
    """The explanation stored with a payment line shows the shares as percentages and the amounts to the fen."""
    elderly = CoveredPerson(1, date(1950, 1, 1))
    benefit = compute("900", 3, (elderly, *adults(2, first_id=2)))
    assert "差额法：每人补差 = 600 − 300.00 = 300.00 元。" in benefit.rule
    assert "1 号（老年人）另加保障标准的 10%：60.00 元。" in benefit.rule
    assert "不叠加" not in benefit.rule  # one category only: nothing to say about summing
    assert "每人金额四舍五入到分，合计为各人金额之和：3 人共 960.00 元。" in benefit.rule
    odd = compute("900", 3, (elderly, *adults(2, first_id=2)),
                  settings=DibaoSettings(extra_support={"elderly": D("0.125")}))
    assert "1 号（老年人）另加保障标准的 12.5%：75.00 元。" in odd.rule
    tiered = compute("900", 3, adults(3), settings=DibaoSettings(method="tiered"))
    assert "分档法：人均收入低于保障标准的 60%，属第 2 档，每人按保障标准的 70% 发放 420.00 元。" in tiered.rule
    assert "家庭月人均收入 = 家庭月收入 900 元 ÷ 3 人 = 300.00 元；保障标准 600 元。" in tiered.rule
    assert category_label("minor") == "未成年人"


def test_several_categories_note_only_for_a_person_in_several() -> None:
    minor = CoveredPerson(1, date(2010, 1, 1))
    ill_minor = CoveredPerson(2, date(2010, 1, 1), serious_illness=True)
    assert "不叠加" not in compute("900", 3, (minor, *adults(2, first_id=3))).rule
    several = compute("900", 3, (ill_minor, *adults(2, first_id=3)))
    assert "同时属于多个类别的，只按最高一项加发，不叠加。" in several.rule


def test_round_fen_of_zero_and_tiny_negatives() -> None:
    assert [round_fen(v) for v in (Fraction(0), Fraction(-1, 201), Fraction(-1, 199))] == [
        D("0.00"), D("0.00"), D("-0.01")]
