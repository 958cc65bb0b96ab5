"""A small register for the 一事一议 tests, written with the test kit's register builder, and helpers that walk a
project through its states.

东街村 (130926100201), reference date 2025-06-01 (site defaults: 15 yuan per person, 10 workdays per labourer, men
18–55, women 18–50 labour, 低保 households exempt from money):

| 户号 | members | money persons | labourers |
| 001 | 王大 M 1970-03-01 (55: labourer), 李梅 F 1972-05-01 (53: not), 王小 M 2003 student | 3 | 1 |
| 002 | 张军 M 1995 active soldier, 张父 M 1960 (65), 赵芳 F 1996 gave birth 2025-01-10 | 2 | 0 |
| 003 | 刘一 M 1980, 刘二 F 1982 — 低保 (marked by the clerk) | 0 | 2 |
| 004 | 陈老 M 1950 disabled veteran (75) | 1 | 0 |
| 005 | 孙一 M 1985, 孙二 F 1987 | 2 | 2 |

11 villagers aged 18+; representatives 王大, 张父, 刘一, 陈老, 孙一 (5); villagers' committee: 孙一 (chair), 孙二;
party branch: 王大 (secretary), 李梅; party members 王大, 李梅, 孙二. 西街村 gets one household of two.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.testing import TERM, Member, RegisterBuilder
from cunwu_plugins.yishi import services

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
CLERK = Actor(user_id=None, username="clerk-test", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))
START = dt.date(2000, 1, 1)
REFERENCE = dt.date(2025, 6, 1)
PROPOSED = dt.date(2025, 5, 1)

HOUSEHOLDS: list[tuple[str, list[dict[str, Any]]]] = [
    ("001", [dict(name="王大", sex="M", birth_date=dt.date(1970, 3, 1), party_member=True),
             dict(name="李梅", sex="F", birth_date=dt.date(1972, 5, 1), party_member=True, relation="spouse"),
             dict(name="王小", sex="M", birth_date=dt.date(2003, 1, 1), student=True, relation="child")]),
    ("002", [dict(name="张父", sex="M", birth_date=dt.date(1960, 1, 1)),
             dict(name="张军", sex="M", birth_date=dt.date(1995, 1, 1), active_soldier=True, relation="child"),
             dict(name="赵芳", sex="F", birth_date=dt.date(1996, 1, 1), gave_birth_on=dt.date(2025, 1, 10),
                  relation="other")]),
    ("003", [dict(name="刘一", sex="M", birth_date=dt.date(1980, 1, 1)),
             dict(name="刘二", sex="F", birth_date=dt.date(1982, 1, 1), relation="spouse")]),
    ("004", [dict(name="陈老", sex="M", birth_date=dt.date(1950, 1, 1), disabled_veteran=True)]),
    ("005", [dict(name="孙一", sex="M", birth_date=dt.date(1985, 1, 1)),
             dict(name="孙二", sex="F", birth_date=dt.date(1987, 1, 1), party_member=True, relation="spouse")]),
]


def populate(session: Any, site: Any, code: str = VILLAGE,
             households: list[tuple[str, list[dict[str, Any]]]] | None = None) -> SimpleNamespace:
    """Write the households (default: the table above) and, for 东街村, its representatives and offices, through the
    test kit's register builder."""
    reg = RegisterBuilder(session, site, village=code)
    for number, members in households or HOUSEHOLDS:
        specs = []
        for spec in members:
            spec = dict(spec)
            name, born = spec.pop("name"), spec.pop("birth_date")
            specs.append(Member(name, born=born, **spec))
        reg.household(number, specs, created_on=START)
    if households is None:
        for name in ("王大", "张父", "刘一", "陈老", "孙一"):
            reg.representative(name, term=TERM)
        for body, holders in {"villagers_committee": [("孙一", "chair"), ("孙二", "member")],
                              "party_branch": [("王大", "secretary"), ("李梅", "member")]}.items():
            for name, post in holders:
                reg.office(name, body=body, post=post, term=TERM)
    return SimpleNamespace(code=code, people={name: p.id for name, p in reg.people.items()},
                           households={number: h.id for number, h in reg.households.items()})


def proposal(**changes: Any) -> services.ProposalInput:
    values: dict[str, Any] = dict(
        kind="road", title="硬化村东道路", description="硬化村东道路 800 米", beneficiaries="全村",
        budget=Decimal("60000"), money_per_person=Decimal("10"), workdays_per_labourer=Decimal("4"), year=2025,
        reference_date=REFERENCE, origin="committee", proposed_on=PROPOSED,
    )
    values.update(changes)
    return services.ProposalInput(**values)


def approved_project(session: Any, site: Any, *, votes_for: int = 9, **changes: Any) -> Any:
    """Propose, publish the plan and enter a paper vote of 11 members, 10 present."""
    project = services.propose(session, site, CLERK, village_code=VILLAGE, data=proposal(**changes))
    services.publish_plan(session, site, CLERK, project)
    services.record_result(session, site, CLERK, project, source="ballot", held_on=dt.date(2025, 5, 20),
                           members=11, present=10, votes_for=votes_for, against=10 - votes_for, abstain=0)
    return project


def filed_project(session: Any, site: Any, reviewer: Actor, filer: Actor, **changes: Any) -> Any:
    project = approved_project(session, site, **changes)
    services.fix_shares(session, site, CLERK, project)
    services.submit_for_review(session, site, CLERK, project)
    services.review(session, site, reviewer, project, decision="approved", opinion="同意", on=REFERENCE)
    services.file_plan(session, site, filer, project, decision="filed", opinion="", on=REFERENCE)
    return project


TOWNSHIP = Actor(user_id=None, username="town", display_name="乡镇干部",
                 grants=(Grant("township_official", "township", VILLAGE[:9]),))
COUNTY = Actor(user_id=None, username="county", display_name="县干部", grants=(Grant("county_official", "site"),))


@pytest.fixture
def y() -> SimpleNamespace:
    """The helpers above, for test modules (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(VILLAGE=VILLAGE, OTHER_VILLAGE=OTHER_VILLAGE, CLERK=CLERK, TOWNSHIP=TOWNSHIP,
                           COUNTY=COUNTY, REFERENCE=REFERENCE, PROPOSED=PROPOSED, populate=populate,
                           proposal=proposal, approved_project=approved_project, filed_project=filed_project)


@pytest.fixture
def yishi_site(site_factory: Any, dialect: str) -> tuple[Any, SimpleNamespace]:
    """A site with the plugin, on both databases, with the register above (and 西街村's one household)."""
    site = site_factory(dialect=dialect, enabled=["yishi"],
                        extra_toml='[plugins.yishi]\ndaily_rates = { 2025 = "60" }\n')
    with site.db.transaction() as session:
        village = populate(session, site)
        populate(session, site, OTHER_VILLAGE, [("101", [dict(name="西甲", sex="M", birth_date=dt.date(1980, 1, 1))])])
    return site, village
