"""The guard every route passes: unknown village or an id no database holds → 404; then the declared permission.

A handler declares `opt={"permission": "<area>.<verb>"}` (or a tuple: any one of them) or `opt={"public": True}`.
With a `village_code` in the path the permission is checked for that village. Without one (county-level pages) the
actor must hold it somewhere — site wide, or in at least one village (a township official over the township's
villages) — and the handler must filter what it shows with `site.villages_for(actor, permission)`. A handler that
declares neither, or names a permission no manifest defines, stops the site at start-up
(`cunwu.app.check_route_permissions`); the guard still refuses one (fail closed).

The guard is a coroutine: Litestar runs a plain-function guard in a worker thread, one thread hop on every request
(a tenth of the uncached board's CPU). What needs no plugin — the village, the ids, a public route, whether anyone is
signed in — is answered on the event loop. The plugins' answer to the declared permission is put to them in a worker
thread (a plugin may read the database to decide): for a signed-in request the one that already loaded the session
and the actor (`answer_ahead`), otherwise one of its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio.to_thread
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import Scope

from cunwu.i18n import _
from cunwu.web.request_state import actor_of, site_of

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site

FRAMEWORK_PUBLIC_PREFIXES = ("/schema",)
#: Record ids are 64-bit database integers: a larger number in a path names no record (and would overflow the
#: database driver), so it is a 404 before any handler runs.
ID_LIMIT = 2**63
_ANSWER = "cunwu.guard_answer"  # scope key: (actor, answer) given in the session's worker thread (`answer_ahead`)


async def permission_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    site = site_of(connection)
    village_code = connection.path_params.get("village_code")
    if village_code is not None and site.village(village_code) is None:
        raise NotFoundException(_("没有这个村：%(code)s", code=village_code))
    if any(isinstance(value, int) and not -ID_LIMIT <= value < ID_LIMIT for value in connection.path_params.values()):
        raise NotFoundException(_("记录不存在"))
    if handler.opt.get("public") or connection.url.path.startswith(FRAMEWORK_PUBLIC_PREFIXES):
        return
    declared = handler.opt.get("permission")
    if not declared:
        raise PermissionDeniedException("route declares no permission")
    actor = actor_of(connection)
    if actor is None:
        raise NotAuthorizedException(_("请先登录"))
    ahead = connection.scope.get(_ANSWER)  # type: ignore[call-overload]
    if ahead is not None and ahead[0] is actor:
        holds = ahead[1]
    else:
        holds = await anyio.to_thread.run_sync(_holds, site, actor, declared, village_code)
    if not holds:
        raise PermissionDeniedException(_("您没有权限执行此操作"))


def answer_ahead(scope: Scope, actor: Actor | None) -> None:
    """In the worker thread that loaded the session's actor: put the route's declared permission to the plugins
    there and keep the answer for `permission_guard`, so a signed-in request hops to a thread once, not twice."""
    handler = scope.get("route_handler")
    declared = handler.opt.get("permission") if handler is not None and not handler.opt.get("public") else None
    if actor is None or not declared:
        return
    site: Site = scope["litestar_app"].state.site
    village_code = scope.get("path_params", {}).get("village_code")
    if village_code is not None and site.village(village_code) is None:
        return  # the guard answers 404 before asking
    scope[_ANSWER] = (actor, _holds(site, actor, declared, village_code))  # type: ignore[literal-required]


def _holds(site: Site, actor: Actor, declared: str | tuple[str, ...], village_code: str | None) -> bool:
    """The guard's decision: any of the declared permissions, in the path's village or (county pages) anywhere."""
    permissions = (declared,) if isinstance(declared, str) else tuple(declared)  # a tuple means: any of these
    return any(site.allowed(actor, p, village_code) if village_code is not None
               else site.allowed_anywhere(actor, p) for p in permissions)


def require(connection: ASGIConnection[Any, Any, Any, Any], permission: str, scope_code: str | None) -> Actor:
    """For handlers that need a second permission check inside (e.g. on a record's own village). Returns the actor."""
    actor = actor_of(connection)
    if actor is None:
        raise NotAuthorizedException(_("请先登录"))
    if not site_of(connection).allowed(actor, permission, scope_code):
        raise PermissionDeniedException(_("您没有权限执行此操作"))
    return actor


def may_open(connection: ASGIConnection[Any, Any, Any, Any], path: str) -> bool:
    """Whether the current person would pass the guard of the GET page at `path` — so a page links only to pages
    its reader may open (no link that ends on "no permission")."""
    try:
        routed = connection.app.asgi_router.handle_routing(path.split("?", 1)[0], "GET")
    except Exception:
        return False
    handler, params = routed[1], routed[3]
    if handler.opt.get("public"):
        return True
    declared = handler.opt.get("permission")
    actor = actor_of(connection)
    if not declared or actor is None:
        return False
    return _holds(site_of(connection), actor, declared, params.get("village_code"))
