"""`cunwu audit verify --records`: does each audited record's current row still say what its last entry says?

The chain proves what was *recorded*; a direct edit of a business row (a notice body, a payment amount, an account
number) leaves the chain intact. Here every record named in the chain is loaded and each column its newest entry's
`after` holds is compared with the row as it is now. The first difference is named: table, id, column, entry.
Records written by a batch entry (`service.insert_batch`) are compared with their line of the batch (`audit_row`,
whose hash `verify_chain` checks) unless a newer entry of their own records them.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, func, select
from sqlalchemy.types import LargeBinary
from sqlmodel import Session, SQLModel

from cunwu.audit.models import AuditEntry, AuditRow
from cunwu.audit.services import batch_lines, canonical, is_batch

if TYPE_CHECKING:
    from cunwu.runtime import Site


@dataclass(frozen=True)
class RecordProblem:
    object_type: str
    object_id: str
    entry_id: int
    column: str | None  # None: the row itself is gone
    recorded: Any = None
    current: Any = None

    def describe(self) -> str:
        if self.column is None:
            return (f"{self.object_type} #{self.object_id}: the row is gone, but audit entry {self.entry_id} "
                    "records it (deleted outside the audit service)")
        return (f"{self.object_type} #{self.object_id}: column {self.column} is {self.current!r}, but its last audit "
                f"entry {self.entry_id} recorded {self.recorded!r} (changed outside the audit service)")


def _same(recorded: Any, current: Any) -> bool:
    """Equal as values (a NUMERIC comes back as 12.50 where 12.5 was recorded; times in another offset)."""
    if recorded == current:
        return True
    if isinstance(recorded, str) and isinstance(current, str):
        try:
            return decimal.Decimal(recorded) == decimal.Decimal(current)
        except decimal.InvalidOperation:
            pass
        try:
            return dt.datetime.fromisoformat(recorded) == dt.datetime.fromisoformat(current)
        except ValueError:
            return False
    numbers = (int, float, str)
    if isinstance(recorded, numbers) and isinstance(current, numbers) and not isinstance(recorded, bool) \
            and not isinstance(current, bool):
        try:
            return decimal.Decimal(str(recorded)) == decimal.Decimal(str(current))
        except decimal.InvalidOperation:
            return False
    return False


def _latest_entries(session: Session, batch: int) -> Iterator[list[AuditEntry]]:
    """The newest entry of every audited object, in batches, ordered by table and entry."""
    newest = (select(func.max(AuditEntry.id).label("id"))
              .group_by(AuditEntry.object_type, AuditEntry.object_id).subquery())
    last_id = 0
    while True:
        entries = list(session.scalars(
            select(AuditEntry).join(newest, newest.c.id == AuditEntry.id)
            .where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)))  # type: ignore[arg-type,operator]
        if not entries:
            return
        last_id = int(entries[-1].id)  # type: ignore[arg-type]
        yield entries


@dataclass(frozen=True)
class _BatchRow:
    """One record of a batch entry, in the shape `_check_table` reads an entry."""

    id: int  # the batch entry's
    object_type: str
    object_id: str
    after: dict[str, Any]


def _check_table(session: Session, table: Table, entries: list[Any]) -> RecordProblem | None:
    ids = []
    for entry in entries:
        try:
            ids.append(int(entry.object_id))
        except ValueError:
            continue
    rows = {row["id"]: row for row in session.execute(select(table).where(table.c.id.in_(ids))).mappings()}
    for entry in entries:
        if entry.after is None or not entry.object_id.isdigit():
            continue  # a removal, or an object that is not a row
        row = rows.get(int(entry.object_id))
        if row is None:
            return RecordProblem(entry.object_type, entry.object_id, int(entry.id), None)  # type: ignore[arg-type]
        for key, recorded in entry.after.items():
            column = table.c.get(key)
            if column is None or isinstance(column.type, LargeBinary):
                continue
            current = canonical(row[key])
            if not _same(recorded, current):
                return RecordProblem(entry.object_type, entry.object_id, int(entry.id), key,  # type: ignore[arg-type]
                                     recorded, current)
    return None


def verify_records(session: Session, *, batch: int = 2000,
                   progress: Callable[[int], None] | None = None) -> tuple[int, RecordProblem | None]:
    """Compare every audited record with its newest entry. Returns (records checked, the first problem or None).

    Entries whose object type is not a table with an integer `id` (attachments removed, settings, and the like)
    are skipped; so are columns the entry does not hold.
    """
    tables = SQLModel.metadata.tables
    checked = 0
    for entries in _latest_entries(session, batch):
        by_type: dict[str, list[AuditEntry]] = {}
        for entry in entries:
            if not is_batch(entry):  # its rows are compared below
                by_type.setdefault(entry.object_type, []).append(entry)
        first: RecordProblem | None = None
        for object_type, group in by_type.items():
            table = tables.get(object_type)
            if table is None or "id" not in table.c:
                continue
            problem = _check_table(session, table, group)
            if problem is not None and (first is None or problem.entry_id < first.entry_id):
                first = problem
            checked += len(group)
        if first is not None:
            return checked, first
        session.expunge_all()
        if progress:
            progress(len(entries))
    batch_checked, problem = _verify_batch_rows(session, min(batch, 900), progress)
    return checked + batch_checked, problem


#: How many `audit_row` chunks `verify_records` reads at a time (up to 5 × `ROWS_PER_CHUNK` records).
_CHUNKS_AT_ONCE = 5


def _verify_batch_rows(session: Session, batch: int,
                       progress: Callable[[int], None] | None) -> tuple[int, RecordProblem | None]:
    """Compare each record written by a batch entry with its row of the batch, unless a newer entry records it.

    The records of a few chunks are compared `batch` at a time, which stays under SQLite's 999 parameters: the
    newer entries are looked up by a list of object ids.
    """
    tables = SQLModel.metadata.tables
    checked = 0
    batches = list(session.scalars(select(AuditEntry).where(
        AuditEntry.id.in_(select(AuditRow.entry_id).distinct())).order_by(AuditEntry.id)))  # type: ignore[union-attr,arg-type]
    for entry in batches:
        table = tables.get(entry.object_type)
        if table is None or "id" not in table.c:
            continue
        last = -1
        while True:
            chunks = session.execute(select(AuditRow.object_id, AuditRow.after).where(
                AuditRow.entry_id == entry.id, AuditRow.object_id > last)  # type: ignore[arg-type,operator]
                .order_by(AuditRow.object_id).limit(_CHUNKS_AT_ONCE)).all()  # type: ignore[arg-type]
            if not chunks:
                break
            last = chunks[-1][0]
            rows = [row for _first, chunk in chunks for row in batch_lines(chunk)]
            for start in range(0, len(rows), batch):
                part = rows[start:start + batch]
                newer = set(session.scalars(select(AuditEntry.object_id).where(
                    AuditEntry.object_type == entry.object_type, AuditEntry.id > entry.id,  # type: ignore[operator]
                    AuditEntry.object_id.in_([str(row["id"]) for row in part]))))  # type: ignore[attr-defined]
                recorded = [_BatchRow(int(entry.id), entry.object_type, str(row["id"]), row)  # type: ignore[arg-type]
                            for row in part if str(row["id"]) not in newer]
                problem = _check_table(session, table, recorded)
                if problem is not None:
                    return checked + len(recorded), problem
                checked += len(recorded)
                if progress:
                    progress(len(part))
    return checked, None


def plugin_record_problems(session: Session, site: Site) -> str | None:
    """What the plugins' `audit_record_problems` hooks find (records kept in entries of their own shape)."""
    from cunwu.plugins import call_hook

    for _plugin, found in call_hook(site.plugins.pm, "audit_record_problems", session=session, site=site):
        if found:
            return str(found)
    return None
