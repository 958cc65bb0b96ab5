"""How many meetings a village body held: closed meetings by kind and day, for reports that count them (the
coverage plugin's "meetings in the last 12 months")."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlmodel import Session, col, select

from cunwu.clock import local_date
from cunwu.meetings.models import Meeting


def meetings_held(session: Session, village_codes: Iterable[str], kinds: Iterable[str], since: dt.date,
                  until: dt.date) -> dict[tuple[str, str], list[dt.date]]:
    """Days of the closed meetings of `kinds` held from `since` to `until` (both included, China's calendar day),
    by (village code, kind); one query for any number of villages."""
    codes, wanted = list(village_codes), list(kinds)
    start = dt.datetime.combine(since - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(until + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    found: dict[tuple[str, str], list[dt.date]] = defaultdict(list)
    if not codes or not wanted:
        return found
    rows = session.exec(select(Meeting.village_code, Meeting.kind, Meeting.starts_at).where(
        col(Meeting.village_code).in_(codes), col(Meeting.kind).in_(wanted), Meeting.status == "closed",
        Meeting.starts_at >= start, Meeting.starts_at < end)).all()
    for village_code, kind, starts_at in rows:
        day = local_date(starts_at)
        if since <= day <= until:
            found[(village_code, kind)].append(day)
    for days in found.values():
        days.sort()
    return found
