"""低保 pages: clerks (village), township and county reviewers (site), the public recipients list, the JSON API.

Handlers are thin: parse the form, call a service in one transaction, redirect (or render). A refused change raises
`DibaoError`; the case page shows it again (400) with each problem beside its field and what was typed kept.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.api import (
    LOCAL_TZ,
    Actor,
    DomainError,
    Form,
    FormError,
    Multipart,
    NotFound,
    Problem,
    Site,
    _,
    actor_of,
    confirm_page,
    forms,
    local_today,
    mask_account,
    render,
    site_of,
)
from cunwu.api import registry as queries

from . import amounts, disbursement, services
from .models import INCOME_KINDS, Case
from .services import DibaoError

STATUS_ORDER = ("applied", "proposed", "posting", "democratic_review", "enrolled", "stopped", "refused", "withdrawn")


def _case_url(case: Case) -> str:
    return f"/v/{case.village_code}/p/dibao/cases/{case.id}"


def _month(value: str | None, default: dt.date | None = None) -> dt.date:
    if not value:
        return default or amounts.first_of_month(local_today())
    try:
        return services.parse_month(value)
    except DibaoError as exc:  # a month in the address that is no month: there is no such page
        raise NotFound(exc.message) from exc


def _typed_month(value: str, field: str = "month") -> dt.date:
    """A month typed in a form's `field` box: refused beside it."""
    try:
        return services.parse_month(value)
    except DibaoError as exc:
        raise DibaoError(exc.message, [Problem(exc.message, field=field)]) from exc


def _decided(data: dict[str, str], decide: Callable[..., Any]) -> Callable[[Session, Site, Actor, Case], None]:
    """A review's or a stop's decision: the month typed (empty: the service's default, next month) and the
    service's refusal of the reasons at once, each beside its box; a refusal rolls back what was written."""
    def action(session: Session, site: Site, actor: Actor, case: Case) -> None:
        check = forms.Checks()
        typed = data.get("effective_month", "").strip()
        month = check(_typed_month, typed, "effective_month") if typed else None
        check(decide, session, site, actor, case, reasons=data.get("reasons", ""), effective_month=month)
        check.done(DibaoError)

    return action


def _id(data: dict[str, str], name: str, label: str) -> int:
    """A record chosen in a select (household, applicant, member)."""
    return forms.integer(data.get(name), name, label, minimum=1)  # type: ignore[no-any-return]


def _checked(data: dict[str, Any], prefix: str) -> list[int]:
    return [int(key[len(prefix):]) for key, value in data.items()
            if key.startswith(prefix) and key[len(prefix):].isdigit() and value]


def _on_case(request: Request[Any, Any, Any], village_code: str, case_id: int,
             action: Callable[[Session, Site, Actor, Case], Any], typed: dict[str, str] | None = None,
             form: str = "") -> Response[Any]:
    """Lock the case, run the change in one transaction, go back to the case page. A refusal shows the case page
    again with the problems — beside the fields of `form` (the one posted) with what was `typed` kept, or on top."""
    def change(session: Session, site: Site, actor: Actor) -> Case:
        case = services.get_case(session, case_id, village_code, lock=True)
        action(session, site, actor, case)
        return case

    return forms.run(request, change, then=_case_url, refused=lambda exc: _case_page(
        request, village_code, case_id, errors=forms.problems(exc), lead=exc.message,
        form={**(typed or {}), "_form": form}, status_code=exc.status_code))


def _visible(request: Request[Any, Any, Any], village_code: str) -> bool:
    return bool(site_of(request).allowed(actor_of(request), "dibao.view", village_code))


def _account(request: Request[Any, Any, Any], number: str) -> str:
    """Full account numbers only for dibao.payments (the county's payment staff)."""
    if site_of(request).allowed(actor_of(request), "dibao.payments", None):
        return number
    return mask_account(number)


# --- village pages ------------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/p/dibao/", opt={"permission": "dibao.view"}, sync_to_thread=True, name="dibao_cases")
def case_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        found = services.cases(session, village_code)
        names = {c.id: queries.person(session, c.applicant_id) for c in found}
    found.sort(key=lambda c: (STATUS_ORDER.index(c.status), -(c.id or 0)))
    return render(request, "dibao/cases.html", {"cases": found, "names": names, "status_label": services.status_label,
                                                "today": local_today()})


