"""一事一议 services: proposal → plan published → vote → shares → township review → county filing → collections
and labour → account published.

Each function takes `(session, site, actor, ...)`, checks, writes through the audit service and never commits.
Errors a person must see are `YishiError` (a `DomainError`) with the field where it applies. The pure arithmetic
lives in `shares.py`; this module feeds it from the register (`cunwu.registry.queries`) and stores the results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from cunwu.api import Actor, DomainError, NotFound, Problem, _, audit, forms, mask, utcnow
from cunwu.api import registry as queries

from . import shares as calc
from .models import (
    KINDS,
    ORIGINS,
    Ballot,
    Collection,
    LabourDelivered,
    Project,
    Reduction,
    Requester,
    Review,
    Share,
    Spending,
    VoteCode,
    VoteResult,
)
from .settings import YishiSettings, vote_thresholds

MATTER_TYPE = "yishi_project"
NOTICE_CATEGORY = "一事一议"
ACCOUNT_CATEGORY = "专项资金"
#: The share of the register a joint proposal needs (村民一事一议筹资筹劳管理办法: 1/10 villagers, 1/5 reps).
ORIGIN_FRACTIONS: dict[str, Fraction] = {"villagers": Fraction(1, 10), "representatives": Fraction(1, 5)}
#: States in which a project's shares count against the year's caps.
COUNTING = frozenset({"shares_fixed", "submitted", "returned", "reviewed", "filed", "completed"})
GONE_STATUSES = frozenset({"moved_out", "deceased"})
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper without mistakes
CODE_LENGTH = 10


class YishiError(DomainError):
    """A 一事一议 rule refused the change; nothing was written."""


def input_error(message: str, field: str | None = None) -> YishiError:
    """A refusal naming the form field it is about (the page shows it next to the form)."""
    return YishiError(message, [Problem(message, field=field)])



def settings_of(site: Any) -> YishiSettings:
    return site.settings("yishi")  # type: ignore[no-any-return]


def kind_title(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def project_url(project: Project) -> str:
    return f"/v/{project.village_code}/p/yishi/projects/{project.id}"


# --- reading --------------------------------------------------------------------------------------------------


def get_project(session: Session, village_code: str, project_id: int, *, lock: bool = False) -> Project:
    query = select(Project).where(Project.id == project_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    project = session.exec(query).first()
    if project is None or project.village_code != village_code:
        raise NotFound(_("没有这个一事一议项目"))
    return project


def projects_of(session: Session, village_codes: Iterable[str], statuses: Iterable[str] | None = None) -> list[Project]:
    query = select(Project).where(col(Project.village_code).in_(list(village_codes)))
    if statuses is not None:
        query = query.where(col(Project.status).in_(list(statuses)))
    return list(session.exec(query.order_by(col(Project.year).desc(), col(Project.id).desc())).all())


def requesters_of(session: Session, project: Project) -> list[Any]:
    ids = session.exec(select(Requester.person_id).where(Requester.project_id == project.id)).all()
    people = [queries.person(session, pid) for pid in ids]
    return sorted((p for p in people if p is not None), key=lambda p: (p.name, p.id))


def current_shares(session: Session, project: Project) -> list[Share]:
    return list(session.exec(
        select(Share).where(Share.project_id == project.id, Share.share_round == project.share_round)
        .order_by(col(Share.household_number))
    ).all())


def reductions_of(session: Session, project: Project) -> list[Reduction]:
    return list(session.exec(select(Reduction).where(Reduction.project_id == project.id)
                             .order_by(col(Reduction.id))).all())


def reviews_of(session: Session, project: Project) -> list[Review]:
    return list(session.exec(select(Review).where(Review.project_id == project.id).order_by(col(Review.id))).all())


def vote_of(session: Session, project: Project) -> VoteResult | None:
    return session.exec(select(VoteResult).where(VoteResult.project_id == project.id)).first()


def spending_of(session: Session, project: Project) -> list[Spending]:
    return list(session.exec(select(Spending).where(Spending.project_id == project.id)
                             .order_by(col(Spending.spent_on), col(Spending.id))).all())


def _require(project: Project, *statuses: str) -> None:
    if project.status not in statuses:
        from .models import STATUSES

        raise input_error(_("项目当前为“%(status)s”，不能进行此操作", status=str(STATUSES[project.status])))


# --- proposal ---------------------------------------------------------------------------------------------------


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


def requester_base(session: Session, site: Any, village_code: str, origin: str, on: dt.date) -> set[int]:
    """The persons a joint proposal is counted against on `on`: villagers of voting age, or serving representatives."""
    if origin == "villagers":
        age = site.settings("registry").voting_age
        return {p.id for p in queries.adults(session, village_code, on=on, age=age)}
    if origin == "representatives":
        return {term.person.id for term in queries.representatives(session, village_code, on=on)}
    return set()


def requester_candidates(session: Session, site: Any, village_code: str, on: dt.date) -> list[Any]:
    """Villagers of voting age on `on`, for the requester list of the proposal form (representatives are among
    them)."""
    age = site.settings("registry").voting_age
    return queries.adults(session, village_code, on=on, age=age)


def propose(session: Session, site: Any, actor: Actor, *, village_code: str, data: ProposalInput) -> Project:
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


def publish_plan(session: Session, site: Any, actor: Actor, project: Project) -> Project:
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


# --- vote -------------------------------------------------------------------------------------------------------


def thresholds_text(site: Any) -> str:
    rule = vote_thresholds(settings_of(site))

    def show(fraction: Fraction, inclusive: bool) -> str:
        return f"{'≥' if inclusive else '>'}{fraction.numerator}/{fraction.denominator}"

    base = _("到会人员") if rule.approval_base == "attendees" else _("全体应到人员")
    return _("到会 %(quorum)s，赞成票占%(base)s %(approval)s", quorum=show(rule.quorum, rule.quorum_inclusive),
             base=base, approval=show(rule.approval, rule.approval_inclusive))


def record_result(
    session: Session, site: Any, actor: Actor, project: Project, *, source: str, held_on: dt.date, members: int,
    present: int, votes_for: int, against: int, abstain: int, meeting_id: int | None = None,
    motion_id: int | None = None, decided: bool | None = None,
) -> VoteResult:
    """Decide the plan by the site's thresholds (preset + overrides) on the counts; the project becomes approved
    or rejected. One result per project (unique in the database). A meeting's vote comes `decided` by the
    meeting under the same thresholds (the 一事一议 rule set), so the two records cannot disagree."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "published")
    if min(members, present, votes_for, against, abstain) < 0 or members == 0:
        raise input_error(_("票数和人数不能为负数，应到人数至少为 1"))
    if present > members or votes_for + against + abstain > present:
        raise input_error(_("票数合计 %(cast)s、到会 %(present)s、应到 %(members)s 不合逻辑",
                       cast=votes_for + against + abstain, present=present, members=members))
    passed = vote_thresholds(settings_of(site)).passes(members, present, votes_for) if decided is None else decided
    result = VoteResult(
        village_code=project.village_code, project_id=project.id, source=source, meeting_id=meeting_id,  # type: ignore[arg-type]
        motion_id=motion_id, held_on=held_on, members=members, present=present, votes_for=votes_for,
        against=against, abstain=abstain, rule=thresholds_text(site), passed=passed, entered_by=actor.label,
    )
    try:
        with session.begin_nested():
            audit.create(session, actor, result, "yishi.vote.record")
    except IntegrityError as exc:
        raise input_error(_("该项目的表决结果已经登记")) from exc
    audit.update(session, actor, project, {"status": "approved" if passed else "rejected"},
                 "yishi.project.approve" if passed else "yishi.project.reject")
    return result


