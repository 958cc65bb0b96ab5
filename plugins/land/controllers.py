"""Land pages: the clerk's desk (village), the township and county desks, the public map, summary and contract
verification, and the JSON API.

Handlers are thin: parse the form and run the change through the form toolkit's `forms.run` (one transaction, a
303 to the next page). A refused form is shown again with each problem beside its field and what was typed kept
(the refusal's status, 400); a missing or forbidden record is the error page (404, 403).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import secrets
from decimal import Decimal
from typing import Any

import segno
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from markupsafe import Markup
from sqlmodel import Session, col, select

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
    precompressed,
    registry,
    render,
    site_of,
)

from . import geometry, importer, ledgerview, mapview, services, terms
from .models import (
    DISPUTE_STEPS,
    LAND_TYPES,
    PAYMENT_SCHEDULES,
    TRANSFER_FORMS,
    TRANSFEREE_KINDS,
    USES,
    Contract,
    Contractor,
    Plot,
    PowerOfAttorney,
    RentInstalment,
    Transfer,
)
from .services import LandError, PlotInput, TransferInput

#: An uploaded 确权 file waits this long in the shared store for its confirmation (any worker can confirm it).
UPLOAD_SECONDS = 3600
UPLOAD_MAX_BYTES = 64 * 2**20
Req = Request[Any, Any, Any]


def _base(village_code: str) -> str:
    return f"/v/{village_code}/p/land"


def _decimal(value: str | None, field: str, label: str, required: bool = True) -> Decimal | None:
    return forms.decimal(value, field, label, required=required)  # type: ignore[no-any-return]


def _date(value: str | None, field: str, label: str) -> dt.date:
    return forms.date(value, field, label)  # type: ignore[no-any-return]


# --- village: overview ---------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/p/land/", opt={"permission": "land.view"}, sync_to_thread=True, name="land_home")
def home(request: Req, village_code: str) -> Response[str]:
    return _home(request, village_code)


def _home(request: Req, village_code: str, error: DomainError | None = None, values: dict[str, str] | None = None,
          status_code: int = 200) -> Response[str]:
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        transfers = list(session.exec(select(Transfer).where(Transfer.village_code == village_code)
                                      .order_by(col(Transfer.id).desc()).limit(200)).all())
        areas = {t.id: services.area_of(session, t) for t in transfers}
        summary = services.village_summary(session, site, village_code, today)
        disputes = list(session.exec(select(services.Dispute).where(
            services.Dispute.village_code == village_code, services.Dispute.status == "open")).all())
        contracts = session.exec(select(Contract, Contractor).join(
            Contractor, col(Contractor.id) == Contract.contractor_id).where(Contract.village_code == village_code)
            .order_by(col(Contract.code)).limit(500)).all()
    return render(request, "land/home.html", {
        "transfers": transfers, "areas": areas, "summary": summary, "disputes": disputes, "contracts": contracts,
        "status_of": lambda t: services.effective_status(t, today), "status_label": services.status_label,
        "form_label": services.form_label, "errors": forms.problems(error), "error": error,
        "values": values or {}}, status_code=status_code)


# --- contracts, plots, powers of attorney --------------------------------------------------------------------------


@get("/v/{village_code:str}/p/land/contracts/{contract_id:int}", opt={"permission": "land.view"},
     sync_to_thread=True)
def contract_page(request: Req, village_code: str, contract_id: int) -> Response[str]:
    return _contract_page(request, village_code, contract_id)


def _contract_page(request: Req, village_code: str, contract_id: int, error: DomainError | None = None,
                   values: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        contract = services.get_contract(session, village_code, contract_id)
        contractor = session.get(Contractor, contract.contractor_id)
        plots = list(session.exec(select(Plot).where(Plot.contract_id == contract.id).order_by(col(Plot.code))).all())
        transfers = list(session.exec(select(Transfer).where(Transfer.contract_id == contract.id)
                                      .order_by(col(Transfer.id).desc())).all())
        powers = list(session.exec(select(PowerOfAttorney).where(PowerOfAttorney.contractor_id == contractor.id)  # type: ignore[union-attr]
                                   ).all())
    return render(request, "land/contract.html", {
        "contract": contract, "contractor": contractor, "plots": plots, "transfers": transfers, "powers": powers,
        "status_label": services.status_label, "form_label": services.form_label,
        "land_type_label": services.land_type_label, "land_types": LAND_TYPES, "today": local_today(),
        "errors": forms.problems(error), "error": error, "values": values or {},
        "status_of": services.effective_status}, status_code=status_code)


@post("/v/{village_code:str}/p/land/contracts", opt={"permission": "land.manage"}, sync_to_thread=True)
def create_contract(request: Req, village_code: str, data: Form) -> Response[Any]:
    """Register a household's contract: find the household by 户号, derive the codes, record the term."""

    def change(session: Session, site: Site, actor: Actor) -> Contract:
        check = forms.Checks()  # the household, the group and every date at once, each beside its field
        number = data.get("household", "").strip()
        home = next((h for h in registry.households(session, village_code) if h.household.number == number), None)
        if home is None:
            check.add(_("本村没有户号 %(number)s", number=number), "household")
        group = check(_decimal, data.get("group") or "0", "group", _("村民小组号"))
        start_on = check(_date, data.get("start_on"), "start_on", _("承包期开始日"))
        end_on = check(_date, data.get("end_on"), "end_on", _("承包期结束日"))
        extended = (data.get("extended_to") or "").strip()
        extended_to = check(_date, extended, "extended_to", _("延包结束日")) if extended else None
        check.done(LandError)
        assert home is not None
        issuer = services.issuer_for(session, site, actor, village_code, int(group or 0))
        contractor = services.register_contractor(session, site, actor, issuer,
                                                  home.household.id)  # type: ignore[arg-type]
        kind = "Q" if data.get("kind") == "Q" else "J"
        return services.register_contract(
            session, site, actor, contractor, code=contractor.code + kind,
            start_on=start_on, end_on=end_on, extended_to=extended_to)  # type: ignore[arg-type]

    return forms.run(request, change, then=lambda contract: f"{_base(village_code)}/contracts/{contract.id}",
                     refused=lambda exc: _home(request, village_code, exc, data, exc.status_code))


