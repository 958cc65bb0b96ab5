"""The one audited write path (Decidim's traceability, made tamper-evident).

Every change to an official record goes through `create`, `update` or `record` here, in the caller's transaction.
A `before_flush` guard refuses any flush that adds or changes an official record without announcing it here, and any
delete of one: official records are withdrawn or superseded, never hard-deleted. Bulk writers use `insert_many`
(an entry per record) or, for a file of records written as one act (imports, demo data), `insert_batch` (one entry
whose hash commits to every row); both insert plain rows with one bulk statement on the driver (no ORM object is
involved, so there is nothing for the guard to see, and nothing is written unaudited).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import itertools
import json
import operator
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, event, func, select, text
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel

from cunwu.accounts.actor import Actor
from cunwu.audit.models import GENESIS_HASH, AuditEntry, AuditRow
from cunwu.db.types import Money, fen_text, utcnow

_AUDITED_KEY = "cunwu_audited"


class OfficialRecord:
    """Mixin for tables that hold official records: writable only through this module, never deletable."""

    __official__ = True


class AuditRequired(RuntimeError):
    """Code tried to write an official record without going through the audit service."""


def _json_default(value: Any) -> Any:
    if type(value) is decimal.Decimal:  # the usual case first (areas and amounts of a bulk import)
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot put {type(value).__name__} in the audit chain")


def canonical(value: Any) -> Any:
    """Plain JSON data, the same on every database and every run."""
    return json.loads(json.dumps(value, default=_json_default, sort_keys=True, ensure_ascii=False))


def snapshot(obj: SQLModel) -> dict[str, Any]:
    """The columns of a record as JSON-safe data."""
    return canonical({c.key: getattr(obj, c.key) for c in obj.__table__.columns})  # type: ignore[attr-defined]


#: The chain's serialisation: json.dumps with these options (one encoder, not one per entry).
_CHAIN_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
#: The same, for values not yet `canonical`: its text is the text of their canonical form.
_ROW_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_json_default)
_json_text = json.encoder.encode_basestring  # what the encoders write strings with (ensure_ascii=False)


def entry_hash(entry: AuditEntry) -> str:
    """What verify_chain checks: SHA-256 of the entry's fields as JSON with sorted keys."""
    payload = {
        "prev": entry.prev_hash,
        "at": entry.at.astimezone(dt.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "village_code": entry.village_code,
        "before": entry.before,
        "after": entry.after,
    }
    return hashlib.sha256(_CHAIN_JSON.encode(payload).encode("utf-8")).hexdigest()


def _actor_json(actor_id: int | None, actor_label: str) -> str:
    """The actor members of the entry JSON, for `_spliced_hash`."""
    return f'"actor_id":{_CHAIN_JSON.encode(actor_id)},"actor_label":{_json_text(actor_label)}'


def _spliced_hash(prev: str, at_json: str, actor_json: str, action: str, object_type: str, object_id: str,
                  village_code: str | None, before_json: str, after_json: str) -> str:
    """`entry_hash` for the bulk path, whose before/after are already JSON text (serialised once, also stored).

    The same bytes as `entry_hash`'s payload: its keys in sorted order, each value as `_CHAIN_JSON` writes it;
    `at_json` is the time as a JSON string, `actor_json` from `_actor_json`.
    """
    village_json = "null" if village_code is None else _json_text(village_code)
    data = (f'{{"action":{_json_text(action)},{actor_json},"after":{after_json},"at":{at_json},'
            f'"before":{before_json},"object_id":{_json_text(object_id)},"object_type":{_json_text(object_type)},'
            f'"prev":{_json_text(prev)},"village_code":{village_json}}}')
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends to the chain. SQLite write transactions are already exclusive (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('cunwu.audit_chain'))"))


def _last_hash(session: Session) -> str:
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()  # type: ignore[union-attr]
    return last or GENESIS_HASH


def object_type_of(obj: SQLModel) -> str:
    return obj.__tablename__  # type: ignore[attr-defined,return-value]


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    village_code: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain in the caller's transaction."""
    return _record(session, actor, action, object_type=object_type, object_id=object_id,
                   before=canonical(before) if before is not None else None,
                   after=canonical(after) if after is not None else None, village_code=village_code)


def _record(session: Session, actor: Actor, action: str, *, object_type: str, object_id: str,
            before: dict[str, Any] | None, after: dict[str, Any] | None, village_code: str | None) -> AuditEntry:
    """`record` for before/after that are already `canonical` (snapshots): a notice's snapshot carries its whole
    table, and converting it twice was a large share of publishing one (docs/performance.md, "Bulk writes, round 2")."""
    _lock_chain(session)
    last = _last_hash(session)
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        village_code=village_code,
        before=before,
        after=after,
        prev_hash=last,
        hash="",
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def _allow(session: Session, obj: Any) -> None:
    session.info.setdefault(_AUDITED_KEY, set()).add(id(obj))


def _village_of(obj: Any) -> str | None:
    return getattr(obj, "village_code", None)


def create(session: Session, actor: Actor, obj: SQLModel, action: str | None = None) -> AuditEntry:
    """Insert an official record and its audit entry together."""
    session.add(obj)
    _allow(session, obj)
    session.flush()
    return _record(
        session, actor, action or f"{object_type_of(obj)}.create",
        object_type=object_type_of(obj), object_id=str(obj.id), before=None,  # type: ignore[attr-defined]
        after=snapshot(obj), village_code=_village_of(obj),
    )


def _apply(session: Session, obj: SQLModel, changes: dict[str, Any]) -> None:
    """Set columns of an official record and let the next flush write it (unknown names are refused)."""
    for key, value in changes.items():
        if key not in obj.__table__.columns:  # type: ignore[attr-defined]
            raise AttributeError(f"{object_type_of(obj)} has no column {key!r}")
        setattr(obj, key, value)
    session.add(obj)
    _allow(session, obj)


def update(session: Session, actor: Actor, obj: SQLModel, changes: dict[str, Any], action: str) -> AuditEntry:
    """Change fields of an official record and record before/after in one step."""
    before = snapshot(obj)
    _apply(session, obj, changes)
    session.flush()
    return _record(
        session, actor, action,
        object_type=object_type_of(obj), object_id=str(obj.id), before=before,  # type: ignore[attr-defined]
        after=snapshot(obj), village_code=_village_of(obj),
    )


def create_many(session: Session, actor: Actor, objects: list[SQLModel], action: str | None = None) -> int:
    """Insert many official records with one audit entry each, in one flush per step.

    The same chain as `create`: entries follow each other in id order, each naming the hash of the one before.
    Returns the number of entries written. For many thousands of new rows, `insert_many` is much cheaper.
    """
    if not objects:
        return 0
    for obj in objects:
        session.add(obj)
        _allow(session, obj)
    session.flush()
    return _append_many(session, actor, [
        (action or f"{object_type_of(obj)}.create", object_type_of(obj), str(obj.id),  # type: ignore[attr-defined]
         _village_of(obj), "null", _ROW_JSON.encode(snapshot(obj))) for obj in objects
    ])


def update_many(session: Session, actor: Actor, changes: list[tuple[SQLModel, dict[str, Any]]], action: str) -> int:
    """Change fields of many official records, one audit entry each (before/after), in one flush."""
    if not changes:
        return 0
    befores = []
    for obj, values in changes:
        befores.append(snapshot(obj))
        _apply(session, obj, values)
    session.flush()
    return _append_many(session, actor, [
        (action, object_type_of(obj), str(obj.id), _village_of(obj),  # type: ignore[attr-defined]
         _ROW_JSON.encode(before), _ROW_JSON.encode(snapshot(obj)))
        for (obj, _values), before in zip(changes, befores, strict=True)
    ])


@dataclass(frozen=True)
class _Shape:
    """What `insert_many` needs to know of a model: its columns in table order (`id` first), the model's defaults."""

    keys: tuple[str, ...]
    settable: frozenset[str]  # every column but id
    required: frozenset[str]  # the columns without a default
    defaults: dict[str, Any]
    factories: tuple[tuple[str, Callable[[], Any]], ...]


@cache
def _shape(model: type[SQLModel]) -> _Shape:
    table = model.__table__  # type: ignore[attr-defined]
    if "id" not in table.c or not table.c.id.primary_key:
        raise TypeError(f"{model.__name__}: insert_many needs an integer primary key named id")
    keys = ("id", *(c.key for c in table.columns if c.key != "id"))
    defaults: dict[str, Any] = {}
    factories = []
    for key in keys[1:]:
        info = model.model_fields.get(key)
        if info is None or info.is_required():
            continue
        if info.default_factory is not None:
            factories.append((key, info.default_factory))
        else:
            defaults[key] = info.default
    settable = frozenset(keys[1:])
    required = settable - defaults.keys() - {key for key, _factory in factories}
    return _Shape(keys, settable, required, defaults, tuple(factories))  # type: ignore[arg-type]


def _json_scalar(value: Any) -> str:
    """One value as `_ROW_JSON` writes it inside a row (the encoder itself for anything but the common scalars)."""
    encode = _SCALAR_JSON.get(type(value))
    return encode(value) if encode is not None else _ROW_JSON.encode(value)


def _date_json(value: dt.date) -> str:
    return f'"{value.isoformat()}"'


#: The JSON text of the usual column values by exact type, as `_ROW_JSON` writes them (float, str and int
#: subclasses, enums, dicts and lists go through the encoder itself; a register's four flag columns made bools
#: the encoder's most frequent call).
_SCALAR_JSON: dict[type, Callable[[Any], str]] = {
    str: _json_text, int: int.__repr__, bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _value: "null", decimal.Decimal: lambda value: _json_text(str(value)),
    dt.date: _date_json, dt.datetime: _date_json,
}


def _json_column(values: list[Any]) -> Iterable[str]:
    """Each value of one column as the row JSON holds it. A column of one common type is encoded by C-level maps
    (an import's column is almost always all text, all integers, all `Decimal`, all dates or all empty)."""
    kinds = set(map(type, values))
    kind = kinds.pop() if len(kinds) == 1 else None
    if kind is decimal.Decimal:
        return map(_json_text, map(decimal.Decimal.__str__, values))
    if kind is type(None):
        return itertools.repeat("null", len(values))
    if kind is dt.date:  # a register's birth and start dates repeat: each distinct one written once
        distinct = set(values)
        if len(distinct) * 2 <= len(values):
            return map({value: _date_json(value) for value in distinct}.__getitem__, values)
    return map(_SCALAR_JSON.get(kind, _json_scalar), values)  # type: ignore[arg-type]


def _bound(processor: Callable[[Any], Any] | None, values: list[Any]) -> Iterable[Any]:
    """The column's values through its bind processor, once per distinct value when they repeat (an import's areas,
    dates and empty columns; equal values of one type bind alike)."""
    if processor is None:
        return values
    if len(set(map(type, values))) == 1:  # one type (a flag or date column): the values themselves are the keys
        try:
            distinct_values = set(values)
        except TypeError:
            return map(processor, values)
        if len(distinct_values) * 2 > len(values):
            return map(processor, values)
        return map({value: processor(value) for value in distinct_values}.__getitem__, values)
    typed = list(zip(map(type, values), values, strict=True))
    try:
        distinct = set(typed)
    except TypeError:  # unhashable values (JSON documents): each on its own
        return map(processor, values)
    if len(distinct) * 2 > len(values):
        return map(processor, values)
    bound = {key: processor(key[1]) for key in distinct}
    return map(bound.__getitem__, typed)


@cache
def _row_template(keys: tuple[str, ...]) -> tuple[str, tuple[int, ...]]:
    """The row JSON as a %-template over the values in sorted-key order (what `_ROW_JSON` writes for the full dict:
    sorted keys, no spaces), and the positions of those keys in `keys`."""
    order = tuple(sorted(range(len(keys)), key=keys.__getitem__))
    template = "{" + ",".join(f"{_json_text(keys[i]).replace('%', '%%')}:%s" for i in order) + "}"
    return template, order


def _insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]],
                 in_fen: Collection[str] = ()) -> tuple[list[int], list[str]]:
    """Check and insert plain rows (see `insert_many`); their new ids, and each full row as the chain's JSON text."""
    shape = _shape(model)
    table = model.__table__  # type: ignore[attr-defined]
    if not (all(map(shape.settable.issuperset, rows))
            and all(map(operator.ge, map(dict.keys, rows), itertools.repeat(shape.required)))):
        for row in rows:  # the first row at fault, named as it is
            if not shape.settable.issuperset(row):
                raise AttributeError(f"{table.name} has no column {sorted(row.keys() - shape.settable)[0]!r}")
            if not row.keys() >= shape.required:
                raise ValueError(f"{table.name}: no value for column {sorted(shape.required - row.keys())[0]!r}, "
                                 "which has no default")
    factories = dict(shape.factories)

    def column(key: str) -> list[Any]:
        if key in factories:
            factory = factories[key]
            return [row[key] if key in row else factory() for row in rows]
        return list(map(dict.get, rows, itertools.repeat(key), itertools.repeat(shape.defaults.get(key))))

    return _insert_columns(session, model, len(rows), column, in_fen)


