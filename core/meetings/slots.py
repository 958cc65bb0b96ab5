"""What the meetings area puts on the village home (the `page_slots` hook): the upcoming meetings."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from litestar import Request
from markupsafe import Markup
from sqlalchemy import bindparam, or_
from sqlmodel import col, select

from cunwu.clock import LOCAL_TZ, local_today
from cunwu.meetings import services
from cunwu.meetings.models import Meeting
from cunwu.web.render import actor_of, base_context, site_of


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot == "village_home" and village_code:
        return [_upcoming(request, village_code)]
    return []


@functools.cache
def _upcoming_statement(full: bool) -> Any:
    """The next five open meetings of a village (only the public kinds unless `full`), built once: the village home
    is public and often viewed. Only the columns the slot shows, as plain rows: a whole `Meeting` is 32 columns, its
    JSON ones decoded, for each of the five."""
    query = select(col(Meeting.id), Meeting.village_code, Meeting.title, Meeting.location, Meeting.starts_at).where(
        Meeting.village_code == bindparam("village"), Meeting.status != "closed",
        Meeting.starts_at >= bindparam("since"))
    if not full:
        # Equalities, not `in_`: an `IN` list is an expanding parameter, rendered into the SQL again on every run.
        query = query.where(or_(*(Meeting.kind == kind.value for kind in services.PUBLIC_KINDS)))
    return query.order_by(col(Meeting.starts_at)).limit(5)


def _upcoming(request: Request[Any, Any, Any], village_code: str) -> Markup:
    """Upcoming meetings on the village home: the publicly announced ones for everyone, all for `meetings.view`."""
    site = site_of(request)
    full = site.allowed(actor_of(request), "meetings.view", village_code)
    since = dt.datetime.combine(local_today(), dt.time(), tzinfo=LOCAL_TZ)
    with site.db.read() as session:
        rows = session.exec(_upcoming_statement(full), params={"village": village_code, "since": since}).all()  # type: ignore[call-overload]
    context = {**base_context(request, village_code), "shanghai": LOCAL_TZ, "upcoming": rows, "full": full}
    return Markup(site.templates.get_template("meetings/_slot_village_home.html").render(context))
