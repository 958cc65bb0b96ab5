"""低保 case services: standards, application, check, opinion, posting, democratic review, confirmation, reviews.

Every function takes `(session, site, actor, ...)`, checks, writes through `cunwu.audit.services` and never commits:
the caller owns the transaction. Refusals are `DibaoError` with a translated message. The arithmetic is
`amounts` (pure, exact); the monthly payments are in `disbursement`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from sqlmodel import Session, col, select

from cunwu.api import LOCAL_TZ, Actor, DomainError, NotFound, Problem, _, audit
from cunwu.api import registry as queries

from . import amounts
from .models import (
    CLOSED_STATES,
    INCOME_KINDS,
    Assessment,
    Case,
    Decision,
    Evidence,
    Income,
    PropertyCheck,
    Standard,
    Visit,
)
from .settings import DibaoSettings

PLUGIN = "dibao"
#: Severe disability (重度残疾) = disability grade 1 or 2 on the register.
SEVERE_GRADES = (1, 2)


class DibaoError(DomainError):
    """A 低保 rule refused the change; nothing was written."""


def today() -> dt.date:
    """Today in China: deadlines and months run on local calendar days."""
    return dt.datetime.now(LOCAL_TZ).date()


def settings_of(site: Any) -> DibaoSettings:
    return site.settings(PLUGIN)  # type: ignore[no-any-return]


def area_of(site: Any) -> str:
    """The area the site's standards are set for (the county unless the settings name another)."""
    return settings_of(site).standard_area or site.config.division_code


def parse_money(value: Any, field: str) -> Decimal:
    """A yuan amount typed by a person: exact, not negative, at most to the fen."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError) as exc:
        raise DibaoError(_("金额格式不正确：%(value)s", value=value),
                         [Problem(_("金额格式不正确"), field=field)]) from exc
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise DibaoError(_("金额必须是不小于 0、最多两位小数的数：%(value)s", value=value),
                         [Problem(_("金额格式不正确"), field=field)])
    return amount.quantize(Decimal("0.01"))


def parse_month(value: str) -> dt.date:
    """"2026-03" → 2026-03-01."""
    try:
        year, month = value.strip().split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError) as exc:
        raise DibaoError(_("月份格式应为 YYYY-MM：%(value)s", value=value)) from exc


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from `start`'s month to `end`'s month."""
    return (end.year - start.year) * 12 + end.month - start.month


# --- standards -------------------------------------------------------------------------------------------------


def set_standard(session: Session, site: Any, actor: Actor, *, kind: str, monthly_amount: Decimal,
                 effective_from: dt.date, note: str = "", area: str | None = None) -> Standard:
    """Add a standard; the history is kept (a standard is never edited, a new one supersedes it)."""
    area = area or area_of(site)
    if kind not in amounts.KINDS:
        raise DibaoError(_("标准类型必须是农村或城市"), [Problem(_("请选择类型"), field="kind")])
    if monthly_amount <= 0:
        raise DibaoError(_("低保标准必须大于 0"), [Problem(_("请填写标准"), field="monthly_amount")])
    clash = session.exec(select(Standard).where(Standard.area == area, Standard.kind == kind,
                                                Standard.effective_from == effective_from)).first()
    if clash is not None:
        raise DibaoError(_("%(date)s 起的标准已经设定为 %(amount)s 元", date=effective_from,
                           amount=clash.monthly_amount), [Problem(_("这一天已有标准"), field="effective_from")])
    standard = Standard(area=area, kind=kind, monthly_amount=monthly_amount, effective_from=effective_from,
                        note=note.strip()[:200], set_by=actor.label)
    audit.create(session, actor, standard, "dibao.standard.set")
    return standard


def standards(session: Session, site: Any) -> list[Standard]:
    """The site's standards, newest first."""
    return list(session.exec(select(Standard).where(Standard.area == area_of(site))
                             .order_by(col(Standard.effective_from).desc(), col(Standard.kind))).all())


def standard_history(session: Session, site: Any) -> list[amounts.StandardPeriod]:
    """The site's standards as the calculation core takes them (columns only: every monthly run reads them)."""
    table = Standard.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(select(table.effective_from, table.monthly_amount, table.area, table.kind)
                           .where(table.area == area_of(site)))
    return [amounts.StandardPeriod(*row) for row in rows]


