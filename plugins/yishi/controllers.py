"""Pages and the JSON API of 一事一议.

Village pages for clerks (`/v/{village_code}/p/yishi/...`): the list, the proposal form, and one workflow page per
project (proposal → vote → shares → review → accounts) whose forms post to small action endpoints. The public
project page and the household ballot are open to everyone; the county page (`/p/yishi/`) lists what waits for
township review or county filing in the villages the official covers. Every form error is shown on the page it came
from with status 400; nothing is written then.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.api import (
    Actor,
    DomainError,
    Form,
    NotFound,
    Site,
    _,
    actor_of,
    confirm_page,
    forms,
    local_today,
    public_base,
    render,
    require,
    site_of,
)

from . import services
from .models import KINDS, ORIGINS, STATUSES, VOTE_SOURCES, Project
from .settings import vote_thresholds
from .slips import slips_html

#: Statuses after which the shares (and so the burden list) are settled enough to be shown.
SHARES_SHOWN = frozenset({"shares_fixed", "submitted", "returned", "reviewed", "filed", "completed"})



def reviewer_villages(site: Site, actor: Actor) -> list[str]:
    """Village codes where the actor may review (township) or file (county) 一事一议 plans."""
    if actor is None:
        return []
    return [v.code for v in site.config.villages
            if site.allowed(actor, "yishi.review", v.code) or site.allowed(actor, "yishi.file", v.code)]


def _village_names(site: Site) -> dict[str, str]:
    return {v.code: f"{v.township} · {v.name}" for v in site.config.villages}


# --- list and proposal ------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/p/yishi/", opt={"permission": "yishi.view"}, sync_to_thread=True)
def project_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        projects = services.projects_of(session, [village_code])
    return render(request, "yishi/list.html", {"projects": projects, "statuses": STATUSES, "kinds": KINDS})


def _proposal_form(request: Request[Any, Any, Any], village_code: str, values: dict[str, str],
                   error: DomainError | None = None, requesters: list[str] | None = None) -> Response[str]:
    site = site_of(request)
    settings = services.settings_of(site)
    with site.db.read() as session:
        adults = services.requester_candidates(session, site, village_code, local_today())
    kinds = {k: KINDS.get(k, k) for k in settings.eligible_kinds}
    kinds.update({k: KINDS.get(k, k) for k in settings.ineligible_reasons})
    errors = forms.problems(error)
    return render(request, "yishi/new.html", {
        "values": values, "errors": errors, "error_message": error.message if error else "", "kinds": kinds,
        "origins": ORIGINS, "candidates": adults,
        "settings": settings, "requesters": requesters or [],
    }, status_code=400 if error else 200)


@get("/v/{village_code:str}/p/yishi/new", opt={"permission": "yishi.manage"}, sync_to_thread=True)
def new_project(request: Request[Any, Any, Any], village_code: str, copy: int | None = None) -> Response[str]:
    """The proposal form; `?copy=<project>` starts from an earlier proposal (e.g. one whose rate broke the cap)."""
    today = local_today()
    values = {"year": str(today.year), "reference_date": today.isoformat(), "proposed_on": today.isoformat(),
              "origin": "committee"}
    if copy is not None:
        site = site_of(request)
        with site.db.read() as session:
            earlier = services.get_project(session, village_code, copy)
        values.update(kind=earlier.kind, title=earlier.title, description=earlier.description,
                      beneficiaries=earlier.beneficiaries, budget=str(earlier.budget),
                      money_per_person=str(earlier.money_per_person),
                      workdays_per_labourer=str(earlier.workdays_per_labourer), year=str(earlier.year),
                      reference_date=earlier.reference_date.isoformat(), origin=earlier.origin)
    return _proposal_form(request, village_code, values)


@post("/v/{village_code:str}/p/yishi/new", opt={"permission": "yishi.manage"})
async def create_project(request: Request[Any, Any, Any], village_code: str) -> Response[Any]:
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if k != "requesters"}
    requesters = [str(v) for v in form.getall("requesters")] if "requesters" in form else []
    return await _create_project(request, village_code, values, requesters)


def proposal_input(values: dict[str, str], requesters: list[str]) -> services.ProposalInput:
    """The proposal as typed; every field that cannot be read is named at once (one YishiError)."""
    check = forms.Checks()
    budget = check(services.parse_amount, values.get("budget", ""), "budget", _("项目预算"))
    money = check(services.parse_amount, values.get("money_per_person", ""), "money_per_person", _("每人筹资"))
    labour = check(services.parse_amount, values.get("workdays_per_labourer", ""), "workdays_per_labourer",
                   _("每个劳动力筹劳"))
    year = check(forms.integer, values.get("year", ""), "year", _("年度"))
    reference = check(forms.date, values.get("reference_date", ""), "reference_date", _("核算基准日"))
    proposed = check(forms.date, values.get("proposed_on", ""), "proposed_on", _("提议日期"))
    requester_ids = [check(forms.integer, r, "requesters", _("提议人")) for r in requesters]
    check.done(services.YishiError)
    return services.ProposalInput(
        kind=values.get("kind", ""), title=values.get("title", ""), description=values.get("description", ""),
        beneficiaries=values.get("beneficiaries", ""), budget=budget, money_per_person=money,
        workdays_per_labourer=labour, year=year, reference_date=reference, origin=values.get("origin", ""),
        proposed_on=proposed, requester_ids=requester_ids)


@get("/v/{village_code:str}/p/yishi/cap-check", opt={"permission": "yishi.manage"}, sync_to_thread=True)
def cap_check(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    """The live check beside the rates (htmx, while the clerk types): the yearly caps the plan would break for this
    village's households, before anything is proposed, published or voted. Nothing is written; submitting the
    proposal checks it all again."""
    site = site_of(request)
    typed = {k: request.query_params.get(k, "") for k in
             ("money_per_person", "workdays_per_labourer", "year", "reference_date")}
    settings = services.settings_of(site)
    check = forms.Checks()
    money = check(services.parse_amount, typed["money_per_person"], "money_per_person", _("每人筹资"))
    labour = check(services.parse_amount, typed["workdays_per_labourer"], "workdays_per_labourer",
                   _("每个劳动力筹劳"))
    year = check(forms.integer, typed["year"], "year", _("年度"), minimum=2000, maximum=2999)
    reference = check(forms.date, typed["reference_date"], "reference_date", _("核算基准日"))
    over: list[Any] = []
    if not check.problems:
        with site.db.read() as session:
            over = services.cap_preview(session, site, village_code, year=year, reference_date=reference,
                                        money_per_person=money, workdays_per_labourer=labour)
    households = {v.household_number for v in over if v.household_number is not None}
    return render(request, "yishi/_cap_check.html", {
        "problems": check.problems, "over": over[:3], "more": max(0, len(over) - 3), "households": len(households),
        "settings": settings, "money": money, "labour": labour})


async def _create_project(request: Request[Any, Any, Any], village_code: str, values: dict[str, str],
                          requesters: list[str]) -> Response[Any]:
    def work() -> Response[Any]:
        site = site_of(request)
        try:
            data = proposal_input(values, requesters)
            with site.db.transaction() as session:
                project = services.propose(session, site, actor_of(request), village_code=village_code, data=data)
                project_id = project.id
        except DomainError as error:
            if error.status_code in (403, 404):
                raise
            return _proposal_form(request, village_code, values, error, requesters)
        return Redirect(f"/v/{village_code}/p/yishi/projects/{project_id}/manage", status_code=303)

    return await anyio.to_thread.run_sync(work)


# --- the clerk's workflow page ----------------------------------------------------------------------------------


def _manage_context(session: Session, site: Site, project: Project) -> dict[str, Any]:
    preview: tuple[list[Any], list[Any]] | None = None
    cap_check = services.drafting_cap_violations(session, site, project) if project.status == "proposed" else []
    if project.status in ("approved", "returned"):
        preview = services.preview_shares(session, site, project)
    return {
        "project": project,
        "statuses": STATUSES, "kinds": KINDS, "origins": ORIGINS, "sources": VOTE_SOURCES,
        "requesters": services.requesters_of(session, project),
        "vote": services.vote_of(session, project),
        "thresholds": services.thresholds_text(site),
        "tally": services.ballot_tally(session, project),
        "motions": services.candidate_motions(session, project),
        "reductions": services.reductions_of(session, project),
        "households": services.household_choices(session, project),
        "preview": preview,
        "cap_check": cap_check,
        "burden": services.burden_list(session, site, project) if project.status in SHARES_SHOWN else [],
        "reviews": services.reviews_of(session, project),
        "account": services.account_of(session, site, project) if project.share_round else None,
        "settings": services.settings_of(site),
        "today": local_today(),
    }


def _manage_page(request: Request[Any, Any, Any], village_code: str, project_id: int,
                 error: DomainError | None = None, done: str | None = None,
                 form: dict[str, str] | None = None) -> Response[str]:
    """The workflow page; a refusal is listed on top and, for the form that was posted (`form`, named by its
    "_form" field), each problem beside its field with what was typed kept."""
    site = site_of(request)
    with site.db.read() as session:
        project = services.get_project(session, village_code, project_id)
        context = _manage_context(session, site, project)
    errors = forms.problems(error)
    if form is None:  # a button without fields: its problems are listed on top, linking nowhere
        errors = [replace(p, field=None) for p in errors]
    context.update(errors=errors, lead=error.message if error else "", form=form or {}, done=done)
    return render(request, "yishi/manage.html", context, status_code=400 if error else 200)


@get("/v/{village_code:str}/p/yishi/projects/{project_id:int}/manage", opt={"permission": "yishi.view"},
     sync_to_thread=True)
def manage_project(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[str]:
    return _manage_page(request, village_code, project_id)


def _act(request: Request[Any, Any, Any], village_code: str, project_id: int,
         action: Callable[[Session, Site, Actor, Project], Any], done: str,
         typed: dict[str, str] | None = None) -> Response[Any]:
    """Run one workflow action in a transaction; on a refusal show the workflow page with the reason, beside the
    fields of the posted form (`typed`, what was posted; its "_form" is `done`) with what was typed kept."""
    return forms.run(
        request, lambda s, site, a: action(s, site, a, services.get_project(s, village_code, project_id)),
        then=f"/v/{village_code}/p/yishi/projects/{project_id}/manage?done={done}",
        refused=lambda error: _manage_page(request, village_code, project_id, error=error,
                                           form=None if typed is None else {**typed, "_form": done}))


def _household(data: dict[str, str]) -> int:
    return forms.integer(data.get("household_id"), "household_id", _("户"), minimum=1)  # type: ignore[no-any-return]


def _money(data: dict[str, str], field: str, label: str) -> Decimal:
    return services.parse_amount(data.get(field, ""), field, label)


def _on(data: dict[str, str], label: str) -> dt.date:
    return forms.date(data.get("on", ""), "on", label)  # type: ignore[return-value]


@get("/v/{village_code:str}/p/yishi/projects/{project_id:int}/publish-plan", opt={"permission": "yishi.manage"},
     sync_to_thread=True)
def publish_plan_confirm(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[str]:
    """Publishing the plan opens it to the vote: say what follows before it happens."""
    site = site_of(request)
    with site.db.read() as session:
        project = services.get_project(session, village_code, project_id)
    base = f"/v/{village_code}/p/yishi/projects/{project_id}"
    return confirm_page(
        request, title=_("公示方案：%(title)s", title=project.title),
        consequences=[_("方案（每人筹资 %(money)s 元、每个劳动力 %(days)s 个标准工日）在公开栏公示，不能再修改。",
                        money=project.money_per_person, days=project.workdays_per_labourer),
                      _("同时开启“四议两公开”议题，方案交村民会议或村民代表会议表决。")],
        action=f"{base}/publish-plan", button=_("确认公示"), back=f"{base}/manage")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/publish-plan", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def publish_plan(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    return _act(request, village_code, project_id, services.publish_plan, "plan")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/vote", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def record_vote(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> Any:
        motion_id = forms.integer(data.get("motion_id", ""), "motion_id", _("议案"))
        return services.vote_through_matter(session, site, actor, project, motion_id)

    return _act(request, village_code, project_id, action, "vote", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/codes", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def issue_codes(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            project = services.get_project(session, village_code, project_id)
            slips = services.issue_codes(session, site, actor_of(request), project)
            html = slips_html(site, project, slips, public_base(request))
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _manage_page(request, village_code, project_id, error=error)
    return Response(html, status_code=200, media_type="text/html", headers={"Cache-Control": "no-store"})


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/online-close", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def close_online(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> Any:
        return services.close_online_vote(session, site, actor, project, local_today())

    return _act(request, village_code, project_id, action, "vote")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/reduction", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def add_reduction(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()  # the amounts that cannot be read and the service's refusal, at once
        household_id = check(_household, data)
        money = check(_money, data, "money", _("减免金额"))
        workdays = check(_money, data, "workdays", _("减免工日"))
        if household_id is not None:  # an unread amount stands in as 0; the refusal below rolls it back
            check(services.set_reduction, session, site, actor, project, household_id=household_id,
                  money=money or Decimal(0), workdays=workdays or Decimal(0), reason=data.get("reason", ""))
        check.done(services.YishiError)

    return _act(request, village_code, project_id, action, "reduction", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/dibao", opt={"permission": "yishi.manage"})
async def set_dibao(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    form = await request.form()
    chosen = [str(v) for v in form.getall("household_id")] if "household_id" in form else []

    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()  # an unreadable tick and one of another village's households, at once
        ids = [check(forms.integer, c, "dibao", _("户")) for c in chosen]
        check(services.set_dibao_households, session, site, actor, project, [i for i in ids if i is not None])
        check.done(services.YishiError)  # a refusal rolls back what the readable ticks set

    return await anyio.to_thread.run_sync(lambda: _act(request, village_code, project_id, action, "dibao",
                                                       {"dibao": " ".join(chosen)}))


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/shares", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def fix_shares(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    return _act(request, village_code, project_id, services.fix_shares, "shares")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/submit", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def submit(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    return _act(request, village_code, project_id, services.submit_for_review, "submit")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/review", opt={"permission": "yishi.review"},
      sync_to_thread=True)
def review(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> Any:
        return services.review(session, site, actor, project, decision=data.get("decision", ""),
                               opinion=data.get("opinion", ""), on=local_today())

    return _act(request, village_code, project_id, action, "review", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/file", opt={"permission": "yishi.file"},
      sync_to_thread=True)
def file_plan(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> Any:
        return services.file_plan(session, site, actor, project, decision=data.get("decision", ""),
                                  opinion=data.get("opinion", ""), on=local_today())

    return _act(request, village_code, project_id, action, "file", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/burden/publish", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def publish_burden(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    return _act(request, village_code, project_id, services.publish_burden_list, "burden")


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/collection", opt={"permission": "yishi.collect"},
      sync_to_thread=True)
def collect(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()  # every field that cannot be read at once; the service's rules once all are read
        household_id = check(_household, data)
        amount = check(_money, data, "amount", _("收款金额"))
        on = check(_on, data, _("收款日期"))
        if household_id is not None and amount is not None and on is not None:
            check(services.record_collection, session, site, actor, project, household_id=household_id,
                  amount=amount, on=on, receipt_no=data.get("receipt_no", ""))
        check.done(services.YishiError)

    return _act(request, village_code, project_id, action, "collection", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/labour", opt={"permission": "yishi.collect"},
      sync_to_thread=True)
def labour(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()
        household_id = check(_household, data)
        workdays = check(_money, data, "workdays", _("出工工日"))
        on = check(_on, data, _("出工日期"))
        if household_id is not None and workdays is not None and on is not None:
            check(services.record_labour, session, site, actor, project, household_id=household_id,
                  workdays=workdays, on=on)
        check.done(services.YishiError)

    return _act(request, village_code, project_id, action, "labour", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/convert", opt={"permission": "yishi.collect"},
      sync_to_thread=True)
def convert(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()
        household_id = check(_household, data)
        workdays = check(_money, data, "workdays", _("折算工日"))
        if household_id is not None and workdays is not None:
            check(services.convert_labour, session, site, actor, project, household_id=household_id,
                  workdays=workdays)
        check.done(services.YishiError)

    return _act(request, village_code, project_id, action, "convert", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/spending", opt={"permission": "yishi.manage"},
      sync_to_thread=True)
def spending(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, project: Project) -> None:
        check = forms.Checks()  # an unread amount or date stands in as 1 / today: the refusal rolls it back
        amount = check(_money, data, "amount", _("支出金额"))
        on = check(_on, data, _("支出日期"))
        check(services.add_spending, session, site, actor, project, item=data.get("item", ""),
              amount=Decimal(1) if amount is None else amount, on=on or local_today(),
              voucher_no=data.get("voucher_no", ""))
        check.done(services.YishiError)

    return _act(request, village_code, project_id, action, "spending", data)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/account/publish",
      opt={"permission": "yishi.manage"}, sync_to_thread=True)
def publish_account(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[Any]:
    return _act(request, village_code, project_id, services.publish_account, "account")


# --- public pages -----------------------------------------------------------------------------------------------


def _public_context(session: Session, site: Site, project: Project) -> dict[str, Any]:
    published = project.burden_notice_id is not None
    return {
        "project": project, "statuses": STATUSES, "kinds": KINDS, "origins": ORIGINS, "sources": VOTE_SOURCES,
        "plan_published": project.plan_notice_id is not None,
        "vote": services.vote_of(session, project),
        "reviews": services.reviews_of(session, project),
        "burden": services.burden_list(session, site, project) if published else [],
        "account": services.account_of(session, site, project) if published else None,
        "settings": services.settings_of(site),
    }


def _public_project(session: Session, village_code: str, project_id: int) -> Project:
    """A project as the public sees it: only once its plan is on the board."""
    project = services.get_project(session, village_code, project_id)
    if project.plan_notice_id is None:
        raise NotFound(_("没有这个一事一议项目"))
    return project


@get("/v/{village_code:str}/p/yishi/projects/{project_id:int}", opt={"public": True}, sync_to_thread=True)
def public_project(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        project = _public_project(session, village_code, project_id)
        context = _public_context(session, site, project)
    return render(request, "yishi/project.html", context)


@get("/v/{village_code:str}/p/yishi/projects/{project_id:int}/burden", opt={"public": True}, sync_to_thread=True)
def burden_print(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[str]:
    """The burden list for printing on A4: public once posted; before that only for those who may view projects."""
    site = site_of(request)
    with site.db.read() as session:
        project = services.get_project(session, village_code, project_id)
        if project.burden_notice_id is None:
            require(request, "yishi.view", village_code)
        if project.status not in SHARES_SHOWN:
            raise NotFound(_("分摊尚未核定"))
        lines = services.burden_list(session, site, project)
    return render(request, "yishi/burden.html", {"project": project, "lines": lines, "kinds": KINDS})


def _ballot_page(request: Request[Any, Any, Any], village_code: str, project_id: int, *,
                 error: DomainError | None = None, typed: dict[str, str] | None = None,
                 done: bool = False) -> Response[str]:
    """The household ballot; a refused code or choice is shown beside it, with the typed code kept."""
    site = site_of(request)
    with site.db.read() as session:
        project = _public_project(session, village_code, project_id)
        plan = services.plan_text(project, services.settings_of(site))
    return render(request, "yishi/ballot.html", {
        "project": project, "plan": plan, "errors": forms.problems(error), "values": typed or {}, "done": done,
        "kinds": KINDS}, status_code=400 if error else 200)


@get("/v/{village_code:str}/p/yishi/projects/{project_id:int}/ballot", opt={"public": True}, sync_to_thread=True)
def ballot_form(request: Request[Any, Any, Any], village_code: str, project_id: int) -> Response[str]:
    return _ballot_page(request, village_code, project_id)


@post("/v/{village_code:str}/p/yishi/projects/{project_id:int}/ballot", opt={"public": True}, sync_to_thread=True)
def ballot_cast(request: Request[Any, Any, Any], village_code: str, project_id: int, data: Form) -> Response[str]:
    site = site_of(request)
    code = data.get("code", "")
    try:
        with site.db.transaction() as session:
            project = _public_project(session, village_code, project_id)
            check = forms.Checks()
            ballot = check(services.cast_ballot, session, site, project, code, data.get("choice", ""))
            if ballot is None and any(p.field == "choice" for p in check.problems):
                # No choice made: the code is checked too (with a stand-in choice, undone by the refusal below),
                # so the villager learns of both at once.
                check(services.cast_ballot, session, site, project, code, "abstain")
            check.done(services.YishiError)
    except DomainError as error:
        if error.status_code in (403, 404):
            raise
        return _ballot_page(request, village_code, project_id, error=error, typed=data)
    return _ballot_page(request, village_code, project_id, done=True)


# --- county page ------------------------------------------------------------------------------------------------


@get("/p/yishi/", opt={"permission": ("yishi.review", "yishi.file")}, sync_to_thread=True)
def county_desk(request: Request[Any, Any, Any]) -> Response[str]:
    """Township review and county filing desk: the villages where the actor may review or file, and only those."""
    site = site_of(request)
    villages = reviewer_villages(site, actor_of(request))
    with site.db.read() as session:
        waiting = services.projects_of(session, villages, ["submitted", "reviewed"])
        recent = services.projects_of(session, villages, ["returned", "filed", "completed"])[:30]
    return render(request, "yishi/county.html", {"waiting": waiting, "recent": recent, "statuses": STATUSES,
                                                 "kinds": KINDS, "names": _village_names(site)})


# --- JSON API ---------------------------------------------------------------------------------------------------


def _project_json(project: Project) -> dict[str, Any]:
    return {
        "id": project.id, "village_code": project.village_code, "kind": project.kind, "title": project.title,
        "status": project.status, "year": project.year, "budget": str(project.budget),
        "money_per_person": str(project.money_per_person),
        "workdays_per_labourer": str(project.workdays_per_labourer), "origin": project.origin,
        "proposed_on": project.proposed_on.isoformat(), "url": services.project_url(project),
    }


@get("/api/v1/p/yishi/{village_code:str}/projects", opt={"public": True}, sync_to_thread=True)
def api_projects(request: Request[Any, Any, Any], village_code: str) -> list[dict[str, Any]]:
    """The village's projects whose plan is public."""
    site = site_of(request)
    with site.db.read() as session:
        projects = [p for p in services.projects_of(session, [village_code]) if p.plan_notice_id is not None]
    return [_project_json(p) for p in projects]