def _new_case_page(request: Request[Any, Any, Any], village_code: str, number: str, chosen: Any = None,
                   error: str | None = None, open_case: Case | None = None, matches: list[Any] | None = None,
                   form: dict[str, str] | None = None, problems: list[Problem] | None = None) -> Response[str]:
    """The application form; a refusal about the household is shown beside the 户号 box with the way on (the open
    case, or the households of the name that was typed), never as an error page."""
    settings = services.settings_of(site_of(request))
    return render(request, "dibao/new.html", {
        "household": chosen, "banks": settings.banks, "categories": settings.review_months, "number": number,
        "error": error, "open_case": open_case, "matches": matches or [], "form": form or {},
        "problems": problems or [], "review_category_label": services.review_category_label},
        status_code=400 if error or problems else 200)


@get("/v/{village_code:str}/p/dibao/new", opt={"permission": "dibao.apply"}, sync_to_thread=True)
def new_case(request: Request[Any, Any, Any], village_code: str, household: str = "") -> Response[str]:
    site = site_of(request)
    number = household.strip()
    if not number:
        return _new_case_page(request, village_code, "")
    with site.db.read() as session:
        chosen = next((h for h in queries.households(session, village_code) if h.household.number == number), None)
        if chosen is None:
            matches = services.households_named(session, village_code, number)
            error = (_("“%(text)s”不是户号。请填写户号，或从下面同名村民所在的户中选择", text=number) if matches
                     else _("本村没有户号 %(number)s", number=number))
            return _new_case_page(request, village_code, number, error=error, matches=matches)
        open_case = services.open_case_of(session, chosen.household.id)
    if open_case is not None:
        return _new_case_page(request, village_code, number, error=_(
            "这一户已有办理中或在保的低保案件（第 %(id)s 号），新的申请要等该案件办结", id=open_case.id),
            open_case=open_case)
    return _new_case_page(request, village_code, number, chosen)


@post("/v/{village_code:str}/p/dibao/cases", opt={"permission": "dibao.apply"}, sync_to_thread=True)
def create_case(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            case = services.apply(
                session, site, actor_of(request), village_code=village_code,
                household_id=_id(data, "household_id", _("户")), applicant_id=_id(data, "applicant_id", _("申请人")),
                covered=_checked(data, "covered_"), serious_illness=_checked(data, "ill_"),
                kind=data.get("kind", "rural"), review_category=data.get("review_category", "stable"),
                bank_code=data.get("bank_code", ""), account_number=data.get("account_number", ""),
                account_holder=data.get("account_holder", ""),
            )
            url = _case_url(case)
    except (DibaoError, FormError) as exc:
        with site.db.read() as session:
            chosen = next((h for h in queries.households(session, village_code)
                           if str(h.household.id) == str(data.get("household_id", "")).strip()), None)
            open_case = services.open_case_of(session, chosen.household.id) if chosen else None
        about_household = any(p.field in ("household", "household_id") for p in exc.problems)
        return _new_case_page(
            request, village_code, chosen.household.number if chosen else "", None if open_case else chosen,
            error=exc.message if about_household or not chosen else None, open_case=open_case, form=dict(data),
            problems=[] if about_household else forms.problems(exc))
    return Redirect(url, status_code=303)


@get("/v/{village_code:str}/p/dibao/cases/{case_id:int}", opt={"permission": "dibao.view"}, sync_to_thread=True)
def case_page(request: Request[Any, Any, Any], village_code: str, case_id: int) -> Response[str]:
    return _case_page(request, village_code, case_id)


def _case_page(request: Request[Any, Any, Any], village_code: str, case_id: int, *,
               errors: list[Problem] | None = None, lead: str = "", form: dict[str, str] | None = None,
               status_code: int = 200) -> Response[str]:
    site = site_of(request)
    settings = services.settings_of(site)
    with site.db.read() as session:
        case = services.get_case(session, case_id, village_code)
        members = services.members_on(session, case.household_id, local_today())
        household = next((h.household for h in queries.households(session, village_code)
                          if h.household.id == case.household_id), None)
        proposal, proposal_error = None, None
        if case.status in ("applied", "enrolled"):
            try:
                proposal = services.propose(session, site, case, amounts.first_payment_month(local_today()))
            except DibaoError as exc:
                proposal_error = exc.message
        outcome = services.review_outcome(session, case) if case.status == "democratic_review" else None
        context = {
            "case": case, "members": members, "household": household, "incomes": services.incomes(session, case),
            "checks": {c.rule: c for c in services.property_checks(session, case)},
            "visits": services.visits(session, case), "evidence": services.evidence(session, case),
            "decisions": services.decisions(session, case), "assessments": services.assessments(session, case),
            "proposal": proposal, "proposal_error": proposal_error, "outcome": outcome,
            "covered_ids": {c["person_id"] for c in case.covered}, "settings": settings,
            "status_label": services.status_label, "income_label": services.income_kind_label,
            "income_kinds": INCOME_KINDS, "account": _account(request, case.account_number),
            "today": local_today(), "overdue": services.review_overdue(case, local_today()),
            "posting_over": case.posting_ends_on is not None and local_today() > case.posting_ends_on,
        }
    names = {m.person.id: m.person.name for m in members}
    return render(request, "dibao/case.html", {**context, "names": names, "errors": errors or [], "lead": lead,
                                               "form": form or {}}, status_code=status_code)


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/incomes", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def add_income(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    def record(session: Session, site: Site, actor: Actor, case: Case) -> None:
        check = forms.Checks()
        person_id = check(_id, data, "person_id", _("成员"))
        amount = check(services.parse_money, data.get("monthly_amount", ""), "monthly_amount")
        check.done(DibaoError)
        services.record_income(session, site, actor, case, person_id=person_id, kind=data.get("kind", ""),
                               monthly_amount=amount, note=data.get("note", ""))  # type: ignore[arg-type]
    return _on_case(request, village_code, case_id, record, data, "income")


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/incomes/{income_id:int}/withdraw",
      opt={"permission": "dibao.apply"}, sync_to_thread=True)