def standard_for(session: Session, site: Any, month: dt.date, kind: str) -> Decimal:
    """The standard in force in `month` (raises `DibaoError` when none is)."""
    try:
        return amounts.standard_for(month, standard_history(session, site), area_of(site), kind)
    except amounts.NoStandardInForce as exc:
        raise DibaoError(str(exc)) from exc


# --- reading cases -------------------------------------------------------------------------------------------


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
        born = members.get(entry["person_id"])
        if born is None:
            return None
        found.append(amounts.CoveredPerson(
            person_id=int(entry["person_id"]), birth_date=born,
            severe_disability=bool(entry.get("severe_disability")), serious_illness=bool(entry.get("serious_illness")),
        ))
    return tuple(found)


@dataclass(frozen=True)
class Proposal:
    """What a case would be paid in a month from its current facts."""

    benefit: amounts.Benefit
    income: Decimal
    household_size: int


def propose(session: Session, site: Any, case: Case, month: dt.date) -> Proposal:
    """The benefit a case's current incomes and covered persons give in `month` (for opinions and reviews)."""
    members = members_on(session, case.household_id, amounts.first_of_month(month))
    covered = covered_persons(case.covered, birth_dates(members)) if members else None
    if not covered:
        raise DibaoError(_("保障对象已不在本户，请先更新保障对象"))
    income = household_income(session, case)
    assessment = amounts.Assessment(household_income=income, household_size=len(members), covered=covered)
    standard = standard_for(session, site, month, case.kind)
    return Proposal(amounts.compute_benefit(assessment, standard, month, settings_of(site)), income, len(members))


# --- application and check -------------------------------------------------------------------------------------


def _require(case: Case, *statuses: str) -> None:
    if case.status not in statuses:
        raise DibaoError(_("案件当前状态为“%(status)s”，不能进行这一步", status=status_label(case.status)))


def status_label(status: str) -> str:
    return {
        "applied": _("已受理，调查核实中"), "proposed": _("乡镇审核通过，待公示"), "posting": _("公示中"),
        "democratic_review": _("民主评议中"), "enrolled": _("已纳入保障"), "refused": _("不予确认"),
        "stopped": _("已停保"), "withdrawn": _("已撤回"),
    }.get(status, status)


def income_kind_label(kind: str) -> str:
    return {"wages": _("工资性收入"), "farming": _("家庭经营（种养殖）收入"), "pension": _("养老金"),
            "transfer": _("转移性收入"), "other": _("其他收入")}.get(kind, kind)


def apply(session: Session, site: Any, actor: Actor, *, village_code: str, household_id: int, applicant_id: int,
          covered: Sequence[int], kind: str = "rural", review_category: str = "stable",
          serious_illness: Iterable[int] = (), bank_code: str = "", account_number: str = "",
          account_holder: str = "", applied_on: dt.date | None = None) -> Case:
    """Take a household's application through one of its members; covered persons come from the register."""
    settings = settings_of(site)
    applied_on = applied_on or today()
    household = next((h for h in queries.households(session, village_code, applied_on)
                      if h.household.id == household_id), None)
    if household is None:
        raise DibaoError(_("本村没有这一户"), [Problem(_("请选择本村的户"), field="household_id")])
    member_ids = {m.person.id for m in household.members}
    if applicant_id not in member_ids:
        raise DibaoError(_("申请人必须是本户成员"), [Problem(_("请选择本户成员"), field="applicant_id")])
    covered_ids = list(dict.fromkeys(int(p) for p in covered))
    if not covered_ids or not set(covered_ids) <= member_ids:
        raise DibaoError(_("保障对象必须是本户成员，至少一人"), [Problem(_("请选择保障对象"), field="covered")])
    if kind not in amounts.KINDS:
        raise DibaoError(_("标准类型必须是农村或城市"), [Problem(_("请选择类型"), field="kind")])
    try:
        settings.review_interval(review_category)
    except ValueError as exc:
        raise DibaoError(_("未知的家庭类别：%(value)s", value=review_category)) from exc
    if bank_code and bank_code not in settings.banks:
        raise DibaoError(_("未知的银行：%(value)s", value=bank_code), [Problem(_("请选择银行"), field="bank_code")])
    live = session.exec(select(Case).where(Case.household_id == household_id,
                                           col(Case.status).not_in(list(CLOSED_STATES)))).first()
    if live is not None:
        raise DibaoError(_("这一户已有办理中或在保的低保案件（第 %(id)s 号）", id=live.id))
    grades = {m.person.id: m.person.disability_grade for m in household.members}
    ill = set(serious_illness)
    case = Case(
        village_code=village_code, household_id=household_id, applicant_id=applicant_id, kind=kind,
        review_category=review_category, status="applied", applied_on=applied_on,
        check_due_on=amounts.add_working_days(applied_on, settings.flow_max_working_days),
        household_size=len(member_ids),
        covered=[{"person_id": p, "severe_disability": grades.get(p) in SEVERE_GRADES, "serious_illness": p in ill}
                 for p in covered_ids],
        bank_code=bank_code, account_number="".join(account_number.split()), account_holder=account_holder.strip(),
    )
    audit.create(session, actor, case, "dibao.case.apply")
    return case


