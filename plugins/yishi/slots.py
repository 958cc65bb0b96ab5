"""What the 一事一议 plugin puts on the village dashboard (open projects, for staff) and on the county overview
(the plans waiting for this official's review or filing, and the projects of the villages the official oversees by
stage, a bar chart with the same numbers as a table) — the `page_slots` hook."""

from __future__ import annotations

from typing import Any

from litestar import Request
from markupsafe import Markup

from cunwu.api import _, actor_of, charts, site_of

from . import services
from .controllers import reviewer_villages
from .models import STAGES, STATUSES


def slot_html(request: Request[Any, Any, Any], slot: str, village_code: str | None) -> list[Markup]:
    site = site_of(request)
    actor = actor_of(request)
    env = site.templates
    if slot == "village_dashboard" and village_code and site.allowed(actor, "yishi.view", village_code):
        with site.db.read() as session:
            projects = [p for p in services.projects_of(session, [village_code]) if p.status != "completed"][:5]
        return [Markup(env.get_template("yishi/_slot_village_dashboard.html").render(
            projects=projects, statuses=STATUSES, village_code=village_code))]
    if slot == "site_home" and actor is not None:
        villages = reviewer_villages(site, actor)
        overseen = site.villages_for(actor, "yishi.county")
        if not villages and not overseen:
            return []
        with site.db.read() as session:
            waiting = services.projects_of(session, villages, ["submitted", "reviewed"]) if villages else None
            stages = services.stage_counts(session, overseen) if overseen else None
        names = {v.code: f"{v.township} · {v.name}" for v in site.config.villages}
        chart = charts.bar_chart(_("一事一议项目所处阶段（个）"), [(str(STAGES[k]), n) for k, n in stages.items()],
                                 "chart-yishi-stages", unit="") if stages else None
        return [Markup(env.get_template("yishi/_slot_site_home.html").render(
            waiting=waiting, statuses=STATUSES, names=names, stages=stages, chart=chart, villages=len(overseen)))]
    return []
