"""The one audited write path (Decidim's traceability, made tamper-evident).

Every change to an official record goes through `create`, `update` or `record` here, in the caller's transaction.
A `before_flush` guard refuses any flush that adds or changes an official record without announcing it here, and any
delete of one: official records are withdrawn or superseded, never hard-deleted.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, SQLModel

from cunwu.accounts.actor import Actor
from cunwu.audit.models import GENESIS_HASH, AuditEntry
from cunwu.db.types import utcnow

_AUDITED_KEY = "cunwu_audited"


class OfficialRecord:
    """Mixin for tables that hold official records: writable only through this module, never deletable."""

    __official__ = True


class AuditRequired(RuntimeError):
    """Code tried to write an official record without going through the audit service."""


def _json_default(value: Any) -> Any:
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


def entry_hash(entry: AuditEntry) -> str:
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
    data = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _lock_chain(session: Session) -> None:
    """Serialise appends to the chain. SQLite write transactions are already exclusive (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('cunwu.audit_chain'))"))


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
    _lock_chain(session)
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()  # type: ignore[union-attr]
    entry = AuditEntry(
        at=utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        village_code=village_code,
        before=canonical(before) if before is not None else None,
        after=canonical(after) if after is not None else None,
        prev_hash=last or GENESIS_HASH,
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
    return record(
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
    return record(
        session, actor, action,
        object_type=object_type_of(obj), object_id=str(obj.id), before=before,  # type: ignore[attr-defined]
        after=snapshot(obj), village_code=_village_of(obj),
    )


def create_many(session: Session, actor: Actor, objects: list[SQLModel], action: str | None = None) -> int:
    """Insert many official records with one audit entry each, in one flush per step (bulk imports, demo data).

    The same chain as `create`: entries follow each other in id order, each naming the hash of the one before.
    Returns the number of entries written.
    """
    if not objects:
        return 0
    for obj in objects:
        session.add(obj)
        _allow(session, obj)
    session.flush()
    return _append_many(session, actor, [
        (action or f"{object_type_of(obj)}.create", obj, None, snapshot(obj)) for obj in objects
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
        (action, obj, before, snapshot(obj)) for (obj, _values), before in zip(changes, befores, strict=True)
    ])


def _append_many(session: Session, actor: Actor,
                 items: list[tuple[str, SQLModel, dict[str, Any] | None, dict[str, Any]]]) -> int:
    """Append entries with one multi-row INSERT (no ORM objects: bulk imports write hundreds of thousands).

    `sort_by_parameter_order` makes the database hand out ids in the order of the rows on PostgreSQL too, so the
    chain order (by id) is the order the hashes were computed in.
    """
    _lock_chain(session)
    prev = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()  # type: ignore[union-attr]
    prev = prev or GENESIS_HASH
    at = utcnow()
    rows = []
    for action, obj, before, after in items:
        row = {
            "at": at, "actor_id": actor.user_id, "actor_label": actor.label, "action": action,
            "object_type": object_type_of(obj), "object_id": str(obj.id),  # type: ignore[attr-defined]
            "village_code": _village_of(obj), "before": canonical(before) if before is not None else None,
            "after": canonical(after), "prev_hash": prev,
        }
        row["hash"] = prev = entry_hash(SimpleNamespace(**row))  # type: ignore[arg-type]
        rows.append(row)
    table = AuditEntry.__table__  # type: ignore[attr-defined]
    session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
    return len(rows)


@event.listens_for(OrmSession, "before_flush")
def _guard_official_records(session: OrmSession, _context: Any, _instances: Any) -> None:
    allowed: set[int] = session.info.get(_AUDITED_KEY, set())
    for obj in session.deleted:
        if getattr(obj, "__official__", False):
            raise AuditRequired(f"{type(obj).__name__} is an official record and is never deleted; withdraw it instead")
    for obj in list(session.new) + list(session.dirty):
        if getattr(obj, "__official__", False) and id(obj) not in allowed and session.is_modified(obj):
            raise AuditRequired(f"{type(obj).__name__} changed outside the audit service (cunwu.audit.service)")


@event.listens_for(OrmSession, "after_flush_postexec")
def _forget_allowed(session: OrmSession, _context: Any) -> None:
    session.info.pop(_AUDITED_KEY, None)


@dataclass(frozen=True)
class ChainProblem:
    entry_id: int
    reason: str


def verify_chain(
    session: Session, *, batch: int = 5000, progress: Callable[[int], None] | None = None
) -> tuple[int, ChainProblem | None]:
    """Re-walk the chain in order. Returns (entries checked, the first problem or None)."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
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
            expected_prev = entry.hash
        session.expunge_all()
        if progress:
            progress(len(entries))


def history(session: Session, object_type: str, object_id: str) -> list[AuditEntry]:
    """The audit entries of one record, oldest first (for public history pages)."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)  # type: ignore[arg-type]
        )
    )
