"""Shared key-value storage for sessions, rate limits and the page cache.

Nothing lives in process memory: with several workers (or hosts) they all see the same store. The default keeps
it in the site's own database (table `core_store`); with `CUNWU_REDIS_URL` set, Redis is used instead.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from typing import Any

import anyio.to_thread
from litestar.stores.base import NamespacedStore
from sqlalchemy import Column, LargeBinary, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel

from cunwu.db.engine import Database
from cunwu.db.types import UTCDateTime, utcnow


class StoreItem(SQLModel, table=True):
    __tablename__ = "core_store"

    namespace: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=250)
    value: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    expires_at: dt.datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True, index=True))


def _expiry(expires_in: int | dt.timedelta | None) -> dt.datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else expires_in
    return utcnow() + dt.timedelta(seconds=seconds)


@functools.cache
def _get_statement() -> Any:
    """One item's value and expiry, built once: every request with a session cookie reads its session with it."""
    table = StoreItem.__table__  # type: ignore[attr-defined]
    return select(table.c.value, table.c.expires_at).where(table.c.namespace == bindparam("namespace"),
                                                             table.c.key == bindparam("key"))


class DatabaseStore(NamespacedStore):
    """A Litestar store kept in the site database."""

    def __init__(self, db: Database, namespace: str = "cunwu") -> None:
        self.db = db
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(self.db, f"{self.namespace}_{namespace}")

    def _set(self, key: str, value: bytes, expires_at: dt.datetime | None, *, replace: bool = True) -> None:
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        stmt = insert(StoreItem).values(namespace=self.namespace, key=key, value=value, expires_at=expires_at)
        if replace:
            stmt = stmt.on_conflict_do_update(
                index_elements=["namespace", "key"], set_={"value": value, "expires_at": expires_at}
            )
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["namespace", "key"])
        with self.db.transaction() as session:
            session.execute(stmt)

    def increment_sync(self, key: str, amount: int, expires_in: int) -> int:
        """Add `amount` to the counter at `key` and return the new count, in one transaction (see `count`)."""
        insert = pg_insert if self.db.dialect == "postgresql" else sqlite_insert
        where = (StoreItem.namespace == self.namespace, StoreItem.key == key)
        with self.db.transaction() as session:  # SQLite: BEGIN IMMEDIATE already excludes every other writer
            session.execute(insert(StoreItem).values(namespace=self.namespace, key=key, value=b"0",
                                                     expires_at=_expiry(expires_in))
                            .on_conflict_do_nothing(index_elements=["namespace", "key"]))
            value, expires_at = session.execute(
                select(StoreItem.value, StoreItem.expires_at).where(*where).with_for_update()).one()
            if expires_at is not None and expires_at <= utcnow():  # a window that ended: start a new one
                value, expires_at = b"0", _expiry(expires_in)
            try:
                count = int(value) + amount
            except ValueError:
                count = amount
            session.execute(update(StoreItem).where(*where).values(value=str(count).encode(), expires_at=expires_at))
        return count

    async def increment(self, key: str, amount: int, expires_in: int) -> int:
        return await anyio.to_thread.run_sync(self.increment_sync, key, amount, expires_in)

    def get_or_set(self, key: str, value: bytes) -> bytes:
        """Set `key` unless some worker already did; return what is stored (first writer wins)."""
        self._set(key, value, None, replace=False)
        stored = self.get_sync(key)
        assert stored is not None
        return stored

    async def set(self, key: str, value: str | bytes, expires_in: int | dt.timedelta | None = None) -> None:
        data = value.encode("utf-8") if isinstance(value, str) else value
        await anyio.to_thread.run_sync(self._set, key, data, _expiry(expires_in))

    def get_sync(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        with self.db.read() as session:
            row = session.execute(_get_statement(), {"namespace": self.namespace, "key": key}).first()
        if row is None:
            return None
        value, expires_at = row
        if expires_at is not None and expires_at <= utcnow():
            return None
        if renew_for is not None and expires_at is not None:
            self._set(key, value, _expiry(renew_for))
        return value

    async def get(self, key: str, renew_for: int | dt.timedelta | None = None) -> bytes | None:
        return await anyio.to_thread.run_sync(self.get_sync, key, renew_for)

    def _delete(self, key: str | None) -> None:
        stmt = delete(StoreItem).where(StoreItem.namespace == self.namespace)
        if key is not None:
            stmt = stmt.where(StoreItem.key == key)
        with self.db.transaction() as session:
            session.execute(stmt)

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._delete, key)

    async def delete_all(self) -> None:
        await anyio.to_thread.run_sync(self._delete, None)

    async def delete_expired(self) -> None:
        def _purge() -> None:
            with self.db.transaction() as session:
                session.execute(delete(StoreItem).where(StoreItem.expires_at <= utcnow()))  # type: ignore[operator]

        await anyio.to_thread.run_sync(_purge)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        def _ttl() -> int | None:
            with self.db.read() as session:
                expires_at = session.execute(
                    select(StoreItem.expires_at).where(StoreItem.namespace == self.namespace, StoreItem.key == key)
                ).scalar()
            return None if expires_at is None else max(0, int((expires_at - utcnow()).total_seconds()))

        return await anyio.to_thread.run_sync(_ttl)


async def count(store: Any, key: str, *, amount: int = 1, window_seconds: int) -> int:
    """Add `amount` to the counter at `key` in the shared store and return the new count, atomically.

    For rate limits: a read followed by a write lets every parallel request read the same count (60 parallel
    wrong passwords were all checked against a limit of 5). The counter lives `window_seconds` from its first
    count. Database store: one locking transaction; Redis: INCRBY and an expiry set only when there is none.
    """
    if isinstance(store, DatabaseStore):
        return await store.increment(key, amount, window_seconds)
    from litestar.stores.redis import RedisStore

    if not isinstance(store, RedisStore):
        raise TypeError(f"no atomic counter for {type(store).__name__}")
    name = store._make_key(key)  # the namespaced key, as the store's own get/set use it
    async with store._redis.pipeline(transaction=True) as pipe:
        pipe.incrby(name, amount)
        pipe.expire(name, window_seconds, nx=True)
        total, _ = await pipe.execute()
    return int(total)


def make_store(db: Database, site_slug: str) -> Any:
    """Redis when CUNWU_REDIS_URL is set (several hosts), otherwise the site's database."""
    url = os.environ.get("CUNWU_REDIS_URL")
    if url:
        from litestar.stores.redis import RedisStore

        return RedisStore.with_client(url=url, namespace=f"cunwu_{site_slug}")
    return DatabaseStore(db, namespace=f"cunwu_{site_slug}")
