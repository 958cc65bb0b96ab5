"""Demo projects (after the register): a completed road project in the first village (online household vote,
burden list, collections, labour, spending, published account), an irrigation plan under township review in the
second, and a fresh proposal in the third."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlmodel import Session

from cunwu.api import Actor, DemoContext, Site, local_today

from . import services

CLERK = Actor(user_id=None, username="clerk", display_name="东街村文书 张秀英")
CLERK2 = Actor(user_id=None, username="clerk2", display_name="西街村文书 刘长海")
TOWNSHIP = Actor(user_id=None, username="township", display_name="肃宁镇 赵志强")
COUNTY = Actor(user_id=None, username="county", display_name="县民政局 李红梅")


def _proposal(kind: str, title: str, description: str, budget: str, money: str, days: str,
              reference: dt.date) -> services.ProposalInput:
    return services.ProposalInput(
        kind=kind, title=title, description=description, beneficiaries="全村村民", budget=Decimal(budget),
        money_per_person=Decimal(money), workdays_per_labourer=Decimal(days), year=reference.year,
        reference_date=reference, origin="committee", proposed_on=reference,
    )


def _completed_road(session: Session, site: Site, demo: DemoContext, village_code: str, reference: dt.date) -> None:
    rng = demo.rng
    project = services.propose(session, site, CLERK, village_code=village_code, data=_proposal(
        "road", "村东主街硬化（800米）", "村东主街 800 米硬化，宽 4.5 米，厚 18 厘米，C25 混凝土。", "96000", "10", "2",
        reference))
    services.publish_plan(session, site, CLERK, project)
    slips = services.issue_codes(session, site, CLERK, project)
    for slip in slips:
        roll = rng.random()
        if roll < 0.82:
            services.cast_ballot(session, site, project, slip.code, "for" if roll < 0.74 else "against")
    services.close_online_vote(session, site, CLERK, project, reference + dt.timedelta(days=12))
    if project.status != "approved":
        return
    services.fix_shares(session, site, CLERK, project)
    services.submit_for_review(session, site, CLERK, project)
    services.review(session, site, TOWNSHIP, project, decision="approved", opinion="方案符合规定，同意。",
                    on=reference + dt.timedelta(days=20))
    services.file_plan(session, site, COUNTY, project, decision="filed", opinion="准予备案。",
                       on=reference + dt.timedelta(days=27))
    services.publish_burden_list(session, site, CLERK, project)
    paid_on = reference + dt.timedelta(days=40)
    for share in services.current_shares(session, project):
        if share.money_due > 0 and rng.random() < 0.86:
            services.record_collection(session, site, CLERK, project, household_id=share.household_id,
                                       amount=share.money_due, on=paid_on, receipt_no=f"YS{share.household_number}")
        if share.workdays_due > 0 and rng.random() < 0.9:
            services.record_labour(session, site, CLERK, project, household_id=share.household_id,
                                   workdays=share.workdays_due, on=paid_on + dt.timedelta(days=5))
    account = services.account_of(session, site, project)
    for item, part in (("商品混凝土", Decimal("0.6")), ("机械租赁", Decimal("0.2")), ("路肩及排水", Decimal("0.1"))):
        amount = (account.income * part).quantize(Decimal("1"))
        if amount > 0:
            services.add_spending(session, site, CLERK, project, item=item, amount=amount,
                                  on=paid_on + dt.timedelta(days=15), voucher_no=f"凭-{rng.randint(100, 999)}")
    services.publish_account(session, site, CLERK, project)


def build(session: Session, site: Site, demo: DemoContext) -> None:
    villages = [v.code for v in site.config.villages]
    reference = local_today() - dt.timedelta(days=120)
    if not villages:
        return
    _completed_road(session, site, demo, villages[0], reference)
    if len(villages) > 1:
        irrigation = services.propose(session, site, CLERK2, village_code=villages[1], data=_proposal(
            "irrigation", "西片机井配套及防渗渠（1.2公里）", "新打机井 2 眼，配套防渗渠 1.2 公里。", "150000", "8", "3",
            reference))
        services.publish_plan(session, site, CLERK2, irrigation)
        services.record_result(session, site, CLERK2, irrigation, source="ballot",
                               held_on=reference + dt.timedelta(days=14), members=31, present=27, votes_for=22,
                               against=3, abstain=2)
        services.fix_shares(session, site, CLERK2, irrigation)
        services.submit_for_review(session, site, CLERK2, irrigation)
    if len(villages) > 2:
        services.propose(session, site, Actor.system("demo"), village_code=villages[2], data=_proposal(
            "trees", "村庄绿化植树（国槐 600 株）", "沿村内主要街道栽植国槐 600 株。", "36000", "5", "1",
            local_today()))
