"""Pages of 网格化管理: the village's grids (`/v/{village_code}/p/wangge/`), one grid with its households, visits and
incidents, the small form endpoints, and the public summary. Every route declares its permission; form errors come
back on the page they came from (status 400), beside their fields, with what was typed kept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.api import Actor, DomainError, Site, actor_of, forms, local_today, mask, registry, render, site_of

from . import services
from .models import STATUSES, Grid, Incident

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
AnyRequest = Request[Any, Any, Any]


def _village_page(request: AnyRequest, village_code: str, form: dict[str, str] | None = None,
                  error: DomainError | None = None) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        rows = services.overview(session, village_code)
    return render(request, "wangge/village.html", {
        "rows": rows, "size": services.settings_of(site).households_per_grid, "error": error,
        "can_manage": site.allowed(actor_of(request), "wangge.manage", village_code),
    }, status_code=400 if error else 200)


@get("/v/{village_code:str}/p/wangge/", opt={"permission": "wangge.view"}, sync_to_thread=True)
def village(request: AnyRequest, village_code: str) -> Response[str]:
    return _village_page(request, village_code)


@post("/v/{village_code:str}/p/wangge/divide", opt={"permission": "wangge.manage"}, sync_to_thread=True)
def divide(request: AnyRequest, village_code: str) -> Response[str] | Redirect:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            services.divide(session, site, actor_of(request), village_code)
    except DomainError as error:
        return _village_page(request, village_code, error=error)
    return Redirect(f"/v/{village_code}/p/wangge/", status_code=303)


def _grid_page(request: AnyRequest, village_code: str, grid_id: int, form: dict[str, str] | None = None,
               error: DomainError | None = None) -> Response[str]:
    site = site_of(request)
    actor = actor_of(request)
    with site.db.read() as session:
        grid = services.grid_of(session, village_code, grid_id)
        row = next(r for r in services.overview(session, village_code) if r.grid.id == grid.id)
        candidates = [(p.id, f"{p.name}（{mask(p.resident_id)}）") for p in registry.adults(session, village_code)]
        context = {
            "grid": grid, "row": row, "households": services.grid_households(session, grid),
            "visits": services.recent_visits(session, grid), "incidents": services.incidents(session, grid),
            "categories": services.settings_of(site).categories, "statuses": STATUSES, "candidates": candidates,
            "form": form or {}, "error": error, "errors": forms.problems(error), "today": local_today().isoformat(),
            "can_manage": site.allowed(actor, "wangge.manage", village_code),
            "can_visit": site.allowed(actor, "wangge.visit", village_code),
        }
    return render(request, "wangge/grid.html", context, status_code=400 if error else 200)


@get("/v/{village_code:str}/p/wangge/grids/{grid_id:int}", opt={"permission": "wangge.view"}, sync_to_thread=True)
def grid(request: AnyRequest, village_code: str, grid_id: int) -> Response[str]:
    return _grid_page(request, village_code, grid_id)


def _grid_action(request: AnyRequest, village_code: str, grid_id: int, data: dict[str, str],
                 action: Callable[[Session, Site, Actor, Grid, dict[str, str]], object]) -> Response[str] | Redirect:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            action(session, site, actor_of(request), services.grid_of(session, village_code, grid_id), data)
    except DomainError as error:
        if error.status_code == 404:
            raise
        return _grid_page(request, village_code, grid_id, data, error)
    return Redirect(f"/v/{village_code}/p/wangge/grids/{grid_id}", status_code=303)


@post("/v/{village_code:str}/p/wangge/grids/{grid_id:int}/workers", opt={"permission": "wangge.manage"},
      sync_to_thread=True)
def appoint(request: AnyRequest, village_code: str, grid_id: int, data: Form) -> Response[str] | Redirect:
    return _grid_action(request, village_code, grid_id, data, services.appoint)


@post("/v/{village_code:str}/p/wangge/grids/{grid_id:int}/visits", opt={"permission": "wangge.visit"},
      sync_to_thread=True)
def visit(request: AnyRequest, village_code: str, grid_id: int, data: Form) -> Response[str] | Redirect:
    return _grid_action(request, village_code, grid_id, data, services.record_visit)


@post("/v/{village_code:str}/p/wangge/grids/{grid_id:int}/incidents", opt={"permission": "wangge.visit"},
      sync_to_thread=True)
def report(request: AnyRequest, village_code: str, grid_id: int, data: Form) -> Response[str] | Redirect:
    return _grid_action(request, village_code, grid_id, data, services.report)


def _incident_action(request: AnyRequest, village_code: str, incident_id: int, data: dict[str, str],
                     action: Callable[[Session, Site, Actor, Incident, dict[str, str]], object],
                     ) -> Response[str] | Redirect:
    site = site_of(request)
    with site.db.read() as session:
        grid_id = services.incident_of(session, village_code, incident_id).grid_id
    try:
        with site.db.transaction() as session:
            incident = services.incident_of(session, village_code, incident_id, lock=True)
            action(session, site, actor_of(request), incident, data)
    except DomainError as error:  # shown beside the form of this incident only
        return _grid_page(request, village_code, grid_id, {**data, "incident_id": str(incident_id)}, error)
    return Redirect(f"/v/{village_code}/p/wangge/grids/{grid_id}#incident-{incident_id}", status_code=303)


@post("/v/{village_code:str}/p/wangge/incidents/{incident_id:int}/handle", opt={"permission": "wangge.visit"},
      sync_to_thread=True)
def handle(request: AnyRequest, village_code: str, incident_id: int, data: Form) -> Response[str] | Redirect:
    return _incident_action(request, village_code, incident_id, data, services.handle)


@post("/v/{village_code:str}/p/wangge/incidents/{incident_id:int}/close", opt={"permission": "wangge.manage"},
      sync_to_thread=True)
def close(request: AnyRequest, village_code: str, incident_id: int) -> Response[str] | Redirect:
    return _incident_action(request, village_code, incident_id, {},
                            lambda session, site, actor, incident, _data: services.close(session, site, actor,
                                                                                         incident))


@get("/v/{village_code:str}/p/wangge/summary", opt={"public": True}, sync_to_thread=True)
def summary(request: AnyRequest, village_code: str) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        figures = services.summary(session, site, village_code)
    return render(request, "wangge/summary.html", {"summary": figures,
                                                   "minimum": services.settings_of(site).public_minimum})


ROUTES = [village, divide, grid, appoint, visit, report, handle, close, summary]