def _insert_columns(session: Session, model: type[SQLModel], count: int, column: Callable[[str], list[Any]],
                    in_fen: Collection[str] = ()) -> tuple[list[int], list[str]]:
    """Insert `count` rows whose values `column(key)` gives for every column but id; their new ids, and each full
    row as the chain's JSON text.

    Column by column: each column's values, their bind values and their JSON are made by C-level maps, and the
    driver rows and the JSON texts are zipped from the columns; per row and per value in Python, the same work was
    more than half of a 100,000-plot import (docs/performance.md, "Land import", round 4). The JSON text is the
    text `_ROW_JSON` writes for the row as a dict with every column (`tests/core/registry/test_audit_batch.py`)."""
    shape = _shape(model)
    table = model.__table__  # type: ignore[attr-defined]
    fen = frozenset(in_fen)
    for key in fen:
        if key not in shape.settable or not isinstance(table.c[key].type, Money):
            raise ValueError(f"{table.name}.{key} is not a Money column, so it cannot be given in fen")
    ids = _new_ids(session, table, count)
    stored_as_fen = session.get_bind().dialect.name == "sqlite"  # Money's storage there: integer fen
    driver: list[Iterable[Any]] = []
    texts: list[Iterable[str]] = []
    for key in shape.keys:
        values = ids if key == "id" else column(key)
        if key in fen:
            # The yuan text is what the JSON holds for the Decimal, and what COPY parses into NUMERIC.
            yuan = list(map(fen_text, values))
            texts.append(map(_json_text, yuan))
            driver.append(values if stored_as_fen else yuan)
            continue
        texts.append(_json_column(values))
        driver.append(_bound(_bind_processor(session, table.c[key]), values))
    template, order = _row_template(shape.keys)
    afters = list(map(template.__mod__, zip(*(texts[i] for i in order), strict=True)))
    _driver_insert(session, table, shape.keys, zip(*driver, strict=True))
    return ids, afters