@post("/v/{village_code:str}/p/land/contracts/{contract_id:int}/plots", opt={"permission": "land.manage"},
      sync_to_thread=True)
def add_plot(request: Req, village_code: str, contract_id: int, data: Form) -> Response[Any]:
    def change(session: Session, site: Site, actor: Actor) -> Plot:
        contract = services.get_contract(session, village_code, contract_id)
        check = forms.Checks()  # the area and the grade as typed, then every rule of the plot, each beside its field
        area = check(_decimal, data.get("area_mu"), "area_mu", _("面积"))
        grade = check(forms.integer, data.get("grade"), "grade", _("地力等级"), required=False)
        check.done(LandError)
        return services.register_plot(session, site, actor, village_code, PlotInput(
            code=data.get("code", "").strip(), name=data.get("name", ""), area_mu=area,  # type: ignore[arg-type]
            land_type=data.get("land_type", "013"), grade=grade,
            east=data.get("east", ""), south=data.get("south", ""), west=data.get("west", ""),
            north=data.get("north", "")), contract=contract)

    return forms.run(request, change, then=f"{_base(village_code)}/contracts/{contract_id}",
                     refused=lambda exc: _contract_page(request, village_code, contract_id, error=exc, values=data,
                                                        status_code=exc.status_code))


@post("/v/{village_code:str}/p/land/geometry", opt={"permission": "land.manage"}, sync_to_thread=True)
def save_geometry(request: Req, village_code: str, data: Form) -> Response[Any]:
    """Attach a pasted GeoJSON polygon to a plot of the village (field `plot` = its code); back to its contract (or
    the map, for a plot without one), with the area warning if the measured area differs from the declared one."""
    code = data.get("plot", "").strip()

    def change(session: Session, site: Site, actor: Actor) -> str:
        plot = services.get_plot(session, village_code, code)
        try:
            parsed = json.loads(data.get("geojson", ""))
        except json.JSONDecodeError:
            raise LandError(_("不是有效的 GeoJSON"), [Problem(_("不是有效的 GeoJSON"), field="geojson")]) from None
        warning = geometry.attach_polygon(session, site, actor, plot, parsed)
        url = _base(village_code) + (f"/contracts/{plot.contract_id}" if plot.contract_id else "/map")
        return url + ("?warning=" + warning if warning else "")

    def refused(exc: DomainError) -> Response[Any]:
        with site_of(request).db.read() as session:
            contract_id = services.get_plot(session, village_code, code).contract_id
        if contract_id is None:  # no form to show it on: the error page
            raise exc
        for problem in exc.problems:  # the polygon refused is what was pasted: its message goes beside it
            problem.field = "geojson" if problem.field == "geometry" else problem.field
        return _contract_page(request, village_code, contract_id, error=exc, values={**data, "plot": code},
                              status_code=exc.status_code)

    return forms.run(request, change, then=lambda url: url, refused=refused)


@post("/v/{village_code:str}/p/land/contracts/{contract_id:int}/powers", opt={"permission": "land.manage"},
      sync_to_thread=True)
def add_power(request: Req, village_code: str, contract_id: int, data: Form) -> Response[Any]:
    def change(session: Session, site: Site, actor: Actor) -> PowerOfAttorney:
        contract = services.get_contract(session, village_code, contract_id)
        contractor = session.get(Contractor, contract.contractor_id)
        check = forms.Checks()  # the names and both dates at once, each beside its field
        if not data.get("agent_name", "").strip():
            check.add(_("请填写受托人姓名"), "agent_name")
        if not data.get("scope", "").strip():
            check.add(_("请填写委托事项"), "scope")
        signed_on = check(_date, data.get("signed_on"), "signed_on", _("签署日期"))
        valid_until = check(_date, data.get("valid_until"), "valid_until", _("有效期至"))
        check.done(LandError)
        return services.record_power(session, site, actor, contractor,  # type: ignore[arg-type]
                                     agent_name=data.get("agent_name", ""), scope=data.get("scope", ""),
                                     signed_on=signed_on, valid_until=valid_until)  # type: ignore[arg-type]

    return forms.run(request, change, then=f"{_base(village_code)}/contracts/{contract_id}",
                     refused=lambda exc: _contract_page(request, village_code, contract_id, error=exc, values=data,
                                                        status_code=exc.status_code))


