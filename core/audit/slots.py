"""What the audit chain puts on the county overview (the `page_slots` hook): the chain's head, so a printed or
saved copy anchors the chain outside the servers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.audit.checkpoints import head
from cunwu.i18n import _
from cunwu.templating import localtime
from cunwu.web.render import site_of


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot == "site_home":
        return [_chain_head(request)]
    return []


def _chain_head(request: Request[Any, Any, Any]) -> Markup:
    site = site_of(request)
    with site.db.read() as session:  # the county overview is viewed often: no count of the whole chain
        now = head(session, site.slug, count=False)
    link = Markup('<a href="/-/audit/head.json">{}</a>').format(_("机读格式（JSON）"))
    at = localtime(dt.datetime.fromisoformat(now.at)) if now.at else ""
    return Markup(site.templates.get_template("audit/_slot_site_home.html").render(
        {"head": now, "at": at, "link": link}))