@get("/api/v1/p/yishi/{village_code:str}/projects/{project_id:int}", opt={"public": True}, sync_to_thread=True)
def api_project(request: Request[Any, Any, Any], village_code: str, project_id: int) -> dict[str, Any]:
    """One public project: plan, vote, reviews, and once posted the burden list (masked) and the account."""
    site = site_of(request)
    with site.db.read() as session:
        project = _public_project(session, village_code, project_id)
        context = _public_context(session, site, project)
    vote = context["vote"]
    account = context["account"]
    return {
        **_project_json(project),
        "thresholds": _thresholds_json(site),
        "vote": None if vote is None else {
            "source": vote.source, "held_on": vote.held_on.isoformat(), "members": vote.members,
            "present": vote.present, "for": vote.votes_for, "against": vote.against, "abstain": vote.abstain,
            "passed": vote.passed, "rule": vote.rule},
        "reviews": [{"stage": r.stage, "decision": r.decision, "reviewer": r.reviewer,
                     "on": r.reviewed_on.isoformat(), "opinion": r.opinion} for r in context["reviews"]],
        "burden": [{"household": line.share.household_number, "head": line.head_name,
                    "head_id": line.head_id_masked, "money": str(line.share.money),
                    "workdays": str(line.share.workdays)} for line in context["burden"]],
        "account": None if account is None else {
            "raised": str(account.raised), "award": str(account.award), "spent": str(account.spent),
            "balance": str(account.balance), "workdays_done": str(account.workdays_done),
            "participation": account.participation_percent},
    }


def _thresholds_json(site: Site) -> dict[str, Any]:
    rule = vote_thresholds(services.settings_of(site))
    return {"quorum": str(rule.quorum), "quorum_inclusive": rule.quorum_inclusive, "approval": str(rule.approval),
            "approval_inclusive": rule.approval_inclusive, "approval_base": rule.approval_base}


ROUTES = [
    project_list, new_project, create_project, cap_check, manage_project, publish_plan_confirm, publish_plan,
    record_vote, issue_codes, close_online, add_reduction, set_dibao, fix_shares, submit, review, file_plan,
    publish_burden, collect, labour, convert, spending, publish_account, public_project, burden_print, ballot_form,
    ballot_cast, county_desk, api_projects, api_project,
]