# --- transfers -----------------------------------------------------------------------------------------------------


def _transfer_form(request: Req, village_code: str, contract_id: int, *, values: dict[str, str],
                   error: DomainError | None = None, status_code: int = 200) -> Response[str]:
    site = site_of(request)
    settings = services.settings_of(site)
    with site.db.read() as session:
        contract = services.get_contract(session, village_code, contract_id)
        contractor = session.get(Contractor, contract.contractor_id)
        plots = list(session.exec(select(Plot).where(Plot.contract_id == contract.id).order_by(col(Plot.code))).all())
        filed = [t for t in session.exec(select(Transfer).where(Transfer.contract_id == contract.id,
                                                                Transfer.status == "filed")).all()]
        villagers = registry.adults(session, village_code)
    return render(request, "land/transfer_new.html", {
        "contract": contract, "contractor": contractor, "plots": plots, "filed": filed, "villagers": villagers,
        "values": values, "errors": forms.problems(error), "error": error, "forms": TRANSFER_FORMS,
        "kinds": TRANSFEREE_KINDS, "uses": USES, "schedules": PAYMENT_SCHEDULES,
        "form_label": services.form_label, "kind_label": services.kind_label, "use_label": services.use_label,
        "schedule_label": services.schedule_label, "settings": settings}, status_code=status_code)


@get("/v/{village_code:str}/p/land/transfers/new", opt={"permission": "land.manage"}, sync_to_thread=True)
def new_transfer(request: Req, village_code: str, contract: int) -> Response[str]:
    return _transfer_form(request, village_code, contract, values={})


def _transfer_input(data: dict[str, str], plot_ids: list[int]) -> TransferInput:
    """The transfer as typed; every area, date and amount that cannot be read is named at once."""
    check = forms.Checks()
    plots: dict[int, Decimal] = {}
    for plot_id in plot_ids:
        area = check(_decimal, data.get(f"area_{plot_id}"), f"area_{plot_id}", _("流转面积"), required=False)
        if area is not None:
            plots[plot_id] = area
    person = (data.get("transferee_person_id") or "").strip()
    years = (data.get("adjust_every_years") or "").strip()
    start_on = check(_date, data.get("start_on"), "start_on", _("流转开始日"))
    end_on = check(_date, data.get("end_on"), "end_on", _("流转结束日"))
    rent = check(_decimal, data.get("rent_yuan_per_mu"), "rent_yuan_per_mu", _("租金"), required=False)
    grain = check(_decimal, data.get("grain_kg_per_mu"), "grain_kg_per_mu", _("实物租金"), required=False)
    grain_price = check(_decimal, data.get("grain_price"), "grain_price", _("粮食参考价格"), required=False)
    value = check(_decimal, data.get("value"), "value", _("作价"), required=False)
    check.done(LandError)
    return TransferInput(
        contract_id=int(data.get("contract_id", "0") or 0), plots=plots, form=data.get("form", ""),
        transferee_kind=data.get("transferee_kind", ""), transferee_name=data.get("transferee_name", ""),
        transferee_person_id=int(person) if person.isdigit() else None,
        transferee_credit_code=data.get("transferee_credit_code") or None,
        transferee_address=data.get("transferee_address", ""),
        start_on=start_on, end_on=end_on, use=data.get("use", ""),  # type: ignore[arg-type]
        rent_kind=data.get("rent_kind", "cash"), rent_yuan_per_mu=rent or Decimal(0),
        grain_kg_per_mu=grain, grain_price=grain_price,
        adjust_every_years=int(years) if years.isdigit() else None,
        payment_schedule=data.get("payment_schedule", "yearly"), value=value,
        facilities=data.get("facilities", ""), breach=data.get("breach", ""),
        agent_name=data.get("agent_name") or None, parent_ref=data.get("parent_ref") or None)


@post("/v/{village_code:str}/p/land/transfers", opt={"permission": "land.manage"}, sync_to_thread=True)
def create_transfer(request: Req, village_code: str, data: Form) -> Response[Any]:
    contract_id = int(data.get("contract_id", "0") or 0) if (data.get("contract_id") or "").isdigit() else 0

    def change(session: Session, site: Site, actor: Actor) -> Transfer:
        contract = services.get_contract(session, village_code, contract_id)
        plot_ids = [p for p in session.exec(select(Plot.id).where(Plot.contract_id == contract.id)).all()]
        parent = (data.get("parent_ref") or "").strip()
        if parent:
            parent_transfer = services.get_transfer(session, village_code, parent)
            plot_ids = [row.plot_id for row, _plot in services.rows_of(session, parent_transfer)]
        return services.create_transfer(session, site, actor, village_code,
                                        _transfer_input(data, plot_ids))  # type: ignore[arg-type]

    return forms.run(request, change, then=lambda transfer: f"{_base(village_code)}/transfers/{transfer.ref}",
                     refused=lambda exc: _transfer_form(request, village_code, contract_id, values=data, error=exc,
                                                        status_code=exc.status_code))


def _verify_url(request: Req, transfer: Transfer) -> str:
    return f"{str(request.base_url).rstrip('/')}/p/land/verify/{transfer.verify_token}"