def vote_from_matter_step(session: Session, site: Any, matter: Any, actor: Actor) -> VoteResult | None:
    """Step 4 of the project's matter was recorded: take the counts of the motion voted there."""
    from cunwu.api import matters, meetings

    project = _project_of_matter(session, matter)
    if project is None or project.status != "published":
        return None
    cited = matters.step_motion(session, matter, 4)
    if cited is None:
        return None
    motion, meeting = cited
    result = meetings.motion_result(session, motion)
    if result is None:
        return None
    return record_result(
        session, site, actor, project, source=motion.vote_method or "hands", held_on=meetings.meeting_date(meeting),
        members=motion.members or 0, present=motion.attendees or 0, votes_for=result.votes_for,
        against=result.against, abstain=result.abstain, meeting_id=meeting.id, motion_id=motion.id,
        decided=result.passed,
    )


def candidate_motions(session: Session, project: Project) -> list[Any]:
    """Motions on this project's matter that were voted in a closed villagers' or representative meeting."""
    from cunwu.api import matters

    return [] if project.matter_id is None else matters.decided_motions(session, project.matter_id)


def vote_through_matter(session: Session, site: Any, actor: Actor, project: Project, motion_id: int) -> Any:
    """Record step 4 (决议) of the project's matter with the meeting motion the clerk chose; the meetings area then
    tells this plugin (`matter_step_reached`), which decides the plan by the site's thresholds."""
    from cunwu.api import matters

    _require(project, "published")
    found = {motion.id: (motion, meeting) for motion, meeting in candidate_motions(session, project)}
    if motion_id not in found or project.matter_id is None:
        raise input_error(_("请选择本项目议题在已结束的村民会议或村民代表会议上表决的议案"), "motion_id")
    motion, meeting = found[motion_id]
    matter = matters.get_matter(session, project.village_code, project.matter_id)
    return matters.record_step(session, site, actor, matter, 4, meeting=meeting, motion=motion)


