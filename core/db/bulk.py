"""Bulk work in one process: imports and year closes that build hundreds of thousands of short-lived rows."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, any_, bindparam, func, literal_column, select
from sqlmodel import Session

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the block runs (nested and concurrent uses nest).

    Why: a bulk import keeps the whole file and its checked rows alive while it allocates a few objects per cell,
    so the collector's full passes walk that growing working set again and again without finding anything to free
    (the rows hold no reference cycles; reference counting frees them). Measured on the land import, 20,000 plots:
    ≈ 20 % of the import's CPU time (docs/performance.md, "Bulk writes, round 2"). Reference counting still frees
    everything as usual; only cycles wait until the block ends, when the collector's previous state is restored.
    """
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def among(session: Session, column: Any, values: list[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions `column IN values` for a whole file, one per check rather than one per row or per chunk: an array
    parameter on PostgreSQL, a JSON array read with `json_each` on SQLite (a list of thousands of parameters costs
    more to build, send, parse and plan than the lookup; SQLite also caps parameters per statement). Values other
    than text and integers fall back to lists of 900."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        yield column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    elif all(type(value) in (str, int) for value in values):
        yield column.in_(select(literal_column("value")).select_from(
            func.json_each(bindparam(None, json.dumps(values, ensure_ascii=False), type_=String()))))
    else:
        for start in range(0, len(values), 900):
            yield column.in_(values[start:start + 900])
