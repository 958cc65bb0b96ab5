"""What the notice board puts on the village home, the clerk's dashboard and the county overview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy import func, select

from cunwu.notices import queries, services
from cunwu.notices.models import Notice
from cunwu.notices.settings import STREAM_LABELS
from cunwu.web.render import actor_of, site_of

if TYPE_CHECKING:
    from cunwu.runtime import Site
from litestar import Request


def _render(site: Site, template: str, context: dict[str, Any]) -> Markup:
    return Markup(site.templates.get_template(template).render({"stream_labels": STREAM_LABELS, **context}))


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    site = site_of(request)
    actor = actor_of(request)
    if slot == "village_home" and village_code:
        with site.db.read() as session:
            current = queries.current_board(session, village_code, limit=5, listing=True)
        return [_render(site, "notices/_slot_village_home.html",
                        {"current": current, "village_code": village_code})]
    if slot == "village_dashboard" and village_code and actor is not None \
            and site.allowed(actor, "notices.view_drafts", village_code):
        with site.db.read() as session:
            late = queries.overdue(session, site, [village_code])
            objections = queries.open_objection_count(session, village_code)
            drafts = session.scalar(select(func.count()).select_from(Notice).where(
                Notice.village_code == village_code, Notice.is_current, Notice.status == "draft")) or 0
        return [_render(site, "notices/_slot_village_dashboard.html", {
            "late": late, "objections": objections, "drafts": drafts, "village_code": village_code})]
    if slot == "site_home":
        with site.db.read() as session:
            late = queries.overdue(session, site)
        return [_render(site, "notices/_slot_site_home.html", {
            "late": late, "villages": site.villages, "today": services.local_today()})]
    return []
