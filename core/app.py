"""Build the ASGI application: one Litestar app per site, and a dispatcher that picks the site by Host.

Why one app per site rather than one app with a per-request switch: a plugin a site does not enable then has no
routes there at all (a plain 404), its templates are not on that site's loader path and its hooks are not in that
site's plugin manager — nothing can leak across sites by a forgotten check. See docs/architecture.md.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from litestar import Litestar, Request, Response
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.response import Redirect
from litestar.router import Router
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.types import Receive, Scope, Send

from cunwu import __version__, i18n
from cunwu.errors import DomainError
from cunwu.plugins import PluginError, call_hook
from cunwu.runtime import Site
from cunwu.sites import check_hosts
from cunwu.templating import layer_dirs
from cunwu.web import precompressed
from cunwu.web.guards import FRAMEWORK_PUBLIC_PREFIXES, permission_guard
from cunwu.web.middleware import context_middleware, load_actor_with_session, request_scope_middleware
from cunwu.web.render import render
from cunwu.web.request_log import RequestLog
from cunwu.web.security import SecurityLayer
from cunwu.web.sessions import SESSION_COOKIE, LazySessionConfig, csrf_middleware

SESSION_DAYS = 14


def _plugin_route_prefixes(name: str) -> tuple[str, ...]:
    return (f"/v/{{village_code:str}}/p/{name}/", f"/p/{name}/", f"/api/v1/p/{name}/",
            f"/v/{{village_code:str}}/p/{name}", f"/p/{name}", f"/api/v1/p/{name}")


def _paths(handler: Any) -> list[str]:
    if isinstance(handler, Router):
        return [route.path for route in handler.routes]
    paths = getattr(handler, "paths", None)
    if paths is None and isinstance(handler, type):  # a Controller class
        base = getattr(handler, "path", "/")
        inner = [p for attr in vars(handler).values() for p in (getattr(attr, "paths", None) or [])]
        return [base.rstrip("/") + "/" + p.lstrip("/") for p in inner] or [base]
    return list(paths or [])


def collect_routes(site: Site) -> list[tuple[str, Any]]:
    """Every plugin's routes with the plugin (or core area) that owns each; non-core plugins must keep to their own
    URL namespace."""
    handlers: list[tuple[str, Any]] = []
    names = {site.plugins.pm.get_name(obj): name for name, obj in site.plugins.objects.items()}
    for plugin_name, returned in call_hook(site.plugins.pm, "register_routes", load_order=True, site=site):
        owner = names[plugin_name]
        for handler in returned or []:
            if not site.plugins.manifests[owner].core:
                for path in _paths(handler):
                    normalised = path.replace("{village_code}", "{village_code:str}")
                    if not normalised.startswith(_plugin_route_prefixes(owner)):
                        raise PluginError(
                            f"plugin {owner!r}: route {path!r} is outside /v/{{village_code}}/p/{owner}/, "
                            f"/p/{owner}/ and /api/v1/p/{owner}/"
                        )
            handlers.append((owner, handler))
    return handlers


def _handler_functions(handler: Any) -> list[Any]:
    """The Python functions behind one registered item (a handler, a Controller class or a Router)."""
    if isinstance(handler, Router):  # not the OPTIONS handlers Litestar adds to a Router's routes itself
        return [h.fn for route in handler.routes for h in getattr(route, "route_handlers", [])
                if not h.fn.__module__.startswith("litestar.")]
    if isinstance(handler, type):  # a Controller class
        return [attr.fn for attr in vars(handler).values() if isinstance(attr, BaseRouteHandler)]
    return [handler.fn] if isinstance(handler, BaseRouteHandler) else []


def check_route_permissions(site: Site, app: Litestar, routes: list[tuple[str, Any]]) -> None:
    """Refuse to start when a route declares neither `opt={"public": True}` nor a permission some manifest defines:
    a typo would otherwise be a 500, and a forgotten declaration a 403, only when someone opens the page."""
    owners = {fn: owner for owner, handler in routes for fn in _handler_functions(handler)}
    problems = []
    for route in app.routes:
        if route.path.startswith(FRAMEWORK_PUBLIC_PREFIXES):
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public") is True or handler.fn not in owners:  # not a plugin's (Litestar's OPTIONS)
                continue
            where = f"plugin {owners[handler.fn]!r}: route {' '.join(sorted(handler.http_methods))} {route.path}"
            declared = handler.opt.get("permission")
            if not declared:
                problems.append(f"{where} declares no permission (opt={{'permission': ...}} or {{'public': True}})")
                continue
            for name in (declared,) if isinstance(declared, str) else tuple(declared):
                if name not in site.plugins.permissions:
                    problems.append(f"{where}: unknown permission {name!r} (no manifest defines it)")
    if problems:
        raise PluginError("\n".join(problems))


def _error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Theme error pages for people, JSON for the API. A DomainError answers by its kind (NotFound 404, Forbidden 403,
    Conflict 409, others 400) with its message and problems."""
    problems: list[Any] = []
    if isinstance(exc, DomainError):
        status, detail, problems = exc.status_code, exc.message, exc.problems
    elif isinstance(exc, HTTPException):
        status, detail = exc.status_code, exc.detail
    else:
        status, detail = 500, ""
        request_id = request.scope.get("state", {}).get("request_id", "")  # the one on the page (request_log)
        logging.getLogger("cunwu.errors").error("unhandled error %s", request_id, exc_info=exc,
                                                extra={"request_id": request_id})
    if request.url.path.startswith("/api/"):
        body = {"status_code": status, "detail": detail,
                "problems": [{"message": p.message, "where": p.where()} for p in problems]}
        return Response(body, status_code=status)
    if status == 401:
        return Redirect(f"/login?next={request.url.path}")
    template = f"errors/{status}.html" if status in (400, 403, 404, 409) else "errors/500.html"
    return render(request, template, {"detail": detail, "status": status, "problems": problems,
                                      "back": _back(request)}, status_code=status)