def insert_many(session: Session, actor: Actor, model: type[SQLModel], rows: list[dict[str, Any]],
                action: str | None = None) -> list[int]:
    """Insert new official records given as plain rows (column → value), one audit entry each; their ids in order.

    The bulk path for many records that each deserve their own line in the log (a co-op's allocations, plots): no
    ORM object and no model validation, so the caller passes rows it has already checked, with values of the
    column's Python type. Columns left out take the model's default. Each entry records the full row with its id,
    as `create` does. The records are not in the session: load them if the caller needs objects. For a whole file
    of records written as one act (an import), `insert_batch` is several times cheaper.
    """
    if not rows:
        return []
    ids, afters = _insert_rows(session, model, rows)
    object_type = str(model.__table__.name)  # type: ignore[attr-defined]  # a plain str: the driver adapts str subclasses slowly
    action = action or f"{object_type}.create"
    has_village = "village_code" in _shape(model).settable
    _append_many(session, actor, (
        (action, object_type, str(id_), row["village_code"] if has_village else None, "null", after)
        for row, id_, after in zip(rows, ids, afters, strict=True)
    ))
    return ids


#: How many records' JSON lines one `audit_row` holds: a batch of 100,000 records is 100 rows to write, not 100,000
#: (docs/architecture.md, "Audit"; docs/performance.md, "Land import", round 4).
ROWS_PER_CHUNK = 1000

