"""「我的待办」: what waits for the signed-in person, gathered from every area's `my_work` hook.

People land here after logging in (when the login form names no other page); the menu shows the total.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from litestar import Request, Response, get
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.web.render import actor_of, render, site_of

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.plugin_types import WorkItem

MY_WORK_PATH = "/my"
#: How long a worker reuses a signed-in person's menu count. Counting asks every area (several queries each) and was
#: most of the cost of any signed-in page (docs/performance.md); /my itself always counts afresh, and a person's own
#: change (any POST) makes every worker count again for them (the time is kept in their session), so only changes
#: made by others can show up to this late in the menu.
MENU_COUNT_SECONDS = 30.0
_MENU_COUNTS_KEPT = 10_000
_menu_counts: weakref.WeakKeyDictionary[Any, dict[Actor, tuple[float, int]]] = weakref.WeakKeyDictionary()
_CHANGED_KEY = "my_work_changed"


@dataclass(frozen=True)
class Area:
    """One section of /my: an area's title and its items."""

    title: str
    items: list[WorkItem]

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)


def work_for(request: Request[Any, Any, Any], actor: Actor) -> list[WorkItem]:
    """Every area's waiting work for `actor` (count > 0), most urgent first within the order areas give."""
    items = [item for item in site_of(request).call("my_work", request=request, actor=actor) if item.count > 0]
    return sorted(items, key=lambda item: (item.order, not item.overdue, item.village_code or "", item.what))


def grouped(items: list[WorkItem]) -> list[Area]:
    """Items grouped by area, areas in the order of their first item."""
    areas: dict[str, list[WorkItem]] = {}
    for item in items:
        areas.setdefault(item.area, []).append(item)
    return [Area(title, rows) for title, rows in areas.items()]


def note_own_change(session: Session) -> None:
    """Called for every state-changing request of a signed-in person: their menu count is counted afresh next."""
    if isinstance(session, dict):
        session[_CHANGED_KEY] = time.time()


def _counts(request: Request[Any, Any, Any]) -> dict[Actor, tuple[float, int]]:
    """This worker's kept counts for the request's site (by site object: tests run many sites in one process)."""
    return _menu_counts.setdefault(site_of(request), {})


def _remember(request: Request[Any, Any, Any], actor: Actor, total: int) -> None:
    counts = _counts(request)
    if len(counts) >= _MENU_COUNTS_KEPT:
        counts.clear()
    counts[actor] = (time.time(), total)


def total_for(request: Request[Any, Any, Any], actor: Actor | None) -> int:
    """The menu's count; computed once per request (the menu hook may be called more than once) and reused by this
    worker for `MENU_COUNT_SECONDS` unless the person changed something since."""
    if actor is None:
        return 0
    state = request.scope.setdefault("state", {})
    if "my_work_total" not in state:
        session = request.scope.get("session")
        changed = session.get(_CHANGED_KEY, 0.0) if isinstance(session, dict) else 0.0
        kept = _counts(request).get(actor)
        if kept is not None and kept[0] > changed and time.time() - kept[0] < MENU_COUNT_SECONDS:
            state["my_work_total"] = kept[1]
        else:
            state["my_work_total"] = sum(item.count for item in work_for(request, actor))
            _remember(request, actor, state["my_work_total"])
    return int(state["my_work_total"])


@get(MY_WORK_PATH, opt={"public": True}, sync_to_thread=True, name="my_work")
def my_work_page(request: Request[Any, Any, Any]) -> Response[Any]:
    """Open to every signed-in person whatever their role (so it is public to the guard and checks sign-in here);
    a visitor is sent to the login form, which brings them back."""
    actor = actor_of(request)
    if actor is None:
        return Redirect(f"/login?next={MY_WORK_PATH}", status_code=303)
    site = site_of(request)
    items = work_for(request, actor)
    request.scope.setdefault("state", {})["my_work_total"] = sum(item.count for item in items)
    _remember(request, actor, sum(item.count for item in items))
    homes = [site.village(code) for code in sorted(actor.villages())]
    return render(request, "site/my.html", {
        "areas": grouped(items), "total": sum(item.count for item in items),
        "homes": [v for v in homes if v is not None],
        "village_names": {v.code: v.name for v in site.config.villages}})


ROUTES = [my_work_page]