def record_income(session: Session, site: Any, actor: Actor, case: Case, *, person_id: int, kind: str,
                  monthly_amount: Decimal, note: str = "") -> Income:
    """Record one member's monthly income item (while the case is checked or reviewed)."""
    _require(case, "applied", "enrolled")
    if kind not in INCOME_KINDS:
        raise DibaoError(_("未知的收入类型"), [Problem(_("请选择收入类型"), field="kind")])
    if person_id not in {m.person.id for m in members_on(session, case.household_id, today())}:
        raise DibaoError(_("收入必须记在本户成员名下"), [Problem(_("请选择本户成员"), field="person_id")])
    item = Income(case_id=case.id, village_code=case.village_code, person_id=person_id, kind=kind,  # type: ignore[arg-type]
                  monthly_amount=monthly_amount, note=note.strip()[:200])
    audit.create(session, actor, item, "dibao.income.record")
    return item


def withdraw_income(session: Session, site: Any, actor: Actor, case: Case, income_id: int) -> None:
    _require(case, "applied", "enrolled")
    item = session.get(Income, income_id)
    if item is None or item.case_id != case.id or item.withdrawn:
        raise NotFound(_("没有这条收入记录"))
    audit.update(session, actor, item, {"withdrawn": True}, "dibao.income.withdraw")


def record_property(session: Session, site: Any, actor: Actor, case: Case, answers: dict[str, bool],
                    notes: dict[str, str] | None = None) -> list[PropertyCheck]:
    """Record the answers to the site's property rules (every rule must be answered)."""
    _require(case, "applied", "enrolled")
    rules = settings_of(site).property_checks
    missing = [rule for rule in rules if rule not in answers]
    if missing:
        raise DibaoError(_("请逐项回答家庭财产核查：%(rule)s", rule=missing[0]))
    existing = {p.rule: p for p in property_checks(session, case)}
    notes = notes or {}
    result = []
    for rule in rules:
        note = notes.get(rule, "").strip()[:200]
        if rule in existing:
            row = existing[rule]
            if row.passed != answers[rule] or row.note != note:
                audit.update(session, actor, row, {"passed": answers[rule], "note": note}, "dibao.property.update")
        else:
            row = PropertyCheck(case_id=case.id, village_code=case.village_code, rule=rule,  # type: ignore[arg-type]
                                passed=answers[rule], note=note)
            audit.create(session, actor, row, "dibao.property.record")
        result.append(row)
    return result


def record_visit(session: Session, site: Any, actor: Actor, case: Case, *, visited_on: dt.date, visitors: str,
                 findings: str) -> Visit:
    """A home visit: at least two visitors' names and what they found."""
    _require(case, "applied", "enrolled")
    if len(findings.strip()) < 5:
        raise DibaoError(_("请写明入户调查情况（至少 5 个字）"), [Problem(_("请写明调查情况"), field="findings")])
    if not visitors.strip():
        raise DibaoError(_("请填写调查人"), [Problem(_("请填写调查人"), field="visitors")])
    if visited_on > today():
        raise DibaoError(_("调查日期不能晚于今天"), [Problem(_("日期不对"), field="visited_on")])
    visit = Visit(case_id=case.id, village_code=case.village_code, visited_on=visited_on,  # type: ignore[arg-type]
                  visitors=visitors.strip()[:200], findings=findings.strip())
    audit.create(session, actor, visit, "dibao.visit.record")
    return visit


