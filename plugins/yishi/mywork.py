"""我的待办 for 一事一议: each project at a step the signed-in person acts on, linked to its workflow page.

Clerk (yishi.manage): publish the plan, record the vote, fix the shares (again after a township return), submit
for review, publish the burden list once filed. Township (yishi.review): review. County (yishi.file): file.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from cunwu.api import Actor, WorkItem, _, hookimpl, site_of

from . import services

AREA_ORDER = 50


def _steps() -> dict[str, tuple[str, str]]:
    """status → (permission that acts on it, what waits); translated per request."""
    return {
        "proposed": ("yishi.manage", _("公示方案")),
        "published": ("yishi.manage", _("登记表决结果")),
        "approved": ("yishi.manage", _("核定分摊")),
        "returned": ("yishi.manage", _("乡镇退回：重新核定分摊")),
        "shares_fixed": ("yishi.manage", _("报乡镇审核")),
        "filed": ("yishi.manage", _("公示负担清单")),
        "submitted": ("yishi.review", _("乡镇审核")),
        "reviewed": ("yishi.file", _("县级备案")),
    }


@hookimpl
def my_work(request: Request[Any, Any, Any], actor: Actor) -> list[WorkItem]:
    site = site_of(request)
    steps = _steps()
    villages = {permission: site.villages_for(actor, permission) for permission in {p for p, _w in steps.values()}}
    if not any(villages.values()):
        return []
    area = _("一事一议")
    items: list[WorkItem] = []
    with site.db.read() as session:
        for order, (status, (permission, what)) in enumerate(steps.items()):
            if not villages[permission]:
                continue
            for project in services.projects_of(session, villages[permission], [status]):
                if status == "filed" and project.burden_notice_id is not None:
                    continue  # the burden list is out: collection is recorded as it comes, not a waiting step
                items.append(WorkItem(area, _("%(step)s：%(title)s", step=what, title=project.title), 1,
                                      f"/v/{project.village_code}/p/yishi/projects/{project.id}/manage",
                                      project.village_code, order=AREA_ORDER + order))
    return items
