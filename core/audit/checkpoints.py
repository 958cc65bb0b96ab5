"""Signed checkpoints of the audit chain's head, kept apart from the chain.

The hash chain alone shows an entry changed *in place*; whoever can write the database can also cut off the newest
entries, or rewrite one and recompute every hash after it, and the chain verifies again. A checkpoint records the
head (entry id, its hash, how many entries lead to it) at a moment, signed with HMAC-SHA256 under a key that is not in
the database, and appended to a file that is not in the database either. Verification then demands that every
checkpointed entry still exists with the recorded hash and that the entry count up to the newest one is unchanged.

Where the key comes from: `CUNWU_AUDIT_KEY` (the key itself), else `[core.audit] key_file` (a file holding it).
Without a key checkpoints are written unsigned: they still catch changes made through the database alone, not an
attacker who can also edit the checkpoint file. The head is also public (`/-/audit/head.json`, shown on the county
home page), so a printed or fetched copy anchors it outside the county's servers. docs/operations.md says what this
guarantees and what it does not.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlmodel import Session

from cunwu import request_scope
from cunwu.audit.models import GENESIS_HASH, AuditEntry
from cunwu.audit.services import ChainProblem
from cunwu.audit.settings import AuditSettings
from cunwu.clock import utcnow

if TYPE_CHECKING:
    from cunwu.runtime import Site


@dataclass(frozen=True)
class Checkpoint:
    site: str
    entry_id: int  # the newest entry at the time (0: an empty chain)
    entries: int  # how many entries have an id up to entry_id
    hash: str
    at: str  # UTC, ISO 8601
    mac: str = ""  # HMAC-SHA256 of the other fields; "" when no key was configured

    def payload(self) -> bytes:
        fields = {k: v for k, v in asdict(self).items() if k != "mac"}
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed(self, key: bytes | None) -> Checkpoint:
        if key is None:
            return self
        return Checkpoint(**{**asdict(self), "mac": hmac.new(key, self.payload(), hashlib.sha256).hexdigest()})

    def signature_valid(self, key: bytes) -> bool:
        return hmac.compare_digest(self.mac, hmac.new(key, self.payload(), hashlib.sha256).hexdigest())


class CheckpointFileError(ValueError):
    """The checkpoint file (or the signing key) cannot be read: damaged, edited by hand, or missing."""


def settings_of(site: Site) -> AuditSettings:
    return site.settings("audit")  # type: ignore[no-any-return]


def checkpoint_path(site: Site) -> Path:
    configured = settings_of(site).checkpoint_file
    if configured:
        return Path(configured)
    return Path(os.environ.get("CUNWU_DATA_DIR", "var")).resolve() / f"{site.slug}.audit-checkpoints.jsonl"


def signing_key(site: Site) -> bytes | None:
    value = os.environ.get("CUNWU_AUDIT_KEY")
    if value:
        return value.encode("utf-8")
    key_file = settings_of(site).key_file
    if not key_file:
        return None
    try:
        return Path(key_file).read_bytes().strip() or None
    except OSError as exc:
        raise CheckpointFileError(f"[core.audit] key_file {key_file}: cannot read the signing key ({exc.strerror})") \
            from None


@functools.cache
def _last_entry() -> Any:
    """The chain's newest entry, built once: the county overview shows it on every view."""
    return select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)  # type: ignore[union-attr]


def head(session: Session, site_slug: str, *, count: bool = True) -> Checkpoint:
    """The chain's head now (unsigned). `count=False` skips counting the entries (a page view; `entries` is 0), and
    within a web request reads it once for the whole page (`request_scope.read_once`)."""
    if not count:
        return request_scope.read_once(("audit.head", site_slug), lambda: _head(session, site_slug, count=False))
    return _head(session, site_slug, count=True)


def _head(session: Session, site_slug: str, *, count: bool) -> Checkpoint:
    last = session.execute(_last_entry()).first()
    entry_id, digest = (int(last[0]), str(last[1])) if last else (0, GENESIS_HASH)
    entries = session.execute(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.id <= entry_id)).scalar_one() if count else 0  # type: ignore[operator]
    return Checkpoint(site=site_slug, entry_id=entry_id, entries=int(entries), hash=digest,
                      at=utcnow().replace(microsecond=0).isoformat())


def read_checkpoints(path: Path) -> list[Checkpoint]:
    if not path.exists():
        return []
    found = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            found.append(Checkpoint(**json.loads(line)))
        except (ValueError, TypeError):
            raise CheckpointFileError(f"{path}: line {number} is not a checkpoint") from None
    return found


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Append one line and flush it to disk (O_APPEND: writers never overwrite each other's lines)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(asdict(checkpoint), sort_keys=True, separators=(",", ":")) + "\n"
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def check_against(session: Session, checkpoints: list[Checkpoint], key: bytes | None,
                  site_slug: str) -> ChainProblem | None:
    """The first checkpoint the database no longer agrees with (or whose signature fails), or None.

    Run after `verify_chain`: that shows the links are whole, this that they are the links that were there.
    """
    previous = 0
    for index, checkpoint in enumerate(checkpoints, start=1):
        where = f"checkpoint {index} of {checkpoint.at}"
        if checkpoint.site != site_slug:
            return ChainProblem(checkpoint.entry_id, f"{where} belongs to site {checkpoint.site!r}")
        if key is not None and not checkpoint.signature_valid(key):
            return ChainProblem(checkpoint.entry_id, f"{where}: its signature does not match (the checkpoint file "
                                                     "was edited, or the key changed)")
        if checkpoint.entry_id < previous:
            return ChainProblem(checkpoint.entry_id, f"{where} names an older head than the one before it")
        previous = checkpoint.entry_id
    newest_first = sorted(checkpoints, key=lambda c: c.entry_id, reverse=True)
    for start in range(0, len(newest_first), 1000):
        batch = newest_first[start:start + 1000]
        ids = [c.entry_id for c in batch if c.entry_id]
        query = select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id.in_(ids))  # type: ignore[union-attr]
        stored = {int(row[0]): str(row[1]) for row in session.execute(query)} if ids else {}
        for checkpoint in batch:
            if checkpoint.entry_id == 0:
                continue
            if checkpoint.entry_id not in stored:
                return ChainProblem(checkpoint.entry_id, f"entry {checkpoint.entry_id}, the head at the checkpoint "
                                                         f"of {checkpoint.at}, is gone: the chain was cut short")
            if stored[checkpoint.entry_id] != checkpoint.hash:
                return ChainProblem(checkpoint.entry_id, f"entry {checkpoint.entry_id} no longer has the hash the "
                                                         f"checkpoint of {checkpoint.at} recorded: the chain was "
                                                         "rewritten and re-hashed")
    if newest_first:
        newest = newest_first[0]
        entries = session.execute(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.id <= newest.entry_id)).scalar_one()  # type: ignore[operator]
        if entries != newest.entries:
            return ChainProblem(newest.entry_id, f"{entries} entries lead to entry {newest.entry_id}, the checkpoint "
                                                 f"of {newest.at} counted {newest.entries}: entries were removed")
    return None