_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def sniff(data: bytes) -> str | None:
    """The file's type from its own first bytes (the browser's content type is not trusted)."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def add_evidence(session: Session, site: Any, actor: Actor, case: Case, *, topic: str, filename: str,
                 data: bytes) -> Evidence:
    """Store an evidence file in the database (size and type limited by the settings)."""
    settings = settings_of(site)
    if topic not in ("income", "property", "visit"):
        raise DibaoError(_("证明材料的类别无效"))
    if not data:
        raise DibaoError(_("文件是空的"), [Problem(_("请选择文件"), field="file")])
    if len(data) > settings.evidence_max_bytes:
        raise DibaoError(_("文件太大：%(size)s 字节，最大 %(max)s 字节", size=len(data),
                           max=settings.evidence_max_bytes),
                         [Problem(_("文件太大"), field="file")])
    kind = sniff(data)
    if kind is None or kind not in settings.evidence_types:
        raise DibaoError(_("只接受这些类型的文件：%(types)s", types=", ".join(settings.evidence_types)),
                         [Problem(_("文件类型不对"), field="file")])
    name = "".join(ch for ch in filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if ch.isprintable())[:200] or "file"
    item = Evidence(case_id=case.id, village_code=case.village_code, topic=topic, filename=name,  # type: ignore[arg-type]
                    content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data)
    session.add(item)
    session.flush()
    audit.record(session, actor, "dibao.evidence.add", object_type="dibao_evidence", object_id=str(item.id),
                 village_code=case.village_code, before=None,
                 after={"case_id": case.id, "topic": topic, "filename": name, "size": len(data),
                        "sha256": item.sha256})
    return item


def update_covered(session: Session, site: Any, actor: Actor, case: Case, *, covered: Sequence[int],
                   serious_illness: Iterable[int] = ()) -> Case:
    """Change the covered persons (from the register) before the opinion or at a review."""
    _require(case, "applied", "enrolled")
    members = members_on(session, case.household_id, today())
    member_ids = {m.person.id for m in members}
    covered_ids = list(dict.fromkeys(int(p) for p in covered))
    if not covered_ids or not set(covered_ids) <= member_ids:
        raise DibaoError(_("保障对象必须是本户成员，至少一人"), [Problem(_("请选择保障对象"), field="covered")])
    grades = {m.person.id: m.person.disability_grade for m in members}
    ill = set(serious_illness)
    audit.update(session, actor, case, {
        "covered": [{"person_id": p, "severe_disability": grades.get(p) in SEVERE_GRADES, "serious_illness": p in ill}
                    for p in covered_ids],
        "household_size": len(member_ids)}, "dibao.case.covered")
    return case


def update_account(session: Session, site: Any, actor: Actor, case: Case, *, bank_code: str, account_number: str,
                   account_holder: str) -> Case:
    """The bank account payments go to (payments already made keep the account they were sent to)."""
    if bank_code not in settings_of(site).banks:
        raise DibaoError(_("未知的银行：%(value)s", value=bank_code), [Problem(_("请选择银行"), field="bank_code")])
    number = "".join(account_number.split())
    if not number.isdigit() or not 8 <= len(number) <= 30:
        raise DibaoError(_("银行账号应为 8 到 30 位数字"), [Problem(_("账号格式不对"), field="account_number")])
    if not account_holder.strip():
        raise DibaoError(_("请填写户名"), [Problem(_("请填写户名"), field="account_holder")])
    audit.update(session, actor, case, {"bank_code": bank_code, "account_number": number,
                                        "account_holder": account_holder.strip()[:50]}, "dibao.case.account")
    return case


# --- opinion, posting, democratic review, confirmation ---------------------------------------------------------


def give_opinion(session: Session, site: Any, actor: Actor, case: Case, *, approve: bool, opinion: str) -> Case:
    """The township's opinion after the check: propose (with the amount) or refuse with written reasons."""
    _require(case, "applied")
    opinion = opinion.strip()
    if len(opinion) < 2:
        raise DibaoError(_("请写明审核意见"), [Problem(_("请写明审核意见"), field="opinion")])
    on = today()
    if not approve:
        return _refuse(session, site, actor, case, opinion, on, action="dibao.case.opinion_refuse")
    if not visits(session, case):
        raise DibaoError(_("还没有入户调查记录，不能提出审核意见"))
    checks = property_checks(session, case)
    if {c.rule for c in checks} < set(settings_of(site).property_checks) or not checks:
        raise DibaoError(_("家庭财产核查还没有逐项完成"))
    failed = [c.rule for c in checks if not c.passed]
    if failed:
        raise DibaoError(_("家庭财产不符合条件（%(rule)s），只能不予通过", rule=failed[0]))
    if not case.bank_code or not case.account_number:
        raise DibaoError(_("请先登记发放低保金的银行账号"))
    proposal = propose(session, site, case, amounts.first_payment_month(on))
    if not proposal.benefit.eligible:
        raise DibaoError(_("家庭月人均收入 %(income)s 元不低于保障标准 %(standard)s 元，只能不予通过",
                           income=proposal.benefit.income_per_person_yuan, standard=proposal.benefit.standard))
    audit.update(session, actor, case, {
        "status": "proposed", "township_opinion": opinion, "opinion_by": actor.label, "opinion_on": on,
        "proposed_amount": proposal.benefit.total, "household_size": proposal.household_size,
    }, "dibao.case.opinion")
    return case


