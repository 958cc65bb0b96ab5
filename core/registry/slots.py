"""What the register puts on the village home (the `page_slots` hook): its size and the representatives' names."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.clock import local_today
from cunwu.i18n import _
from cunwu.registry import queries
from cunwu.web.render import site_of


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot == "village_home" and village_code:
        return [_village_home(request, village_code)]
    return []


def _village_home(request: Request[Any, Any, Any], village_code: str) -> Markup:
    """Public facts for the village home: how many households and people, and the representatives' names."""
    site = site_of(request)
    with site.db.read() as session:
        households, persons = queries.village_size(session, village_code)
        names = queries.representative_names(session, village_code, local_today())
    template = site.templates.get_template("registry/_slot_village_home.html")
    return Markup(template.render(households=households, persons=persons, representatives=names,
                                  village_code=village_code, _=_))
