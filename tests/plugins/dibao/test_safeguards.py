"""Safeguards on irreversible 低保 steps: two investigators for a home visit, no month approved before it begins,
and the confirmation pages in front of approving a month and exporting a bank file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu.clock import local_today
from cunwu_plugins.dibao import amounts, disbursement, services
from cunwu_plugins.dibao.models import Case, Cycle, Visit

from .conftest import CLERK, VILLAGE, enrolled_case, household, standard

ADULT = dt.date(1980, 5, 20)
SYSTEM = Actor.system("test")


@pytest.mark.parametrize("visitors", ["王文书", "王文书、王文书", "  ", "王文书，"])
def test_a_home_visit_needs_two_investigators(site_factory: Any, visitors: str) -> None:
    site = site_factory(enabled=["dibao"])
    with site.db.transaction() as session:
        home, members = household(session, site, [ADULT])
        case = services.apply(session, site, CLERK, village_code=VILLAGE, household_id=home.id,
                              applicant_id=members[0].id, covered=[members[0].id], bank_code="RCC",
                              account_number="6222020200112233445", account_holder="户主")
        case_id = case.id
    with pytest.raises(services.DibaoError, match=r"入户调查人至少两人.*已填写 [01] 人") as refused, \
            site.db.transaction() as session:
        services.record_visit(session, site, CLERK, session.get(Case, case_id), visited_on=local_today(),
                              visitors=visitors, findings="住房简陋，无劳动能力")
    assert refused.value.problems[0].field == "visitors"
    with site.db.transaction() as session:
        services.record_visit(session, site, CLERK, session.get(Case, case_id), visited_on=local_today(),
                              visitors="王文书 李委员", findings="住房简陋，无劳动能力")
    with site.db.read() as session:
        assert [v.visitors for v in session.exec(select(Visit)).all()] == ["王文书 李委员"]


def test_visitor_names_split_on_the_usual_separators() -> None:
    assert services.visitor_names("王文书、李委员，张三; 王文书") == ["王文书", "李委员", "张三"]


def test_a_month_is_not_approved_before_it_begins(site_factory: Any) -> None:
    site = site_factory(enabled=["dibao"])
    this_month = amounts.first_of_month(local_today())
    next_month = amounts.add_months(this_month, 1)
    standard(site, "580", amounts.add_months(this_month, -12))
    enrolled_case(site, [ADULT], "100", confirmed_on=amounts.add_months(this_month, -1) + dt.timedelta(days=3))
    with site.db.transaction() as session:
        disbursement.run_month(session, site, SYSTEM, next_month)
    with pytest.raises(services.DibaoError, match=rf"{next_month:%Y-%m} 还没有开始，不能审批"), \
            site.db.transaction() as session:
        disbursement.approve(session, site, SYSTEM, next_month)
    with site.db.read() as session:
        assert session.exec(select(Cycle).where(Cycle.month == next_month)).one().status == "computed"
    with site.db.transaction() as session:
        disbursement.run_month(session, site, SYSTEM, this_month)
        assert disbursement.approve(session, site, SYSTEM, this_month).status == "approved"
