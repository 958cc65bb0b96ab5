"""Engines and sessions for one site's database.

SQLite (the embedded default) gets WAL, foreign keys and a busy timeout on every connection. Writes on SQLite start
with `BEGIN IMMEDIATE` so two writers queue instead of failing half-way when one upgrades a read lock; reads use a
separate engine that never takes the write lock. PostgreSQL uses one pooled engine for both, whose connections
are pinged only after they sat idle (`_postgresql_engine`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlmodel import Session

from cunwu import request_scope

#: Connections kept open per SQLite engine: as many as requests run at once (the server's worker threads), so a busy
#: site reuses connections instead of opening one (and re-running the PRAGMAs) per request above the default 5.
SQLITE_POOL_SIZE = 40
#: A pooled PostgreSQL connection that sat unused this long is pinged (`SELECT 1`) before it is handed out.
PING_AFTER_IDLE_SECONDS = 5.0


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgresql_engine(url: str, pool_size: int) -> Engine:
    """The PostgreSQL engine (reads and writes). Pooled connections are pinged only after `PING_AFTER_IDLE_SECONDS`
    unused, not at every checkout (`pool_pre_ping`: one more round trip on every request): a connection handed back
    and taken again at once has just worked. If the server went away under steady load anyway, the first statement
    fails with a disconnect and SQLAlchemy invalidates the whole pool, so the next request reconnects, as after a
    failed ping.

    (Reads in autocommit would save `BEGIN` and `ROLLBACK` as well, but the audit trail's readers stream rows through
    server-side cursors, which need a transaction: docs/performance.md, issue #18 round 5.)
    """
    engine = create_engine(url, pool_size=pool_size, max_overflow=10)

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # new, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:  # the pool drops this connection and takes another
            raise exc.DisconnectionError(str(error)) from error

    return engine


class RequestSession(Session):
    """A web request's one read session (`cunwu.request_scope`): every `with db.read()` block of the request borrows
    it. When the outermost borrowing block ends its objects are let go, as a closed session would (so nothing one
    block loaded, or changed for display, reaches the next), but the transaction and the connection stay for the next
    block; the request's end (or a write in the request) releases them."""

    _borrowers = 0
    _page_built = False  # set by `page_built`: from then on the outermost block's end releases the transaction

    def __enter__(self) -> RequestSession:
        self._borrowers += 1
        return self

    def close(self) -> None:
        """A borrowing block has ended (`with` calls this): keep the transaction, drop the objects."""
        self._borrowers = max(0, self._borrowers - 1)
        if not self._borrowers:
            if self._page_built:
                self.release()
            else:
                self.expunge_all()

    def release(self) -> None:
        self._borrowers = 0
        super().close()

    def page_built(self) -> None:
        """The page is rendered, in a worker thread: end a transaction on a server now (or when the block still
        open here ends), in this thread, rather than in one more thread hop after the response."""
        if not self.remote:
            return
        self._page_built = True
        if not self._borrowers:
            self.release()

    @property
    def remote(self) -> bool:
        """Whether ending its transaction waits on a server: PostgreSQL with a transaction open."""
        return self.bind is not None and self.bind.dialect.name != "sqlite" and self.in_transaction()


class Database:
    """The engines of one site. `read()` for GET pages, `write()`/`transaction()` for anything that changes data."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = _postgresql_engine(url, pool_size)
            self.read_engine = self.write_engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def read(self) -> Session:
        """A read session; inside a web request always the request's one session (see `cunwu.request_scope`)."""
        scope = request_scope.current()
        if scope is None:
            return Session(self.read_engine, expire_on_commit=False)
        shared = scope.reads.get(self)
        if shared is None:
            shared = scope.reads[self] = RequestSession(self.read_engine, expire_on_commit=False)
        return shared  # type: ignore[return-value]

    def write(self) -> Session:
        return Session(self.write_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls everything back if it raises.

        Inside a web request the request's read session is released before and after (`cunwu.request_scope`)."""
        scope = request_scope.current()
        if scope is not None:
            scope.before_write()
        try:
            with self.write() as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if scope is not None:
                scope.after_write()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()
