"""The township ledger's data part (roll-ups and transfers in force), rendered once per village set, version, day
and language.

The ledger is a signed-in page loaded often and changed seldom: reading the transfers and rendering ≈ 700 escaped
cells was two thirds of its handler (docs/performance.md "The township ledger, round 3"). What it shows depends only
on the villages' land records, the local date, the land settings and the language, so it is kept per process under
(villages, `audit.villages_version`, date, locale, expiring window), as the map's part is (`mapview`): a write to any
of the villages makes the old key unreachable at its commit, in every worker, with no purge step. The permission
check stays per request (the route's guard and `villages_for`); the part holds nothing about the visitor.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from markupsafe import Markup
from sqlmodel import Session

from cunwu.api import Site, active_locale, audit, kept_parts, local_today, precompressed

from . import services
from .models import TRANSFER_FORMS

#: Parts kept per site and process: a few townships' ledgers in both languages (≈ 20 KB each; a county's more).
LEDGER_FRAGMENTS = 32

def draw(site: Site, session: Session, codes: list[str], today: dt.date) -> Markup:
    """The ledger's data part drawn now (a miss; and what a kept copy equals byte for byte)."""
    rows, totals = services.ledger(session, site, codes, today)
    townships: dict[str, services.VillageTotals] = {}
    for code in codes:
        entry = site.village(code)
        town = townships.setdefault(entry.township, services.VillageTotals(entry.township, by_form={}))
        total = totals[code]
        town.contracted += total.contracted
        town.transferred += total.transferred
        town.transfers += total.transfers
        town.registrable += total.registrable
        town.expiring += total.expiring
        for form, area in (total.by_form or {}).items():
            town.by_form[form] = town.by_form.get(form, Decimal(0)) + area  # type: ignore[index]
    return Markup(site.templates.get_template("land/_ledger_data.html").render({
        "rows": rows, "totals": totals, "codes": codes, "townships": townships, "forms": TRANSFER_FORMS,
        "labels": {form: services.form_label(form) for form in {*TRANSFER_FORMS, *(r.form for r in rows)}},
        "names": {code: site.village(code).name for code in codes},  # type: ignore[union-attr]
        "expiring_days": services.settings_of(site).expiring_within_days}))


def ledger_fragment(site: Site, codes: list[str]) -> precompressed.Part:
    """The ledger's data part for these villages from the cache (with its deflate stream), drawn on a miss. The
    version is read before the records, in the same read, so a part is never kept under a newer version than it
    shows."""
    today = local_today()
    store = kept_parts(site, "land.ledger", LEDGER_FRAGMENTS)
    with site.db.read() as session:
        key = (tuple(codes), audit.villages_version(session, codes) if codes else (0, 0), today, active_locale(),
               services.settings_of(site).expiring_within_days)
        found: precompressed.Part | None = store.get(key)
        if found is not None:
            return found
        fragment = precompressed.part(draw(site, session, codes, today))
    store.put(key, fragment)
    return fragment
