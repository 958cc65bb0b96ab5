"""What the 低保 plugin puts in page slots (the `page_slots` hook): on the village dashboard the cases in progress,
for 低保 viewers; on the county overview the recipients and amounts by month of the villages the official oversees
(`dibao.county`), as charts and the same numbers as a table."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.api import _, actor_of, charts, local_today, site_of

from . import disbursement, services

_SHOWN = ("applied", "proposed", "posting", "democratic_review", "enrolled")


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    if slot == "site_home" and village_code is None:
        return _county(request)
    if slot != "village_dashboard" or village_code is None:
        return []
    site = site_of(request)
    actor = actor_of(request)
    if actor is None or not site.allowed(actor, "dibao.view", village_code):
        return []
    with site.db.read() as session:
        found = services.cases(session, village_code, _SHOWN)
    counts = {status: sum(1 for c in found if c.status == status) for status in _SHOWN}
    template = site.templates.get_template("dibao/_slot_village_dashboard.html")
    return [Markup(template.render(counts=counts, village_code=village_code, status_label=services.status_label))]


def _county(request: Request[Any, Any, Any]) -> list[Markup]:
    """Households, persons and yuan paid per month over the last 12 months (from the month's entitlements)."""
    site = site_of(request)
    codes = site.villages_for(actor_of(request), "dibao.county")
    if not codes:
        return []
    with site.db.read() as session:
        months = disbursement.monthly_totals(session, codes, local_today())
    labels = [m.strftime("%Y-%m") for m, _t in months]
    figures = {}
    if months:
        figures = {
            "people": charts.line_chart(_("每月低保户数和人数"), labels, [
                (_("户数"), [t.households for _m, t in months]), (_("人数"), [t.persons for _m, t in months])],
                "chart-dibao-people", unit=""),
            "amounts": charts.bar_chart(_("每月低保金额（元）"), [(label, t.amount) for label, (_m, t)
                                                              in zip(labels, months, strict=True)],
                                        "chart-dibao-amounts", unit=""),
        }
    template = site.templates.get_template("dibao/_slot_site_home.html")
    return [Markup(template.render(months=months, labels=labels, charts=figures, villages=len(codes)))]