def _project_of_matter(session: Session, matter: Any) -> Project | None:
    project = session.exec(select(Project).where(Project.matter_id == matter.id)).first()
    if project is None and matter.previous_id is not None:  # a re-proposed matter carries the same project
        project = session.exec(select(Project).where(Project.matter_id == matter.previous_id)).first()
    return project


def matter_stopped(session: Session, site: Any, matter: Any, actor: Actor) -> None:
    """The matter stopped: the plan was not adopted. When it stopped at the vote itself (step 4 failed on a
    meeting's motion), the counts are recorded as the plan's vote result, as the meeting recorded them."""
    project = _project_of_matter(session, matter)
    if (project is not None and project.status == "published" and project.matter_id == matter.id
            and vote_from_matter_step(session, site, matter, actor) is None):
        audit.update(session, actor, project, {"status": "rejected"}, "yishi.project.reject")


# --- online vote with one-time codes ------------------------------------------------------------------------------


def hash_code(code: str) -> str:
    normalised = "".join(code.split()).upper().replace("-", "")
    return hashlib.sha256(f"cunwu.yishi:{normalised}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True)
class CodeSlip:
    """One printed slip: the household and its code (shown once, never stored in clear)."""

    household_number: str
    head_name: str
    code: str


def issue_codes(session: Session, site: Any, actor: Actor, project: Project) -> list[CodeSlip]:
    """Make one code per household on the reference date that has none yet. Only hashes are stored, so the clear
    codes exist only in what this returns (print them at once)."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "published")
    have = set(session.exec(select(VoteCode.household_id).where(VoteCode.project_id == project.id)).all())
    slips = []
    for entry in queries.households(session, project.village_code, on=project.reference_date):
        household = entry.household
        if household.id in have:
            continue
        code = _new_code()
        audit.create(session, actor, VoteCode(village_code=project.village_code, project_id=project.id,  # type: ignore[arg-type]
                                              household_id=household.id, code_hash=hash_code(code)),  # type: ignore[arg-type]
                     "yishi.vote_code.issue")
        head = entry.head
        slips.append(CodeSlip(household.number, head.name if head else "", code))
    return slips


BALLOT_ACTOR = Actor.system("yishi-online-ballot")


def cast_ballot(session: Session, site: Any, project: Project, code: str, choice: str) -> Ballot:
    """A household votes with its code. A code works once; a household votes once (unique indexes: two
    submissions at the same moment cannot both be stored)."""
    if choice not in ("for", "against", "abstain"):
        raise input_error(_("请选择同意、不同意或弃权"), "choice")
    if project.status != "published":
        raise input_error(_("本项目现在不接受在线表决"))
    found = session.exec(select(VoteCode).where(VoteCode.code_hash == hash_code(code))).first()
    if found is None or found.project_id != project.id:
        raise input_error(_("表决码无效，请核对纸条上的表决码"), "code")
    ballot = Ballot(village_code=project.village_code, project_id=project.id, household_id=found.household_id,  # type: ignore[arg-type]
                    code_id=found.id, choice=choice, cast_at=utcnow())  # type: ignore[arg-type]
    try:
        with session.begin_nested():
            audit.create(session, BALLOT_ACTOR, ballot, "yishi.ballot.cast")
    except IntegrityError as exc:
        raise input_error(_("该表决码已经使用过，每户只能表决一次"), "code") from exc
    return ballot


def ballot_tally(session: Session, project: Project) -> dict[str, int]:
    rows = session.exec(select(Ballot.choice, func.count()).where(Ballot.project_id == project.id)
                        .group_by(Ballot.choice)).all()
    tally = {"for": 0, "against": 0, "abstain": 0}
    tally.update({choice: count for choice, count in rows})
    tally["codes"] = session.exec(select(func.count()).select_from(VoteCode)
                                  .where(VoteCode.project_id == project.id)).one()
    return tally


def close_online_vote(session: Session, site: Any, actor: Actor, project: Project, held_on: dt.date) -> VoteResult:
    """Count the online ballots as a household vote: every household given a code is a member, every ballot a
    household present."""
    tally = ballot_tally(session, project)
    if tally["codes"] == 0:
        raise input_error(_("尚未发放表决码"))
    cast = tally["for"] + tally["against"] + tally["abstain"]
    return record_result(session, site, actor, project, source="online", held_on=held_on, members=tally["codes"],
                         present=cast, votes_for=tally["for"], against=tally["against"], abstain=tally["abstain"])


# --- shares -----------------------------------------------------------------------------------------------------


def set_reduction(session: Session, site: Any, actor: Actor, project: Project, *, household_id: int,
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


def preview_shares(session: Session, site: Any, project: Project) -> tuple[list[calc.HouseholdShare],
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


def _pending_shares(session: Session, site: Any, project: Project) -> list[calc.HouseholdShare]:
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


def drafting_cap_violations(session: Session, site: Any, project: Project) -> list[calc.CapViolation]:
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


def set_dibao_households(session: Session, site: Any, actor: Actor, project: Project,
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


def fix_shares(session: Session, site: Any, actor: Actor, project: Project) -> list[Share]:
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


# --- review and filing ------------------------------------------------------------------------------------------


def submit_for_review(session: Session, site: Any, actor: Actor, project: Project) -> Project:
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "shares_fixed")
    audit.update(session, actor, project, {"status": "submitted"}, "yishi.project.submit")
    return project


def review(session: Session, site: Any, actor: Actor, project: Project, *, decision: str, opinion: str,
           on: dt.date) -> Review:
    """Township review: approve, or return with reasons (the plan goes back to the village to be redone)."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "submitted")
    if decision not in ("approved", "returned"):
        raise input_error(_("请选择审核意见：同意或退回"), "decision")
    if not opinion.strip():
        raise input_error(_("请填写审核意见") if decision == "approved" else _("退回必须写明理由"), "opinion")
    row = Review(village_code=project.village_code, project_id=project.id, stage="township", decision=decision,  # type: ignore[arg-type]
                 reviewer=actor.label, reviewed_on=on, opinion=opinion.strip())
    audit.create(session, actor, row, f"yishi.review.{decision}")
    audit.update(session, actor, project, {"status": "reviewed" if decision == "approved" else "returned"},
                 f"yishi.project.{decision}")
    return row


def file_plan(session: Session, site: Any, actor: Actor, project: Project, *, decision: str, opinion: str,
              on: dt.date) -> Review:
    """County filing (备案) of a plan the township approved; or a return with reasons."""
    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "reviewed")
    if decision not in ("filed", "returned"):
        raise input_error(_("请选择备案意见：备案或退回"), "decision")
    if decision == "returned" and not opinion.strip():
        raise input_error(_("退回必须写明理由"), "opinion")
    row = Review(village_code=project.village_code, project_id=project.id, stage="county", decision=decision,  # type: ignore[arg-type]
                 reviewer=actor.label, reviewed_on=on, opinion=opinion.strip() or _("准予备案"))
    audit.create(session, actor, row, f"yishi.filing.{decision}")
    audit.update(session, actor, project, {"status": "filed" if decision == "filed" else "returned"},
                 f"yishi.project.{decision}")
    return row


