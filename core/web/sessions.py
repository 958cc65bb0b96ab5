"""Server-side sessions that are only stored once there is something in them.

Litestar's `ServerSideSessionBackend` stores every response's session, even an empty one: each anonymous page view
then wrote a new row to the store (a write transaction — on SQLite one that queues behind every other writer) and
sent a fresh session cookie, which also made public pages look personal to shared caches. Here an empty session is
neither stored nor sent; an empty session that had a cookie (a logout) is deleted and its cookie cleared, as before.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession

#: The cookies the app sets (one place: the front cache in cunwu.notices.front reads them before the framework does).
SESSION_COOKIE = "cunwu_session"
CSRF_COOKIE = "cunwu_csrf"


class LazySessionBackend(ServerSideSessionBackend):
    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        if not scope_session and scope_session is not Empty and self.config.key not in connection.cookies:
            return  # nothing to keep and nothing to clear
        await super().store_in_message(scope_session or Empty, message, connection)


class LazySessionConfig(ServerSideSessionConfig):
    """`ServerSideSessionConfig` with `LazySessionBackend`."""

    _backend_class = LazySessionBackend
