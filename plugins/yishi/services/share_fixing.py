"""Each household's share of money and labour: reductions, 低保 households, the preview and the fixed shares."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from cunwu.api import Actor, Problem, Site, _, audit
from cunwu.api import registry as queries

from .. import shares as calc
from ..models import (
    Project,
    Reduction,
    Share,
)
from .common import (
    COUNTING,
    GONE_STATUSES,
    YishiError,
    _require,
    current_shares,
    get_project,
    input_error,
    reductions_of,
    settings_of,
)


def set_reduction(session: Session, site: Site, actor: Actor, project: Project, *, household_id: int,
                  money: Decimal, workdays: Decimal, reason: str) -> Reduction:
    """Record (or change) the hardship reduction the meeting voted for a household, before the shares are fixed."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "approved", "returned")
    numbers = {e.household.id for e in queries.households(session, project.village_code, on=project.reference_date)}
    if household_id not in numbers:
        raise input_error(_("该户在核算基准日不是本村的户"), "household_id")
    if not reason.strip():
        raise input_error(_("请写明村民会议（代表会议）表决的减免理由"), "reason")
    existing = session.exec(select(Reduction).where(Reduction.project_id == project.id,
                                                    Reduction.household_id == household_id)).first()
    if existing is not None:
        audit.update(session, actor, existing, {"money_reduction": money, "workday_reduction": workdays,
                                                "reason": reason.strip()}, "yishi.reduction.change")
        return existing
    row = Reduction(village_code=project.village_code, project_id=project.id, household_id=household_id,  # type: ignore[arg-type]
                    money_reduction=money, workday_reduction=workdays, reason=reason.strip())
    audit.create(session, actor, row, "yishi.reduction.add")
    return row


def household_choices(session: Session, project: Project) -> list[Any]:
    """The village's households on the reference date (for the reduction and 低保 forms)."""
    return queries.households(session, project.village_code, on=project.reference_date)


def _calc_households(session: Session, project: Project) -> tuple[list[calc.Household], dict[int, Any]]:
    """The register's households on the reference date in the calculation's terms, and their heads by id."""
    dibao = set(project.dibao_households)
    result, heads = [], {}
    on = project.reference_date
    for entry in queries.households(session, project.village_code, on=on):
        members = []
        for member in entry.members:
            person = member.person
            if person.birth_date > on:
                continue  # not yet born on the reference date
            if person.status in GONE_STATUSES and (person.status_since is None or person.status_since <= on):
                continue
            members.append(calc.Member(
                person_id=person.id, name=person.name, sex=person.sex, birth_date=person.birth_date,  # type: ignore[arg-type]
                active_soldier=person.active_soldier, disabled_veteran=person.disabled_veteran,
                full_time_student=person.student,
                gave_birth_on=person.gave_birth_on if person.sex == "F" else None,
            ))
        household_id = entry.household.id
        result.append(calc.Household(household_id=household_id, number=entry.household.number,  # type: ignore[arg-type]
                                     members=tuple(members), dibao=household_id in dibao))
        heads[household_id] = entry.head
    return result, heads


def earlier_shares(session: Session, project: Project) -> list[calc.HouseholdShare]:
    """The current shares of the village's other projects of the same year that count against the caps."""
    others = session.exec(select(Project).where(Project.village_code == project.village_code,
                                                Project.year == project.year, Project.id != project.id,
                                                col(Project.status).in_(list(COUNTING)))).all()
    found = []
    for other in others:
        for share in current_shares(session, other):
            found.append(calc.HouseholdShare(
                household_id=share.household_id, number=share.household_number, money_persons=share.money_persons,
                money=share.money, labourers=share.labourers, workdays=share.workdays, exemptions=(),
                reduction_money=share.reduction_money, reduction_workdays=share.reduction_workdays,
                project_id=other.id, year=other.year,
            ))
    return found


def preview_shares(session: Session, site: Site, project: Project) -> tuple[list[calc.HouseholdShare],
                                                                           list[calc.CapViolation]]:
    """The shares the plan gives and every yearly cap they would break (nothing is written)."""
    settings = settings_of(site)
    households, _heads = _calc_households(session, project)
    reductions = {r.household_id: calc.Reduction(r.money_reduction, r.workday_reduction, r.reason)
                  for r in reductions_of(session, project)}
    known = {h.household_id for h in households}
    reductions = {k: v for k, v in reductions.items() if k in known}
    plan = calc.Plan(project_id=project.id or 0, year=project.year, reference_date=project.reference_date,
                     money_per_person=project.money_per_person, workdays_per_labourer=project.workdays_per_labourer,
                     hardship_reductions=reductions)
    computed = calc.compute_shares(plan, households, settings)
    violations = calc.check_caps(project.year, computed, earlier_shares(session, project), households, settings,
                                 plan=plan)
    return computed, violations


#: Projects whose plan is on the board (or voted) but whose shares are not fixed yet: at drafting they count too.
PENDING = frozenset({"published", "approved"})
#: How many households a refusal names one by one; the rest are counted.
NAMED_VIOLATIONS = 10


