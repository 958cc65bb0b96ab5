"""What the coverage plugin puts on the county overview (the `page_slots` hook): the full-coverage rate by township,
for those who may see the county figures."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.api import actor_of, site_of


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot != "site_home" or village_code is not None:
        return []
    site = site_of(request)
    if not site.allowed_anywhere(actor_of(request), "coverage.county"):
        return []
    from .controllers import county_slot

    return [county_slot(request)]