@get("/v/{village_code:str}/p/land/transfers/{ref:str}", opt={"permission": "land.view"}, sync_to_thread=True)
def transfer_page(request: Req, village_code: str, ref: str) -> Response[str]:
    return _transfer_page(request, village_code, ref)


def _transfer_page(request: Req, village_code: str, ref: str, error: DomainError | None = None,
                   values: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        transfer = services.get_transfer(session, village_code, ref)
        rows = services.rows_of(session, transfer)
        contract = session.get(Contract, transfer.contract_id)
        contractor = session.get(Contractor, transfer.contractor_id)
        rent = services.rent_of(session, transfer)
        consents = list(session.exec(select(services.Consent).where(services.Consent.transfer_id == transfer.id)).all())
        power = session.get(PowerOfAttorney, transfer.agent_power_id) if transfer.agent_power_id else None
        parent = session.get(Transfer, transfer.parent_id) if transfer.parent_id else None
    status = services.effective_status(transfer, today)
    needs_written = (transfer.end_on - transfer.start_on).days >= services.settings_of(site).written_contract_min_days
    return render(request, "land/transfer.html", {
        "transfer": transfer, "rows": rows, "contract": contract, "contractor": contractor, "rent": rent,
        "consents": consents, "power": power, "parent": parent, "status": status, "today": today,
        "needs_written": needs_written, "status_label": services.status_label, "form_label": services.form_label,
        "kind_label": services.kind_label, "use_label": services.use_label, "rent_per_mu": terms.rent_per_mu,
        "schedule_label": services.schedule_label, "rent_state": lambda i: services.instalment_state(site, i, today),
        "rent_state_label": services.rent_state_label, "grounds": services.TERMINATION_GROUNDS,
        "ground_label": services.ground_label, "area": sum((r.area_mu for r, _p in rows), Decimal(0)),
        "errors": forms.problems(error), "error": error, "values": values or {}},
        status_code=status_code)


def _act(request: Req, village_code: str, ref: str, data: dict[str, str], action: Any) -> Response[Any]:
    """Lock the transfer, run one step in one transaction, go back to its page (or show the refusal there)."""
    return forms.run(
        request, lambda s, site, a: action(s, site, a, services.get_transfer(s, village_code, ref, lock=True)),
        then=f"{_base(village_code)}/transfers/{ref}",
        refused=lambda exc: _transfer_page(request, village_code, ref, error=exc, values=data,
                                           status_code=exc.status_code))


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/post", opt={"permission": "land.manage"},
      sync_to_thread=True)
def post_transfer(request: Req, village_code: str, ref: str) -> Response[Any]:
    return _act(request, village_code, ref, {}, services.post_for_priority)


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/release", opt={"permission": "land.manage"},
      sync_to_thread=True)
def release_transfer(request: Req, village_code: str, ref: str, data: Form) -> Response[Any]:
    return _act(request, village_code, ref, data,
                lambda s, site, a, t: services.release_hold(s, site, a, t, data.get("resolution", "")))


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/file", opt={"permission": "land.manage"},
      sync_to_thread=True)
def file_transfer(request: Req, village_code: str, ref: str) -> Response[Any]:
    return _act(request, village_code, ref, {}, services.file_transfer)


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/cancel", opt={"permission": "land.manage"},
      sync_to_thread=True)
def cancel_transfer(request: Req, village_code: str, ref: str, data: Form) -> Response[Any]:
    return _act(request, village_code, ref, data,
                lambda s, site, a, t: services.cancel_transfer(s, site, a, t, data.get("reason", "")))


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/terminate", opt={"permission": "land.manage"},
      sync_to_thread=True)
def terminate_transfer(request: Req, village_code: str, ref: str, data: Form) -> Response[Any]:
    def terminate(session: Session, site: Site, actor: Actor, transfer: Transfer) -> None:
        check = forms.Checks()  # the ground and the day at once, each beside its field
        if data.get("ground", "") not in services.TERMINATION_GROUNDS:
            check.add(_("解除流转须有法定事由或双方协商一致"), "ground")
        on = check(_date, data.get("on"), "on", _("解除日期"))
        check.done(LandError)
        services.terminate_transfer(session, site, actor, transfer, ground=data.get("ground", ""),
                                    on=on)  # type: ignore[arg-type]

    return _act(request, village_code, ref, data, terminate)


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/consent", opt={"permission": "land.manage"},
      sync_to_thread=True)
def consent_transfer(request: Req, village_code: str, ref: str, data: Form) -> Response[Any]:
    def consent(session: Session, site: Site, actor: Actor, transfer: Transfer) -> None:
        check = forms.Checks()  # the day and the document at once, each beside its field
        signed_on = check(_date, data.get("signed_on"), "signed_on", _("签署日期"))
        if not data.get("document", "").strip():
            check.add(_("请写明书面同意书的名称和存放处"), "document")
        check.done(LandError)
        services.record_consent(session, site, actor, transfer, signed_on=signed_on,  # type: ignore[arg-type]
                                document=data.get("document", ""))

    return _act(request, village_code, ref, data, consent)


@post("/v/{village_code:str}/p/land/transfers/{ref:str}/renew", opt={"permission": "land.manage"},
      sync_to_thread=True)