def _back(request: Request[Any, Any, Any]) -> str:
    """The page the person came from (its Referer, when a page of this site): a refusal's page links back to it,
    where the form and the record are, with no need of JavaScript's history.back(). Empty when unknown."""
    came = urlsplit(request.headers.get("referer", ""))
    if came.scheme not in ("http", "https") or came.netloc != request.url.netloc or not came.path.startswith("/"):
        return ""
    return came.path + (f"?{came.query}" if came.query else "")


class SiteApp:
    """A site's Litestar app behind the ASGI layers its plugins add (`asgi_wrapper` hook, first plugin innermost)."""

    def __init__(self, site: Site, litestar: Litestar) -> None:
        self.litestar = litestar
        self.asgi: Any = litestar
        for _plugin, wrap in call_hook(site.plugins.pm, "asgi_wrapper", load_order=True, site=site):
            if wrap is not None:
                self.asgi = wrap(self.asgi)
        self.asgi = SecurityLayer(self.asgi, site.settings("web"))  # see cunwu.web.security
        self.asgi = RequestLog(self.asgi, site)  # outermost: every answer gets its id and its log line

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.asgi(scope, receive, send)

    def lifespan(self) -> Any:
        return self.litestar.lifespan()


def create_site_app(site: Site, *, debug: bool = False) -> SiteApp:
    return SiteApp(site, _create_litestar(site, debug=debug))


def _create_litestar(site: Site, *, debug: bool = False) -> Litestar:
    static = [
        create_static_files_router(
            path="/static", directories=[p for _, p in layer_dirs(site, "static")], opt={"public": True},
            name="static", include_in_schema=False,
        )
    ]
    for name in site.plugins.plugin_names():
        folder = site.plugins.folder(name) / "static"
        if folder.is_dir():
            static.append(create_static_files_router(
                path=f"/static/plugins/{name}", directories=[folder], opt={"public": True},
                name=f"static_{name}", include_in_schema=False,
            ))
    store = site.store
    stores = StoreRegistry({
        "sessions": store.with_namespace("sessions"),
        "ratelimit": store.with_namespace("ratelimit"),
        "cache": store.with_namespace("cache"),
    })
    session_config = LazySessionConfig(
        store="sessions", key=SESSION_COOKIE, max_age=SESSION_DAYS * 86400, samesite="lax", httponly=True,
        renew_on_access=False, exclude=["/static/"], load_with=load_actor_with_session,
    )

    async def on_startup(app: Litestar) -> None:
        await anyio.to_thread.run_sync(site.run_startup)

    async def on_shutdown(app: Litestar) -> None:
        await anyio.to_thread.run_sync(site.run_shutdown)

    routes = collect_routes(site)
    app = Litestar(
        # One Router for all: Litestar re-registers (and re-wraps) a handler when a later one joins its path.
        route_handlers=[Router(path="/", route_handlers=[handler for _owner, handler in routes]), *static],
        middleware=[request_scope_middleware, session_config.middleware, csrf_middleware, context_middleware],
        guards=[permission_guard],
        stores=stores,
        state=State({"site": site, "csrf_secret": site.secret()}),
        exception_handlers={Exception: _error_handler},
        openapi_config=OpenAPIConfig(title=f"Cunwu · {site.config.name}", version=__version__, path="/schema"),
        compression_config=CompressionConfig(backend="gzip", minimum_size=800,
                                             exclude_opt_key=precompressed.OPT_KEY),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=debug,
    )
    check_route_permissions(site, app, routes)
    return app


class HostDispatcher:
    """Send each request to the app of the site whose `hosts` list names its Host header."""

    def __init__(self, apps: dict[str, SiteApp], hosts: dict[str, str]) -> None:
        self.apps = apps
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1").rsplit(":", 1)[0].lower()
                break
        slug = self.hosts.get(host)
        if slug is None:
            body = f"Unknown site for host {host!r}".encode()
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.apps[slug](scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        stack = AsyncExitStack()
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                for app in self.apps.values():
                    await stack.enter_async_context(app.lifespan())
            except Exception as exc:
                await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                return
            await send({"type": "lifespan.startup.complete"})
            message = await receive()
        if message["type"] == "lifespan.shutdown":
            await stack.aclose()
            await send({"type": "lifespan.shutdown.complete"})


def create_app(sites: list[Site], *, debug: bool = False) -> Any:
    """A single site answers any host; several are told apart by their `hosts`."""
    apps = {site.slug: create_site_app(site, debug=debug) for site in sites}
    if len(sites) == 1:
        return apps[sites[0].slug]
    check_hosts([site.config for site in sites])
    hosts = {host.strip().lower(): site.slug for site in sites for host in site.config.hosts}
    return HostDispatcher(apps, hosts)


__all__ = ["HostDispatcher", "SiteApp", "create_app", "create_site_app", "i18n"]
