"""The application and its check: incomes, property checks, home visits, evidence, covered persons, account."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from cunwu.api import Actor, NotFound, Problem, Site, _, audit, forms, local_today
from cunwu.api import registry as queries

from .. import amounts
from ..models import (
    CLOSED_STATES,
    INCOME_KINDS,
    Case,
    Evidence,
    Income,
    PropertyCheck,
    Visit,
)
from .cases import members_on, property_checks
from .common import SEVERE_GRADES, DibaoError, _require, settings_of


def open_case_of(session: Session, household_id: int) -> Case | None:
    """The household's case still being handled or paid, if any: a new application waits until it is closed."""
    return session.exec(select(Case).where(Case.household_id == household_id,
                                           col(Case.status).not_in(list(CLOSED_STATES)))).first()


def households_named(session: Session, village_code: str, text: str) -> list[Any]:
    """The village's households with a member whose name contains `text` (someone typed a name where the 户号
    goes: offer the households instead of a dead end)."""
    text = text.strip()
    if not text:
        return []
    return [h for h in queries.households(session, village_code) if any(text in m.person.name for m in h.members)]


def apply(session: Session, site: Site, actor: Actor, *, village_code: str, household_id: int, applicant_id: int,
          covered: Sequence[int], kind: str = "rural", review_category: str = "stable",
          serious_illness: Iterable[int] = (), bank_code: str = "", account_number: str = "",
          account_holder: str = "", applied_on: dt.date | None = None) -> Case:
    """Take a household's application through one of its members; covered persons come from the register."""
    settings = settings_of(site)
    applied_on = applied_on or local_today()
    household = next((h for h in queries.households(session, village_code, applied_on)
                      if h.household.id == household_id), None)
    if household is None:
        raise DibaoError(_("本村没有这一户"), [Problem(_("请选择本村的户"), field="household_id")])
    member_ids = {m.person.id for m in household.members}
    check = forms.Checks()  # every wrong field of the application at once, each beside its field
    if applicant_id not in member_ids:
        check.add(_("申请人必须是本户成员"), "applicant_id")
    covered_ids = list(dict.fromkeys(int(p) for p in covered))
    if not covered_ids or not set(covered_ids) <= member_ids:
        check.add(_("保障对象必须是本户成员，至少一人"), "covered")
    if kind not in amounts.KINDS:
        check.add(_("标准类型必须是农村或城市"), "kind")
    try:
        settings.review_interval(review_category)
    except ValueError:
        check.add(_("未知的家庭类别：%(value)s", value=review_category), "review_category")
    if bank_code and bank_code not in settings.banks:
        check.add(_("未知的银行：%(value)s", value=bank_code), "bank_code")
    account = check(bank_account, account_number) if account_number.strip() else ""
    check.done(DibaoError)
    live = open_case_of(session, household_id)
    if live is not None:
        message = _("这一户已有办理中或在保的低保案件（第 %(id)s 号）", id=live.id)
        raise DibaoError(message, [Problem(message, field="household")])
    grades = {m.person.id: m.person.disability_grade for m in household.members}
    ill = set(serious_illness)
    case = Case(
        village_code=village_code, household_id=household_id, applicant_id=applicant_id, kind=kind,
        review_category=review_category, status="applied", applied_on=applied_on,
        check_due_on=amounts.add_working_days(applied_on, settings.flow_max_working_days),
        household_size=len(member_ids),
        covered=[{"person_id": p, "severe_disability": grades.get(p) in SEVERE_GRADES, "serious_illness": p in ill}
                 for p in covered_ids],
        bank_code=bank_code, account_number=account or "",
        account_holder=account_holder.strip(),
    )
    audit.create(session, actor, case, "dibao.case.apply")
    return case


def record_income(session: Session, site: Site, actor: Actor, case: Case, *, person_id: int, kind: str,
                  monthly_amount: Decimal, note: str = "") -> Income:
    """Record one member's monthly income item (while the case is checked or reviewed)."""
    _require(case, "applied", "enrolled")
    if kind not in INCOME_KINDS:
        raise DibaoError(_("未知的收入类型"), [Problem(_("请选择收入类型"), field="kind")])
    if person_id not in {m.person.id for m in members_on(session, case.household_id, local_today())}:
        raise DibaoError(_("收入必须记在本户成员名下"), [Problem(_("请选择本户成员"), field="person_id")])
    item = Income(case_id=case.id, village_code=case.village_code, person_id=person_id, kind=kind,  # type: ignore[arg-type]
                  monthly_amount=monthly_amount, note=note.strip()[:200])
    audit.create(session, actor, item, "dibao.income.record")
    return item


