"""The shared page cache for the public board (anonymous visitors only).

Pages live in the site's store (`site.store.with_namespace("cache")`: the database, or Redis), so every worker and
host shares them. The key holds the village's board generation (bumped in the same transaction as any public change,
see `services._touch`), the local date (windows open and close at midnight), the locale, the scheme and host
(feeds hold absolute links) and whether htmx asked for a fragment: a change makes every old key unreachable at
commit, on every instance, with no purge step.

A cached page is rendered with a placeholder instead of the CSRF token, which is filled in per request, so one
visitor's token is never served to another and the inline objection form still works.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar import Request, Response
from litestar.utils.scope.state import ScopeState

from cunwu import i18n
from cunwu.notices import queries, services
from cunwu.notices.services import settings_of
from cunwu.web.render import actor_of, is_htmx, site_of

if TYPE_CHECKING:
    from cunwu.runtime import Site

CSRF_PLACEHOLDER = "__cunwu_csrf_token__"
#: Where the front cache (cunwu.notices.front) asks `cached_page` to leave what it served (an ASGI scope key).
SCOPE_KEY = "cunwu.front"
#: What the CSRF middleware mints (64 hex digits and their 64-digit HMAC): nothing else may go into a page.
CSRF_TOKEN_FORMAT = re.compile(r"^[0-9a-f]{128}$")
VARY = "HX-Request, Cookie"


def _generation(site: Site, village_code: str | None) -> tuple[int, Any]:
    with site.db.read() as session:
        return queries.generation(session, village_code)


def cache_key(request: Request[Any, Any, Any], village_code: str | None, gen: int) -> str:
    query = "&".join(sorted(f"{k}={v}" for k, values in request.query_params.dict().items() for v in values))
    parts = [site_of(request).slug, request.scope["scheme"], request.headers.get("host", ""), request.url.path, query,
             i18n.current_locale.get(), "htmx" if is_htmx(request) else "page",
             services.local_today().isoformat(), village_code or "*", str(gen)]
    return "page:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _with_token(request: Request[Any, Any, Any], body: str) -> str:
    token = ScopeState.from_scope(request.scope).csrf_token or ""
    # The token comes from a cookie and goes into HTML unescaped: only the CSRF middleware's own format may pass.
    return body.replace(CSRF_PLACEHOLDER, token if CSRF_TOKEN_FORMAT.match(token) else "")


async def cached_page(request: Request[Any, Any, Any], village_code: str | None,
                      build: Callable[[dict[str, Any]], Response[Any]]) -> Response[Any]:
    """Serve `build(extra_context)` through the shared cache; answer 304 when the client's ETag still matches.

    Logged-in people get a fresh page every time (it may show drafts, names or forms meant for them).
    """
    site = site_of(request)
    if actor_of(request) is not None:
        response = await anyio.to_thread.run_sync(build, {})
        response.headers["Cache-Control"] = "private, no-cache"
        response.headers["Vary"] = VARY
        return response
    seconds = settings_of(site).cache_seconds
    store = site.store.with_namespace("cache")
    gen, changed_at, raw, key = 0, None, None, ""
    if seconds:  # with caching off there is no generation or stored page to read (no Last-Modified either)
        gen, changed_at = await anyio.to_thread.run_sync(_generation, site, village_code)
        key = cache_key(request, village_code, gen)
        raw = await store.get(key)
    state = "hit"
    if raw is None:
        state = "miss"
        response = await anyio.to_thread.run_sync(build, {"csrf_token": CSRF_PLACEHOLDER})
        if response.status_code != 200:
            return response
        body = str(response.content)
        entry = {
            "body": body,
            "media_type": str(response.media_type),
            "etag": 'W/"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"',
            "last_modified": email.utils.format_datetime(changed_at, usegmt=True) if changed_at else None,
        }
        if seconds:
            await store.set(key, json.dumps(entry, ensure_ascii=False).encode("utf-8"), expires_in=seconds)
    else:
        entry = json.loads(raw)
    served = request.scope.get(SCOPE_KEY)  # type: ignore[call-overload]
    if served is not None and seconds:  # the front cache (cunwu.notices.front) keeps a copy for this worker
        served.update(entry, village_code=village_code, generation=gen, day=services.local_today())
    headers = {"ETag": entry["etag"], "Vary": VARY, "Cache-Control": "public, no-cache", "X-Cache": state}
    if entry["last_modified"]:
        headers["Last-Modified"] = entry["last_modified"]
    wanted = [tag.strip() for tag in request.headers.get("if-none-match", "").split(",") if tag.strip()]
    if entry["etag"] in wanted or "*" in wanted:
        return Response(content=b"", status_code=304, headers=headers)
    return Response(_with_token(request, entry["body"]), media_type=entry["media_type"], headers=headers)
