"""Coverage pages: the village clerk's desk (fill in what is not derived), household groups, the public village
summary, the township/county dashboard with its charts, print view and xlsx export, and the JSON API.

Handlers are thin: parse the form, call a service in one transaction, redirect. A refused change re-renders the
page with the message beside the field concerned and the typed values kept (status 400). County pages show only
the villages the reader may see (`site.villages_for(actor, "coverage.county")`).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from markupsafe import Markup
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cunwu.api import (
    Actor,
    Conflict,
    DomainError,
    NotFound,
    Problem,
    Site,
    _,
    actor_of,
    forms,
    local_today,
    precompressed,
    render,
    require,
    safe_rows,
    site_of,
)

from . import dashview, importer, rules, services
from .services import KIND_TITLES, SHORTFALLS, SOURCES, TYPE_TITLES, CoverageError

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sources(view: services.OrgView) -> str:
    """"成员、负责人：村民登记簿…; 会议：会议模块" — which facts come from where, for the page."""
    by_source: dict[str, list[str]] = {}
    labels = {"members": _("成员"), "leader": _("负责人"), "meetings": _("会议"), "founded_on": _("成立日期"),
              "present": _("是否建立")}
    for fact, source in view.sources.items():
        by_source.setdefault(str(SOURCES.get(source, source)), []).append(labels[fact])
    return "；".join(f"{'、'.join(facts)}：{source}" for source, facts in by_source.items())


# --- the village desk ------------------------------------------------------------------------------------------------

def _desk(request: Request[Any, Any, Any], village_code: str, error: DomainError | None = None,
          values: dict[str, Any] | None = None, form: str = "") -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        village = services.coverage(session, site, [village_code])[0]
        ids = [v.id for v in [*village.orgs.values(), *village.economic, *village.subareas] if v.id]
        meetings = services.meetings_of(session, ids)
    settings = services.settings_of(site)
    return render(request, "coverage/desk.html", {
        "cov": village, "meetings": meetings, "error": error, "errors": forms.problems(error), "values": values or {},
        "form": form, "kinds": KIND_TITLES, "types": TYPE_TITLES, "shortfalls": SHORTFALLS, "sources": _sources,
        "settings": settings,
        "manage": site.allowed(actor_of(request), "coverage.manage", village_code), "today": local_today()},
        status_code=400 if error else 200)


@get("/v/{village_code:str}/p/coverage/", opt={"permission": "coverage.view"}, sync_to_thread=True,
     name="coverage_desk")
def desk(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _desk(request, village_code)


def _change(request: Request[Any, Any, Any], village_code: str, data: dict[str, Any], action: Any, *,
            form: str, page: str = "", anchor: str = "") -> Response[Any]:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            action(session, site, require(request, "coverage.manage", village_code))
            services.refresh_village(session, site, village_code)
    except DomainError as error:
        if error.status_code == 404:
            raise
        if page == "groups":
            return _groups(request, village_code, error, data, form)
        return _desk(request, village_code, error, data, form)
    return Redirect(f"/v/{village_code}/p/coverage/{page}{anchor}", status_code=303)


@post("/v/{village_code:str}/p/coverage/organisations", opt={"permission": "coverage.manage"}, sync_to_thread=True)
def save_organisation(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    kind = data.get("kind", "")

    def action(session: Session, site: Site, actor: Actor) -> None:
        check = forms.Checks()  # the date and both counts at once, each beside its field
        org_id = check(forms.integer, data.get("org_id"), "org_id", _("组织"), required=False)
        founded_on = check(forms.date, data.get("founded_on"), "founded_on", _("成立日期"), required=False)
        members = check(forms.integer, data.get("members"), "members", _("成员人数"), required=False, minimum=0)
        meetings = check(forms.integer, data.get("meetings_declared"), "meetings_declared", _("近 12 个月会议次数"),
                         required=False, minimum=0)
        check.done(CoverageError)
        services.save_organisation(
            session, site, actor, village_code, kind, org_id=org_id, name=data.get("name", ""),
            founded_on=founded_on, members=members, leader=data.get("leader", ""), meetings_declared=meetings)

    return _change(request, village_code, data, action, form=f"org-{data.get('org_id') or kind}", anchor=f"#{kind}")


@post("/v/{village_code:str}/p/coverage/organisations/{org_id:int}/meetings",
      opt={"permission": "coverage.manage"}, sync_to_thread=True)
def add_meeting(request: Request[Any, Any, Any], village_code: str, org_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        org = services.get_organisation(session, village_code, org_id)
        held_on = forms.date(data.get("held_on"), "held_on", _("会议日期"))
        services.record_meeting(session, site, actor, org, held_on,  # type: ignore[arg-type]
                                data.get("title", ""))

    return _change(request, village_code, data, action, form=f"meeting-{org_id}", anchor=f"#org-{org_id}")


@post("/v/{village_code:str}/p/coverage/organisations/{org_id:int}/dissolve",
      opt={"permission": "coverage.manage"}, sync_to_thread=True)
def dissolve(request: Request[Any, Any, Any], village_code: str, org_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        org = services.get_organisation(session, village_code, org_id)
        check = forms.Checks()  # the day and the reason at once, each beside its field
        dissolved_on = check(forms.date, data.get("dissolved_on"), "dissolved_on", _("撤销日期"))
        if not data.get("dissolve_reason", "").strip():
            check.add(_("请填写撤销原因"), "dissolve_reason")
        check.done(CoverageError)
        services.dissolve_organisation(session, site, actor, org, dissolved_on,  # type: ignore[arg-type]
                                       data.get("dissolve_reason", ""))

    return _change(request, village_code, data, action, form=f"dissolve-{org_id}")


# --- household groups ------------------------------------------------------------------------------------------------

def _groups(request: Request[Any, Any, Any], village_code: str, error: DomainError | None = None,
            values: dict[str, Any] | None = None, form: str = "", result: Any = None, written: int | None = None,
            ) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        views, unassigned = services.group_views(session, site, village_code)
    settings = services.settings_of(site)
    return render(request, "coverage/groups.html", {
        "views": views, "unassigned": unassigned, "error": error, "errors": forms.problems(error),
        "values": values or {}, "form": form, "settings": settings, "result": result, "written": written,
        "manage": site.allowed(actor_of(request), "coverage.manage", village_code)},
        status_code=400 if error or (result is not None and not result.ok) else 200)


@get("/v/{village_code:str}/p/coverage/groups", opt={"permission": "coverage.view"}, sync_to_thread=True)
def groups(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _groups(request, village_code)


@post("/v/{village_code:str}/p/coverage/groups/new", opt={"permission": "coverage.manage"}, sync_to_thread=True)
def new_group(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        number = forms.integer(data.get("number"), "number", _("小组编号"), required=False)
        if number is None:
            raise CoverageError(_("请填写小组编号"), [Problem(_("请填写小组编号"), field="number")])
        services.create_group(session, site, actor, village_code, number, data.get("name", ""))

    return _change(request, village_code, data, action, form="new", page="groups")


@post("/v/{village_code:str}/p/coverage/groups/assign", opt={"permission": "coverage.manage"}, sync_to_thread=True)
def assign(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    """The assignment form: one select per household (`h_<household id>` = group id; empty = leave as is)."""
    def action(session: Session, site: Site, actor: Actor) -> None:
        check = forms.Checks()  # every unreadable choice at once, each beside its household
        placements, unreadable = {}, []
        for key, value in data.items():
            if key.startswith("h_") and str(value).strip():
                household, group = key[2:], str(value).strip()
                if (household + group).isascii() and household.isdigit() and group.isdigit():
                    placements[int(household)] = int(group)
                else:
                    unreadable.append(key)
        if unreadable:  # beside the household's choice when the page lists it, else (a forged key) on top only
            views, unassigned = services.group_views(session, site, village_code)
            listed = {f"h_{h.household.id}" for h in [*unassigned, *(h for v in views for h in v.households)]}
            for key in unreadable:
                check.add(_("分组选择无效"), key if key in listed else None)
        check.done(CoverageError)
        services.assign(session, site, actor, village_code, placements)

    return _change(request, village_code, data, action, form="assign", page="groups")


@post("/v/{village_code:str}/p/coverage/groups/{group_id:int}/leader", opt={"permission": "coverage.manage"},
      sync_to_thread=True)
def leader(request: Request[Any, Any, Any], village_code: str, group_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        person_id = forms.integer(data.get("person_id"), "person_id", _("组长"), required=False)
        if person_id is None:
            raise CoverageError(_("请选择组长"), [Problem(_("请选择组长"), field="leader")])
        services.set_leader(session, site, actor, services.get_group(session, village_code, group_id), person_id)

    return _change(request, village_code, data, action, form=f"leader-{group_id}", page="groups")


@post("/v/{village_code:str}/p/coverage/groups/import", opt={"permission": "coverage.manage"})
async def import_groups(request: Request[Any, Any, Any], village_code: str, data: Multipart) -> Response[Any]:
    """Upload a file: a dry run shown on the page; `commit=1` (the preview's button) writes it in one transaction."""
    import anyio

    upload = data.get("file")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    commit = str(data.get("commit", "")) == "1"
    return await anyio.to_thread.run_sync(lambda: _import(request, village_code, content, filename, commit))


def _import(request: Request[Any, Any, Any], village_code: str, content: bytes, filename: str,
            commit: bool) -> Response[Any]:
    site = site_of(request)
    try:
        if not content:
            message = _("请选择要导入的 xlsx 或 csv 文件")
            raise CoverageError(message, [Problem(message, field="file")])
        with site.db.transaction() as session:
            actor = require(request, "coverage.manage", village_code)
            result = importer.preview(session, site, village_code, content, filename)
            written = importer.commit(session, site, actor, village_code, result) if commit and result.ok else None
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _groups(request, village_code, error, {}, "import")
    return _groups(request, village_code, result=result, written=written, form="import",
                   values={"filename": filename})


@get("/v/{village_code:str}/p/coverage/groups.xlsx", opt={"permission": "coverage.view"}, sync_to_thread=True)
def export_groups(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    site = site_of(request)
    with site.db.read() as session:
        content = importer.export(session, site, village_code)
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f'attachment; filename="household-groups-{village_code}.xlsx"'})