#: The key of a batch entry's `after`: {"@batch": {"rows", "first_id", "last_id", "rows_sha256", "file_sha256"}}.
#: Not a possible column name, so no record's snapshot can look like a batch.
BATCH_KEY = "@batch"


def is_batch(entry: AuditEntry) -> bool:
    """Whether the entry is a batch entry (`insert_batch`), whose records are in `audit_row`."""
    return entry.before is None and isinstance(entry.after, dict) and BATCH_KEY in entry.after


def _rows_sha256(chunks: Iterable[str]) -> tuple[int, str]:
    """How a batch entry commits to its rows: their count and SHA-256 over each row's JSON text plus a newline
    (JSON text never holds a raw newline), in id order; the texts given one by one or joined by newlines."""
    digest = hashlib.sha256()
    count = 0
    for chunk in chunks:
        digest.update(chunk.encode("utf-8"))
        digest.update(b"\n")
        count += chunk.count("\n") + 1
    return count, digest.hexdigest()


def insert_batch(session: Session, actor: Actor, model: type[SQLModel], rows: list[dict[str, Any]],
                 action: str | None = None, *, source_sha256: str | None = None,
                 in_fen: Collection[str] = ()) -> list[int]:
    """Insert new official records as one audited act (an import, demo data): one chained entry for all of them.

    Rows as for `insert_many`. The entry (object: the table and the first id) records how many rows were written,
    their id range, the SHA-256 over each full row's JSON in id order and, for an import, the SHA-256 of the file
    (`source_sha256`); the rows' JSON is kept in `audit_row`, `ROWS_PER_CHUNK` lines to a row. So the chain commits
    to every row as a per-record entry would — `verify_chain` re-hashes the rows, `cunwu audit verify --records`
    names a single edited record and column, `history` lists the row under its record — for one entry and one
    `audit_row` per thousand records, instead of a full entry with two unique random-hash indexes per record.

    `in_fen` names `Money` columns whose values every row gives as integer fen (a close's exact arithmetic works in
    fen): they are written as they are, without a `Decimal` and `Money`'s conversion per value, to the same rows and
    the same JSON (`fen_text`) as their `Decimal` yuan would be.
    """
    if not rows:
        return []
    ids, afters = _insert_rows(session, model, rows, in_fen)
    villages = {row.get("village_code") for row in rows} if "village_code" in _shape(model).settable else {None}
    return _batch_entry(session, actor, model, ids, afters, villages, action, source_sha256)