# --- burden list ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BurdenLine:
    share: Share
    head_name: str
    head_id_masked: str


def burden_list(session: Session, site: Any, project: Project) -> list[BurdenLine]:
    """The per-household list with the heads' resident IDs masked (it is posted publicly)."""
    mask_settings = site.settings("registry").mask
    lines = []
    for share in current_shares(session, project):
        head = queries.person(session, share.head_person_id) if share.head_person_id else None
        lines.append(BurdenLine(share, head.name if head else "", mask(head.resident_id if head else "",
                                                                        mask_settings)))
    return lines


def burden_columns() -> list[str]:
    return [_("户号"), _("户主"), _("身份证号"), _("筹资人数"), _("筹资金额（元）"), _("劳动力"),
            _("筹劳（标准工日）"), _("减免"), _("免除说明")]


def burden_rows(lines: Sequence[BurdenLine]) -> list[list[str]]:
    rows = []
    for line in lines:
        share = line.share
        reduction = ""
        if share.reduction_money or share.reduction_workdays:
            reduction = _("减 %(money)s 元、%(days)s 工日", money=share.reduction_money, days=share.reduction_workdays)
        rows.append([share.household_number, line.head_name, line.head_id_masked, str(share.money_persons),
                     str(share.money), str(share.labourers), str(share.workdays), reduction,
                     "；".join(share.exemptions)])
    return rows