def _refuse(session: Session, site: Any, actor: Actor, case: Case, reasons: str, on: dt.date, *, action: str) -> Case:
    changes: dict[str, Any] = {"status": "refused", "refusal_reasons": reasons, "decided_on": on,
                               "decided_by": actor.label}
    if action == "dibao.case.opinion_refuse":
        changes.update({"township_opinion": reasons, "opinion_by": actor.label, "opinion_on": on})
    audit.update(session, actor, case, changes, action)
    audit.create(session, actor, Decision(case_id=case.id, village_code=case.village_code, kind="refuse",  # type: ignore[arg-type]
                                          reasons=reasons, decided_on=on, decided_by=actor.label), "dibao.decision")
    return case


def masked_id(site: Any, person: Any) -> str:
    """A resident ID masked by the site's rule (`[core.registry] mask`), for lists other people see."""
    from cunwu.api import mask

    return mask(person.resident_id if person else "", site.settings("registry").mask)


def _posting_table(session: Session, site: Any, case: Case, result: str | None = None) -> Any:
    from cunwu.api import NoticeTable

    applicant = queries.person(session, case.applicant_id)
    columns = [_("申请人"), _("身份证号"), _("保障人数"), _("拟保障金额（元/月）"), _("监督电话")]
    row = [applicant.name if applicant else "", masked_id(site, applicant), str(len(case.covered)),
           f"{case.proposed_amount or Decimal('0.00'):f}", site.config.supervision_phone or "—"]
    if result is not None:
        columns.append(_("民主评议结果"))
        row.append(result)
    return NoticeTable(columns=columns, rows=[row], caption=_("最低生活保障审核公示"))


def post_case(session: Session, site: Any, actor: Actor, case: Case) -> Case:
    """公示: the township's proposal is posted in the village for `posting_days` days through the notice board."""
    from cunwu.api import NoticeOrigin, publish_notice

    _require(case, "proposed")
    settings = settings_of(site)
    applicant = queries.person(session, case.applicant_id)
    body = _("经入户调查、乡镇审核，拟将以下家庭纳入最低生活保障。公示期 %(days)s 天，"
             "如有异议，请在公示期内在本页提出，或拨打监督电话 %(phone)s。",
             days=settings.posting_days, phone=site.config.supervision_phone or "—")
    notice = publish_notice(
        session, site, actor, village_code=case.village_code, stream="village", category="低保",
        title=_("低保审核公示：%(name)s户", name=applicant.name if applicant else ""), body=body,
        window_days=settings.posting_days, origin=NoticeOrigin(kind=PLUGIN, ref=str(case.id),
                                                               url=f"/v/{case.village_code}/p/dibao/cases/{case.id}"),
        table=_posting_table(session, site, case),
    )
    ends = notice.window_end or today()
    audit.update(session, actor, case, {
        "status": "posting", "notice_id": notice.id, "posting_ends_on": ends,
        "confirm_due_on": amounts.add_working_days(ends, settings.confirm_within_working_days),
    }, "dibao.case.post")
    return case


