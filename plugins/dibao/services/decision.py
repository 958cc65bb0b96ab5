"""The township's opinion, the posting (公示), democratic review (民主评议) and the confirmation or refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, DomainError, Notice, Objection, Problem, Site, _, audit, local_today
from cunwu.api import registry as queries

from .. import amounts
from ..models import (
    Assessment,
    Case,
    Decision,
)
from .cases import property_checks, propose, visits
from .common import PLUGIN, DibaoError, _require, settings_of


def give_opinion(session: Session, site: Site, actor: Actor, case: Case, *, approve: bool, opinion: str) -> Case:
    """The township's opinion after the check: propose (with the amount) or refuse with written reasons."""
    _require(case, "applied")
    opinion = opinion.strip()
    if len(opinion) < 2:
        raise DibaoError(_("请写明审核意见"), [Problem(_("请写明审核意见"), field="opinion")])
    on = local_today()
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


def _refuse(session: Session, site: Site, actor: Actor, case: Case, reasons: str, on: dt.date, *, action: str) -> Case:
    changes: dict[str, Any] = {"status": "refused", "refusal_reasons": reasons, "decided_on": on,
                               "decided_by": actor.label}
    if action == "dibao.case.opinion_refuse":
        changes.update({"township_opinion": reasons, "opinion_by": actor.label, "opinion_on": on})
    audit.update(session, actor, case, changes, action)
    audit.create(session, actor, Decision(case_id=case.id, village_code=case.village_code, kind="refuse",  # type: ignore[arg-type]
                                          reasons=reasons, decided_on=on, decided_by=actor.label), "dibao.decision")
    return case


def masked_id(site: Site, person: Any) -> str:
    """A resident ID masked by the site's rule (`[core.registry] mask`), for lists other people see."""
    from cunwu.api import mask

    return mask(person.resident_id if person else "", site.settings("registry").mask)


def _posting_table(session: Session, site: Site, case: Case, result: str | None = None) -> Any:
    from cunwu.api import NoticeTable

    applicant = queries.person(session, case.applicant_id)
    columns = [_("申请人"), _("身份证号"), _("保障人数"), _("拟保障金额（元/月）"), _("监督电话")]
    row = [applicant.name if applicant else "", masked_id(site, applicant), str(len(case.covered)),
           f"{case.proposed_amount or Decimal('0.00'):f}", site.config.supervision_phone or "—"]
    if result is not None:
        columns.append(_("民主评议结果"))
        row.append(result)
    return NoticeTable(columns=columns, rows=[row], caption=_("最低生活保障审核公示"))


def post_case(session: Session, site: Site, actor: Actor, case: Case) -> Case:
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
    ends = notice.window_end or local_today()
    audit.update(session, actor, case, {
        "status": "posting", "notice_id": notice.id, "posting_ends_on": ends,
        "confirm_due_on": amounts.add_working_days(ends, settings.confirm_within_working_days),
    }, "dibao.case.post")
    return case


def case_of_notice(session: Session, notice: Notice) -> Case | None:
    """The case a notice of this plugin posts, or None for anyone else's notice."""
    if getattr(notice, "origin_kind", None) != PLUGIN or not getattr(notice, "origin_ref", None):
        return None
    try:
        return session.get(Case, int(notice.origin_ref))
    except ValueError:
        return None


def objection_to_posting(session: Session, site: Site, objection: Objection, notice: Notice) -> Case | None:
    """An objection to a 公示 sends the case to democratic review (民主评议), once; later objections are on record."""
    case = case_of_notice(session, notice)
    if case is None or case.status != "posting" or case.reviewed_democratically:
        return case
    actor = Actor.system("dibao")
    audit.update(session, actor, case, {"status": "democratic_review"}, "dibao.case.objection")
    return case


def schedule_review(session: Session, site: Site, actor: Actor, case: Case, *, starts_at: dt.datetime,
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


def conclude_review(session: Session, site: Site, actor: Actor, case: Case, *, summary: str = "") -> Case:
    """Take the meeting's vote as the 民主评议 result and post it again."""
    outcome = review_outcome(session, case)
    if outcome is None:
        raise DibaoError(_("民主评议会议还没有表决结果"))
    return record_review_result(session, site, actor, case, approved=outcome, summary=summary)


def review_rule(site: Site) -> Any:
    """The 民主评议's quorum and approval as a meeting rule override ("以上": the bound itself is enough)."""
    from cunwu.api import RuleOverride

    settings = settings_of(site)
    return RuleOverride(quorum=settings.democratic_review_quorum, quorum_inclusive=True,
                        majority=settings.democratic_review_approval, majority_inclusive=True)


def record_review_result(session: Session, site: Site, actor: Actor, case: Case, *, approved: bool,
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
    ends = notice.window_end or local_today()
    audit.update(session, actor, case, {
        "status": "posting", "reviewed_democratically": True, "review_result": "approved" if approved else "rejected",
        "notice_id": notice.id, "posting_ends_on": ends,
        "confirm_due_on": amounts.add_working_days(ends, settings.confirm_within_working_days),
    }, "dibao.case.review_result")
    return case


def confirm(session: Session, site: Site, actor: Actor, case: Case, *, on: dt.date | None = None) -> Case:
    """Confirm after the posting ended: payment starts the month after; the first assessment is written."""
    _require(case, "posting")
    on = on or local_today()
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


def refuse(session: Session, site: Site, actor: Actor, case: Case, *, reasons: str) -> Case:
    """Not confirmed: the written reasons are required (they are sent to the applicant)."""
    _require(case, "posting", "proposed", "democratic_review")
    reasons = reasons.strip()
    if len(reasons) < 5:
        raise DibaoError(_("不予确认必须书面说明理由（至少 5 个字）"), [Problem(_("请写明理由"), field="reasons")])
    return _refuse(session, site, actor, case, reasons, local_today(), action="dibao.case.refuse")