def remove_income(request: Request[Any, Any, Any], village_code: str, case_id: int, income_id: int) -> Response[Any]:
    return _on_case(request, village_code, case_id,
                    lambda s, site, a, c: services.withdraw_income(s, site, a, c, income_id))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/property", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def save_property(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    rules = services.settings_of(site_of(request)).property_checks
    answers = {rule: data[f"check_{i}"] == "yes" for i, rule in enumerate(rules) if data.get(f"check_{i}")}
    notes = {rule: data.get(f"note_{i}", "") for i, rule in enumerate(rules)}
    return _on_case(request, village_code, case_id,
                    lambda s, site, a, c: services.record_property(s, site, a, c, answers, notes))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/visits", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def add_visit(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    def record(session: Session, site: Site, actor: Actor, case: Case) -> None:
        check = forms.Checks()  # an unreadable date and the visit's own rules, all at once
        visited_on = check(forms.date, data.get("visited_on"), "visited_on", _("走访日期"))
        check(services.record_visit, session, site, actor, case, visited_on=visited_on or local_today(),
              visitors=data.get("visitors", ""), findings=data.get("findings", ""))
        check.done(DibaoError)
    return _on_case(request, village_code, case_id, record, data, "visit")


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/evidence", opt={"permission": "dibao.apply"})
async def add_evidence(request: Request[Any, Any, Any], village_code: str, case_id: int,
                       data: Multipart) -> Response[Any]:
    import anyio

    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    topic = str(data.get("topic", "income"))
    return await anyio.to_thread.run_sync(lambda: _on_case(request, village_code, case_id, lambda s, site, a, c:
                                                           services.add_evidence(s, site, a, c, topic=topic,
                                                                                 filename=filename, data=content)))


@get("/v/{village_code:str}/p/dibao/cases/{case_id:int}/evidence/{evidence_id:int}",
     opt={"permission": "dibao.view"}, sync_to_thread=True)
