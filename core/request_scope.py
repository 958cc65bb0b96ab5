"""What one web request shares between its parts: one read session per database, and the permission answers given.

A page is built by many hands — the session store, the actor loader, the handler, every slot and menu hook — and each
used to open its own read session (its own pool checkout, `BEGIN` and `ROLLBACK`; on PostgreSQL a pre-ping too) and
ask every plugin again whether the same person may do the same thing. The web layer opens a `RequestScope` for each
request (`cunwu.web.middleware.request_scope_middleware`); inside it `Database.read()` hands every block the
request's one session, and `Site.allowed` answers a repeated question from `permissions`. Outside a request (the
CLI, jobs, tests calling services) there is no scope and nothing changes.

Writes end the sharing: `Database.transaction()` calls `before_write`/`after_write`, which end the shared read
transaction (so nothing read afterwards comes from before the change, and on PostgreSQL the request never holds two
connections at once) and forget the permission answers (a plugin may decide from data the write changed).
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class SharedSession(Protocol):
    """What the scope needs of a request's read session (`cunwu.db.engine.RequestSession`)."""

    def release(self) -> None:
        """End the session's transaction and give its connection back; the session stays usable."""

    def page_built(self) -> None:
        """The page is rendered (in a worker thread): end a transaction on a server here, not after the response."""

    @property
    def remote(self) -> bool:
        """Whether ending its transaction waits on a server (PostgreSQL, open), rather than SQLite in this process."""


class RequestScope:
    """One request's shared read sessions (by database), permission answers (by site, actor, action, scope) and
    values read once for the whole page (`read_once`: the audit chain's head, shown by one slot and keying another's
    kept part)."""

    __slots__ = ("permissions", "reads", "values")

    def __init__(self) -> None:
        self.reads: dict[Any, SharedSession] = {}
        self.permissions: dict[tuple[Any, ...], bool] = {}
        self.values: dict[tuple[Any, ...], Any] = {}

    def before_write(self) -> None:
        for session in self.reads.values():
            session.release()

    def after_write(self) -> None:
        self.before_write()
        self.permissions.clear()
        self.values.clear()

    def page_built(self) -> None:
        """Called by `cunwu.web.render.render` in the worker thread that built the page: on PostgreSQL the read
        transaction ends there (a round trip this thread makes anyway), so the request's end needs no thread hop."""
        for session in self.reads.values():
            session.page_built()

    def remote(self) -> bool:
        """Whether closing waits on a database server (then the web layer does it off the event loop)."""
        return any(session.remote for session in self.reads.values())

    def close(self) -> None:
        """The request has ended: release every session (their connections go back to the pools)."""
        self.before_write()
        self.reads.clear()


_current: ContextVar[RequestScope | None] = ContextVar("cunwu_request_scope", default=None)


def current() -> RequestScope | None:
    """The scope of the request being served here, or None outside a request."""
    return _current.get()


def read_once(key: tuple[Any, ...], read: Callable[[], T]) -> T:
    """`read()` once per request under `key` (cleared by a write); outside a request, every time."""
    scope = _current.get()
    if scope is None:
        return read()
    if key not in scope.values:
        scope.values[key] = read()
    found: T = scope.values[key]
    return found


def enter() -> tuple[RequestScope, Token[RequestScope | None]]:
    """Open a scope for the request about to run (in its task's context); `leave` with the token when it ends."""
    scope = RequestScope()
    return scope, _current.set(scope)


def leave(token: Token[RequestScope | None]) -> None:
    _current.reset(token)


__all__ = ["RequestScope", "current", "enter", "leave"]