def renew_transfer(request: Req, village_code: str, ref: str, data: Form) -> Response[Any]:
    """Renew a transfer: a new transfer continuing it (its own page is where the clerk goes next)."""
    def renew(session: Session, site: Site, actor: Actor) -> Transfer:
        transfer = services.get_transfer(session, village_code, ref, lock=True)
        end_on = _date(data.get("end_on"), "renew_end_on", _("续签结束日"))
        try:
            return services.renew_transfer(session, site, actor, transfer, end_on)
        except LandError as error:  # the new transfer's checks: of its fields only the end is on this form
            for problem in error.problems:
                problem.field = "renew_end_on" if problem.field == "end_on" else None
            raise

    return forms.run(
        request, renew,
        then=lambda renewed: f"{_base(village_code)}/transfers/{renewed.ref}",
        refused=lambda exc: _transfer_page(request, village_code, ref, error=exc, values=data,
                                           status_code=exc.status_code))


@post("/v/{village_code:str}/p/land/rent/{item_id:int}/pay", opt={"permission": "land.manage"}, sync_to_thread=True)
def pay_rent(request: Req, village_code: str, item_id: int, data: Form) -> Response[Any]:
    site = site_of(request)
    with site.db.read() as session:
        item = session.get(RentInstalment, item_id)
        if item is None or item.village_code != village_code:
            raise NotFound(_("本村没有这笔租金"))
        ref = session.get(Transfer, item.transfer_id).ref  # type: ignore[union-attr]

    def pay(session: Session, site: Site, actor: Actor, transfer: Transfer) -> None:
        check = forms.Checks()  # the amount and the day at once, beside them in this instalment's row
        amount = check(_decimal, data.get("amount"), "amount", _("付款金额"))
        paid_on = check(_date, data.get("paid_on"), "paid_on", _("付款日期"))
        check.done(LandError)
        services.record_payment(session, site, actor, session.get(RentInstalment, item_id),  # type: ignore[arg-type]
                                amount, paid_on)  # type: ignore[arg-type]

    return _act(request, village_code, ref, {**data, "_form": f"pay-{item_id}"}, pay)


@get("/v/{village_code:str}/p/land/transfers/{ref:str}/contract", opt={"permission": "land.view"},
     sync_to_thread=True)
def print_contract(request: Req, village_code: str, ref: str) -> Response[str]:
    """The written contract on A4 (the clauses of 农村土地承包法 art. 40, docs/domain.md §6.3), with a QR code to its
    verification."""
    site = site_of(request)
    with site.db.read() as session:
        transfer = services.get_transfer(session, village_code, ref)
        rows = services.rows_of(session, transfer)
        contract = session.get(Contract, transfer.contract_id)
        contractor = session.get(Contractor, transfer.contractor_id)
        rent = services.rent_of(session, transfer)
        power = session.get(PowerOfAttorney, transfer.agent_power_id) if transfer.agent_power_id else None
    url = _verify_url(request, transfer)
    qr = Markup(segno.make(url, error="m").svg_inline(scale=3, omitsize=True, border=2))
    return render(request, "land/print.html", {
        "transfer": transfer, "rows": rows, "contract": contract, "contractor": contractor, "rent": rent,
        "power": power, "qr": qr, "verify_url": url, "form_label": services.form_label,
        "kind_label": services.kind_label, "use_label": services.use_label, "rent_per_mu": terms.rent_per_mu,
        "schedule_label": services.schedule_label, "land_type_label": services.land_type_label,
        "area": sum((r.area_mu for r, _p in rows), Decimal(0)), "village_entry": site.village(village_code)})


