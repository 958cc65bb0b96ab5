"""Reading a case (incomes, checks, visits, evidence, decisions) and the benefit its current facts give."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from cunwu.api import NotFound, Site, _
from cunwu.api import registry as queries

from .. import amounts
from ..models import (
    Assessment,
    Case,
    Decision,
    Evidence,
    Income,
    PropertyCheck,
    Visit,
)
from .common import DibaoError, settings_of
from .standards import standard_for


def get_case(session: Session, case_id: int, village_code: str | None = None, *, lock: bool = False) -> Case:
    """One case (of `village_code` when given; another village's case is "not found")."""
    query = select(Case).where(Case.id == case_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    case = session.exec(query).first()
    if case is None or (village_code is not None and case.village_code != village_code):
        raise NotFound(_("没有这个低保案件"))
    return case


def cases(session: Session, village_code: str | None = None, statuses: Iterable[str] | None = None) -> list[Case]:
    query = select(Case)
    if village_code is not None:
        query = query.where(Case.village_code == village_code)
    if statuses is not None:
        query = query.where(col(Case.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(Case.id).desc())).all())


def incomes(session: Session, case: Case) -> list[Income]:
    return list(session.exec(select(Income).where(Income.case_id == case.id, col(Income.withdrawn).is_(False))
                             .order_by(col(Income.id))).all())


def household_income(session: Session, case: Case) -> Decimal:
    """The household's monthly income: the sum of its members' current income items."""
    return sum((i.monthly_amount for i in incomes(session, case)), Decimal("0.00"))


def property_checks(session: Session, case: Case) -> list[PropertyCheck]:
    return list(session.exec(select(PropertyCheck).where(PropertyCheck.case_id == case.id)
                             .order_by(col(PropertyCheck.id))).all())


def visits(session: Session, case: Case) -> list[Visit]:
    return list(session.exec(select(Visit).where(Visit.case_id == case.id).order_by(col(Visit.visited_on))).all())


def evidence(session: Session, case: Case) -> list[Evidence]:
    return list(session.exec(select(Evidence).where(Evidence.case_id == case.id).order_by(col(Evidence.id))).all())


def decisions(session: Session, case: Case) -> list[Decision]:
    return list(session.exec(select(Decision).where(Decision.case_id == case.id).order_by(col(Decision.id))).all())


def assessments(session: Session, case: Case) -> list[Assessment]:
    return list(session.exec(select(Assessment).where(Assessment.case_id == case.id)
                             .order_by(col(Assessment.effective_month))).all())


def members_on(session: Session, household_id: int, on: dt.date) -> list[queries.Member]:
    return queries.members_of(session, [household_id], on).get(household_id, [])


def birth_dates(members: Iterable[queries.Member]) -> dict[int, dt.date]:
    """Person id → birth date of the household's members: all `covered_persons` needs from the register."""
    return {m.person.id: m.person.birth_date for m in members}  # type: ignore[misc]


def covered_persons(case_covered: Sequence[dict[str, Any]], members: Mapping[int, dt.date]
                    ) -> tuple[amounts.CoveredPerson, ...] | None:
    """The covered persons with their register facts, or None when one of them has left the household.

    `members` maps the household's members on the day (person id) to their birth dates, see `birth_dates`.
    """
    found = []
    for entry in case_covered:
        person_id = entry["person_id"]
        born = members.get(person_id)
        if born is None:
            return None
        found.append(amounts.CoveredPerson(int(person_id), born, bool(entry.get("severe_disability")),
                                           bool(entry.get("serious_illness"))))
    return tuple(found)


@dataclass(frozen=True)
class Proposal:
    """What a case would be paid in a month from its current facts."""

    benefit: amounts.Benefit
    income: Decimal
    household_size: int


def propose(session: Session, site: Site, case: Case, month: dt.date) -> Proposal:
    """The benefit a case's current incomes and covered persons give in `month` (for opinions and reviews)."""
    members = members_on(session, case.household_id, amounts.first_of_month(month))
    covered = covered_persons(case.covered, birth_dates(members)) if members else None
    if not covered:
        raise DibaoError(_("保障对象已不在本户，请先更新保障对象"))
    income = household_income(session, case)
    assessment = amounts.Assessment(household_income=income, household_size=len(members), covered=covered)
    standard = standard_for(session, site, month, case.kind)
    return Proposal(amounts.compute_benefit(assessment, standard, month, settings_of(site)), income, len(members))