# --- public village summary -----------------------------------------------------------------------------------

@get("/v/{village_code:str}/p/coverage/summary", opt={"public": True}, sync_to_thread=True, name="coverage_summary")
def summary(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        village = services.coverage(session, site, [village_code])[0]
    return render(request, "coverage/summary.html", {"cov": village, "types": TYPE_TITLES, "kinds": KIND_TITLES})


# --- township and county --------------------------------------------------------------------------------------

def _county(request: Request[Any, Any, Any], *, reasons: bool = False,
            ) -> tuple[services.Overview, list[tuple[dt.date, rules.Rate]]]:
    """The figures of the dashboard's print view, its export, its JSON and the county overview's card, for the
    villages the reader may see; the reasons each village misses a type only when asked."""
    site = site_of(request)
    codes = site.villages_for(actor_of(request), "coverage.county")
    with site.db.read() as session:  # a read: villages the month's snapshot lacks are measured, not stored
        if reasons:
            return services.overview(session, site, codes, reasons=True), services.trend(session, codes)
        return services.dashboard(session, site, codes)


def _page(request: Request[Any, Any, Any], drawn: dashview.Drawn, *, print_view: bool) -> Response[Any]:
    """The dashboard page around its data part: the part spliced in compressed (kept or drawn), the snapshot
    button (with the visitor's CSRF token) on the page while the month's snapshot lacks villages."""
    may_snapshot = bool(drawn.unsnapshotted) and site_of(request).allowed_anywhere(  # not one question per village
        actor_of(request), "coverage.snapshot")
    page = render(request, "coverage/county.html", {
        "data": Markup(precompressed.MARKER), "as_of": drawn.as_of, "villages": drawn.villages,
        "unsnapshotted": drawn.unsnapshotted, "may_snapshot": may_snapshot, "print": print_view})
    return precompressed.spliced(page, drawn.part, request)


@get("/p/coverage/", opt={"permission": "coverage.county", precompressed.OPT_KEY: True}, sync_to_thread=True,
     name="coverage_county")
def county(request: Request[Any, Any, Any]) -> Response[Any]:
    """The dashboard: its figures kept per process under the rows they are summed from (dashview)."""
    site = site_of(request)
    return _page(request, dashview.dashboard(site, site.villages_for(actor_of(request), "coverage.county")),
                 print_view=False)


@get("/p/coverage/print", opt={"permission": "coverage.county", precompressed.OPT_KEY: True}, sync_to_thread=True)
def county_print(request: Request[Any, Any, Any]) -> Response[Any]:
    """The A4 view: paper cannot follow a link, so each type's missing villages are listed with their reasons."""
    return _page(request, dashview.draw(site_of(request), *_county(request, reasons=True), print_view=True),
                 print_view=True)


@get("/p/coverage/missing/{kind:str}", opt={"permission": "coverage.county"}, sync_to_thread=True,
     name="coverage_missing")
def county_missing(request: Request[Any, Any, Any], kind: str) -> Response[str]:
    """The villages (of those the reader may see) that miss one type, each with why and a link to its page."""
    if kind not in rules.TYPES:
        raise NotFound(_("没有这类组织"))
    site = site_of(request)
    codes = site.villages_for(actor_of(request), "coverage.county")
    with site.db.read() as session:
        found = services.overview(session, site, codes)
    return render(request, "coverage/missing.html", {"overview": found, "kind": kind, "types": TYPE_TITLES})


@post("/p/coverage/snapshot", opt={"permission": "coverage.snapshot"}, sync_to_thread=True)
def snapshot(request: Request[Any, Any, Any]) -> Response[Any]:
    """Take this month's snapshot now (what the monthly `cunwu coverage snapshot` cron does), for the villages the
    actor may snapshot; a dashboard visit never writes it."""
    def change(session: Session, site: Site, actor: Actor) -> None:
        try:
            services.take_snapshot(session, site, None, site.villages_for(actor, "coverage.snapshot"))
        except IntegrityError:  # the cron or another officer stored the same rows at the same moment
            raise Conflict(_("本月快照正由他人生成，请稍后刷新页面")) from None

    return forms.run(request, change, then="/p/coverage/#as-of")


@get("/p/coverage/report.xlsx", opt={"permission": "coverage.county"}, sync_to_thread=True)
def county_export(request: Request[Any, Any, Any]) -> Response[bytes]:
    """The dashboard's tables as a workbook: rates by township, the trend by month, every village."""
    from openpyxl import Workbook

    found, months = _county(request, reasons=True)
    titles = [str(TYPE_TITLES[k]) for k in (*rules.TYPES, "all")]
    book = Workbook()
    sheet = book.active
    sheet.title = _("乡镇覆盖率")
    rows: list[list[Any]] = [[_("乡镇"), _("村数"), *[f"{t} %" for t in titles]]]
    for name, rate in found.townships.items():
        rows.append([name, rate.villages, *[float(rules.percent(rate.share(k))) for k in (*rules.TYPES, "all")]])
    rows.append([_("合计"), found.county.villages,
                 *[float(rules.percent(found.county.share(k))) for k in (*rules.TYPES, "all")]])
    for row in safe_rows(rows):
        sheet.append(row)
    trend = book.create_sheet(_("逐月变化"))
    for row in safe_rows([[_("月份"), *[f"{t} %" for t in titles]]] + [
            [m.strftime("%Y-%m"), *[float(rules.percent(rate.share(k))) for k in (*rules.TYPES, "all")]]
            for m, rate in months]):
        trend.append(row)
    villages = book.create_sheet(_("各村情况"))
    see_village = _("原因见该村页面")
    for row in safe_rows([[_("乡镇"), _("村"), *titles, _("成年村民"), _("参加组织的成年村民"),
                           *[_("%(type)s：未覆盖的原因", type=TYPE_TITLES[k]) for k in rules.TYPES]]] + [
            [v.township, v.name, *[_("是") if v.types[k] else _("否") for k in rules.TYPES],
             _("是") if v.all_four else _("否"), v.adults, v.enrolled,
             *["" if v.types[k] else v.whys.get(k) or see_village for k in rules.TYPES]] for v in found.villages]):
        villages.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="coverage-report.xlsx"'})


def county_slot(request: Request[Any, Any, Any]) -> Markup:
    """The county overview's card: the bar chart of full coverage by township and a link to the dashboard."""
    context = dashview.figures(*_county(request))
    template = site_of(request).templates.get_template("coverage/_slot_site_home.html")
    return Markup(template.render(**context, charts=dashview.charts_of(context)))


# --- JSON API ------------------------------------------------------------------------------------------------------

def _rate_json(rate: rules.Rate) -> dict[str, Any]:
    return {"villages": rate.villages, "covered": dict(rate.covered),
            "percent": {k: str(rules.percent(rate.share(k))) for k in rate.covered}}


@get("/api/v1/p/coverage/rates", opt={"permission": "coverage.county"}, sync_to_thread=True)
def api_rates(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Coverage rates of the townships and the county (the villages the caller may see), the monthly trend, and each
    village's line with why it misses each type it misses (in words, not codes)."""
    found, months = _county(request, reasons=True)
    return {"county": _rate_json(found.county),
            "townships": {name: _rate_json(rate) for name, rate in found.townships.items()},
            "trend": [{"month": m.strftime("%Y-%m"), **_rate_json(rate)} for m, rate in months],
            "villages": [{"code": v.code, "name": v.name, "township": v.township, "types": v.types,
                          "all_four": v.all_four, "adults": v.adults, "enrolled": v.enrolled,
                          "reasons": _reasons_json(v)} for v in found.villages]}


def _reasons_json(village: services.VillageRates) -> dict[str, list[str]] | None:
    """Why the village misses each type it misses, in the caller's language ("村党组织：未建立"); None when its
    row was stored before reasons were kept."""
    if village.reasons is None:
        return None
    return {kind: services.describe(village.reasons.get(kind, [])) for kind in rules.TYPES if not village.types[kind]}


@get("/api/v1/p/coverage/villages/{village_code:str}", opt={"public": True}, sync_to_thread=True)
def api_village(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    """A village's four organisations as on its public summary: each type covered or not, each organisation's
    facts (no person beyond the office holders' names)."""
    site = site_of(request)
    with site.db.read() as session:
        village = services.coverage(session, site, [village_code])[0]

    def org(view: services.OrgView) -> dict[str, Any]:
        return {"kind": view.kind, "name": view.name, "present": view.present, "covers": view.covers,
                "founded_on": view.founded_on.isoformat() if view.founded_on else None, "members": view.members,
                "meetings_last_12_months": view.meetings, "leader": view.leader, "shortfalls": view.shortfalls,
                "sources": view.sources}

    return {"code": village.code, "name": village.name, "township": village.township, "types": village.types,
            "all_four": village.all_four, "organisations": [org(v) for v in village.orgs.values()],
            "economic": [org(v) for v in village.economic], "work_subareas": [org(v) for v in village.subareas],
            "household_groups": {"households": village.groups.households, "assigned": village.groups.assigned,
                                 "groups": village.groups.groups, "without_leader": village.groups.without_leader,
                                 "size_outside_range": village.groups.wrong_size}}


ROUTES = [desk, save_organisation, add_meeting, dissolve, groups, new_group, assign, leader, import_groups,
          export_groups, summary, county, county_print, county_missing, snapshot, county_export, api_rates, api_village]
