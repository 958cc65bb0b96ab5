"""The county dashboard's data part (the four rates, both charts with their tables, the missing counts), drawn once
per set of figures and language and kept per process.

The dashboard is a signed-in page loaded often and changed seldom: summing the counts, drawing the two SVG charts
and rendering the tables was most of its handler at 300 villages (docs/performance.md, "Issue #17", round 4). What
the part shows depends only on the rows `services.dashboard_rows` reads (per month and township: the villages and
how many cover each type), the villages they are summed for, the month and the language — so those rows themselves
key it, and no write can leave a stale part reachable: a snapshot, a clerk's write (which retakes the village's
row) or anything else that changes a count changes the rows read on the next request, in every worker, with no
purge step and no version to keep in step. The permission check stays per request (the route's guard and
`villages_for`); the part holds nothing about the visitor (the snapshot button, with its CSRF token, is on the page
around it, and only shown while the month's snapshot lacks villages — a page that is drawn fresh, never kept).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from cunwu.api import Site, _, active_locale, charts, kept_parts, local_today, precompressed

from . import rules, services
from .services import TYPE_TITLES

#: Parts kept per process: a county's, its townships', in both languages (≈ 40 KB each at 300 villages with the
#: HTML, its UTF-8 bytes and the deflate stream: ≈ 2.5 MB at most).
KEPT_PARTS = 64


@dataclass(frozen=True)
class Drawn:
    """The data part, with its deflate stream, and what the page says above it (since when the figures hold, for
    how many villages, how many of them were measured live)."""

    part: precompressed.Part
    as_of: dt.datetime | None
    villages: int
    unsnapshotted: int


def figures(found: services.Overview, months: list[tuple[dt.date, rules.Rate]]) -> dict[str, Any]:
    """The template context of the dashboard's figures: the township table's percentages worked out once here
    rather than by the template (15 rows × 5), the bar chart's column, the trend's series."""
    series_keys = (*rules.TYPES, "all")
    township_rows = [(name, rate.villages, [rules.percent(rate.share(k)) for k in series_keys])
                     for name, rate in found.townships.items()]
    return {
        "overview": found, "months": months,
        "township_rows": township_rows,
        "bar_rows": [(name, percents[-1]) for name, _villages, percents in township_rows],
        "county_row": (found.county.villages, [rules.percent(found.county.share(k)) for k in series_keys]),
        "month_labels": [m.strftime("%Y-%m") for m, _rate in months],
        "series": [(str(TYPE_TITLES[k]), [rules.percent(rate.share(k)) for _m, rate in months])
                   for k in series_keys],
        "series_keys": series_keys, "types": TYPE_TITLES, "type_keys": rules.TYPES, "percent": rules.percent}


def charts_of(context: dict[str, Any]) -> dict[str, Markup]:
    """Both charts' SVG (with the numbers of the tables beside them)."""
    return {"bar": charts.bar_chart(_("各乡镇四个组织全覆盖率"), context["bar_rows"], "chart-townships"),
            "line": charts.line_chart(_("覆盖率逐月变化"), context["month_labels"], context["series"], "chart-trend")
            if context["months"] else Markup("")}


def draw(site: Site, found: services.Overview, months: list[tuple[dt.date, rules.Rate]], *,
         print_view: bool = False) -> Drawn:
    """The data part drawn now (a miss, the print view, a month measured live; and what a kept copy equals byte for
    byte). The print view lists each type's missing villages with their reasons: `found` must come from
    `overview(..., reasons=True)`."""
    context = figures(found, months)
    html = site.templates.get_template("coverage/_dashboard.html").render(
        {**context, "charts": charts_of(context), "print": print_view})
    return Drawn(precompressed.part(Markup(html)), found.as_of, found.county.villages, found.unsnapshotted)


def dashboard(site: Site, village_codes: list[str]) -> Drawn:
    """The screen's data part for these villages: kept under the rows it is summed from, drawn on a miss, drawn
    fresh (and not kept) while the month's snapshot lacks villages (they are measured live for this answer)."""
    on = local_today()
    with site.db.read() as session:
        rows = services.dashboard_rows(session, site, village_codes, on)
        if rows is None:
            return draw(site, services.overview(session, site, village_codes, on, reasons=False),
                        services.trend(session, village_codes))
    key = (tuple(village_codes), rules.month_of(on), rows, active_locale())
    store = kept_parts(site, "coverage.dashboard", KEPT_PARTS)
    found: Drawn | None = store.get(key)
    if found is None:
        found = draw(site, *services.summed(site, key[0], key[1], rows))
        store.put(key, found)
    return found
