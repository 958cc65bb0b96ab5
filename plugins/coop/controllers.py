"""Co-op pages: the manager's desk (village), the township/county list, a member's own account, the public
distribution, and the JSON API.

Handlers are thin: parse the form, call a service in one transaction, redirect. A refused change re-renders the
same page with the message beside the fields concerned and the typed values kept (status 400). Writes on a
township-level co-op need `coop.manage` over its township (`Cooperative.scope_code`), checked inside the handler.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.api import (
    Actor,
    DomainError,
    Form,
    Multipart,
    NotFound,
    Problem,
    Site,
    _,
    actor_of,
    forms,
    local_today,
    registry,
    render,
    require,
    site_of,
)

from . import importer, rules, services
from .models import BASES, CONTRIBUTION_KINDS, LEVELS, MEMBER_KINDS, REFUSED_KINDS, RESOLUTION_KINDS, Cooperative
from .services import Charter, CoopError, NewMember, NewTrade

PAGES = ("roll", "ledger", "close", "assembly")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- parsing --------------------------------------------------------------------------------------------------------

def _date(data: dict[str, Any], field: str, label: str) -> dt.date:
    return forms.date(data.get(field), field, label)  # type: ignore[no-any-return]


def _money(data: dict[str, Any], field: str, label: str, default: str | None = None) -> Decimal:
    return forms.money(data.get(field) or default, field, label, minimum=None)  # type: ignore[no-any-return]


def _int(data: dict[str, Any], field: str, label: str) -> int:
    return forms.integer(data.get(field), field, label)  # type: ignore[no-any-return]


def _charter(data: dict[str, Any]) -> Charter:
    """The charter's figures as typed; every one that cannot be read is named at once."""
    check = forms.Checks()
    reserve = check(_int, data, "reserve_percent", _("公积金提取比例"))
    patronage = check(_int, data, "patronage_percent", _("按交易量返还比例"))
    additional = check(_int, data, "additional_votes_percent", _("附加表决权比例"))
    check.done(CoopError)
    return Charter(reserve_percent=reserve, patronage_percent=patronage,  # type: ignore[arg-type]
                   additional_votes_percent=additional,  # type: ignore[arg-type]
                   additional_votes_basis=data.get("additional_votes_basis", "contribution"),
                   reserve_basis=data.get("reserve_basis", "transactions"),
                   subsidy_basis=data.get("subsidy_basis", "equal"))


# --- shared page context --------------------------------------------------------------------------------------------

def _coop(session: Session, village_code: str, coop_id: int) -> Cooperative:
    return services.get_cooperative(session, coop_id, village_code)


def _can_manage(request: Request[Any, Any, Any], coop: Cooperative) -> bool:
    return bool(site_of(request).allowed(actor_of(request), "coop.manage", coop.scope_code))


def _state(session: Session, coop: Cooperative, today: dt.date) -> dict[str, Any]:
    members = services.roll(session, coop)
    submitted = services.reports_submitted(session, [coop.id]).get(coop.id, set())  # type: ignore[list-item]
    closes = services.current_closes(session, coop)
    return {"members": len(members), "checks": rules.membership_checks(*services.counts(members)),
            "report": services.report_state(coop, submitted, today), "last_close": closes[0] if closes else None}


def _page(request: Request[Any, Any, Any], village_code: str, coop_id: int, page: str,
          error: DomainError | None = None, values: dict[str, Any] | None = None,
          year: int | None = None) -> Response[str]:
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        coop = _coop(session, village_code, coop_id)
        context: dict[str, Any] = {"coop": coop, "page": page, "today": today, "state": _state(session, coop, today),
                                   "manage": _can_manage(request, coop), "error": error,
                                   "errors": forms.problems(error), "values": values or {},
                                   "level_label": LEVELS, "bases": BASES}
        roll = services.roll(session, coop, include_exited=True)
        context["roll"] = roll
        if page == "roll":
            context.update(member_kinds=MEMBER_KINDS)
        elif page == "ledger":
            year = year or today.year
            context.update(contribution_kinds=CONTRIBUTION_KINDS, refused_kinds=REFUSED_KINDS, year=year,
                           trades=services.trades_of(session, coop, year),
                           turnover=services.turnover(session, coop, year),
                           capital=services.contribution_balances(session, coop, today),
                           names={m.id: f"{m.number} · {m.name}" for m in roll})
        elif page == "close":
            context.update(closes=[(c, services.close_versions(session, coop, c.year))
                                   for c in services.current_closes(session, coop)],
                           reports=sorted(services.reports_submitted(session, [coop.id]).get(coop.id, set()),  # type: ignore[list-item]
                                          reverse=True))
        else:
            context.update(assemblies=services.assemblies_of(session, coop), resolution_kinds=RESOLUTION_KINDS,
                           names={m.id: f"{m.number} · {m.name}" for m in roll},
                           active=[m for m in roll if m.exited_on is None])
    return render(request, f"coop/{page}.html", context, status_code=400 if error else 200)


