"""Print views fit the paper: the A4 burden list of a 一事一议 project takes at most one page per 40 households
(Chromium's own print-to-PDF, pages counted in the file)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.testing import Member, RegisterBuilder
from cunwu_plugins.yishi import services

V = "130926100201"
HOUSEHOLDS = 120
CLERK = Actor(user_id=None, username="clerk-print", display_name="文书", grants=(Grant("clerk", "village", V),))
pytestmark = pytest.mark.browser


def _project_with_shares(site: Any) -> int:
    """120 households of three (a labourer, a spouse past labour age with a long exemption line, a student)."""
    year = dt.date.today().year
    with site.db.transaction() as session:
        reg = RegisterBuilder(session, site, village=V)
        for n in range(1, HOUSEHOLDS + 1):
            reg.household(f"{n:03d}", [
                Member(f"户主{n:03d}", born=dt.date(1980, 1, 1)),
                Member(f"配偶{n:03d}", born=dt.date(1960, 1, 1), sex="F", relation="spouse"),
                Member(f"学生{n:03d}", born=dt.date(2005, 1, 1), student=True, relation="child"),
            ], created_on=dt.date(2000, 1, 1))
        data = services.ProposalInput(
            kind="road", title="硬化村东道路", description="", beneficiaries="全村", budget=Decimal("50000"),
            money_per_person=Decimal("10"), workdays_per_labourer=Decimal("3"), year=year,
            reference_date=dt.date(year, 1, 10), origin="committee", proposed_on=dt.date(year, 1, 5))
        project = services.propose(session, site, CLERK, village_code=V, data=data)
        services.publish_plan(session, site, CLERK, project)
        services.record_result(session, site, CLERK, project, source="ballot", held_on=dt.date(year, 1, 20),
                               members=HOUSEHOLDS, present=HOUSEHOLDS, votes_for=HOUSEHOLDS, against=0, abstain=0)
        services.fix_shares(session, site, CLERK, project)
        return int(project.id)


def test_the_burden_list_prints_at_most_one_a4_page_per_40_households(page: Any, live_server_factory: Any,
                                                                        login: Any) -> None:
    server = live_server_factory(enabled=["yishi"])
    project_id = _project_with_shares(server.site)
    login(page, server, "clerk", role="clerk", scope=V)
    page.goto(f"{server.url}/v/{V}/p/yishi/projects/{project_id}/burden")
    assert page.locator("tr.share").count() == HOUSEHOLDS
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= HOUSEHOLDS // 40, f"{pages} A4 pages for {HOUSEHOLDS} households"
