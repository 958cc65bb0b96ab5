"""Server-side sessions that are only stored once there is something in them, rotated at every login and logout,
and the CSRF token bound to the session it was issued for.

Litestar's `ServerSideSessionBackend` stores every response's session, even an empty one: each anonymous page view
then wrote a new row to the store (a write transaction — on SQLite one that queues behind every other writer) and
sent a fresh session cookie, which also made public pages look personal to shared caches. Here an empty session is
neither stored nor sent; an empty session that had a cookie (a logout) is deleted and its cookie cleared, as before.

A stored session is also not written back when a request leaves it as it was: the framework stored every signed-in
request's session again (on SQLite a write transaction per page view, queueing behind every other writer — the long
tail of signed-in pages). Its expiry still slides: an unchanged session is stored again, with a fresh cookie, once
`SESSION_RENEW_SECONDS` have passed since it was last stored (`STORED_AT` in the session says when).

Session fixation: the framework keeps whatever session id the browser sends. Here a session is stored under a
fresh id whenever its user changes (login, logout) or its id was not one the store knew, and the old one is deleted,
so a cookie planted before login never gains the rights of the person who logs in.

CSRF: the token is a random part and its HMAC under the site secret; for a request that carries a stored session the
HMAC also covers the session id, so a token minted for one session (or for no session) is refused in another. A new
token, bound to the new session, is sent with every rotation. Anonymous tokens keep the framework's plain format
(the notices front cache mints those itself).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_hash
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import ASGIApp, Empty, Message, Receive, Scope, ScopeSession, Send
from litestar.utils.scope.state import ScopeState

from cunwu.clock import utcnow
from cunwu.web.store import DatabaseStore

#: The cookies the app sets (one place: the front cache in cunwu.notices.front reads them before the framework does).
SESSION_COOKIE = "cunwu_session"
CSRF_COOKIE = "cunwu_csrf"
CSRF_HEADER = "x-csrftoken"
CSRF_FIELD = "_csrf_token"

_LOADED = "cunwu.session_loaded"  # scope key: (session id, user id, stored bytes) of the session found in the store
_FRESH = "cunwu.session_id"  # scope key: the new id a rotated session is stored under
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: Session key: when (epoch seconds) the session was last stored. An unchanged session is stored again — its expiry
#: and its cookie renewed — only this long after, not on every request.
STORED_AT = "stored_at"
SESSION_RENEW_SECONDS = 600


def bound_session_id(scope: Scope) -> str:
    """The id of the stored session this request carries ("" for none): what its CSRF token must be bound to."""
    loaded = scope.get(_LOADED)  # type: ignore[call-overload]
    return loaded[0] if loaded else ""


def _csrf_hash(random_part: str, secret: str, session_id: str) -> str:
    return generate_csrf_hash(token=f"{random_part}:{session_id}" if session_id else random_part, secret=secret)


def mint_csrf_token(secret: str, session_id: str) -> str:
    random_part = secrets.token_hex(32)
    return random_part + _csrf_hash(random_part, secret, session_id)


def csrf_token_valid(token: str, secret: str, session_id: str) -> bool:
    if len(token) != 128:
        return False
    return hmac.compare_digest(token[64:], _csrf_hash(token[:64], secret, session_id))


def _csrf_cookie(token: str) -> str:
    """The header litestar's `Cookie(…, path="/", samesite="lax").to_header(header="")` gives, written out (as the
    notices front cache does): a token is hex, nothing to quote, and the general path was 3 % of an anonymous page."""
    return f"{CSRF_COOKIE}={token}; Path=/; SameSite=lax"


class LazySessionBackend(ServerSideSessionBackend):
    config: LazySessionConfig

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        session_id = connection.cookies.get(self.config.key)
        if not session_id:
            return {}
        scope = connection.scope
        store = self.config.get_store_from_app(scope["app"])
        then = self.config.load_with
        if isinstance(store, DatabaseStore) and then is not None:  # the read and what follows it: one thread hop
            return await anyio.to_thread.run_sync(self._load_sync, store, session_id, scope, then)
        raw = await self.get(session_id, store=store)
        return self._loaded(session_id, raw, scope)

    def _load_sync(self, store: DatabaseStore, session_id: str, scope: Scope,
                   then: Callable[[Scope, dict[str, Any]], None]) -> dict[str, Any]:
        data = self._loaded(session_id, store.get_sync(session_id), scope)
        if data:
            then(scope, data)
        return data

    def _loaded(self, session_id: str, raw: bytes | None, scope: Scope) -> dict[str, Any]:
        data = self.deserialize_data(raw) if raw is not None else {}
        if data:
            scope[_LOADED] = (session_id, data.get("user_id"), raw)  # type: ignore[literal-required]
        return data

    def _unchanged(self, scope_session: dict[str, Any], loaded: tuple[str, Any, bytes], scope: Scope) -> bool:
        """The session is the one loaded, byte for byte, and was stored less than `SESSION_RENEW_SECONDS` ago."""
        stored_at = scope_session.get(STORED_AT)
        return (isinstance(stored_at, int) and utcnow().timestamp() - stored_at < SESSION_RENEW_SECONDS
                and self.serialize_data(scope_session, scope) == loaded[2])

    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        scope = connection.scope
        fresh = scope.get(_FRESH)  # type: ignore[call-overload]
        if fresh:
            return str(fresh)
        loaded = scope.get(_LOADED)  # type: ignore[call-overload]
        return str(loaded[0]) if loaded else super().get_session_id(connection)

    async def store_in_message(self, scope_session: ScopeSession, message: Message,
                               connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        if not scope_session and scope_session is not Empty and self.config.key not in connection.cookies:
            return  # nothing to keep and nothing to clear
        scope = connection.scope
        loaded = scope.get(_LOADED)  # type: ignore[call-overload]
        secret = scope["litestar_app"].state.csrf_secret
        headers = MutableScopeHeaders.from_message(message)
        if scope_session and scope_session is not Empty:
            if loaded is not None and loaded[1] == scope_session.get("user_id") \
                    and self._unchanged(scope_session, loaded, scope):  # type: ignore[arg-type]
                return  # nothing to write, and the browser's cookie is still the right one
            scope_session[STORED_AT] = int(utcnow().timestamp())  # type: ignore[index]
            if loaded is None or loaded[1] != scope_session.get("user_id"):  # type: ignore[union-attr]
                if loaded is not None:
                    await self.delete(loaded[0], store=self.config.get_store_from_app(scope["app"]))
                fresh = self.generate_session_id()
                scope[_FRESH] = fresh  # type: ignore[literal-required]
                headers.add("set-cookie", _csrf_cookie(mint_csrf_token(secret, fresh)))
        elif loaded is not None:  # logout: the session is deleted; the browser gets an anonymous token
            headers.add("set-cookie", _csrf_cookie(mint_csrf_token(secret, "")))
        await super().store_in_message(scope_session or Empty, message, connection)


@dataclass
class LazySessionConfig(ServerSideSessionConfig):
    """`ServerSideSessionConfig` with `LazySessionBackend`."""

    _backend_class = LazySessionBackend

    #: Work on a stored session's data in the worker thread that read it (the web layer loads the actor there):
    #: a signed-in request then hops to a thread once before its handler, not once for the session and once more.
    #: Only with the database store (its read is synchronous); with Redis the work is left to its caller.
    load_with: Callable[[Scope, dict[str, Any]], None] | None = None


def csrf_middleware(app: ASGIApp) -> ASGIApp:
    """Double-submit CSRF check (cookie and header or form field) with the token bound to the session (see above).

    Safe requests get a token (kept in the scope for templates, sent as a cookie when the browser's is missing or
    belongs to another session); others must send back the cookie's token, valid for their own session.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        secret = scope["litestar_app"].state.csrf_secret
        request: Request[Any, Any, Any] = scope["litestar_app"].request_class(scope=scope, receive=receive)
        session_id = bound_session_id(scope)
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        valid = cookie if csrf_token_valid(cookie, secret, session_id) else None
        state = ScopeState.from_scope(scope)
        if scope["method"] in _SAFE_METHODS:
            token = state.csrf_token = valid or mint_csrf_token(secret, session_id)
            await app(scope, receive, send if valid else _sending_cookie(send, token))
            return
        submitted = request.headers.get(CSRF_HEADER)
        if not submitted and request.content_type[0] in (RequestEncodingType.URL_ENCODED,
                                                         RequestEncodingType.MULTI_PART):
            submitted = (await request.form()).get(CSRF_FIELD)
        if valid is None or not isinstance(submitted, str) or not hmac.compare_digest(submitted, valid):
            raise PermissionDeniedException("CSRF token verification failed")
        state.csrf_token = valid
        await app(scope, receive, send)

    return middleware


def _sending_cookie(send: Send, token: str) -> Callable[[Message], Awaitable[None]]:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableScopeHeaders.from_message(message).add("set-cookie", _csrf_cookie(token))
        await send(message)

    return wrapped
