"""Register pages for clerks and officials, the import and export, and the JSON API (the village-home slot is in
`registry/slots.py`).

Every handler declares its permission; the guard checks it against the village in the path, and every record loaded
by id is checked to belong to that village (another village's id is a 404). IDs and phones are masked unless the
actor holds `registry.view_personal`. The handlers live by job — `pages` (list, households, persons, groups),
`representatives`, `transfer` (import and export), `api` (JSON) — under one Router per address prefix; the queries
they run are in `cunwu.registry.queries`, what they share in `common`.
"""

from litestar.router import Router

from cunwu.registry.controllers import api, pages, representatives, transfer

ROUTES = [
    Router(path="/v/{village_code:str}/registry",
           route_handlers=[*pages.ROUTES, *representatives.ROUTES, *transfer.ROUTES]),
    Router(path="/api/v1/v/{village_code:str}/registry", route_handlers=api.ROUTES),
]
