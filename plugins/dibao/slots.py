"""What the 低保 plugin puts on the village dashboard (the `page_slots` hook): the cases in progress and this
month's recipients, for 低保 viewers."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.api import actor_of, site_of

from . import services

_SHOWN = ("applied", "proposed", "posting", "democratic_review", "enrolled")


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot != "village_dashboard" or village_code is None:
        return []
    site = site_of(request)
    actor = actor_of(request)
    if actor is None or not site.allowed(actor, "dibao.view", village_code):
        return []
    with site.db.read() as session:
        found = services.cases(session, village_code, _SHOWN)
    counts = {status: sum(1 for c in found if c.status == status) for status in _SHOWN}
    template = site.templates.get_template("dibao/_slot_village_dashboard.html")
    return [Markup(template.render(counts=counts, village_code=village_code, status_label=services.status_label))]