def insert_batch_columns(session: Session, actor: Actor, model: type[SQLModel], columns: dict[str, list[Any]],
                         action: str | None = None, *, source_sha256: str | None = None) -> list[int]:
    """`insert_batch` for rows given column by column (column → its value in every row; a column left out takes
    the model's default): the same records, entry and `audit_row` lines, without a dict per row for a file's
    hundred thousand rows to be built and taken apart again (docs/performance.md, "Land import, round 5")."""
    shape = _shape(model)
    table = model.__table__  # type: ignore[attr-defined]
    if unknown := sorted(columns.keys() - shape.settable):
        raise AttributeError(f"{table.name} has no column {unknown[0]!r}")
    if lacking := sorted(shape.required - columns.keys()):
        raise ValueError(f"{table.name}: no value for column {lacking[0]!r}, which has no default")
    counts = set(map(len, columns.values()))
    if len(counts) > 1:
        raise ValueError(f"{table.name}: columns of different lengths {sorted(counts)}")
    count = counts.pop() if counts else 0
    if not count:
        return []
    factories = dict(shape.factories)

    def column(key: str) -> list[Any]:
        if key in columns:
            return columns[key]
        if key in factories:
            return [factories[key]() for _row in range(count)]
        return [shape.defaults.get(key)] * count

    ids, afters = _insert_columns(session, model, count, column)
    villages = set(column("village_code")) if "village_code" in shape.settable else {None}
    return _batch_entry(session, actor, model, ids, afters, villages, action, source_sha256)