def get_evidence(request: Request[Any, Any, Any], village_code: str, case_id: int, evidence_id: int
                 ) -> Response[bytes]:
    site = site_of(request)
    with site.db.read() as session:
        case = services.get_case(session, case_id, village_code)
        item = next((e for e in services.evidence(session, case) if e.id == evidence_id), None)
    if item is None:
        raise NotFound(_("没有这份材料"))
    return Response(item.data, media_type=item.content_type, headers={
        "Content-Disposition": f"inline; filename*=UTF-8''{_quote(item.filename)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/covered", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def save_covered(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.update_covered(
        s, site, a, c, covered=_checked(data, "covered_"), serious_illness=_checked(data, "ill_")))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/account", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def save_account(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.update_account(
        s, site, a, c, bank_code=data.get("bank_code", ""), account_number=data.get("account_number", ""),
        account_holder=data.get("account_holder", "")))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/opinion", opt={"permission": "dibao.assess"},
      sync_to_thread=True)
def save_opinion(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.give_opinion(
        s, site, a, c, approve=data.get("approve") == "yes", opinion=data.get("opinion", "")))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/post", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def post_case(request: Request[Any, Any, Any], village_code: str, case_id: int) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.post_case(s, site, a, c))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/review-meeting", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def review_meeting(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    try:
        starts = dt.datetime.fromisoformat(data.get("starts_at", "")).replace(tzinfo=LOCAL_TZ)
    except ValueError as exc:
        raise DibaoError(_("请填写评议时间")) from exc
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.schedule_review(
        s, site, a, c, starts_at=starts, location=data.get("location", "")))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/review-result", opt={"permission": "dibao.apply"},
      sync_to_thread=True)
def review_result(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.conclude_review(
        s, site, a, c, summary=data.get("summary", "")))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/confirm", opt={"permission": "dibao.confirm"},
      sync_to_thread=True)
def confirm_case(request: Request[Any, Any, Any], village_code: str, case_id: int) -> Response[Any]:
    return _on_case(request, village_code, case_id, lambda s, site, a, c: services.confirm(s, site, a, c))


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/refuse", opt={"permission": "dibao.confirm"},
      sync_to_thread=True)
def refuse_case(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id,
                    lambda s, site, a, c: services.refuse(s, site, a, c, reasons=data.get("reasons", "")),
                    data, "refuse")


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/review", opt={"permission": "dibao.confirm"},
      sync_to_thread=True)
def review_case(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, _decided(data, services.review), data, "review")


@post("/v/{village_code:str}/p/dibao/cases/{case_id:int}/stop", opt={"permission": "dibao.confirm"},
      sync_to_thread=True)
def stop_case(request: Request[Any, Any, Any], village_code: str, case_id: int, data: Form) -> Response[Any]:
    return _on_case(request, village_code, case_id, _decided(data, services.stop), data, "stop")


@get("/v/{village_code:str}/p/dibao/recipients", opt={"public": True}, sync_to_thread=True,
     name="dibao_recipients")
def recipients_page(request: Request[Any, Any, Any], village_code: str, month: str = "") -> Response[str]:
    """The public monthly list of recipients (masked IDs; never an account)."""
    site = site_of(request)
    with site.db.read() as session:
        months = [c.month for c in disbursement.cycles(session) if c.status == "approved"]
        chosen = _month(month, months[0] if months else None)
        rows = disbursement.recipients(session, site, village_code, chosen)
    return render(request, "dibao/recipients.html", {
        "rows": rows, "month": chosen, "months": months, "total": sum((r.amount for r in rows), Decimal("0.00")),
        "supervision_phone": site.config.supervision_phone})


# --- site pages: township and county -------------------------------------------------------------------------------


@get("/p/dibao/", opt={"permission": "dibao.view"}, sync_to_thread=True, name="dibao_home")
def queue(request: Request[Any, Any, Any]) -> Response[str]:
    """What waits for the reviewer: opinions, postings, reviews, confirmations, overdue reviews (own villages)."""
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        found = [c for c in services.cases(session, statuses=("applied", "proposed", "posting", "democratic_review",
                                                              "enrolled"))
                 if _visible(request, c.village_code)]
        names = {c.id: queries.person(session, c.applicant_id) for c in found}
    groups = {
        "opinion": [c for c in found if c.status == "applied"],
        "posting": [c for c in found if c.status in ("proposed", "posting", "democratic_review")],
        "confirm": [c for c in found if c.status == "posting" and c.posting_ends_on and today > c.posting_ends_on],
        "overdue": [c for c in found if services.review_overdue(c, today)],
    }
    return render(request, "dibao/queue.html", {"groups": groups, "names": names, "today": today,
                                                "status_label": services.status_label})