def case_of_notice(session: Session, notice: Any) -> Case | None:
    """The case a notice of this plugin posts, or None for anyone else's notice."""
    if getattr(notice, "origin_kind", None) != PLUGIN or not getattr(notice, "origin_ref", None):
        return None
    try:
        return session.get(Case, int(notice.origin_ref))
    except ValueError:
        return None


def objection_to_posting(session: Session, site: Any, objection: Any, notice: Any) -> Case | None:
    """An objection to a 公示 sends the case to democratic review (民主评议), once; later objections are on record."""
    case = case_of_notice(session, notice)
    if case is None or case.status != "posting" or case.reviewed_democratically:
        return case
    actor = Actor.system("dibao")
    audit.update(session, actor, case, {"status": "democratic_review"}, "dibao.case.objection")
    return case


def schedule_review(session: Session, site: Any, actor: Actor, case: Case, *, starts_at: dt.datetime,
                    location: str = "") -> Any:
    """Call the 民主评议: a core representative meeting with the plugin's quorum and approval (site settings)."""
    from cunwu.api import meetings

    _require(case, "democratic_review")
    if case.meeting_id is not None:
        raise DibaoError(_("这个案件的民主评议已经安排"))
    applicant = queries.person(session, case.applicant_id)
    name = applicant.name if applicant else ""
    try:
        meeting = meetings.schedule_meeting(
            session, site, actor, village_code=case.village_code, kind="representatives", starts_at=starts_at,
            title=_("低保民主评议：%(name)s户", name=name), location=location,
            agenda=[_("评议%(name)s户的低保申请", name=name)], rule_override=review_rule(site),
            rule_source=_("低保民主评议（[plugins.dibao] democratic_review_quorum / democratic_review_approval）"),
        )
    except DomainError as exc:
        raise DibaoError(exc.message, exc.problems) from exc
    audit.update(session, actor, case, {"meeting_id": meeting.id}, "dibao.case.review_meeting")
    return meeting


def review_outcome(session: Session, case: Case) -> bool | None:
    """The 民主评议 outcome: True/False from the meeting's last voted motion, None while there is none."""
    from cunwu.api import meetings

    if case.meeting_id is None:
        return None
    meeting = meetings.get_meeting(session, case.village_code, case.meeting_id)
    results = [r for r in (meetings.motion_result(session, m) for m in meetings.motions_of(session, meeting)) if r]
    return results[-1].passed if results else None


def conclude_review(session: Session, site: Any, actor: Actor, case: Case, *, summary: str = "") -> Case:
    """Take the meeting's vote as the 民主评议 result and post it again."""
    outcome = review_outcome(session, case)
    if outcome is None:
        raise DibaoError(_("民主评议会议还没有表决结果"))
    return record_review_result(session, site, actor, case, approved=outcome, summary=summary)


def review_rule(site: Any) -> Any:
    """The 民主评议's quorum and approval as a meeting rule override ("以上": the bound itself is enough)."""
    from cunwu.api import RuleOverride

    settings = settings_of(site)
    return RuleOverride(quorum=settings.democratic_review_quorum, quorum_inclusive=True,
                        majority=settings.democratic_review_approval, majority_inclusive=True)


def record_review_result(session: Session, site: Any, actor: Actor, case: Case, *, approved: bool,
                         summary: str) -> Case:
    """The 民主评议 outcome is posted again (a new 公示 of `posting_days`); the county then decides."""
    from cunwu.api import NoticeOrigin, publish_notice

    _require(case, "democratic_review")
    settings = settings_of(site)
    result = _("通过") if approved else _("未通过")
    applicant = queries.person(session, case.applicant_id)
    body = _("经民主评议，%(summary)s。评议结果：%(result)s。公示期 %(days)s 天，监督电话 %(phone)s。",
             summary=summary.strip() or _("对申请家庭情况进行了评议"), result=result, days=settings.posting_days,
             phone=site.config.supervision_phone or "—")
    notice = publish_notice(
        session, site, actor, village_code=case.village_code, stream="village", category="低保",
        title=_("低保民主评议结果公示：%(name)s户", name=applicant.name if applicant else ""), body=body,
        window_days=settings.posting_days, origin=NoticeOrigin(kind=PLUGIN, ref=str(case.id),
                                                               url=f"/v/{case.village_code}/p/dibao/cases/{case.id}"),
        table=_posting_table(session, site, case, result=result),
    )
    ends = notice.window_end or today()
    audit.update(session, actor, case, {
        "status": "posting", "reviewed_democratically": True, "review_result": "approved" if approved else "rejected",
        "notice_id": notice.id, "posting_ends_on": ends,
        "confirm_due_on": amounts.add_working_days(ends, settings.confirm_within_working_days),
    }, "dibao.case.review_result")
    return case