def publish_burden_list(session: Session, site: Any, actor: Actor, project: Project) -> Any:
    """Post the per-household list (masked IDs) on the board once the county has filed the plan."""
    from cunwu.api import NoticeOrigin, NoticeTable, publish_notice

    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "filed")
    if project.burden_notice_id is not None:
        raise input_error(_("负担清单已经公示"))
    lines = burden_list(session, site, project)
    total_money = sum((line.share.money for line in lines), Decimal("0.00"))
    total_days = sum((line.share.workdays for line in lines), Decimal("0"))
    body = _("经村民会议（村民代表会议）表决通过、乡镇审核、县级备案，现将各户筹资筹劳负担公示如下。"
             "合计筹资 %(money)s 元，筹劳 %(days)s 个标准工日。如有异议请在公示期内提出。",
             money=total_money, days=total_days)
    notice = publish_notice(
        session, site, actor, village_code=project.village_code, stream="village", category=NOTICE_CATEGORY,
        title=_("一事一议筹资筹劳负担清单：%(title)s", title=project.title), body=body,
        origin=NoticeOrigin("yishi", str(project.id), project_url(project)),
        table=NoticeTable(burden_columns(), burden_rows(lines), caption=project.title),
    )
    audit.update(session, actor, project, {"burden_notice_id": notice.id}, "yishi.project.publish_burden")
    return notice


# --- collections, labour, conversion ----------------------------------------------------------------------------


def _share_for(session: Session, project: Project, household_id: int, *, lock: bool = True) -> Share:
    query = select(Share).where(Share.project_id == project.id, Share.household_id == household_id,
                                Share.share_round == project.share_round)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    share = session.exec(query).first()
    if share is None:
        raise input_error(_("该户在本项目中没有分摊"), "household_id")
    return share


def _collecting(session: Session, project: Project) -> Project:
    project = get_project(session, project.village_code, project.id or 0)
    _require(project, "filed")
    return project


