"""The public head of the audit chain (`/-/audit/head.json` and the county overview's card)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from markupsafe import Markup

from cunwu.audit.checkpoints import head
from cunwu.i18n import _
from cunwu.templating import localtime
from cunwu.web.render import site_of


def _head(request: Request[Any, Any, Any], *, count: bool = True) -> Any:
    site = site_of(request)
    with site.db.read() as session:
        return head(session, site.slug, count=count)


@get("/-/audit/head.json", opt={"public": True}, sync_to_thread=True, name="audit_head")
def head_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The newest entry's id and hash and the entry count: fetch and keep it to anchor the chain."""
    now = _head(request)
    return {"site": now.site, "entry_id": now.entry_id, "entries": now.entries, "hash": now.hash, "at": now.at}


def head_slot(request: Request[Any, Any, Any]) -> Markup:
    site = site_of(request)
    now = _head(request, count=False)  # the county overview is viewed often: no count of the whole chain
    link = Markup('<a href="/-/audit/head.json">{}</a>').format(_("机读格式（JSON）"))
    at = localtime(dt.datetime.fromisoformat(now.at)) if now.at else ""
    return Markup(site.templates.get_template("audit/_slot_site_home.html").render(
        {"head": now, "at": at, "link": link}))


ROUTES = [head_json]