def _batch_entry(session: Session, actor: Actor, model: type[SQLModel], ids: list[int], afters: list[str],
                 villages: set[str | None], action: str | None, source_sha256: str | None) -> list[int]:
    """The batch's chained entry and its `audit_row` chunks, for rows just inserted with `ids` and `afters`."""
    pairs = list(zip(ids, afters, strict=True))
    if any(a >= b for a, b in itertools.pairwise(ids)):
        pairs.sort()
    chunks = [(pairs[start][0], "\n".join(after for _id, after in pairs[start:start + ROWS_PER_CHUNK]))
              for start in range(0, len(pairs), ROWS_PER_CHUNK)]
    count, rows_sha256 = _rows_sha256(chunk for _first, chunk in chunks)
    object_type = str(model.__table__.name)  # type: ignore[attr-defined]
    entry = record(
        session, actor, action or f"{object_type}.create", object_type=object_type, object_id=str(pairs[0][0]),
        before=None, village_code=villages.pop() if len(villages) == 1 else None,
        after={BATCH_KEY: {"rows": count, "first_id": pairs[0][0], "last_id": pairs[-1][0],
                           "rows_sha256": rows_sha256, "file_sha256": source_sha256}},
    )
    entry_id = entry.id
    _driver_insert(session, AuditRow.__table__, ("entry_id", "object_id", "after"),  # type: ignore[attr-defined]
                   ((entry_id, first, chunk) for first, chunk in chunks))
    return ids


def batch_lines(chunk_text: str) -> Iterator[dict[str, Any]]:
    """The records of one `audit_row` chunk: each line's JSON (a full row with its id)."""
    return map(json.loads, chunk_text.split("\n"))


def batch_problem(session: Session, entry: AuditEntry) -> str | None:
    """Why a batch entry's rows in `audit_row` are not the rows its hash commits to (None: they are)."""
    summary = entry.after[BATCH_KEY]  # type: ignore[index]
    texts = session.execute(select(AuditRow.after).where(AuditRow.entry_id == entry.id)  # type: ignore[arg-type]
                            .order_by(AuditRow.object_id).execution_options(yield_per=5000)).scalars()  # type: ignore[arg-type]
    count, digest = _rows_sha256(texts)
    if count != summary.get("rows") or digest != summary.get("rows_sha256"):
        return "the records it lists do not match its rows hash (changed after writing)"
    return None


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    """Ids for `count` new rows, taken before the insert (which then needs nothing back from the database).

    PostgreSQL: from the column's own sequence, one `nextval` per row, so a concurrent writer's ids are never
    reused. The ids come back as a range when they are consecutive (nobody took one in between, the usual case),
    and only otherwise as the list: a close's hundred thousand ids need not cross the wire.
    SQLite: the rowids it would hand out itself (one past the largest); write transactions hold the database's
    write lock from BEGIN IMMEDIATE, so nobody inserts in between.
    """
    if session.get_bind().dialect.name == "postgresql":
        first, last, taken = session.execute(text(
            "WITH taken AS (SELECT nextval(pg_get_serial_sequence(:table, 'id')) AS id FROM generate_series(1, :count))"
            " SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL"
            " ELSE array_agg(id ORDER BY id) END FROM taken"), {"table": table.name, "count": count}).one()
        return list(range(first, last + 1)) if taken is None else list(taken)
    last = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(last + 1, last + 1 + count))


def _bind_processor(session: Session, column: Any) -> Callable[[Any], Any] | None:
    """What SQLAlchemy would pass a value of `column` through on its way to the driver of the session's database."""
    dialect = session.get_bind().dialect
    return column.type.dialect_impl(dialect).bind_processor(dialect)  # type: ignore[no-any-return]