def withdraw_income(session: Session, site: Site, actor: Actor, case: Case, income_id: int) -> None:
    _require(case, "applied", "enrolled")
    item = session.get(Income, income_id)
    if item is None or item.case_id != case.id or item.withdrawn:
        raise NotFound(_("没有这条收入记录"))
    audit.update(session, actor, item, {"withdrawn": True}, "dibao.income.withdraw")


def record_property(session: Session, site: Site, actor: Actor, case: Case, answers: dict[str, bool],
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


_NAME_SEPARATORS = re.compile(r"[、,，;；/\s]+")


def visitor_names(text: str) -> list[str]:
    """The distinct names in a "调查人" field ("王文书、李委员"): a home visit needs two investigators (调查人至少两人,
    docs/domain.md §5), so one name written twice counts once."""
    return list(dict.fromkeys(n for n in _NAME_SEPARATORS.split(text.strip()) if n))


def record_visit(session: Session, site: Site, actor: Actor, case: Case, *, visited_on: dt.date, visitors: str,
                 findings: str) -> Visit:
    """A home visit: at least two visitors' names and what they found."""
    _require(case, "applied", "enrolled")
    check = forms.Checks()  # every wrong field of the visit at once, each beside its field
    if visited_on > local_today():
        check.add(_("调查日期不能晚于今天"), "visited_on")
    names = visitor_names(visitors)
    if len(names) < 2:
        check.add(_("入户调查人至少两人，请填写每位调查人的姓名（用顿号或逗号分开），已填写 %(n)s 人", n=len(names)),
                  "visitors")
    if len(findings.strip()) < 5:
        check.add(_("请写明入户调查情况（至少 5 个字）"), "findings")
    check.done(DibaoError)
    visit = Visit(case_id=case.id, village_code=case.village_code, visited_on=visited_on,  # type: ignore[arg-type]
                  visitors=visitors.strip()[:200], findings=findings.strip())
    audit.create(session, actor, visit, "dibao.visit.record")
    return visit


_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"%PDF-", "application/pdf"))


def sniff(data: bytes) -> str | None:
    """The file's type from its own first bytes (the browser's content type is not trusted)."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


def add_evidence(session: Session, site: Site, actor: Actor, case: Case, *, topic: str, filename: str,
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


def update_covered(session: Session, site: Site, actor: Actor, case: Case, *, covered: Sequence[int],
                   serious_illness: Iterable[int] = ()) -> Case:
    """Change the covered persons (from the register) before the opinion or at a review."""
    _require(case, "applied", "enrolled")
    members = members_on(session, case.household_id, local_today())
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


def bank_account(raw: str) -> str:
    """A bank account number as the bank file needs it: 8 to 30 ASCII digits, spaces removed. Full-width digits are
    normalised; digits of other scripts (١٢٣, ¹²³), which `str.isdigit` accepts, are refused before they reach a
    bank batch."""
    return forms.ascii_digits(raw, "account_number", _("银行账号"), lengths=range(8, 31))


def update_account(session: Session, site: Site, actor: Actor, case: Case, *, bank_code: str, account_number: str,
                   account_holder: str) -> Case:
    """The bank account payments go to (payments already made keep the account they were sent to)."""
    if bank_code not in settings_of(site).banks:
        raise DibaoError(_("未知的银行：%(value)s", value=bank_code), [Problem(_("请选择银行"), field="bank_code")])
    number = bank_account(account_number)
    if not account_holder.strip():
        raise DibaoError(_("请填写户名"), [Problem(_("请填写户名"), field="account_holder")])
    audit.update(session, actor, case, {"bank_code": bank_code, "account_number": number,
                                        "account_holder": account_holder.strip()[:50]}, "dibao.case.account")
    return case