def _pending_shares(session: Session, site: Site, project: Project) -> list[calc.HouseholdShare]:
    """What the year's published or approved projects will ask of each household, computed from their plans."""
    query = select(Project).where(Project.village_code == project.village_code, Project.year == project.year,
                                  col(Project.status).in_(list(PENDING)))
    if project.id is not None:
        query = query.where(Project.id != project.id)
    found: list[calc.HouseholdShare] = []
    for other in session.exec(query).all():
        households, _heads = _calc_households(session, other)
        plan = calc.Plan(project_id=other.id or 0, year=other.year, reference_date=other.reference_date,
                         money_per_person=other.money_per_person, workdays_per_labourer=other.workdays_per_labourer)
        found.extend(calc.compute_shares(plan, households, settings_of(site)))
    return found


def drafting_cap_violations(session: Session, site: Site, project: Project) -> list[calc.CapViolation]:
    """The yearly caps a plan breaks, checked while it is drafted — at proposal and again before it is published
    and voted, never first at 核定分摊 (docs/domain.md §4).

    Counted: the plan's own rates, and what the year's other projects ask of each household (shares fixed, or
    computed from the plans published or approved). 低保 exemptions and hardship reductions are decided after the
    vote, so the check leaves them out: it errs on the side of the households the cap protects.
    """
    settings = settings_of(site)
    households, _heads = _calc_households(session, project)
    plan = calc.Plan(project_id=project.id or 0, year=project.year, reference_date=project.reference_date,
                     money_per_person=project.money_per_person, workdays_per_labourer=project.workdays_per_labourer)
    computed = calc.compute_shares(plan, households, settings)
    others = earlier_shares(session, project) + _pending_shares(session, site, project)
    return calc.check_caps(project.year, computed, others, households, settings, plan=plan)


def cap_preview(session: Session, site: Site, village_code: str, *, year: int, reference_date: dt.date,
                money_per_person: Decimal, workdays_per_labourer: Decimal) -> list[calc.CapViolation]:
    """The caps a plan still being typed would break: the proposal form's live check, the very check `propose`
    makes (the rates, then every household's year with the other projects), on a project not yet recorded."""
    plan = calc.Plan(project_id=0, year=year, reference_date=reference_date, money_per_person=money_per_person,
                     workdays_per_labourer=workdays_per_labourer)
    over = calc.check_plan_caps(plan, settings_of(site))
    if over:
        return over
    draft = Project(village_code=village_code, year=year, reference_date=reference_date,
                    money_per_person=money_per_person, workdays_per_labourer=workdays_per_labourer)
    return drafting_cap_violations(session, site, draft)


CAP_FIELDS = {"money": "money_per_person", "labour": "workdays_per_labourer"}


def cap_refusal(violations: Sequence[calc.CapViolation]) -> YishiError:
    """One refusal for every broken cap: a summary with the numbers, then each household beside the rate field
    it is about (the first `NAMED_VIOLATIONS`, the rest counted)."""
    first = violations[0]
    households = {v.household_number for v in violations if v.household_number is not None}
    if households:
        summary = _("方案超过年度上限：%(n)s 户本年度的一事一议负担将超过上限（如%(first)s）。请降低筹资或筹劳标准。",
                    n=len(households), first=first.message)
    else:
        summary = first.message
    problems = [Problem(v.message, field=CAP_FIELDS[v.kind]) for v in violations[:NAMED_VIOLATIONS]]
    if len(violations) > NAMED_VIOLATIONS:
        more = _("另有 %(n)s 处超过上限，未逐一列出", n=len(violations) - NAMED_VIOLATIONS)
        problems.append(Problem(more, field=CAP_FIELDS[violations[NAMED_VIOLATIONS].kind]))
    return YishiError(summary, problems)


def set_dibao_households(session: Session, site: Site, actor: Actor, project: Project,
                         household_ids: Iterable[int]) -> Project:
    """Mark the households that receive 低保 on the reference date (exempt from money where the site says so)."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "approved", "returned")
    known = {e.household.id for e in queries.households(session, project.village_code, on=project.reference_date)}
    chosen = sorted({int(h) for h in household_ids})
    if any(h not in known for h in chosen):
        raise input_error(_("所选低保户不是本村的户"), "dibao")
    audit.update(session, actor, project, {"dibao_households": chosen}, "yishi.project.dibao")
    return project


def fix_shares(session: Session, site: Site, actor: Actor, project: Project) -> list[Share]:
    """Compute and store each household's share as a new share round. Refused, naming every household and amount,
    when the year's caps would be broken across the village's projects of the same year."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "approved", "returned")
    computed, violations = preview_shares(session, site, project)
    if violations:
        raise YishiError(violations[0].message, [Problem(v.message, field=v.kind) for v in violations])
    _households, heads = _calc_households(session, project)
    new_round = project.share_round + 1
    rows = []
    for share in computed:
        head = heads.get(share.household_id)
        row = Share(
            village_code=project.village_code, project_id=project.id, share_round=new_round, year=project.year,  # type: ignore[arg-type]
            household_id=share.household_id, household_number=share.number,
            head_person_id=head.id if head else None, money_persons=share.money_persons, labourers=share.labourers,
            money=share.money, workdays=share.workdays, reduction_money=share.reduction_money,
            reduction_workdays=share.reduction_workdays, exemptions=list(share.exemptions),
            money_due=share.money, workdays_due=share.workdays,
        )
        audit.create(session, actor, row, "yishi.share.fix")
        rows.append(row)
    audit.update(session, actor, project, {"status": "shares_fixed", "share_round": new_round},
                 "yishi.project.fix_shares")
    return rows