def _driver_insert(session: Session, table: Table, keys: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert rows of driver values (each through its column's `_bind_processor`), in order, on the connection of
    the session's transaction.

    Straight to the driver, as SQLAlchemy's per-row parameter handling would cost about as much as the insert itself,
    and streamed (rows are made as the driver takes them): PostgreSQL takes them with COPY (psycopg's executemany
    still sends one statement per row), SQLite with one executemany.
    """
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    into = f"{quote(table.name)} ({', '.join(quote(table.c[key].name) for key in keys)})"
    cursor = connection.connection.cursor()
    try:
        if dialect.name == "postgresql":
            with cursor.copy(f"COPY {into} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            mark = "?" if dialect.paramstyle == "qmark" else "%s"
            cursor.executemany(f"INSERT INTO {into} VALUES ({', '.join([mark] * len(keys))})", rows)
    finally:
        cursor.close()


#: One entry to append: action, object type, object id, village code, and before and after as the chain's JSON text
#: (`_ROW_JSON`; "null" for no before).
_Item = tuple[str, str, str, str | None, str, str]
_ENTRY_KEYS = ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "village_code", "before",
               "after", "prev_hash", "hash")


def _append_many(session: Session, actor: Actor, items: Iterable[_Item]) -> int:
    """Append entries with one bulk insert (no ORM objects: bulk imports write hundreds of thousands).

    Before and after come serialised once, as the chain's JSON: the same text is hashed and stored. The rows are
    inserted one after the other in order under the chain lock, so the ids the database hands out follow the order
    the hashes were computed in: the chain order (by id) is that order. Returns the number of entries.
    """
    _lock_chain(session)
    prev = _last_hash(session)
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    at = utcnow()
    at_json = _json_text(at.isoformat())
    actor_id, actor_label = actor.user_id, actor.label
    actor_json = _actor_json(actor_id, actor_label)
    processor = _bind_processor(session, table.c.at)
    stored_at = at if processor is None else processor(at)
    count = 0

    def entries() -> Iterator[tuple[Any, ...]]:
        nonlocal prev, count
        for action, object_type, object_id, village_code, before_json, after_json in items:
            digest = _spliced_hash(prev, at_json, actor_json, action, object_type, object_id, village_code,
                                   before_json, after_json)
            yield (stored_at, actor_id, actor_label, action, object_type, object_id, village_code, before_json,
                   after_json, prev, digest)
            prev = digest
            count += 1

    _driver_insert(session, table, _ENTRY_KEYS, entries())
    return count


@event.listens_for(OrmSession, "before_flush")
def _guard_official_records(session: OrmSession, _context: Any, _instances: Any) -> None:
    allowed: set[int] = session.info.get(_AUDITED_KEY, set())
    for obj in session.deleted:
        if getattr(obj, "__official__", False):
            raise AuditRequired(f"{type(obj).__name__} is an official record and is never deleted; withdraw it instead")
    for obj in list(session.new) + list(session.dirty):
        if getattr(obj, "__official__", False) and id(obj) not in allowed and session.is_modified(obj):
            raise AuditRequired(f"{type(obj).__name__} changed outside the audit service (cunwu.audit.services)")


@event.listens_for(OrmSession, "after_flush_postexec")
def _forget_allowed(session: OrmSession, _context: Any) -> None:
    session.info.pop(_AUDITED_KEY, None)


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


def verify_chain(
    session: Session, *, batch: int = 5000, progress: Callable[[int], None] | None = None,
    after_id: int = 0, after_hash: str = GENESIS_HASH,
) -> tuple[int, ChainProblem | None]:
    """Re-walk the chain in order. Returns (entries checked, the first problem or None).

    `after_id`/`after_hash`: start after an entry already known good (a checkpoint), not at the genesis.
    """
    expected_prev = after_hash
    checked = 0
    last_id = after_id
    while True:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)  # type: ignore[arg-type,operator]
        ).all()
        if not entries:
            return checked, None
        for entry in entries:
            checked += 1
            last_id = entry.id  # type: ignore[assignment]
            if entry.prev_hash != expected_prev:
                return checked, ChainProblem(last_id, "prev_hash does not match the hash of the entry before it")
            if entry_hash(entry) != entry.hash:
                return checked, ChainProblem(last_id, "its content does not match its hash (changed after writing)")
            if is_batch(entry) and (reason := batch_problem(session, entry)):
                return checked, ChainProblem(last_id, reason)
            expected_prev = entry.hash
        session.expunge_all()
        if progress:
            progress(len(entries))


def _line_of(chunk_text: str, id_: int) -> dict[str, Any] | None:
    """The row of record `id_` in an `audit_row` chunk, if it is there. Only a line holding `"id":<id>` (a JSON
    string escapes its quotes) can be it; such a line is parsed to check it is the row's own id, not a nested one."""
    marks = (f'"id":{id_},', f'"id":{id_}}}')
    for line in chunk_text.split("\n"):
        if marks[0] in line or marks[1] in line:
            row = json.loads(line)
            if row.get("id") == id_:
                return row  # type: ignore[no-any-return]
    return None


def history(session: Session, object_type: str, object_id: str) -> list[AuditEntry]:
    """The audit entries of one record, oldest first (for public history pages).

    A record written by a batch (`insert_batch`) shows its row of the batch as an entry of its own: the batch
    entry's id, time, actor and action, with the record's row as `after` (a copy, not in the session).
    """
    entries = [entry for entry in session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.id)  # type: ignore[arg-type]
    ) if not is_batch(entry)]
    if object_id.isdigit():
        id_ = int(object_id)
        inner = aliased(AuditRow)
        chunk = (select(func.max(inner.object_id)).where(inner.entry_id == AuditEntry.id, inner.object_id <= id_)
                 .correlate(AuditEntry).scalar_subquery())
        batched = session.execute(
            select(AuditEntry, AuditRow.after)
            .join(AuditRow, and_(AuditRow.entry_id == AuditEntry.id, AuditRow.object_id == chunk))  # type: ignore[arg-type]
            .where(AuditEntry.object_type == object_type))
        for batch, chunk_text in batched:
            after = _line_of(chunk_text, id_)
            if after is not None:  # None: the record is not one of this batch's
                entries.append(AuditEntry(
                    id=batch.id, at=batch.at, actor_id=batch.actor_id, actor_label=batch.actor_label,
                    action=batch.action, object_type=object_type, object_id=object_id,
                    village_code=batch.village_code, before=None, after=after, prev_hash=batch.prev_hash,
                    hash=batch.hash))
        entries.sort(key=lambda entry: entry.id)  # type: ignore[arg-type,return-value]
    return entries


