"""Render a page: one template per page; an htmx request gets only the page's `content` block."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from litestar import Request, Response
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from cunwu import __version__, i18n, request_scope
from cunwu.privacy import mask
from cunwu.templating import render_block
from cunwu.web.guards import may_open
from cunwu.web.request_state import actor_of, site_of

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor

__all__ = ["actor_of", "base_context", "is_htmx", "public_base", "render", "site_of"]


def public_base(request: Request[Any, Any, Any]) -> str:
    """The site's address for links that leave the screen (QR codes, printed slips, feeds): the configured
    `public_url`, else the address this request came to."""
    return (site_of(request).config.public_url or str(request.base_url)).rstrip("/")


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def _menu(request: Request[Any, Any, Any], actor: Actor | None, village_code: str | None, level: str) -> list[Any]:
    """The page's menu: every area's `menu_links`, asked once per request (a slot that renders with the page's
    context, such as the meetings one on the village home, gets the same list)."""
    state = request.scope.setdefault("state", {})  # type: ignore[typeddict-item]
    key = f"cunwu.menu:{village_code or ''}"
    if key not in state:
        links = site_of(request).call("menu_links", request=request, actor=actor, village_code=village_code)
        state[key] = sorted((link for link in links if link.level == level), key=lambda link: (link.order, link.label))
    menu: list[Any] = state[key]
    return menu


def base_context(request: Request[Any, Any, Any], village_code: str | None = None) -> dict[str, Any]:
    site = site_of(request)
    actor = actor_of(request)
    village_code = village_code or request.path_params.get("village_code")
    village = site.village(village_code) if village_code else None

    def slot(name: str) -> Markup:
        return Markup("\n".join(str(s) for s in site.call("page_slots", request=request, slot=name,
                                                           village_code=village_code)))

    def can(action: str, scope_code: str | None = village_code) -> bool:
        return site.allowed(actor, action, scope_code)

    return {
        "request": request,
        "site": site,
        "actor": actor,
        "village": village,
        "village_code": village_code,
        "menu": _menu(request, actor, village_code, "village" if village else "site"),
        "slot": slot,
        "can": can,
        "may_open": lambda path: may_open(request, path),
        "mask": mask,
        "csrf_token": ScopeState.from_scope(request.scope).csrf_token or "",
        "locale": i18n.current_locale.get(),
        "version": __version__,
        "htmx": is_htmx(request),
        "request_id": request.scope.get("state", {}).get("request_id", ""),  # cunwu.web.request_log
    }


def _page_built() -> None:
    """In a worker thread, end the request's read transaction on a server now (`RequestScope.page_built`); on the
    event loop leave it to the request's end, which does it off the loop."""
    scope = request_scope.current()
    if scope is None or not scope.reads:
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop in this thread: a worker thread
        scope.page_built()


def render(
    request: Request[Any, Any, Any],
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    fragment: str = "content",
    headers: dict[str, str] | None = None,
) -> Response[str]:
    """Render a page template with the site's context (menu, actor, `can`, `mask`, slots) and `context` on top;
    an htmx request gets only the `fragment` block."""
    site = site_of(request)
    full = base_context(request)
    for extra in site.call("extra_template_vars", request=request, template=template):
        full.update(extra)
    full.update(context or {})
    if is_htmx(request):
        html = render_block(site.templates, template, fragment, full)
    else:
        html = site.templates.get_template(template).render(full)
    _page_built()
    return Response(
        html,
        status_code=status_code,
        media_type="text/html",
        headers={"Vary": "HX-Request, Cookie", **(headers or {})},
    )