def confirm(session: Session, site: Any, actor: Actor, case: Case, *, on: dt.date | None = None) -> Case:
    """Confirm after the posting ended: payment starts the month after; the first assessment is written."""
    _require(case, "posting")
    on = on or today()
    if case.posting_ends_on is None or on <= case.posting_ends_on:
        raise DibaoError(_("公示期到 %(end)s 才结束，结束后才能确认", end=case.posting_ends_on))
    if case.review_result == "rejected":
        raise DibaoError(_("民主评议未通过，只能不予确认（请写明理由）"))
    first = amounts.first_payment_month(on)
    proposal = propose(session, site, case, first)
    if not proposal.benefit.eligible:
        raise DibaoError(_("按当前收入已不符合条件，只能不予确认"))
    settings = settings_of(site)
    audit.update(session, actor, case, {
        "status": "enrolled", "decided_on": on, "decided_by": actor.label, "first_month": first,
        "next_review_on": amounts.next_review_date(on, case.review_category, settings),
        "proposed_amount": proposal.benefit.total, "household_size": proposal.household_size,
    }, "dibao.case.confirm")
    audit.create(session, actor, Assessment(
        case_id=case.id, village_code=case.village_code, effective_month=first, mode="pay",  # type: ignore[arg-type]
        household_income=proposal.income, household_size=proposal.household_size, covered=list(case.covered),
    ), "dibao.assessment")
    late = case.confirm_due_on is not None and on > case.confirm_due_on
    reasons = _("经审核确认，自 %(month)s 起发放", month=first.strftime("%Y-%m"))
    if late:
        reasons += _("（超过确认期限 %(due)s）", due=case.confirm_due_on)
    audit.create(session, actor, Decision(
        case_id=case.id, village_code=case.village_code, kind="confirm", effective_month=first,  # type: ignore[arg-type]
        amount_after=proposal.benefit.total, reasons=reasons, decided_on=on, decided_by=actor.label,
    ), "dibao.decision")
    return case


def refuse(session: Session, site: Any, actor: Actor, case: Case, *, reasons: str) -> Case:
    """Not confirmed: the written reasons are required (they are sent to the applicant)."""
    _require(case, "posting", "proposed", "democratic_review")
    reasons = reasons.strip()
    if len(reasons) < 5:
        raise DibaoError(_("不予确认必须书面说明理由（至少 5 个字）"), [Problem(_("请写明理由"), field="reasons")])
    return _refuse(session, site, actor, case, reasons, today(), action="dibao.case.refuse")


# --- reviews and changes -----------------------------------------------------------------------------------------


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


def _last_amount(session: Session, site: Any, case: Case, month: dt.date) -> Decimal:
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


def review(session: Session, site: Any, actor: Actor, case: Case, *, reasons: str,
           effective_month: dt.date | None = None, on: dt.date | None = None) -> Decision:
    """A periodic review (复核) on the current incomes: increase, reduce, keep, or phase out when income rose above
    the line (stop at once when the site has no phase-out). Sets the next review date."""
    _require(case, "enrolled")
    reasons = reasons.strip()
    if len(reasons) < 2:
        raise DibaoError(_("请写明复核情况和理由"), [Problem(_("请写明理由"), field="reasons")])
    on = on or today()
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


def stop(session: Session, site: Any, actor: Actor, case: Case, *, reasons: str,
         effective_month: dt.date | None = None) -> Decision:
    """Stop payment from `effective_month` (default: next month) by a written decision."""
    _require(case, "enrolled")
    reasons = reasons.strip()
    if len(reasons) < 5:
        raise DibaoError(_("停保必须书面说明理由（至少 5 个字）"), [Problem(_("请写明理由"), field="reasons")])
    on = today()
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