def convert_labour(session: Session, site: Any, actor: Actor, project: Project, *, household_id: int,
                   workdays: Decimal) -> Share:
    """以资代劳 at the household's own request: `workdays` of its labour become money at the county's rate of the
    project year. Only labour not yet delivered can be converted."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if workdays <= 0:
        raise input_error(_("折算的工日必须大于 0"), "workdays")
    if share.converted_workdays + workdays > share.workdays - share.workdays_done:
        raise input_error(_("户号%(number)s 尚未出工的只有 %(left)s 个工日，不能折算 %(days)s 个工日",
                       number=share.household_number, left=share.workdays_due - share.workdays_done,
                       days=workdays), "workdays")
    try:
        money = calc.convert_labour_to_money(workdays, project.year, settings_of(site))
    except calc.NoPublishedRate as exc:
        raise input_error(str(exc), "workdays") from exc
    converted = share.converted_workdays + workdays
    conversion_money = share.conversion_money + money
    audit.update(session, actor, share, {
        "converted_workdays": converted, "conversion_money": conversion_money,
        "money_due": share.money + conversion_money, "workdays_due": share.workdays - converted,
    }, "yishi.share.convert")
    return share


def record_collection(session: Session, site: Any, actor: Actor, project: Project, *, household_id: int,
                      amount: Decimal, on: dt.date, receipt_no: str = "") -> Collection:
    """Money received from a household. Never more than it owes in total: the running total is checked here, held
    by a CHECK on the share, and unique per share, so a payment recorded twice at once fails in the database."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if amount <= 0:
        raise input_error(_("收款金额必须大于 0"), "amount")
    after = share.money_paid + amount
    if after > share.money_due:
        raise input_error(_("户号%(number)s 应缴 %(due)s 元，已缴 %(paid)s 元，本次最多还能收 %(left)s 元",
                       number=share.household_number, due=share.money_due, paid=share.money_paid,
                       left=share.money_due - share.money_paid), "amount")
    row = Collection(village_code=project.village_code, project_id=project.id, share_id=share.id,  # type: ignore[arg-type]
                     household_id=household_id, amount=amount, paid_after=after, received_on=on,
                     receipt_no=receipt_no.strip())
    try:
        with session.begin_nested():
            audit.create(session, actor, row, "yishi.collection.record")
            audit.update(session, actor, share, {"money_paid": after}, "yishi.share.paid")
    except IntegrityError as exc:
        message = _("户号%(number)s 的这笔收款已经登记（请刷新后核对）", number=share.household_number)
        raise input_error(message) from exc
    return row


def record_labour(session: Session, site: Any, actor: Actor, project: Project, *, household_id: int,
                  workdays: Decimal, on: dt.date) -> LabourDelivered:
    """Workdays a household delivered; never more than it owes."""
    project = _collecting(session, project)
    share = _share_for(session, project, household_id)
    if workdays <= 0:
        raise input_error(_("出工工日必须大于 0"), "workdays")
    after = share.workdays_done + workdays
    if after > share.workdays_due:
        raise input_error(_("户号%(number)s 应出工 %(due)s 个工日，已出工 %(done)s 个工日",
                       number=share.household_number, due=share.workdays_due, done=share.workdays_done), "workdays")
    row = LabourDelivered(village_code=project.village_code, project_id=project.id, share_id=share.id,  # type: ignore[arg-type]
                          household_id=household_id, workdays=workdays, done_after=after, worked_on=on)
    try:
        with session.begin_nested():
            audit.create(session, actor, row, "yishi.labour.record")
            audit.update(session, actor, share, {"workdays_done": after}, "yishi.share.worked")
    except IntegrityError as exc:
        message = _("户号%(number)s 的这次出工已经登记（请刷新后核对）", number=share.household_number)
        raise input_error(message) from exc
    return row