@get("/p/dibao/standards", opt={"permission": "dibao.view"}, sync_to_thread=True)
def standards_page(request: Request[Any, Any, Any]) -> Response[str]:
    return _standards_page(request)


def _standards_page(request: Request[Any, Any, Any], error: DibaoError | FormError | None = None,
                    typed: dict[str, str] | None = None) -> Response[str]:
    """The standards and the form for a new one; a refusal beside its fields, what was typed kept."""
    site = site_of(request)
    with site.db.read() as session:
        rows = services.standards(session, site)
    return render(request, "dibao/standards.html", {
        "standards": rows, "area": services.area_of(site), "errors": forms.problems(error),
        "lead": error.message if error else "", "values": typed or {}}, status_code=400 if error else 200)


@post("/p/dibao/standards", opt={"permission": "dibao.standards"}, sync_to_thread=True)
def add_standard(request: Request[Any, Any, Any], data: Form) -> Response[Any]:
    def change(session: Session, site: Site, actor: Actor) -> None:
        check = forms.Checks()  # the amount and the date at once; the service's rules once both are read
        amount = check(services.parse_money, data.get("monthly_amount", ""), "monthly_amount")
        effective = check(forms.date, data.get("effective_from"), "effective_from", _("执行日期"))
        if amount is not None and effective is not None:
            check(services.set_standard, session, site, actor, kind=data.get("kind", ""), monthly_amount=amount,
                  effective_from=effective, note=data.get("note", ""))
        check.done(DibaoError)

    return forms.run(request, change, then="/p/dibao/standards",
                     refused=lambda error: _standards_page(request, error, data))