def village_version(session: Session, village_code: str) -> tuple[int, int]:
    """The newest audit entry of the village and the newest one of no village: a version for a per-village cache.

    Every write to an official record adds an entry in its own transaction (the guard above refuses any other), so
    the pair changes at the commit of any write that may concern the village — its own records, or a batch that
    spans villages (recorded under no village).
    """
    return villages_version(session, [village_code])


# Each village's newest entry is one descent of ix_audit_entry_village_id. The range on village_code (not `=`) keeps
# PostgreSQL's planner from reading `ORDER BY id` off the primary key and walking the log backwards until the
# village's newest entry comes up (8–14 ms for a quiet village of a 16-village county, growing with the log; 0.1 ms
# this way: docs/performance.md, "The township ledger, round 3").
_NEWEST_OF = ("(SELECT a.id FROM audit_entry a WHERE a.village_code >= {code} AND a.village_code <= {code} "
              "ORDER BY a.village_code DESC, a.id DESC LIMIT 1)")
_NEWEST_SHARED = ("(SELECT a.id FROM audit_entry a WHERE a.village_code IS NULL "
                  "ORDER BY a.village_code DESC, a.id DESC LIMIT 1)")
_VILLAGES_VERSION = {
    "postgresql": text(f"SELECT coalesce(max({_NEWEST_OF.format(code='v.code')}), 0), coalesce({_NEWEST_SHARED}, 0) "
                       "FROM unnest(CAST(:codes AS varchar[])) AS v(code)"),
    "sqlite": text(f"SELECT coalesce(max({_NEWEST_OF.format(code='v.value')}), 0), coalesce({_NEWEST_SHARED}, 0) "
                   "FROM json_each(:codes) AS v"),
}


def villages_version(session: Session, village_codes: Collection[str]) -> tuple[int, int]:
    """`village_version` for a set of villages (a township's or county's page): the newest entry of any of them and
    the newest of no village. Entries are numbered in commit order (written under the chain lock), so a write that
    may concern any of the villages raises the pair at its commit."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    codes = json.dumps(list(village_codes)) if sqlite else list(village_codes)
    row = connection.execute(_VILLAGES_VERSION["sqlite" if sqlite else "postgresql"], {"codes": codes}).one()
    return int(row[0]), int(row[1])