def _change(request: Request[Any, Any, Any], village_code: str, coop_id: int, page: str, data: dict[str, Any],
            action: Callable[[Session, Site, Actor, Cooperative], Any], anchor: str = "") -> Response[Any]:
    """Run one change on the co-op in one transaction; on a refusal show the page again with the message."""
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            coop = _coop(session, village_code, coop_id)
            actor = require(request, "coop.manage", coop.scope_code)
            action(session, site, actor, coop)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _page(request, village_code, coop_id, page, error, data)
    return Redirect(f"/v/{village_code}/p/coop/{coop_id}/{'' if page == 'roll' else page}{anchor}", status_code=303)


# --- the village desk -----------------------------------------------------------------------------------------------

@get("/v/{village_code:str}/p/coop/", opt={"permission": "coop.view"}, sync_to_thread=True, name="coop_desk")
def desk(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _desk(request, village_code)


def _desk(request: Request[Any, Any, Any], village_code: str, error: DomainError | None = None,
          values: dict[str, Any] | None = None) -> Response[str]:
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        found = [(c, _state(session, c, today)) for c in services.cooperatives(session, [village_code])]
    settings = services.settings_of(site)
    defaults = {"patronage_percent": settings.default_patronage_percent,
                "reserve_percent": settings.default_reserve_percent, "additional_votes_percent": 0}
    return render(request, "coop/desk.html", {
        "cooperatives": found, "error": error, "errors": forms.problems(error),
        "values": {**defaults, **(values or {})},
        "levels": LEVELS, "bases": BASES, "today": today,
        "can_register": site.allowed(actor_of(request), "coop.manage", village_code)},
        status_code=400 if error else 200)


@post("/v/{village_code:str}/p/coop/new", opt={"permission": "coop.manage"}, sync_to_thread=True)
def create(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    site = site_of(request)
    try:
        level = data.get("level", "village")
        if level == "township":
            require(request, "coop.manage", village_code[:9])
        check = forms.Checks()  # the date and every charter figure at once, each beside its field
        registered_on = check(_date, data, "registered_on", _("登记日期"))
        charter = check(_charter, data)
        check.done(CoopError)
        with site.db.transaction() as session:
            coop = services.create_cooperative(
                session, site, actor_of(request), village_code=village_code, level=level,
                name=data.get("name", ""), credit_code=data.get("credit_code", ""),
                registered_on=registered_on, charter=charter,  # type: ignore[arg-type]
                business_scope=data.get("business_scope", ""))
            url = f"/v/{village_code}/p/coop/{coop.id}/"
    except DomainError as error:
        return _desk(request, village_code, error, data)
    return Redirect(url, status_code=303)


@get("/v/{village_code:str}/p/coop/{coop_id:int}/", opt={"permission": "coop.view"}, sync_to_thread=True)
def roll_page(request: Request[Any, Any, Any], village_code: str, coop_id: int) -> Response[str]:
    return _page(request, village_code, coop_id, "roll")


@get("/v/{village_code:str}/p/coop/{coop_id:int}/{page:str}", opt={"permission": "coop.view"}, sync_to_thread=True)
def section(request: Request[Any, Any, Any], village_code: str, coop_id: int, page: str,
            year: int | None = None) -> Response[str]:
    if page not in PAGES or page == "roll":
        raise NotFoundException(_("没有这个页面"))
    return _page(request, village_code, coop_id, page, year=year)


def _person_by_resident_id(session: Session, site: Site, coop: Cooperative, resident_id: str) -> int:
    """The register's person with this 身份证号 among the villages the co-op covers (the seat village, or the
    township's villages for a township co-op)."""
    wanted = resident_id.strip().upper()
    villages = [coop.village_code] if coop.level == "village" else [
        code for code in site.villages if code[:9] == coop.scope_code]
    for code in villages:
        for person in registry.adults(session, code):
            if person.resident_id == wanted:
                return int(person.id)  # type: ignore[arg-type]
    message = _("身份证号 %(id)s 不在本村（本乡镇）登记簿中：请先在登记簿中登记此人", id=wanted or "—")
    raise CoopError(message, [Problem(message, field="resident_id")])


@post("/v/{village_code:str}/p/coop/{coop_id:int}/members", opt={"permission": "coop.manage"}, sync_to_thread=True)
def add_member(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        check = forms.Checks()  # the person and the day at once, each beside its field
        kind = data.get("kind", "farmer")
        joined = check(_date, data, "joined_on", _("入社日期"))
        person_id = None if kind == "organisation" else check(_person_by_resident_id, session, site, coop,
                                                                data.get("resident_id", ""))
        check.done(CoopError)
        if kind == "organisation":
            entry = NewMember(kind, joined, name=data.get("name", ""),  # type: ignore[arg-type]
                              credit_code=data.get("credit_code", ""))
        else:
            entry = NewMember(kind, joined, person_id=person_id)  # type: ignore[arg-type]
        try:
            services.add_members(session, site, actor, coop, [entry])
        except CoopError as error:  # the register person is the ID number typed: its refusal goes beside it
            for problem in error.problems:
                problem.field = "resident_id" if problem.field == "person_id" else problem.field
            raise

    return _change(request, village_code, coop_id, "roll", {**data, "_form": "member"}, action, "#roll")


@post("/v/{village_code:str}/p/coop/{coop_id:int}/members/{member_id:int}/exit", opt={"permission": "coop.manage"},
      sync_to_thread=True)
def exit_notice(request: Request[Any, Any, Any], village_code: str, coop_id: int, member_id: int,
                data: Form) -> Response[Any]:
    """One field per member's row: its refusal is shown beside that row's date (`_form` names the row)."""
    return _change(request, village_code, coop_id, "roll", {**data, "_form": f"exit-{member_id}"},
                   lambda s, site, a, c: services.give_exit_notice(
                       s, site, a, c, services.get_member(s, c, member_id),
                       _date(data, "notice_on", _("退社声明日期"))), "#roll")


@post("/v/{village_code:str}/p/coop/{coop_id:int}/charter", opt={"permission": "coop.manage"}, sync_to_thread=True)
def charter(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    return _change(request, village_code, coop_id, "roll", data,
                   lambda s, site, a, c: services.change_charter(s, site, a, c, _charter(data)), "#charter")


def _member_by_number(session: Session, coop: Cooperative, raw: str) -> Any:
    number = raw.strip()
    found = next((m for m in services.roll(session, coop, include_exited=True) if str(m.number) == number), None)
    if found is None:
        message = _("成员编号 %(n)s 不在本社成员名册中", n=number or "—")
        raise CoopError(message, [Problem(message, field="member")])
    return found


@post("/v/{village_code:str}/p/coop/{coop_id:int}/contributions", opt={"permission": "coop.manage"},
      sync_to_thread=True)
def add_contribution(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        check = forms.Checks()  # the member, the way, the amount and the day at once, each beside its field
        member = check(_member_by_number, session, coop, data.get("member", ""))
        kind = data.get("kind", "")
        if kind in REFUSED_KINDS and member is not None:  # no amount makes labour a contribution: say so at once
            check(services.add_contribution, session, site, actor, coop, member, kind=kind, amount=Decimal("0"),
                  contributed_on=local_today())
        amount = check(_money, data, "amount", _("出资金额"))
        contributed_on = check(_date, data, "contributed_on", _("出资日期"))
        check.done(CoopError)
        services.add_contribution(session, site, actor, coop, member, kind=kind,  # type: ignore[arg-type]
                                  amount=amount, contributed_on=contributed_on,  # type: ignore[arg-type]
                                  description=data.get("description", ""))

    return _change(request, village_code, coop_id, "ledger", {**data, "_form": "contribution"}, action, "#capital")


@post("/v/{village_code:str}/p/coop/{coop_id:int}/trades", opt={"permission": "coop.manage"}, sync_to_thread=True)
def add_trade(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        check = forms.Checks()  # the member, the figures and the day at once, each beside its field
        member = check(_member_by_number, session, coop, data["member"]) if data.get("member", "").strip() else None
        quantity = check(_money, data, "quantity", _("数量"))
        amount = check(_money, data, "amount", _("金额"))
        traded_on = check(_date, data, "traded_on", _("交易日期"))
        check.done(CoopError)
        services.add_trades(session, site, actor, coop, [NewTrade(
            product=data.get("product", ""), quantity=quantity, amount=amount,  # type: ignore[arg-type]
            traded_on=traded_on, member_id=member.id if member else None,  # type: ignore[arg-type]
            counterparty=data.get("counterparty", ""), unit=data.get("unit", ""))])

    return _change(request, village_code, coop_id, "ledger", {**data, "_form": "trade"}, action, "#trades")


@post("/v/{village_code:str}/p/coop/{coop_id:int}/import", opt={"permission": "coop.manage"})
async def import_trades(request: Request[Any, Any, Any], village_code: str, coop_id: int,
                        data: Multipart) -> Response[Any]:
    """Upload a file: a dry run shown on the page; `commit=1` (sent by the preview's button) writes it."""
    import anyio

    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    commit = str(data.get("commit", "")) == "1"
    return await anyio.to_thread.run_sync(lambda: _import(request, village_code, coop_id, content, filename, commit))


def _import(request: Request[Any, Any, Any], village_code: str, coop_id: int, content: bytes, filename: str,
            commit: bool) -> Response[Any]:
    site = site_of(request)
    try:
        if not content:
            message = _("请选择要导入的 xlsx 或 csv 文件")
            raise CoopError(message, [Problem(message, field="file")])
        with site.db.transaction() as session:
            coop = _coop(session, village_code, coop_id)
            actor = require(request, "coop.manage", coop.scope_code)
            result = importer.preview(session, coop, content, filename, services.settings_of(site).import_max_rows)
            written = importer.commit(session, site, actor, coop, result) if commit and result.ok else None
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _page(request, village_code, coop_id, "ledger", error, {})
    with site.db.read() as session:
        coop = _coop(session, village_code, coop_id)
    return render(request, "coop/import.html", {"coop": coop, "result": result, "written": written,
                                                "filename": filename}, status_code=200 if result.ok else 400)


@get("/v/{village_code:str}/p/coop/{coop_id:int}/import/template.xlsx", opt={"permission": "coop.manage"},
     sync_to_thread=True)
def import_template(request: Request[Any, Any, Any], village_code: str, coop_id: int) -> Response[bytes]:
    """The transactions import template (xlsx), offered beside the upload form."""
    with site_of(request).db.read() as session:
        coop = _coop(session, village_code, coop_id)
        require(request, "coop.manage", coop.scope_code)
    return Response(importer.template_xlsx(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": 'attachment; filename="coop-trades-template.xlsx"'})


@post("/v/{village_code:str}/p/coop/{coop_id:int}/close-year", opt={"permission": "coop.manage"},
      sync_to_thread=True)
def close(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        check = forms.Checks()  # the year and every amount at once, each beside its field
        year = check(_int, data, "year", _("年度"))
        surplus = check(_money, data, "surplus", _("当年盈余"))
        losses = check(_money, data, "losses_made_good", _("弥补亏损"), "0")
        subsidy = check(_money, data, "subsidy_assets", _("财政补助形成的财产"), "0")
        check.done(CoopError)
        services.close_year(session, site, actor, coop, year, surplus=surplus,  # type: ignore[arg-type]
                            losses_made_good=losses, subsidy_assets=subsidy,  # type: ignore[arg-type]
                            reason=data.get("reason", ""))

    return _change(request, village_code, coop_id, "close", data, action)


@post("/v/{village_code:str}/p/coop/{coop_id:int}/reports", opt={"permission": "coop.manage"}, sync_to_thread=True)
def annual_report(request: Request[Any, Any, Any], village_code: str, coop_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        check = forms.Checks()  # the year and the day at once, each beside its field
        year = check(_int, data, "report_year", _("年报年度"))
        submitted_on = check(_date, data, "submitted_on", _("报送日期"))
        check.done(CoopError)
        services.record_annual_report(session, site, actor, coop, year, submitted_on)  # type: ignore[arg-type]

    return _change(request, village_code, coop_id, "close", data, action)


@post("/v/{village_code:str}/p/coop/{coop_id:int}/assemblies", opt={"permission": "coop.manage"})
async def hold_assembly(request: Request[Any, Any, Any], village_code: str, coop_id: int) -> Response[Any]:
    form = await request.form()
    data = dict(form)
    present = [int(v) for v in form.getall("present") if str(v).isdigit()] if "present" in form else []
    import anyio

    typed = {**data, "_form": "assembly", "present": [str(p) for p in present]}
    return await anyio.to_thread.run_sync(lambda: _change(
        request, village_code, coop_id, "assembly", typed,
        lambda s, site, a, c: services.hold_assembly(s, site, a, c, held_on=_date(data, "held_on", _("会议日期")),
                                                     title=data.get("title", ""), present=present)))


@post("/v/{village_code:str}/p/coop/{coop_id:int}/assemblies/{assembly_id:int}/resolutions",
      opt={"permission": "coop.manage"})
async def resolution(request: Request[Any, Any, Any], village_code: str, coop_id: int,
                     assembly_id: int) -> Response[Any]:
    form = await request.form()
    data = dict(form)
    ballots = {int(k[len("vote_"):]): str(v) for k, v in form.items()
               if k.startswith("vote_") and k[len("vote_"):].isdigit() and v}
    import anyio

    def action(session: Session, site: Site, actor: Actor, coop: Cooperative) -> None:
        assembly = next((a for a, _r in services.assemblies_of(session, coop) if a.id == assembly_id), None)
        if assembly is None:
            raise NotFound(_("没有这次成员大会"))
        check = forms.Checks()  # the matter and its kind at once, each beside its field
        kind = data.get("kind", "ordinary")
        if kind not in RESOLUTION_KINDS:
            check.add(_("决议类别无效"), "kind")
        if not str(data.get("title", "")).strip():
            check.add(_("请填写决议事项"), "title")
        check.done(CoopError)
        services.put_resolution(session, site, actor, assembly, kind=kind, title=data.get("title", ""),
                                ballots=ballots)

    return await anyio.to_thread.run_sync(lambda: _change(
        request, village_code, coop_id, "assembly", {**data, "_form": f"resolution-{assembly_id}"}, action))


# --- accounts -------------------------------------------------------------------------------------------------------

@get("/v/{village_code:str}/p/coop/{coop_id:int}/members/{member_id:int}", opt={"permission": "coop.view"},
     sync_to_thread=True)
def member_account(request: Request[Any, Any, Any], village_code: str, coop_id: int, member_id: int) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        coop = _coop(session, village_code, coop_id)
        accounts = [services.account(session, coop, services.get_member(session, coop, member_id))]
    return render(request, "coop/account.html", {"accounts": accounts, "own": False, "kinds": CONTRIBUTION_KINDS})


@get("/v/{village_code:str}/p/coop/my", opt={"permission": "coop.account"}, sync_to_thread=True, name="coop_my")
def my_account(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    """A member's own accounts, found through the register person their login is linked to."""
    site = site_of(request)
    actor = actor_of(request)
    accounts = []
    if actor.person_id is not None:
        with site.db.read() as session:
            accounts = [services.account(session, coop, member)
                        for member, coop in services.memberships_of_person(session, actor.person_id)]
    return render(request, "coop/account.html", {"accounts": accounts, "own": True, "kinds": CONTRIBUTION_KINDS,
                                                 "linked": actor.person_id is not None})


# --- public distribution --------------------------------------------------------------------------------------------

def _distribution(village_code: str, coop_id: int, year: int, site: Site) -> tuple[Any, Any, list[Any]]:
    with site.db.read() as session:
        coop = _coop(session, village_code, coop_id)
        close_ = services.get_close(session, coop, year)
        lines = services.allocations_of(session, close_)
    return coop, close_, lines


@get("/v/{village_code:str}/p/coop/{coop_id:int}/distribution/{year:int}", opt={"public": True},
     sync_to_thread=True, name="coop_distribution")
def distribution(request: Request[Any, Any, Any], village_code: str, coop_id: int, year: int) -> Response[str]:
    """The posted distribution: every member's line, the totals, and the rule; printable on A4."""
    coop, close_, lines = _distribution(village_code, coop_id, year, site_of(request))
    return render(request, "coop/distribution.html", {"coop": coop, "close": close_, "lines": lines,
                                                      "total": sum((a.patronage + a.other for a, _m in lines),
                                                                   Decimal("0.00"))})


# --- township and county --------------------------------------------------------------------------------------------

def _supervised(request: Request[Any, Any, Any]) -> list[tuple[Cooperative, dict[str, Any]]]:
    site = site_of(request)
    villages = site.villages_for(actor_of(request), "coop.supervise")
    today = local_today()
    with site.db.read() as session:
        return [(c, _state(session, c, today)) for c in services.cooperatives(session, villages)]


@get("/p/coop/", opt={"permission": "coop.supervise"}, sync_to_thread=True, name="coop_county")
def county(request: Request[Any, Any, Any], overdue: str = "") -> Response[str]:
    found = _supervised(request)
    if overdue:
        found = [(c, s) for c, s in found if s["report"].overdue_years]
    site = site_of(request)
    return render(request, "coop/county.html", {"cooperatives": found, "overdue_only": bool(overdue),
                                                "village_name": lambda code: site.village(code).name})


# --- JSON API -------------------------------------------------------------------------------------------------------

def _state_json(coop: Cooperative, state: dict[str, Any]) -> dict[str, Any]:
    last = state["last_close"]
    return {"id": coop.id, "name": coop.name, "credit_code": coop.credit_code, "village_code": coop.village_code,
            "level": coop.level, "registered_on": coop.registered_on.isoformat(), "members": state["members"],
            "membership_ok": all(c.ok for c in state["checks"]),
            "membership_checks": [{"rule": c.code, "ok": c.ok, "text": c.message} for c in state["checks"]],
            "annual_report_due": state["report"].due_year, "annual_reports_overdue": state["report"].overdue_years,
            "last_closed_year": last.year if last else None}


@get("/api/v1/p/coop/cooperatives", opt={"permission": "coop.supervise"}, sync_to_thread=True)
def api_cooperatives(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Co-ops the caller supervises, with their membership checks and annual-report state."""
    return {"cooperatives": [_state_json(c, s) for c, s in _supervised(request)]}


@get("/api/v1/p/coop/villages/{village_code:str}/cooperatives/{coop_id:int}/distribution/{year:int}",
     opt={"public": True}, sync_to_thread=True)
def api_distribution(request: Request[Any, Any, Any], village_code: str, coop_id: int, year: int) -> dict[str, Any]:
    """The current version of a year's surplus distribution (public, as posted on the board)."""
    if site_of(request).village(village_code) is None:
        raise NotFoundException(_("没有这个村：%(code)s", code=village_code))
    coop, close_, lines = _distribution(village_code, coop_id, year, site_of(request))
    return {"cooperative": coop.name, "credit_code": coop.credit_code, "year": close_.year,
            "version": close_.version, "reason": close_.reason, "surplus": str(close_.surplus),
            "losses_made_good": str(close_.losses_made_good), "reserve": str(close_.reserve),
            "distributable": str(close_.distributable), "patronage_percent": close_.patronage_percent,
            "patronage_pool": str(close_.patronage_pool), "other_pool": str(close_.other_pool),
            "member_turnover": str(close_.member_turnover), "nonmember_turnover": str(close_.nonmember_turnover),
            "allocations": [{"number": m.number, "name": m.name, "trade_amount": str(a.trade_amount),
                             "patronage": str(a.patronage), "other": str(a.other),
                             "total": str(a.patronage + a.other)} for a, m in lines]}


ROUTES = [desk, create, roll_page, section, add_member, exit_notice, charter, add_contribution, add_trade,
          import_trades, import_template, close, annual_report, hold_assembly, resolution, member_account, my_account,
          distribution, county, api_cooperatives, api_distribution]