@get("/p/dibao/cycles", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def cycles_page(request: Request[Any, Any, Any]) -> Response[str]:
    return _cycles_page(request)


def _cycles_page(request: Request[Any, Any, Any], error: DibaoError | None = None,
                 typed: dict[str, str] | None = None) -> Response[str]:
    """The months computed so far and the form for the next; a month that cannot be read is named beside it."""
    site = site_of(request)
    with site.db.read() as session:
        rows = disbursement.cycles(session)
        sums = {c.id: disbursement.entitlements(session, c.month) for c in rows}
    return render(request, "dibao/cycles.html", {
        "cycles": rows, "sums": {k: (len(v), sum((e.amount for e in v), Decimal("0.00"))) for k, v in sums.items()},
        "values": typed or {"month": f"{amounts.first_of_month(local_today()):%Y-%m}"},
        "errors": forms.problems(error)}, status_code=400 if error else 200)


@post("/p/dibao/cycles", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def run_cycle(request: Request[Any, Any, Any], data: Form) -> Response[str]:
    site = site_of(request)
    try:
        month = _typed_month(data.get("month", ""))
    except DibaoError as exc:
        return _cycles_page(request, exc, data)
    with site.db.transaction() as session:
        result = disbursement.run_month(session, site, actor_of(request), month)
        skipped = [(services.get_case(session, cid), reason) for cid, reason in result.skipped]
    return render(request, "dibao/run.html", {"result": result, "skipped": skipped})


@get("/p/dibao/cycles/{month:str}", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def cycle_page(request: Request[Any, Any, Any], month: str) -> Response[str]:
    return _cycle_page(request, _month(month))


def _on_top(error: DomainError) -> list[Problem]:
    """A refused button's problems for a page with no fields (a month's, a batch's): listed on top, linking to
    no field."""
    return [Problem(p.message, row=p.row, file=p.file) for p in forms.problems(error)]


def _cycle_page(request: Request[Any, Any, Any], chosen: dt.date, error: DomainError | None = None) -> Response[str]:
    """The month's page; a refused approval or reissue is named on top of it, the month's state below saying
    what can be done next."""
    site = site_of(request)
    with site.db.read() as session:
        cycle = disbursement.get_cycle(session, chosen)
        if cycle is None:
            raise NotFound(_("这个月还没有计算低保金"))
        rows = disbursement.entitlements(session, chosen)
        found = disbursement.batches(session, cycle)
        results = {b.id: disbursement.reconciliation(session, b) for b in found}
    return render(request, "dibao/cycle.html", {
        "cycle": cycle, "entitlements": rows, "batches": found, "results": results,
        "total": sum((e.amount for e in rows), Decimal("0.00")), "banks": services.settings_of(site).banks,
        "failed": sum(r.failed_count for r in results.values()),
        "this_month": amounts.first_of_month(local_today()), "error": error,
        "errors": [] if error is None else _on_top(error)}, status_code=error.status_code if error else 200)


@get("/p/dibao/cycles/{month:str}/approve", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def approve_confirm(request: Request[Any, Any, Any], month: str) -> Response[str]:
    """Approving a month fixes who is paid what and builds the bank batches: say so, with the totals, first."""
    site = site_of(request)
    chosen = _month(month)
    disbursement.refuse_future_month(chosen)
    with site.db.read() as session:
        if disbursement.get_cycle(session, chosen) is None:
            raise NotFound(_("这个月还没有计算低保金"))
        rows = disbursement.entitlements(session, chosen)
    total = sum((e.amount for e in rows), Decimal("0.00"))
    return confirm_page(
        request, title=_("审批 %(month)s 低保金", month=f"{chosen:%Y-%m}"),
        consequences=[_("应发 %(n)s 户，合计 %(sum)s 元。审批后本月名单和金额固定，不再增加。", n=len(rows), sum=total),
                      _("审批后按银行生成发放批次，本月的公开名单随之显示。")],
        action=f"/p/dibao/cycles/{chosen:%Y-%m}/approve", button=_("确认审批"),
        back=f"/p/dibao/cycles/{chosen:%Y-%m}")


@post("/p/dibao/cycles/{month:str}/approve", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def approve_cycle(request: Request[Any, Any, Any], month: str) -> Response[Any]:
    chosen = _month(month)
    return forms.run(request, lambda session, site, actor: disbursement.approve(session, site, actor, chosen),
                     then=f"/p/dibao/cycles/{chosen:%Y-%m}", refused=lambda exc: _cycle_page(request, chosen, exc))


@post("/p/dibao/cycles/{month:str}/reissue", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def reissue(request: Request[Any, Any, Any], month: str) -> Response[Any]:
    chosen = _month(month)
    return forms.run(request, lambda session, site, actor: disbursement.reissue_failed(session, site, actor, chosen),
                     then=f"/p/dibao/cycles/{chosen:%Y-%m}", refused=lambda exc: _cycle_page(request, chosen, exc))


def _batch_context(request: Request[Any, Any, Any], batch_id: int, error: DomainError | None = None, *,
                   upload: bool = True) -> dict[str, Any]:
    """The batch page's data; a refused bank return (`upload`) is named beside the file box (a file cannot be kept:
    it is chosen again), each wrong row listed on top; a refused export on top only."""
    site = site_of(request)
    with site.db.read() as session:
        batch = disbursement.get_batch(session, batch_id)
        cycle = session.get(disbursement.Cycle, batch.cycle_id)
        rows = disbursement.payments(session, batch)
        result = disbursement.reconciliation(session, batch)
    stored_ok = batch.file_data is not None and disbursement.verify_file(batch, batch.file_data)
    problems = forms.problems(error) if upload else _on_top(error) if error else []
    if upload and error is not None and not any(p.field for p in problems):  # the refusal beside the file box
        problems = [Problem(error.message, field="file"), *(p for p in problems if p.message != error.message)]
    return {"batch": batch, "cycle": cycle, "payments": rows, "result": result, "stored_ok": stored_ok,
            "bank": services.settings_of(site).banks.get(batch.bank_code), "verified": None, "errors": problems}


@get("/p/dibao/batches/{batch_id:int}", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def batch_page(request: Request[Any, Any, Any], batch_id: int) -> Response[str]:
    return render(request, "dibao/batch.html", _batch_context(request, batch_id))


@get("/p/dibao/batches/{batch_id:int}/export", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def export_confirm(request: Request[Any, Any, Any], batch_id: int, format: str = "csv") -> Response[str]:
    """Exporting freezes the batch: the confirmation names the count, the total and the format."""
    site = site_of(request)
    with site.db.read() as session:
        batch = disbursement.get_batch(session, batch_id)
    chosen = format if format in ("csv", "xlsx") else "csv"
    return confirm_page(
        request, title=_("导出第 %(id)s 号批次的银行文件", id=batch_id),
        consequences=[_("%(n)s 笔，合计 %(sum)s 元，格式 %(fmt)s。", n=batch.control_count, sum=batch.control_total,
                        fmt=chosen.upper()),
                      _("导出后批次冻结，不能再改动；文件的 SHA-256 记入审计链，交给银行的文件必须与之一致。")],
        action=f"/p/dibao/batches/{batch_id}/export", button=_("确认导出"), back=f"/p/dibao/batches/{batch_id}",
        fields={"format": chosen})


@post("/p/dibao/batches/{batch_id:int}/export", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def export(request: Request[Any, Any, Any], batch_id: int, data: Form) -> Response[Any]:
    return forms.run(
        request, lambda session, site, actor: disbursement.export_batch(session, site, actor, batch_id,
                                                                       data.get("format", "csv")),
        then=f"/p/dibao/batches/{batch_id}",
        refused=lambda exc: render(request, "dibao/batch.html", _batch_context(request, batch_id, exc, upload=False),
                                   status_code=exc.status_code))


@get("/p/dibao/batches/{batch_id:int}/file", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def download(request: Request[Any, Any, Any], batch_id: int) -> Response[bytes]:
    site = site_of(request)
    with site.db.read() as session:
        batch = disbursement.get_batch(session, batch_id)
    if batch.file_data is None:
        raise NotFound(_("这个批次还没有导出"))
    media = "text/csv" if batch.file_format == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(batch.file_data, media_type=media, headers={
        "Content-Disposition": f"attachment; filename={batch.file_name}", "Cache-Control": "private, no-store",
        "X-Content-SHA256": batch.file_sha256 or ""})


@post("/p/dibao/batches/{batch_id:int}/verify", opt={"permission": "dibao.payments"})
async def verify(request: Request[Any, Any, Any], batch_id: int, data: Multipart) -> Response[str]:
    """Check a file (e.g. the one about to be sent to the bank) against the recorded SHA-256."""
    import anyio

    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    context = await anyio.to_thread.run_sync(_batch_context, request, batch_id)
    context["verified"] = disbursement.verify_file(context["batch"], content)
    return render(request, "dibao/batch.html", context, status_code=200 if context["verified"] else 409)


@post("/p/dibao/batches/{batch_id:int}/return", opt={"permission": "dibao.payments"})
async def bank_return(request: Request[Any, Any, Any], batch_id: int, data: Multipart) -> Response[Any]:
    import anyio

    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else "return.csv"
    site = site_of(request)
    actor = actor_of(request)

    def work() -> Response[Any]:
        try:
            with site.db.transaction() as session:
                disbursement.import_return(session, site, actor, batch_id, content, filename)
        except DibaoError as exc:
            if exc.status_code in (403, 404):
                raise
            return render(request, "dibao/batch.html", _batch_context(request, batch_id, exc), status_code=400)
        return Redirect(f"/p/dibao/batches/{batch_id}", status_code=303)

    return await anyio.to_thread.run_sync(work)


@get("/p/dibao/totals", opt={"permission": "dibao.view"}, sync_to_thread=True)
def totals_page(request: Request[Any, Any, Any], month: str = "") -> Response[str]:
    """A month's figures; a month typed wrong is named beside its box (the current month shown meanwhile)."""
    site = site_of(request)
    check = forms.Checks()
    chosen = (check(_typed_month, month) if month else None) or amounts.first_of_month(local_today())
    with site.db.read() as session:
        by_village, by_category = disbursement.county_totals(session, chosen)
    by_village = {k: v for k, v in by_village.items() if _visible(request, k)}
    if not site.allowed(actor_of(request), "dibao.payments", None):
        by_category = {}  # county-wide figures are the county's; townships see their villages only
    return render(request, "dibao/totals.html", {
        "month": chosen, "by_village": by_village, "by_category": by_category, "villages": site.villages,
        "category_label": _category_label, "values": {"month": month or f"{chosen:%Y-%m}"},
        "errors": check.problems}, status_code=400 if check.problems else 200)


def _category_label(category: str) -> str:
    if category in amounts.KINDS:
        return _("农村") if category == "rural" else _("城市")
    return amounts.category_label(category)


# --- JSON API ----------------------------------------------------------------------------------------------------


@get("/api/v1/p/dibao/villages/{village_code:str}/recipients", opt={"public": True}, sync_to_thread=True)
def api_recipients(request: Request[Any, Any, Any], village_code: str, month: str = "") -> dict[str, Any]:
    site = site_of(request)
    chosen = _month(month)
    with site.db.read() as session:
        rows = disbursement.recipients(session, site, village_code, chosen)
    return {"village_code": village_code, "month": f"{chosen:%Y-%m}",
            "recipients": [{"name": r.name, "resident_id": r.masked_id, "covered": r.covered, "amount": str(r.amount)}
                           for r in rows],
            "total": str(sum((r.amount for r in rows), Decimal("0.00")))}


@get("/api/v1/p/dibao/villages/{village_code:str}/cases", opt={"permission": "dibao.view"}, sync_to_thread=True)
def api_cases(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    site = site_of(request)
    with site.db.read() as session:
        found = services.cases(session, village_code)
    return {"village_code": village_code, "cases": [{
        "id": c.id, "household_id": c.household_id, "status": c.status, "applied_on": c.applied_on.isoformat(),
        "covered": len(c.covered), "proposed_amount": str(c.proposed_amount) if c.proposed_amount is not None else None,
        "first_month": c.first_month.isoformat() if c.first_month else None,
        "next_review_on": c.next_review_on.isoformat() if c.next_review_on else None,
        "account": _account(request, c.account_number)} for c in found]}


@get("/api/v1/p/dibao/cycles/{month:str}", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def api_cycle(request: Request[Any, Any, Any], month: str) -> dict[str, Any]:
    site = site_of(request)
    chosen = _month(month)
    with site.db.read() as session:
        cycle = disbursement.get_cycle(session, chosen)
        if cycle is None:
            raise NotFound(_("这个月还没有计算低保金"))
        rows = disbursement.entitlements(session, chosen)
        found = [(b, disbursement.reconciliation(session, b)) for b in disbursement.batches(session, cycle)]
    return {"month": f"{chosen:%Y-%m}", "status": cycle.status, "entitlements": len(rows),
            "total": str(sum((e.amount for e in rows), Decimal("0.00"))),
            "batches": [{"id": b.id, "bank": b.bank_code, "round": b.round, "status": b.status,
                         "control_count": b.control_count, "control_total": str(b.control_total),
                         "sha256": b.file_sha256, "paid": [r.paid_count, str(r.paid_total)],
                         "failed": [r.failed_count, str(r.failed_total)]} for b, r in found]}


@get("/api/v1/p/dibao/totals", opt={"permission": "dibao.payments"}, sync_to_thread=True)
def api_totals(request: Request[Any, Any, Any], month: str = "") -> dict[str, Any]:
    site = site_of(request)
    chosen = _month(month)
    with site.db.read() as session:
        by_village, by_category = disbursement.county_totals(session, chosen)
    return {"month": f"{chosen:%Y-%m}",
            "villages": {k: {"households": v.households, "persons": v.persons, "amount": str(v.amount)}
                         for k, v in by_village.items()},
            "categories": {k: {"households": v.households, "persons": v.persons, "amount": str(v.amount)}
                           for k, v in by_category.items()}}


ROUTES = [
    case_list, new_case, create_case, case_page, add_income, remove_income, save_property, add_visit, add_evidence,
    get_evidence, save_covered, save_account, save_opinion, post_case, review_meeting, review_result, confirm_case,
    refuse_case, review_case, stop_case, recipients_page, queue, standards_page, add_standard, cycles_page, run_cycle,
    cycle_page, approve_confirm, approve_cycle, reissue, batch_page, export_confirm, export, download, verify,
    bank_return, totals_page, api_recipients, api_cases, api_cycle, api_totals,
]
