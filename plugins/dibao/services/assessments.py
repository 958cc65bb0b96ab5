"""What a case is paid month by month, its periodic reviews (动态管理) and stops."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sqlmodel import Session, col, select

from cunwu.api import Actor, Problem, Site, _, audit, local_today

from .. import amounts
from ..models import (
    Assessment,
    Case,
    Decision,
)
from ..settings import DibaoSettings
from .cases import birth_dates, covered_persons, household_income, members_on
from .common import DibaoError, _require, months_between, settings_of
from .standards import standard_for


def assessment_for(session: Session, case_id: int, month: dt.date) -> Assessment | None:
    """The assessment in force for a case in `month` (the latest one effective on or before it)."""
    return session.exec(select(Assessment).where(Assessment.case_id == case_id,
                                                 Assessment.effective_month <= month)
                        .order_by(col(Assessment.effective_month).desc())).first()


@dataclass(frozen=True)
class MonthAmount:
    """What a case is owed for one month, and why (`amount` 0 with a `reason` = nothing is owed)."""

    amount: Decimal
    extras: Decimal = Decimal("0.00")
    standard: Decimal = Decimal("0.00")
    covered: int = 0
    categories: tuple[str, ...] = ()
    rule: str = ""
    reason: str = ""


class AssessmentFacts(Protocol):
    """What `month_amount` reads of an assessment: an `Assessment` or a row of those columns."""

    mode: str
    effective_month: dt.date
    household_income: Decimal
    household_size: int
    covered: list[dict[str, Any]]
    held_amount: Decimal | None


def month_amount(assessment: AssessmentFacts, month: dt.date, rules: amounts.BenefitRules | None,
                 members: Mapping[int, dt.date], settings: DibaoSettings) -> MonthAmount:
    """The amount of one month from the assessment in force then (pure apart from the inputs given).

    `rules` are the benefit rules of the month under the standard in force for the case's kind (None: no standard
    is); `members` the household's members that month with their birth dates (`birth_dates`).
    """
    if assessment.mode == "stop":
        return MonthAmount(Decimal("0.00"), reason=_("已停保"))
    if assessment.mode == "phase_out":
        since = months_between(assessment.effective_month, month) + 1
        held = amounts.phase_out_amount(assessment.held_amount or Decimal("0.00"), since, settings)
        if held <= 0:
            return MonthAmount(Decimal("0.00"), reason=_("渐退期已满"))
        return MonthAmount(held, covered=len(assessment.covered),
                           rule=_("渐退期第 %(n)s 个月，按原金额 %(amount)s 元发放", n=since, amount=held))
    if rules is None:
        return MonthAmount(Decimal("0.00"), reason=_("当月没有生效的低保标准"))
    covered = covered_persons(assessment.covered, members)
    if covered is None:
        return MonthAmount(Decimal("0.00"), reason=_("保障对象已不在本户，需复核"))
    benefit = rules.compute(amounts.Assessment(household_income=assessment.household_income,
                                               household_size=assessment.household_size, covered=covered))
    if not benefit.eligible:
        return MonthAmount(Decimal("0.00"), reason=_("人均收入不低于标准"))
    categories = tuple(sorted({line.category for line in benefit.lines if line.category}))
    return MonthAmount(benefit.total, benefit.extras, rules.standard, len(benefit.lines), categories, benefit.rule)


def _last_amount(session: Session, site: Site, case: Case, month: dt.date) -> Decimal:
    """The amount the case was (or would be) paid in `month` under its current assessment."""
    assessment = assessment_for(session, case.id, month)  # type: ignore[arg-type]
    if assessment is None:
        return Decimal("0.00")
    settings = settings_of(site)
    try:
        rules = amounts.BenefitRules(standard_for(session, site, month, case.kind), month, settings)
    except DibaoError:
        rules = None
    return month_amount(assessment, month, rules, birth_dates(members_on(session, case.household_id, month)),
                        settings).amount


def review(session: Session, site: Site, actor: Actor, case: Case, *, reasons: str,
           effective_month: dt.date | None = None, on: dt.date | None = None) -> Decision:
    """A periodic review (复核) on the current incomes: increase, reduce, keep, or phase out when income rose above
    the line (stop at once when the site has no phase-out). Sets the next review date."""
    _require(case, "enrolled")
    reasons = reasons.strip()
    if len(reasons) < 2:
        raise DibaoError(_("请写明复核情况和理由"), [Problem(_("请写明理由"), field="reasons")])
    on = on or local_today()
    settings = settings_of(site)
    month = effective_month or amounts.first_payment_month(on)
    before = _last_amount(session, site, case, amounts.add_months(month, -1))
    members = members_on(session, case.household_id, month)
    covered = covered_persons(case.covered, birth_dates(members))
    if covered is None:
        raise DibaoError(_("保障对象已不在本户，请先更新保障对象"))
    income = household_income(session, case)
    standard = standard_for(session, site, month, case.kind)
    benefit = amounts.compute_benefit(amounts.Assessment(household_income=income, household_size=len(members),
                                                         covered=covered), standard, month, settings)
    if benefit.eligible:
        mode, held, after = "pay", None, benefit.total
        kind = "increase" if after > before else "reduce" if after < before else "review"
    elif settings.phase_out_months > 0 and before > 0:
        mode, held, after, kind = "phase_out", before, before, "phase_out"
    else:
        mode, held, after, kind = "stop", None, Decimal("0.00"), "stop"
    _write_assessment(session, actor, case, month, mode=mode, income=income, size=len(members), held=held)
    changes: dict[str, Any] = {"next_review_on": amounts.next_review_date(on, case.review_category, settings),
                               "household_size": len(members)}
    if kind == "stop":
        changes["status"] = "stopped"
    audit.update(session, actor, case, changes, f"dibao.case.{kind}")
    decision = Decision(case_id=case.id, village_code=case.village_code, kind=kind, effective_month=month,  # type: ignore[arg-type]
                        amount_before=before, amount_after=after, reasons=reasons, decided_on=on,
                        decided_by=actor.label)
    audit.create(session, actor, decision, "dibao.decision")
    return decision


def stop(session: Session, site: Site, actor: Actor, case: Case, *, reasons: str,
         effective_month: dt.date | None = None) -> Decision:
    """Stop payment from `effective_month` (default: next month) by a written decision."""
    _require(case, "enrolled")
    reasons = reasons.strip()
    if len(reasons) < 5:
        raise DibaoError(_("停保必须书面说明理由（至少 5 个字）"), [Problem(_("请写明理由"), field="reasons")])
    on = local_today()
    month = effective_month or amounts.first_payment_month(on)
    before = _last_amount(session, site, case, amounts.add_months(month, -1))
    _write_assessment(session, actor, case, month, mode="stop", income=household_income(session, case),
                      size=case.household_size, held=None)
    audit.update(session, actor, case, {"status": "stopped"}, "dibao.case.stop")
    decision = Decision(case_id=case.id, village_code=case.village_code, kind="stop", effective_month=month,  # type: ignore[arg-type]
                        amount_before=before, amount_after=Decimal("0.00"), reasons=reasons, decided_on=on,
                        decided_by=actor.label)
    audit.create(session, actor, decision, "dibao.decision")
    return decision


def _write_assessment(session: Session, actor: Actor, case: Case, month: dt.date, *, mode: str, income: Decimal,
                      size: int, held: Decimal | None) -> Assessment:
    """Add the assessment effective `month`, or replace the facts of one already effective that month."""
    existing = session.exec(select(Assessment).where(Assessment.case_id == case.id,
                                                     Assessment.effective_month == month)).first()
    values = {"mode": mode, "household_income": income, "household_size": size, "covered": list(case.covered),
              "held_amount": held}
    if existing is not None:
        audit.update(session, actor, existing, values, "dibao.assessment.replace")
        return existing
    row = Assessment(case_id=case.id, village_code=case.village_code, effective_month=month, **values)  # type: ignore[arg-type]
    audit.create(session, actor, row, "dibao.assessment")
    return row


class ReviewDates(Protocol):
    """What `review_overdue` reads of a case: a `Case` or a row of those columns."""

    status: str
    next_review_on: dt.date | None


def review_overdue(case: ReviewDates, month: dt.date) -> bool:
    """An enrolled case whose review date passed before `month` began is not paid until reviewed."""
    return case.status == "enrolled" and case.next_review_on is not None and case.next_review_on < month
