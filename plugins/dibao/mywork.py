"""我的待办 for 低保: the cases at the step the signed-in person acts on, and months computed but not approved.

The steps follow the case statuses (services.status_label): the clerk investigates (`applied`), posts the township's
proposal (`proposed`) and runs the 民主评议 (`democratic_review`); the township gives its opinion (`applied`); whoever
confirms decides once the 公示 has ended, and reviews enrolled cases whose review date has passed; the county's payment
staff approve computed months. Counting queries only: this runs for the menu on every page.
"""

from __future__ import annotations

from typing import Any

from litestar import Request
from sqlalchemy import func
from sqlmodel import Session, col, select

from cunwu.api import Actor, WorkItem, _, hookimpl, local_today, site_of

from . import amounts
from .models import Case, Cycle

AREA_ORDER = 40


def _per_village(session: Session, villages: list[str], *conditions: Any) -> dict[str, int]:
    rows = session.exec(select(Case.village_code, func.count()).where(col(Case.village_code).in_(villages),
                                                                      *conditions)
                        .group_by(Case.village_code)).all()
    return {code: int(n) for code, n in rows}


def _total(session: Session, villages: list[str], *conditions: Any) -> int:
    return sum(_per_village(session, villages, *conditions).values())


@hookimpl
def my_work(request: Request[Any, Any, Any], actor: Actor) -> list[WorkItem]:
    site = site_of(request)
    apply = site.villages_for(actor, "dibao.apply")
    assess = site.villages_for(actor, "dibao.assess")
    confirm = site.villages_for(actor, "dibao.confirm")
    payments = site.allowed(actor, "dibao.payments", None)
    if not (apply or assess or confirm or payments):
        return []
    area = _("低保")
    today = local_today()
    items: list[WorkItem] = []
    with site.db.read() as session:
        clerk_steps = (
            ("applied", _("调查核实中的申请"), _("入户调查、核对收入财产后，由乡镇出具审核意见")),
            ("proposed", _("乡镇已同意、待公示的案件"), _("公示期满后由县民政局审核确认")),
            ("democratic_review", _("待民主评议的案件"), _("召开民主评议会并登记结果")),
        )
        for order, (status, what, who_next) in enumerate(clerk_steps):
            for code, n in _per_village(session, apply, Case.status == status).items():
                items.append(WorkItem(area, what, n, f"/v/{code}/p/dibao/", code, who_next=who_next,
                                      order=AREA_ORDER + order))
        if assess and (n := _total(session, assess, Case.status == "applied")):
            items.append(WorkItem(area, _("待出具乡镇审核意见的申请"), n, "/p/dibao/", order=AREA_ORDER + 3))
        if confirm:
            if n := _total(session, confirm, Case.status == "posting", col(Case.posting_ends_on) < today):
                late = _total(session, confirm, Case.status == "posting", col(Case.confirm_due_on) < today) > 0
                items.append(WorkItem(area, _("公示期满、待审核确认的案件"), n, "/p/dibao/", overdue=late,
                                      order=AREA_ORDER + 4))
            month = amounts.first_of_month(today)
            if n := _total(session, confirm, Case.status == "enrolled", col(Case.next_review_on) < month):
                items.append(WorkItem(area, _("到期未复核的案件（复核前暂停发放）"), n, "/p/dibao/", overdue=True,
                                      order=AREA_ORDER + 5))
        if payments:
            for cycle in session.exec(select(Cycle).where(Cycle.status == "computed").order_by(col(Cycle.month))):
                items.append(WorkItem(area, _("已计算、待审批的低保金：%(month)s", month=cycle.month.strftime("%Y-%m")),
                                      1, f"/p/dibao/cycles/{cycle.month.strftime('%Y-%m')}", order=AREA_ORDER + 6))
    return items
