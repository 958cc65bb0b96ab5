"""The proposal (by the committee, a tenth of the villagers or a fifth of the representatives), its plan."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, Site, _, audit, forms, utcnow
from cunwu.api import registry as queries

from .. import shares as calc
from ..models import (
    ORIGINS,
    Project,
    Requester,
)
from ..settings import YishiSettings
from .common import (
    MATTER_TYPE,
    NOTICE_CATEGORY,
    ORIGIN_FRACTIONS,
    _require,
    get_project,
    input_error,
    kind_title,
    project_url,
    settings_of,
)
from .share_fixing import cap_refusal, drafting_cap_violations


@dataclass(frozen=True)
class ProposalInput:
    """What the clerk enters for a proposal (amounts already parsed; see `parse_money`, `parse_workdays`)."""

    kind: str
    title: str
    description: str
    beneficiaries: str
    budget: Decimal
    money_per_person: Decimal
    workdays_per_labourer: Decimal
    year: int
    reference_date: dt.date
    origin: str
    proposed_on: dt.date
    requester_ids: Sequence[int] = ()


def parse_amount(text: str, field: str, label: str) -> Decimal:
    """A non-negative amount with at most two decimals (empty: 0), or a refusal naming the field."""
    return forms.money(text, field, label, default=Decimal(0))  # type: ignore[no-any-return]


def requester_base(session: Session, site: Site, village_code: str, origin: str, on: dt.date) -> set[int]:
    """The persons a joint proposal is counted against on `on`: villagers of voting age, or serving representatives."""
    if origin == "villagers":
        age = site.settings("registry").voting_age
        return {p.id for p in queries.adults(session, village_code, on=on, age=age)}
    if origin == "representatives":
        return {term.person.id for term in queries.representatives(session, village_code, on=on)}
    return set()


def requester_candidates(session: Session, site: Site, village_code: str, on: dt.date) -> list[Any]:
    """Villagers of voting age on `on`, for the requester list of the proposal form (representatives are among
    them)."""
    age = site.settings("registry").voting_age
    return queries.adults(session, village_code, on=on, age=age)


def propose(session: Session, site: Site, actor: Actor, *, village_code: str, data: ProposalInput) -> Project:
    """Record a proposal. Refused: an ineligible kind (with the reason), rates above the yearly caps, a joint
    proposal whose requesters are not on the register or fall short of the fraction (exact, on the proposal date)."""
    settings = settings_of(site)
    refusal = calc.kind_refusal(data.kind, settings)
    if refusal is not None:
        raise input_error(refusal, "kind")
    if not data.title.strip():
        raise input_error(_("请填写项目名称"), "title")
    if data.budget <= 0:
        raise input_error(_("项目预算必须大于 0"), "budget")
    if data.origin not in ORIGINS:
        raise input_error(_("请选择提议方式"), "origin")
    if data.reference_date.year != data.year:
        raise input_error(_("核算基准日应在项目年度 %(year)s 年之内", year=data.year), "reference_date")
    plan = calc.Plan(project_id=0, year=data.year, reference_date=data.reference_date,
                     money_per_person=data.money_per_person, workdays_per_labourer=data.workdays_per_labourer)
    over = calc.check_plan_caps(plan, settings)
    if over:
        raise cap_refusal(over)
    requesters = sorted(set(data.requester_ids))
    base_size = 0
    if data.origin == "committee":
        requesters = []
    else:
        base = requester_base(session, site, village_code, data.origin, data.proposed_on)
        strangers = [pid for pid in requesters if pid not in base]
        if strangers:
            names = "、".join(p.name if (p := queries.person(session, pid)) else str(pid) for pid in strangers)
            who = _("年满十八周岁的本村村民") if data.origin == "villagers" else _("本村在任村民代表")
            raise input_error(_("以下提议人在 %(day)s 不是%(who)s：%(names)s", day=data.proposed_on, who=who,
                           names=names), "requesters")
        base_size = len(base)
        needed = ORIGIN_FRACTIONS[data.origin]
        if base_size == 0 or Fraction(len(requesters), base_size) < needed:
            minimum = -(-needed.numerator * base_size // needed.denominator)
            raise input_error(_("联名提议人 %(count)s 人，不足 %(base)s 人的%(fraction)s（至少需要 %(minimum)s 人）",
                           count=len(requesters), base=base_size, minimum=minimum,
                           fraction=_("十分之一") if data.origin == "villagers" else _("五分之一")), "requesters")
    project = Project(
        village_code=village_code, kind=data.kind, title=data.title.strip(), description=data.description.strip(),
        beneficiaries=data.beneficiaries.strip(), budget=data.budget, money_per_person=data.money_per_person,
        workdays_per_labourer=data.workdays_per_labourer, year=data.year, reference_date=data.reference_date,
        origin=data.origin, proposed_on=data.proposed_on, requesters_base=base_size, created_at=utcnow(),
    )
    over = drafting_cap_violations(session, site, project)
    if over:
        raise cap_refusal(over)
    audit.create(session, actor, project, "yishi.project.propose")
    for pid in requesters:
        audit.create(session, actor, Requester(village_code=village_code, project_id=project.id,  # type: ignore[arg-type]
                                               person_id=pid), "yishi.requester.add")
    return project


def plan_text(project: Project, settings: YishiSettings) -> str:
    """The plan as published before the vote (plain text lines for the notice body)."""
    lines = [
        _("项目类别：%(kind)s", kind=kind_title(project.kind)),
        _("项目预算：%(budget)s 元", budget=project.budget),
        _("筹资标准：每人 %(money)s 元；筹劳标准：每个劳动力 %(days)s 个标准工日（每个标准工日 %(hours)s 小时）",
          money=project.money_per_person, days=project.workdays_per_labourer, hours=settings.hours_per_workday),
        _("受益范围：%(who)s", who=project.beneficiaries or "—"),
        _("提议方式：%(origin)s", origin=str(ORIGINS[project.origin])),
        _("年度上限：每人每年筹资不超过 %(money)s 元，每个劳动力每年筹劳不超过 %(days)s 个标准工日",
          money=settings.money_cap_per_person, days=settings.labour_cap_per_labourer),
        "",
        project.description,
    ]
    return "\n".join(lines).strip()


def publish_plan(session: Session, site: Site, actor: Actor, project: Project) -> Project:
    """Publish the plan on the board before the vote and open its 四议两公开 matter."""
    from cunwu.api import NoticeOrigin, matters, publish_notice

    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "proposed")
    over = drafting_cap_violations(session, site, project)
    if over:  # another plan of the year was published since this one was proposed
        raise cap_refusal(over)
    notice = publish_notice(
        session, site, actor, village_code=project.village_code, stream="village", category=NOTICE_CATEGORY,
        title=_("一事一议筹资筹劳方案公示：%(title)s", title=project.title), body=plan_text(project, settings_of(site)),
        origin=NoticeOrigin("yishi", str(project.id), project_url(project)),
    )
    matter = matters.open_matter(
        session, site, actor, village_code=project.village_code, matter_type=MATTER_TYPE, title=project.title,
        summary=plan_text(project, settings_of(site)), ref=str(project.id))
    audit.update(session, actor, project, {"status": "published", "plan_notice_id": notice.id,
                                           "matter_id": matter.id}, "yishi.project.publish_plan")
    return project
