"""What a request carries for the handlers: the site it belongs to and the person making it (set by the middleware).

Kept apart from `render` so the guard, which `render` uses, can read them without importing `render` back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.datastructures import State

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site


def site_of(connection: ASGIConnection[Any, Any, Any, State]) -> Site:
    """The site this request belongs to."""
    site: Site = connection.app.state.site
    return site


def actor_of(connection: ASGIConnection[Any, Any, Any, State]) -> Actor | None:
    """The signed-in person making this request, or None for a visitor."""
    actor: Actor | None = connection.scope.get("state", {}).get("actor")
    return actor
