"""我的待办 for 低保: a case shows up for the role whose step it is — clerk, township, county — and leaves their
list when they have acted; a computed month waits for the county's approval."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu_plugins.dibao import disbursement, services

from .conftest import CLERK, COUNTY, OTHER_VILLAGE, TOWNSHIP_OFFICIAL, VILLAGE, enrolled_case, household, standard


def _items(client: Any) -> dict[str, tuple[str, int]]:
    """The 低保 items on /my: what → (link, count)."""
    page = client.get("/my")
    assert page.status_code == 200
    found = re.findall(r'<li>\s*<a href="([^"]+)">([^<]+)</a>\s*<span class="badge[^"]*">(\d+)<', page.text)
    return {what: (href, int(n)) for href, what, n in found if "/dibao/" in href}


def test_each_role_sees_the_cases_at_its_step(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "580", dt.date(2025, 1, 1))
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 1, 1)])
        case = services.apply(session, site, CLERK, village_code=VILLAGE, household_id=home.id,
                              applicant_id=members[0].id, covered=[members[0].id], bank_code="RCC",
                              account_number="6222020200112233445", account_holder=members[0].name)
        case_id = case.id
    clerk = client_as(site, "clerk", VILLAGE)
    township = client_as(site, "township_official", VILLAGE)
    county = client_as(site, "county_official")
    other_clerk = client_as(site, "clerk", OTHER_VILLAGE)

    assert _items(clerk) == {"调查核实中的申请": (f"/v/{VILLAGE}/p/dibao/", 1)}
    assert _items(township) == {"待出具乡镇审核意见的申请": ("/p/dibao/", 1)}
    assert _items(county) == {} and _items(other_clerk) == {}
    for client in (clerk, township):
        for href, _n in _items(client).values():
            assert client.get(href).status_code == 200, href

    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        services.record_income(session, site, CLERK, case, person_id=members[0].id, kind="wages",
                               monthly_amount=Decimal("100"))
        services.record_property(session, site, CLERK, case, dict.fromkeys(services.settings_of(site).property_checks,
                                                                           True))
        services.record_visit(session, site, CLERK, case, visited_on=local_today(), visitors="张三、李四",
                              findings="住房简陋，无劳动能力")
        services.give_opinion(session, site, TOWNSHIP_OFFICIAL, case, approve=True, opinion="同意")
    assert _items(township) == {}
    assert _items(clerk) == {"乡镇已同意、待公示的案件": (f"/v/{VILLAGE}/p/dibao/", 1)}

    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        services.post_case(session, site, CLERK, case)
    assert _items(clerk) == {} and _items(county) == {}  # the 公示 runs: nobody's turn yet
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        audit.update(session, CLERK, case, {"posting_ends_on": local_today() - dt.timedelta(days=1)},
                     "test.backdate")
    assert _items(county) == {"公示期满、待审核确认的案件": ("/p/dibao/", 1)}
    assert county.get("/p/dibao/").status_code == 200


def test_a_computed_month_waits_for_approval(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "580", dt.date(2025, 1, 1))
    enrolled_case(site, [dt.date(1950, 1, 1)], "100", confirmed_on=dt.date(2025, 3, 10))
    month = dt.date(2025, 5, 1)
    with site.db.transaction() as session:
        disbursement.run_month(session, site, COUNTY, month)
    county = client_as(site, "county_official")
    items = _items(county)
    assert items["已计算、待审批的低保金：2025-05"] == ("/p/dibao/cycles/2025-05", 1)
    assert county.get("/p/dibao/cycles/2025-05").status_code == 200
    with site.db.transaction() as session:
        disbursement.approve(session, site, COUNTY, month)
    assert "已计算、待审批的低保金：2025-05" not in _items(county)
