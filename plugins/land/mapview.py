"""The village map's data part (summary, legend, SVG and table), rendered once per village, version, day and language.

A 2,000-plot village's map is ≈ 600 KB of HTML; drawing and rendering it on every request was most of the page's
cost (docs/performance.md "Land pages"). What it shows depends only on the village's land records, the local date
(transfers start and end at midnight) and the language, so it is kept per process under
(village, `audit.village_version`, date, locale): every write to an official record adds an audit entry in its own
transaction, so a write makes the old key unreachable at its commit, in every worker, with no purge step.
"""

from __future__ import annotations

import datetime as dt

from markupsafe import Markup
from sqlalchemy import Text, cast
from sqlmodel import Session, col, select

from cunwu.api import Site, active_locale, audit, kept_parts, local_today, precompressed

from . import geometry, services
from .models import Plot

#: Fragments kept per site and process: a few villages' maps in both languages (≈ 600 KB for 2,000 plots each).
MAP_FRAGMENTS = 16


def draw(site: Site, session: Session, village_code: str, today: dt.date) -> Markup:
    """The map's data part drawn now (a miss; and what a kept copy equals byte for byte).

    Only the columns drawn are read (no ORM objects), each polygon as its stored JSON text, which
    `geometry.village_svg` parses and projects once per process; the states are worked out once."""
    plots = session.exec(select(Plot.id, Plot.code, Plot.name, Plot.area_mu,
                                cast(Plot.geometry, Text).label("geometry"))
                         .where(Plot.village_code == village_code).order_by(col(Plot.code))).all()
    states = services.plot_states(session, village_code, today)
    summary = services.village_summary(session, site, village_code, today, states=states)
    labels = {s: geometry.state_label(s) for s in geometry.STATE_COLOURS}
    rows = [(p.code, p.name, p.area_mu, labels[states.get(p.id, "free")]) for p in plots]
    return Markup(site.templates.get_template("land/_map_data.html").render({
        "rows": rows, "svg": geometry.village_svg(plots, states), "summary": summary,
        "colours": geometry.STATE_COLOURS, "labels": labels, "form_label": services.form_label}))


def map_fragment(site: Site, village_code: str) -> precompressed.Part:
    """The map's data part from the cache (with its deflate stream, so a request compresses only the page around
    it), drawn on a miss. The version is read before the records, in the same read, so a fragment is never kept
    under a version newer than what it shows."""
    today = local_today()
    store = kept_parts(site, "land.map", MAP_FRAGMENTS)
    with site.db.read() as session:
        key = (village_code, audit.village_version(session, village_code), today, active_locale())
        found: precompressed.Part | None = store.get(key)
        if found is not None:
            return found
        fragment = precompressed.part(draw(site, session, village_code, today))
    store.put(key, fragment)
    return fragment
