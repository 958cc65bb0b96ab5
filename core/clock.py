"""The one clock. Dates people see (windows, deadlines, "today", register changes) are China dates.

Use `local_today()` / `local_now()` for anything a person reads as a date or time and `utcnow()` for stored
timestamps; never `datetime.date.today()` (that is the server's clock: on a UTC server a change made between
00:00 and 08:00 China time would be dated the day before). Tests move the clock with `frozen_clock`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_FROZEN: ContextVar[dt.datetime | None] = ContextVar("cunwu_frozen_clock", default=None)


def utcnow() -> dt.datetime:
    """Now, timezone-aware UTC (what is stored)."""
    frozen = _FROZEN.get()
    return frozen.astimezone(dt.UTC) if frozen is not None else dt.datetime.now(dt.UTC)


def local_now() -> dt.datetime:
    """Now in China (Asia/Shanghai), timezone-aware."""
    return utcnow().astimezone(LOCAL_TZ)


def local_today() -> dt.date:
    """Today's date in China."""
    return local_now().date()


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day in China of an aware datetime."""
    return moment.astimezone(LOCAL_TZ).date()


@contextmanager
def frozen_clock(moment: dt.datetime) -> Iterator[None]:
    """Run a block as if it were `moment` (an aware datetime) — for tests and for building demo history."""
    if moment.tzinfo is None:
        raise ValueError("frozen_clock needs a timezone-aware datetime")
    token = _FROZEN.set(moment)
    try:
        yield
    finally:
        _FROZEN.reset(token)
