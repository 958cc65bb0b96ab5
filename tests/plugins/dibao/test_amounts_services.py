"""Hand-computed monthly amounts, to the fen, through the services and the monthly run (not the pure module):
gap, tiers, minimum, extras, single-person enrolment, a standard changing mid-year, phase-out, overdue review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu_plugins.dibao import disbursement, services
from cunwu_plugins.dibao.models import Entitlement

from .conftest import CLERK, COUNTY, enrolled_case, standard

ADULT = dt.date(1980, 5, 20)
CONFIRMED = dt.date(2025, 11, 20)  # paid from December 2025
SYSTEM = Actor.system("test")


def _paid(site: Any, month: dt.date) -> tuple[dict[int, Decimal], dict[int, str]]:
    """Run the month; the amount per case, and the reason for each case skipped."""
    with site.db.transaction() as session:
        result = disbursement.run_month(session, site, SYSTEM, month)
        rows = session.exec(select(Entitlement).where(Entitlement.month == month)).all()
    return {e.case_id: e.amount for e in rows}, dict(result.skipped)


def _site(site_factory: Any, extra_toml: str = "") -> Any:
    site = site_factory(enabled=["dibao"], extra_toml=extra_toml)
    standard(site, "580", dt.date(2025, 1, 1))
    standard(site, "600", dt.date(2026, 1, 1))
    standard(site, "650", dt.date(2026, 7, 15))  # mid-month: in force from August
    standard(site, "800", dt.date(2026, 1, 1), kind="urban")
    return site


def test_gap_minimum_extras_single_person_and_standard_changes(site_factory: Any) -> None:
    site = _site(site_factory)
    # gap: 500 / 2 = 250 per person
    gap = enrolled_case(site, [ADULT, ADULT], "500", confirmed_on=CONFIRMED)
    # minimum: 550 / 1 = 550; gap 30 (Dec: 580 − 550) and 50 (Jan: 600 − 550) < 20 % of the standard
    minimum = enrolled_case(site, [ADULT], "550", confirmed_on=CONFIRMED)
    # extras: 900 / 3 = 300; elderly (born 1950) +10 %, severe disability (grade 2) +20 %, minor (born 2015) +10 %
    extras = enrolled_case(site, [dt.date(1950, 1, 1), ADULT, dt.date(2015, 3, 1)], "900", confirmed_on=CONFIRMED,
                           disability={1: 2})
    # 单人保: a household of 3 with 900 (300 per person), only the disabled member (grade 1) covered
    single = enrolled_case(site, [ADULT, ADULT, ADULT], "900", confirmed_on=CONFIRMED, covered=[2],
                           disability={2: 1})

    december, skipped = _paid(site, dt.date(2025, 12, 1))
    assert skipped == {}
    assert december == {
        gap: Decimal("660.00"),  # (580 − 250) × 2
        minimum: Decimal("116.00"),  # 20 % × 580
        extras: Decimal("1072.00"),  # (580 − 300) × 3 = 840; + 58 + 116 + 58
        single: Decimal("396.00"),  # 580 − 300 = 280; + 20 % × 580 = 116
    }
    january, _ = _paid(site, dt.date(2026, 1, 1))
    assert january == {
        gap: Decimal("700.00"),  # (600 − 250) × 2
        minimum: Decimal("120.00"),  # 20 % × 600
        extras: Decimal("1140.00"),  # 900 + 60 + 120 + 60
        single: Decimal("420.00"),  # 300 + 120
    }
    july, _ = _paid(site, dt.date(2026, 7, 1))
    assert july[gap] == Decimal("700.00")  # 650 is effective 15 July: not yet
    august, _ = _paid(site, dt.date(2026, 8, 1))
    assert august[gap] == Decimal("800.00")  # (650 − 250) × 2
    assert august[minimum] == Decimal("130.00")  # 20 % × 650
    with site.db.read() as session:
        row = session.exec(select(Entitlement).where(Entitlement.case_id == extras,
                                                     Entitlement.month == dt.date(2026, 1, 1))).one()
    assert (row.standard, row.extras, row.covered_count) == (Decimal("600.00"), Decimal("240.00"), 3)
    assert set(row.categories.split(",")) == {"elderly", "severe_disability", "minor"}


def test_an_amount_that_rounds_per_person(site_factory: Any) -> None:
    site = _site(site_factory)
    # 1000.01 / 3 = 333.33⅔ per person; 600 − 333.336… = 266.663… → 266.66 per person, × 3 = 799.98
    case = enrolled_case(site, [ADULT, ADULT, ADULT], "1000.01", confirmed_on=CONFIRMED)
    january, _ = _paid(site, dt.date(2026, 1, 1))
    assert january[case] == Decimal("799.98")


def test_tiers(site_factory: Any) -> None:
    site = _site(site_factory, '[plugins.dibao]\nmethod = "tiered"\n')
    tier1 = enrolled_case(site, [ADULT, ADULT], "300", confirmed_on=CONFIRMED)  # 150 = 25 % of 600 → 100 %
    tier2 = enrolled_case(site, [ADULT, ADULT], "360", confirmed_on=CONFIRMED)  # 180 = exactly 30 % → tier 2, 70 %
    tier3 = enrolled_case(site, [ADULT, ADULT], "1000", confirmed_on=CONFIRMED)  # 500 ≈ 83 % → 40 %
    january, _ = _paid(site, dt.date(2026, 1, 1))
    assert january == {tier1: Decimal("1200.00"), tier2: Decimal("840.00"), tier3: Decimal("480.00")}


def test_urban_cases_use_the_urban_standard(site_factory: Any) -> None:
    site = _site(site_factory)
    with site.db.transaction() as session:
        from .conftest import household

        home, members = household(session, site, [ADULT])
        case = services.apply(session, site, CLERK, village_code=home.village_code, household_id=home.id,
                              applicant_id=members[0].id, covered=[members[0].id], kind="urban", bank_code="RCC",
                              account_number="6222020200112233445", account_holder="户主")
        services.record_income(session, site, CLERK, case, person_id=members[0].id, kind="wages",
                               monthly_amount=Decimal("500"))
        assert services.propose(session, site, case, dt.date(2026, 1, 1)).benefit.total == Decimal("300.00")


def test_phase_out_holds_the_last_amount_for_six_months_then_stops(site_factory: Any) -> None:
    site = _site(site_factory)
    case_id = enrolled_case(site, [ADULT, ADULT], "500", confirmed_on=CONFIRMED)
    assert _paid(site, dt.date(2026, 1, 1))[0][case_id] == Decimal("700.00")
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        member = case.covered[1]["person_id"]
        services.record_income(session, site, CLERK, case, person_id=member, kind="wages",
                               monthly_amount=Decimal("800"))  # 1300 / 2 = 650 ≥ 600: above the line
        decision = services.review(session, site, COUNTY, case, reasons="儿子外出务工，收入超过标准",
                                   effective_month=dt.date(2026, 2, 1), on=dt.date(2026, 1, 15))
    assert (decision.kind, decision.amount_before, decision.amount_after) == (
        "phase_out", Decimal("700.00"), Decimal("700.00"))
    for month in range(2, 8):  # February to July: months 1–6 of the phase-out, held at 700.00
        paid, skipped = _paid(site, dt.date(2026, month, 1))
        assert paid.get(case_id) == Decimal("700.00"), month
    august, skipped = _paid(site, dt.date(2026, 8, 1))
    assert case_id not in august and skipped[case_id] == "渐退期已满"


def test_review_decisions_increase_reduce_and_stop(site_factory: Any) -> None:
    site = _site(site_factory, "[plugins.dibao]\nphase_out_months = 0\n")
    case_id = enrolled_case(site, [ADULT, ADULT], "500", confirmed_on=CONFIRMED)
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        income = services.incomes(session, case)[0]
        services.withdraw_income(session, site, CLERK, case, income.id)  # type: ignore[arg-type]
        services.record_income(session, site, CLERK, case, person_id=income.person_id, kind="wages",
                               monthly_amount=Decimal("300"))
        up = services.review(session, site, COUNTY, case, reasons="务工收入减少", effective_month=dt.date(2026, 3, 1),
                             on=dt.date(2026, 2, 10))
    assert (up.kind, up.amount_before, up.amount_after) == ("increase", Decimal("700.00"), Decimal("900.00"))
    paid, _ = _paid(site, dt.date(2026, 2, 1))
    assert paid[case_id] == Decimal("700.00")  # the decision takes effect in March, not before
    paid, _ = _paid(site, dt.date(2026, 3, 1))
    assert paid[case_id] == Decimal("900.00")  # (600 − 150) × 2
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        services.record_income(session, site, CLERK, case, person_id=case.covered[0]["person_id"], kind="pension",
                               monthly_amount=Decimal("1000"))  # 1300 / 2 = 650: above; no phase-out at this site
        stop = services.review(session, site, COUNTY, case, reasons="收入超过标准", effective_month=dt.date(2026, 4, 1),
                               on=dt.date(2026, 3, 10))
        assert services.get_case(session, case_id).status == "stopped"
    assert (stop.kind, stop.amount_after) == ("stop", Decimal("0.00"))
    paid, skipped = _paid(site, dt.date(2026, 4, 1))
    assert case_id not in paid and case_id not in skipped


def test_an_overdue_review_blocks_payment_until_reviewed(site_factory: Any) -> None:
    site = _site(site_factory)
    case_id = enrolled_case(site, [ADULT, ADULT], "500", confirmed_on=CONFIRMED, category="unstable")
    with site.db.read() as session:
        assert services.get_case(session, case_id).next_review_on == dt.date(2026, 5, 20)  # half-yearly
    may, _ = _paid(site, dt.date(2026, 5, 1))
    assert may[case_id] == Decimal("700.00")
    june, skipped = _paid(site, dt.date(2026, 6, 1))
    assert case_id not in june and "复核已逾期" in skipped[case_id]
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        kept = services.review(session, site, COUNTY, case, reasons="复核后情况未变", on=dt.date(2026, 6, 3),
                               effective_month=dt.date(2026, 6, 1))
        assert services.get_case(session, case_id).next_review_on == dt.date(2026, 12, 3)
    assert (kept.kind, kept.amount_after) == ("review", Decimal("700.00"))
    june, skipped = _paid(site, dt.date(2026, 6, 1))  # the same month, run again after the review
    assert june[case_id] == Decimal("700.00") and skipped == {}
