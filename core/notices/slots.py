"""What the notice board puts on the village home, the clerk's dashboard and the county overview."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from sqlalchemy import func, select

from cunwu import charts
from cunwu.audit import checkpoints
from cunwu.i18n import _, current_locale, lazy_gettext
from cunwu.notices import queries, services
from cunwu.notices.models import Notice
from cunwu.notices.settings import STREAM_LABELS
from cunwu.web.kept import kept_parts
from cunwu.web.render import actor_of, site_of

if TYPE_CHECKING:
    from cunwu.runtime import Site
from litestar import Request

#: The county overview's disclosure parts kept per site (`cunwu.web.kept`): the calendar of late villages and the
#: compliance chart read every notice of the county, on every view of the overview (a third of it at 300 villages:
#: docs/performance.md, "Latest results"). Kept per (audit chain head, day, language, villages the reader oversees):
#: every write of a notice or a finance statement is an audited entry, and entries are numbered in commit order, so
#: any change raises the head at its commit and the next view draws the part again.
KEPT_SITE_HOME = 16


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
        return [_site_home(site, site.villages_for(actor, "notices.county"))]
    return []


def _site_home(site: Site, codes: list[str]) -> Markup:
    """The county overview's disclosure part: the late villages, and the compliance chart for a reader who oversees
    villages (`codes`). Kept (see `KEPT_SITE_HOME`)."""
    today = services.local_today()
    with site.db.read() as session:
        key = (checkpoints.head(session, site.slug, count=False).entry_id, today, current_locale.get(),
               tuple(codes))
        kept = kept_parts(site, "notices.site_home", KEPT_SITE_HOME)
        found: Markup | None = kept.get(key)
        if found is not None:
            return found
        late = queries.overdue(session, site, today=today)
        found_compliance = queries.compliance(session, site, codes, today) if codes else None
    part = _render(site, "notices/_slot_site_home.html", {
        "late": late, "villages": site.villages, "today": today,
        "compliance": _compliance(site, *found_compliance) if found_compliance else None})
    kept.put(key, part)
    return part


#: On time green, late orange, missing red (charts.COLOURS), in the order of queries.COMPLIANCE.
COMPLIANCE_COLOURS = (charts.COLOURS[2], charts.COLOURS[4], charts.COLOURS[1])
COMPLIANCE_LABELS = {"on_time": lazy_gettext("按时公开"), "late": lazy_gettext("逾期公开"),
                     "missing": lazy_gettext("未公开")}


def _compliance(site: Site, periods: dict[str, queries.DuePeriod], found: dict[str, dict[str, str]],
                ) -> dict[str, Any]:
    """The county overview's disclosure compliance for the villages the reader oversees: per township and per
    stream, how many village disclosures of the latest closed period were on time, late or missing; a stacked bar
    chart of the townships and the same numbers as tables."""
    townships: dict[str, dict[str, int]] = {}
    streams = {stream: dict.fromkeys(queries.COMPLIANCE, 0) for stream in ("party", "village", "finance")}
    for code, outcomes in found.items():
        row = townships.setdefault(site.village(code).township, dict.fromkeys(queries.COMPLIANCE, 0))
        for stream, outcome in outcomes.items():
            row[outcome] += 1
            streams[stream][outcome] += 1
    total = {k: sum(row[k] for row in townships.values()) for k in queries.COMPLIANCE}
    names = [str(COMPLIANCE_LABELS[k]) for k in queries.COMPLIANCE]
    chart = charts.stacked_bar_chart(_("各乡镇三务公开情况（村次）"), names, [
        (name, [row[k] for k in queries.COMPLIANCE]) for name, row in townships.items()], "chart-disclosure",
        colours=COMPLIANCE_COLOURS)
    return {"periods": periods, "townships": townships, "streams": streams, "total": total, "chart": chart,
            "labels": COMPLIANCE_LABELS, "outcomes": queries.COMPLIANCE, "villages": len(found)}