# --- rent ledger, disputes -------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/p/land/rent", opt={"permission": "land.view"}, sync_to_thread=True)
def rent_page(request: Req, village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        lines = services.rent_ledger(session, site, village_code)
    return render(request, "land/rent.html", {"lines": lines})


@get("/v/{village_code:str}/p/land/disputes", opt={"permission": "land.view"}, sync_to_thread=True)
def disputes_page(request: Req, village_code: str) -> Response[str]:
    return _disputes_page(request, village_code)


def _disputes_page(request: Req, village_code: str, error: DomainError | None = None,
                   values: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        found = list(session.exec(select(services.Dispute, Plot).join(Plot, col(Plot.id) == services.Dispute.plot_id)
                                  .where(services.Dispute.village_code == village_code)
                                  .order_by(col(services.Dispute.id).desc())).all())
    return render(request, "land/disputes.html", {
        "disputes": found, "errors": forms.problems(error), "error": error, "values": values or {},
        "today": local_today()}, status_code=status_code)


@post("/v/{village_code:str}/p/land/disputes", opt={"permission": "land.disputes"}, sync_to_thread=True)
def open_dispute(request: Req, village_code: str, data: Form) -> Response[Any]:
    def change(session: Session, site: Site, actor: Actor) -> services.Dispute:
        check = forms.Checks()  # the plot, the parties, the matter and the day at once, each beside its field
        code = data.get("plot", "").strip()
        plot = session.exec(select(Plot).where(Plot.code == code, Plot.village_code == village_code)).first()
        if plot is None:
            check.add(_("本村没有地块 %(code)s", code=code), "plot")
        if not data.get("parties", "").strip():
            check.add(_("请填写纠纷当事人"), "parties")
        if not data.get("subject", "").strip():
            check.add(_("请写明争议事项"), "subject")
        opened_on = check(_date, data.get("opened_on"), "opened_on", _("受理日期"))
        check.done(LandError)
        return services.open_dispute(session, site, actor, plot,  # type: ignore[arg-type]
                                     parties=data.get("parties", ""), subject=data.get("subject", ""),
                                     opened_on=opened_on)  # type: ignore[arg-type]

    return forms.run(request, change, then=lambda dispute: f"{_base(village_code)}/disputes/{dispute.id}",
                     refused=lambda exc: _disputes_page(request, village_code, error=exc, values=data,
                                                        status_code=exc.status_code))


@get("/v/{village_code:str}/p/land/disputes/{dispute_id:int}", opt={"permission": "land.view"},
     sync_to_thread=True)
def dispute_page(request: Req, village_code: str, dispute_id: int) -> Response[str]:
    return _dispute_page(request, village_code, dispute_id)


def _dispute_page(request: Req, village_code: str, dispute_id: int, error: DomainError | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        dispute = services.get_dispute(session, village_code, dispute_id)
        plot = session.get(Plot, dispute.plot_id)
        steps = services.steps_of(session, dispute)
    return render(request, "land/dispute.html", {
        "dispute": dispute, "plot": plot, "steps": steps, "kinds": DISPUTE_STEPS, "step_label": services.step_label,
        "errors": forms.problems(error), "error": error, "values": values or {}, "today": local_today()},
        status_code=status_code)


def _on_dispute(request: Req, village_code: str, dispute_id: int, data: dict[str, str], action: Any) -> Response[Any]:
    """Run one step of a dispute in one transaction, back to its page (or show the refusal there, in the form that
    was posted: `data["_form"]`)."""
    return forms.run(
        request, lambda s, site, a: action(s, site, a, services.get_dispute(s, village_code, dispute_id)),
        then=f"{_base(village_code)}/disputes/{dispute_id}",
        refused=lambda exc: _dispute_page(request, village_code, dispute_id, error=exc, values=data,
                                          status_code=exc.status_code))


@post("/v/{village_code:str}/p/land/disputes/{dispute_id:int}/steps", opt={"permission": "land.disputes"},
      sync_to_thread=True)
def add_step(request: Req, village_code: str, dispute_id: int, data: Form) -> Response[Any]:
    def step(session: Session, site: Site, actor: Actor, dispute: services.Dispute) -> None:
        check = forms.Checks()  # the stage, the day and the outcome at once, each beside its field
        if data.get("kind", "") not in DISPUTE_STEPS:
            check.add(_("请选择调处环节"), "kind")
        on_date = check(_date, data.get("on_date"), "on_date", _("日期"))
        if not data.get("outcome", "").strip():
            check.add(_("请写明这一步的结果"), "outcome")
        check.done(LandError)
        services.add_step(session, site, actor, dispute, kind=data.get("kind", ""), on_date=on_date,  # type: ignore[arg-type]
                          outcome=data.get("outcome", ""))

    return _on_dispute(request, village_code, dispute_id, {**data, "_form": "step"}, step)


@post("/v/{village_code:str}/p/land/disputes/{dispute_id:int}/close", opt={"permission": "land.disputes"},
      sync_to_thread=True)
def close_dispute(request: Req, village_code: str, dispute_id: int, data: Form) -> Response[Any]:
    def close(session: Session, site: Site, actor: Actor, dispute: services.Dispute) -> None:
        check = forms.Checks()  # the outcome and the day at once, each beside its field
        if not data.get("outcome", "").strip():
            check.add(_("请写明结案结果"), "outcome")
        closed_on = check(_date, data.get("closed_on"), "closed_on", _("结案日期"))
        check.done(LandError)
        services.close_dispute(session, site, actor, dispute, outcome=data.get("outcome", ""),
                               closed_on=closed_on)  # type: ignore[arg-type]

    return _on_dispute(request, village_code, dispute_id, {**data, "_form": "close"}, close)


# --- public: map, summary, verification ----------------------------------------------------------------------------


# --- import of a 确权 export (the register import's flow: upload → dry run with row errors → confirm) ----------------

@get("/v/{village_code:str}/p/land/import", opt={"permission": "land.manage"}, sync_to_thread=True,
     name="land_import")
def import_page(request: Req, village_code: str) -> Response[str]:
    return _import_render(request, {"stage": "form", "problems": []})


def _import_render(request: Req, context: dict[str, Any], status_code: int = 200) -> Response[str]:
    return render(request, "land/import.html", {**context, "columns": importer.COLUMNS}, status_code=status_code)


def _import_form(request: Req, message: str, status_code: int) -> Response[str]:
    return _import_render(request, {"stage": "form", "problems": [Problem(message, field="file")]},
                  status_code=status_code)


@post("/v/{village_code:str}/p/land/import", opt={"permission": "land.manage"},
      request_max_body_size=UPLOAD_MAX_BYTES + 2**20)
async def import_upload(request: Req, village_code: str, data: Multipart) -> Response[Any]:
    """The dry run: every row checked (nothing written); a clean file is kept under a random token for the
    confirmation, which checks it again and writes it in one transaction."""
    import anyio

    site, actor = site_of(request), actor_of(request)
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_form(request, _("请选择要上传的 .xlsx 或 .csv 文件"), 400)
    content = await upload.read()
    if len(content) > UPLOAD_MAX_BYTES:
        size = round(len(content) / 2**20, 1)
        return _import_form(request, _("文件过大（%(size)s MB），上限为 %(max)s MB", size=size,
                                       max=UPLOAD_MAX_BYTES // 2**20), 400)
    filename = upload.filename
    report = await anyio.to_thread.run_sync(lambda: importer.import_file(
        site, actor, filename, content, commit=False, village_code=village_code))
    token = secrets.token_urlsafe(24)
    ready = not report.problems and report.new_plots > 0
    if ready:
        meta = {"village": village_code, "user": actor.user_id, "filename": filename}
        await site.store.with_namespace("land-uploads").set(
            token, json.dumps(meta, ensure_ascii=False).encode() + b"\n" + content, expires_in=UPLOAD_SECONDS)
    return _import_render(request, {"stage": "preview", "report": report, "token": token if ready else "",
                                                "filename": filename, "problems": []},
                  status_code=422 if report.problems else 200)


@post("/v/{village_code:str}/p/land/import/{token:str}/confirm", opt={"permission": "land.manage"})
async def import_confirm(request: Req, village_code: str, token: str) -> Response[Any]:
    """Check the kept file again (the register may have changed since the dry run) and write it, all or nothing."""
    import anyio

    site, actor = site_of(request), actor_of(request)
    store = site.store.with_namespace("land-uploads")
    blob = await store.get(token)
    if blob is None:
        return _import_form(request, _("上传的文件已过期或已导入，请重新上传"), 410)
    head, _sep, content = blob.partition(b"\n")
    meta = json.loads(head)
    if meta.get("village") != village_code or meta.get("user") != actor.user_id:
        raise NotFound(_("记录不存在"))
    report = await anyio.to_thread.run_sync(lambda: importer.import_file(
        site, actor, meta["filename"], content, commit=True, village_code=village_code))
    if report.problems:
        return _import_render(request, {"stage": "preview", "report": report, "token": token,
                                                    "filename": meta["filename"], "problems": []}, status_code=422)
    await store.delete(token)
    return _import_render(request, {"stage": "done", "report": report, "filename": meta["filename"],
                                                "problems": []})


@get("/v/{village_code:str}/p/land/map", opt={"public": True, precompressed.OPT_KEY: True}, sync_to_thread=True)
def village_map(request: Req, village_code: str, warning: str = "") -> Response[str]:
    """The village's plots: an inline SVG map coloured by state beside a plain table (no personal data).

    A village may have thousands of plots: the map's data part is rendered once per village, land version, day and
    language and kept per process with its deflate stream (`mapview`); each request renders and compresses only the
    page around it."""
    data = mapview.map_fragment(site_of(request), village_code)
    page = render(request, "land/map.html", {"data": Markup(precompressed.MARKER), "warning": warning[:300]})
    return precompressed.spliced(page, data, request)


@get("/p/land/verify/{token:str}", opt={"public": True}, sync_to_thread=True)
def verify(request: Req, token: str) -> Response[str]:
    """What anyone scanning the contract's QR code sees: that the transfer is on file, and its terms."""
    site = site_of(request)
    with site.db.read() as session:
        transfer = session.exec(select(Transfer).where(Transfer.verify_token == token)).first()
        if transfer is None:
            raise NotFound(_("没有找到这份流转合同：二维码可能不是本系统出具的"))
        rows = services.rows_of(session, transfer)
        contractor = session.get(Contractor, transfer.contractor_id)
    return render(request, "land/verify.html", {
        "transfer": transfer, "rows": rows, "contractor": contractor,
        "status": services.effective_status(transfer), "status_label": services.status_label,
        "form_label": services.form_label, "use_label": services.use_label,
        "village_entry": site.village(transfer.village_code),
        "area": sum((r.area_mu for r, _p in rows), Decimal(0))})


# --- township and county desks -------------------------------------------------------------------------------------


def _ledger(request: Req) -> tuple[list[services.LedgerRow], dict[str, services.VillageTotals], list[str]]:
    site = site_of(request)
    codes = site.villages_for(actor_of(request), "land.ledger")
    with site.db.read() as session:
        rows, totals = services.ledger(session, site, codes)
    return rows, totals, codes


@get("/p/land/", opt={"permission": "land.ledger", precompressed.OPT_KEY: True}, sync_to_thread=True,
     name="land_ledger")
def ledger_page(request: Req) -> Response[str]:
    """流转台账: the township's transfers in force, and the roll-up by township and village.

    The roll-ups and the transfers are rendered once per village set, land version, day and language and kept per
    process with their deflate stream (`ledgerview`); each request renders and compresses only the page around them."""
    site = site_of(request)
    data = ledgerview.ledger_fragment(site, site.villages_for(actor_of(request), "land.ledger"))
    page = render(request, "land/ledger.html", {"data": Markup(precompressed.MARKER)})
    return precompressed.spliced(page, data, request)


def _safe(value: Any) -> Any:
    """A spreadsheet cell that is never run as a formula: text starting with = + - @ (or a tab/CR) gets a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@get("/p/land/ledger.xlsx", opt={"permission": "land.ledger"}, sync_to_thread=True)
def ledger_xlsx(request: Req) -> Response[bytes]:
    from openpyxl import Workbook

    site = site_of(request)
    rows, totals, codes = _ledger(request)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("流转台账"))
    sheet.append([_("乡镇"), _("村"), _("编号"), _("承包方"), _("受让方"), _("流转方式"), _("面积（亩）"),
                  _("开始日"), _("结束日"), _("租金（元/亩/年）"), _("满5年可登记"), _("即将到期")])
    yes, no = _("是"), _("否")
    for row in rows:
        entry = site.village(row.village_code)
        sheet.append([_safe(v) for v in (entry.township, entry.name, row.ref, row.contractor, row.transferee,
                                         services.form_label(row.form), float(row.area), row.start_on.isoformat(),
                                         row.end_on.isoformat(), float(row.rent_per_mu),
                                         yes if row.registrable else no, yes if row.expiring else no)])
    summary = book.create_sheet(_("汇总"))
    summary.append([_("乡镇"), _("村"), _("承包面积（亩）"), _("流转面积（亩）"), _("流转比例（%）"), _("流转笔数"),
                    *[services.form_label(f) for f in TRANSFER_FORMS]])
    for code in codes:
        entry = site.village(code)
        total = totals[code]
        summary.append([_safe(entry.township), _safe(entry.name), float(total.contracted), float(total.transferred),
                        float(total.share), total.transfers,
                        *[float((total.by_form or {}).get(f, 0)) for f in TRANSFER_FORMS]])
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": 'attachment; filename="land-ledger.xlsx"'})


# --- JSON API ------------------------------------------------------------------------------------------------------


@get("/api/v1/p/land/villages/{village_code:str}/summary", opt={"public": True}, sync_to_thread=True)
def api_summary(request: Req, village_code: str) -> dict[str, Any]:
    """The public summary of a village: plots, contracted and transferred area (亩, exact strings)."""
    site = site_of(request)
    with site.db.read() as session:
        summary = services.village_summary(session, site, village_code)
        states = services.plot_states(session, village_code)
        plots = session.exec(select(Plot.code, Plot.name, Plot.area_mu, Plot.id).where(
            Plot.village_code == village_code).order_by(col(Plot.code))).all()
    return {"village_code": village_code, "plots": summary["plots"], "contracted_mu": str(summary["contracted"]),
            "transferred_mu": str(summary["transferred"]), "share_percent": str(summary["share"]),
            "by_form_mu": {k: str(v) for k, v in summary["by_form"].items()}, "disputed_plots": summary["disputed"],
            "plot_states": [{"code": c, "name": n, "area_mu": str(a), "state": states.get(i, "free")}
                            for c, n, a, i in plots]}


@get("/api/v1/p/land/villages/{village_code:str}/transfers", opt={"permission": "land.view"},
     sync_to_thread=True)
def api_transfers(request: Req, village_code: str) -> dict[str, Any]:
    """The village's transfers with their plots, terms and rent."""
    site = site_of(request)
    with site.db.read() as session:
        found = list(session.exec(select(Transfer).where(Transfer.village_code == village_code)
                                  .order_by(col(Transfer.id))).all())
        items = []
        for transfer in found:
            items.append({
                "ref": transfer.ref, "status": services.effective_status(transfer), "form": transfer.form,
                "transferee_kind": transfer.transferee_kind, "transferee_name": transfer.transferee_name,
                "start": transfer.start_on.isoformat(), "end": transfer.end_on.isoformat(), "use": transfer.use,
                "rent_yuan_per_mu_year": str(terms.rent_per_mu(transfer)),
                "plots": [{"code": plot.code, "area_mu": str(row.area_mu)}
                          for row, plot in services.rows_of(session, transfer)]})
    return {"village_code": village_code, "transfers": items}


@get("/api/v1/p/land/ledger", opt={"permission": "land.ledger"}, sync_to_thread=True)
def api_ledger(request: Req) -> dict[str, Any]:
    """The township ledger / county roll-up for the villages the caller oversees."""
    rows, totals, codes = _ledger(request)
    return {"villages": [{"village_code": c, "contracted_mu": str(totals[c].contracted),
                          "transferred_mu": str(totals[c].transferred), "share_percent": str(totals[c].share),
                          "transfers": totals[c].transfers, "registrable": totals[c].registrable,
                          "expiring": totals[c].expiring} for c in codes],
            "transfers": [{"village_code": r.village_code, "ref": r.ref, "form": r.form, "area_mu": str(r.area),
                           "start": r.start_on.isoformat(), "end": r.end_on.isoformat(), "registrable": r.registrable,
                           "expiring": r.expiring} for r in rows]}


ROUTES = [
    home, contract_page, create_contract, add_plot, save_geometry, add_power, new_transfer, create_transfer,
    transfer_page, post_transfer, release_transfer, file_transfer, cancel_transfer, terminate_transfer,
    consent_transfer, renew_transfer, pay_rent, print_contract, rent_page, disputes_page, open_dispute, dispute_page,
    add_step, close_dispute, import_page, import_upload, import_confirm, village_map, verify, ledger_page, ledger_xlsx,
    api_summary, api_transfers, api_ledger,
]
