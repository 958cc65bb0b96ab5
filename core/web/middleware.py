"""Per-request context: the request's shared reads (`cunwu.request_scope`), who the actor is (from the server-side
session) and which locale to speak."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar.types import ASGIApp, Receive, Scope, Send

from cunwu import i18n, request_scope
from cunwu.accounts.services import load_actor
from cunwu.web.guards import answer_ahead
from cunwu.web.mywork import note_own_change

if TYPE_CHECKING:
    from cunwu.runtime import Site


_ACTOR = "cunwu.actor_loaded"  # scope key: (user id, actor) loaded beside the session (`load_actor_with_session`)


def _load_actor(site: Site, user_id: int) -> Any:
    with site.db.read() as session:
        return load_actor(session, user_id)


def load_actor_with_session(scope: Scope, session: dict[str, Any]) -> None:
    """Load the session's actor in the thread that read the session (`LazySessionConfig.load_with`), and answer the
    route's permission there too (`answer_ahead`), so a signed-in request makes one thread hop for all three;
    `context_middleware` takes the actor from the scope, `permission_guard` the answer."""
    user_id = session.get("user_id")
    if user_id:
        actor = _load_actor(scope["litestar_app"].state.site, user_id)
        scope[_ACTOR] = (user_id, actor)  # type: ignore[literal-required]
        answer_ahead(scope, actor)


def request_scope_middleware(app: ASGIApp) -> ASGIApp:
    """Outermost of the site's middleware: one `RequestScope` per request, so the session store, the actor, the
    handler and every slot and menu hook read through one session and ask each permission question once."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        shared, token = request_scope.enter()
        try:
            await app(scope, receive, send)
        finally:
            request_scope.leave(token)
            if shared.remote():  # ending a read transaction is a round trip on PostgreSQL: not on the event loop
                await anyio.to_thread.run_sync(shared.close)
            else:  # SQLite ends a read transaction in memory; no thread hop for it
                shared.close()

    return middleware


def _choose_locale(scope: Scope, session: dict[str, Any], site: Site) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    for part in query.split("&"):
        if part.startswith("lang=") and part[5:] in i18n.LOCALES:
            return part[5:]
    if session.get("locale") in i18n.LOCALES:
        return str(session["locale"])
    for name, value in scope.get("headers", []):
        if name == b"cookie" and b"cunwu_lang=en" in value:
            return "en"
    return str(site.config.locale)


def context_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await app(scope, receive, send)
            return
        site = scope["litestar_app"].state.site
        session = scope.get("session")
        session = session if isinstance(session, dict) else {}
        user_id = session.get("user_id")
        loaded = scope.get(_ACTOR)  # type: ignore[call-overload]
        if not user_id:
            actor = None
        elif loaded is not None and loaded[0] == user_id:
            actor = loaded[1]
        else:
            actor = await anyio.to_thread.run_sync(_load_actor, site, user_id)
        scope.setdefault("state", {})["actor"] = actor  # type: ignore[typeddict-item]
        if actor is not None and scope.get("method") not in ("GET", "HEAD"):
            note_own_change(scope.get("session"))
        token = i18n.current_locale.set(_choose_locale(scope, session, site))
        try:
            await app(scope, receive, send)
        finally:
            i18n.current_locale.reset(token)

    return middleware
