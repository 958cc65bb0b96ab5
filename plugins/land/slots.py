"""What the land plugin puts on the village dashboard (the `page_slots` hook): transfers waiting for a step, for
those who may see them."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup
from sqlmodel import col, select

from cunwu.api import actor_of, local_today, site_of

from . import services
from .models import Transfer


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot != "village_dashboard" or village_code is None:
        return []
    site = site_of(request)
    actor = actor_of(request)
    if actor is None or not site.allowed(actor, "land.view", village_code):
        return []
    today = local_today()
    with site.db.read() as session:
        waiting = session.exec(select(Transfer).where(
            Transfer.village_code == village_code,
            col(Transfer.status).in_(("pending", "posting", "held", "ready")))).all()
    counts: dict[str, int] = {}
    for transfer in waiting:
        state = services.effective_status(transfer, today)
        counts[state] = counts.get(state, 0) + 1
    template = site.templates.get_template("land/_slot_village_dashboard.html")
    return [Markup(template.render(counts=counts, village_code=village_code, status_label=services.status_label))]