def add_spending(session: Session, site: Any, actor: Actor, project: Project, *, item: str, amount: Decimal,
                 on: dt.date, voucher_no: str = "") -> Spending:
    project = _collecting(session, project)
    if not item.strip():
        raise input_error(_("请填写支出事项"), "item")
    if amount <= 0:
        raise input_error(_("支出金额必须大于 0"), "amount")
    row = Spending(village_code=project.village_code, project_id=project.id, spent_on=on, item=item.strip(),  # type: ignore[arg-type]
                   amount=amount, voucher_no=voucher_no.strip())
    audit.create(session, actor, row, "yishi.spending.add")
    return row


# --- account ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    """The project account (项目专账) as shown and published."""

    money_due: Decimal
    raised: Decimal
    workdays_due: Decimal
    workdays_done: Decimal
    liable_households: int
    paid_households: int
    participation: Fraction
    matching_ratio: Decimal
    award: Decimal
    spent: Decimal
    spending: list[Spending]

    @property
    def income(self) -> Decimal:
        return self.raised + self.award

    @property
    def balance(self) -> Decimal:
        return self.income - self.spent

    @property
    def participation_percent(self) -> str:
        return f"{float(self.participation) * 100:.1f}%"


def account_of(session: Session, site: Any, project: Project) -> Account:
    """Raised, labour delivered, the matching award (participation = liable households fully paid up) and spending."""
    settings = settings_of(site)
    rows = current_shares(session, project)
    liable = [s for s in rows if s.money_due > 0]
    paid = [s for s in liable if s.money_paid >= s.money_due]
    participation = calc.participation_rate(len(paid), len(liable)) if liable else Fraction(0)
    raised = sum((s.money_paid for s in rows), Decimal("0.00"))
    ratio = project.matching_ratio if project.matching_ratio is not None else settings.matching_ratio
    award = calc.matching_award(raised, participation, settings, project.matching_ratio) if liable else Decimal("0.00")
    spending = spending_of(session, project)
    return Account(
        money_due=sum((s.money_due for s in rows), Decimal("0.00")), raised=raised,
        workdays_due=sum((s.workdays_due for s in rows), Decimal("0")),
        workdays_done=sum((s.workdays_done for s in rows), Decimal("0")),
        liable_households=len(liable), paid_households=len(paid), participation=participation,
        matching_ratio=ratio, award=award, spent=sum((s.amount for s in spending), Decimal("0.00")),
        spending=spending,
    )


def publish_account(session: Session, site: Any, actor: Actor, project: Project) -> Any:
    """Publish the project account as a special 财务 disclosure (专项资金) and complete the project."""
    from cunwu.api import NoticeOrigin, NoticeTable, publish_notice

    project = get_project(session, project.village_code, project.id or 0, lock=True)
    _require(project, "filed")
    account = account_of(session, site, project)
    rows = [
        [_("收入"), _("村民筹资"), str(account.raised)],
        [_("收入"), _("财政奖补（比例 %(ratio)s，参与率 %(rate)s）", ratio=account.matching_ratio,
                      rate=account.participation_percent), str(account.award)],
    ]
    rows += [[_("支出"), f"{s.spent_on} {s.item}", str(s.amount)] for s in account.spending]
    rows.append([_("结余"), "", str(account.balance)])
    body = _("项目专账：应筹资 %(due)s 元，实收 %(raised)s 元；"
             "应筹劳 %(days)s 个标准工日，实际出工 %(done)s 个标准工日；"
             "财政奖补 %(award)s 元；支出 %(spent)s 元；结余 %(balance)s 元。",
             due=account.money_due, raised=account.raised, days=account.workdays_due, done=account.workdays_done,
             award=account.award, spent=account.spent, balance=account.balance)
    notice = publish_notice(
        session, site, actor, village_code=project.village_code, stream="finance", category=ACCOUNT_CATEGORY,
        title=_("一事一议项目专账公开：%(title)s", title=project.title), body=body,
        origin=NoticeOrigin("yishi", str(project.id), project_url(project)),
        table=NoticeTable([_("类别"), _("项目"), _("金额（元）")], rows, caption=project.title),
    )
    audit.update(session, actor, project, {"account_notice_id": notice.id, "status": "completed"},
                 "yishi.project.publish_account")
    return notice
