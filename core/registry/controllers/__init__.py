"""Register pages for clerks and officials, the import and export, the JSON API and the public village-home slot.

Every handler declares its permission; the guard checks it against the village in the path, and every record loaded
by id is checked to belong to that village (another village's id is a 404). IDs and phones are masked unless the
actor holds `registry.view_personal`. The handlers live by job — `pages` (list, households, persons, groups),
`representatives`, `transfer` (import and export), `api` (JSON) — under one Router per address prefix; the queries
they run are in `cunwu.registry.queries`, what they share in `common`.
"""

from typing import Any

from litestar import Request
from litestar.router import Router
from markupsafe import Markup

from cunwu.clock import local_today
from cunwu.i18n import _
from cunwu.registry import queries
from cunwu.registry.controllers import api, pages, representatives, transfer
from cunwu.web.render import site_of


def village_home_slot(request: Request[Any, Any, Any], village_code: str) -> Markup:
    """Public facts for the village home: how many households and people, and the representatives' names."""
    site = site_of(request)
    today = local_today()
    with site.db.read() as session:
        households = queries.open_household_count(session, village_code)
        persons = queries.resident_count(session, village_code)
        names = queries.representative_names(session, village_code, today)
    template = site.templates.get_template("registry/_home_slot.html")
    return Markup(template.render(households=households, persons=persons, representatives=names,
                                  village_code=village_code, _=_))


ROUTES = [
    Router(path="/v/{village_code:str}/registry",
           route_handlers=[*pages.ROUTES, *representatives.ROUTES, *transfer.ROUTES]),
    Router(path="/api/v1/v/{village_code:str}/registry", route_handlers=api.ROUTES),
]
