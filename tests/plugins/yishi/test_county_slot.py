"""The county overview's 一事一议 figures: the projects of the villages the official oversees by stage, as a bar chart
with the same numbers as a table; nothing for village roles, nothing when the plugin is off."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from cunwu.audit import services as audit
from cunwu.testing import login, site_client
from cunwu_plugins.yishi import services
from cunwu_plugins.yishi.models import Project

from .conftest import CLERK, VILLAGE, approved_project, populate, proposal

THIRD = "130926101201"  # 梁家村, another township
SMALL = {"money_per_person": Decimal("4"), "workdays_per_labourer": Decimal("2")}


@pytest.fixture
def projects(site_factory: Any) -> Any:
    """东街村: one project proposed, one approved, one rejected (4 of 10 for); 梁家村: one filed."""
    site = site_factory(enabled=["yishi"], extra_toml='[plugins.yishi]\ndaily_rates = { 2025 = "60" }\n')
    with site.db.transaction() as session:
        populate(session, site)
        services.propose(session, site, CLERK, village_code=VILLAGE, data=proposal(title="修水渠", **SMALL))
        approved = approved_project(session, site, title="硬化道路", **SMALL)
        approved_project(session, site, votes_for=4, title="路灯", **SMALL)
        copied = {k: v for k, v in approved.model_dump().items() if k != "id"}
        audit.create(session, CLERK, Project(**{**copied, "village_code": THIRD, "status": "filed",
                                               "matter_id": None}), "test.seed")
    return site


def _table(html: str) -> dict[str, str]:
    body = html[html.index('id="table-yishi-stages"'):]
    body = body[:body.index("</table>")]
    return dict(re.findall(r'<tr data-stage="(\w+)"><th scope="row" class="long">[^<]+</th>'
                           r'<td class="num">(\d+)</td></tr>', body))


def test_stage_counts_keep_every_stage_in_order(projects: Any) -> None:
    with projects.db.read() as session:
        counts = services.stage_counts(session, [VILLAGE, THIRD])
    assert list(counts) == ["proposed", "published", "rejected", "approved", "shares_fixed", "submitted",
                            "returned", "reviewed", "filed", "completed"]
    assert {k: n for k, n in counts.items() if n} == {"proposed": 1, "rejected": 1, "approved": 1, "filed": 1}


@pytest.mark.parametrize(("role", "scope", "seen"), [
    ("county_official", "", {"proposed": 1, "rejected": 1, "approved": 1, "filed": 1}),
    ("site_admin", "", {"proposed": 1, "rejected": 1, "approved": 1, "filed": 1}),
    ("township_official", VILLAGE[:9], {"proposed": 1, "rejected": 1, "approved": 1}),
    ("clerk", VILLAGE, None),
    ("villager", VILLAGE, None),
    (None, "", None),
])
def test_county_overview_shows_the_officials_projects_by_stage(projects: Any, role: str | None, scope: str,
                                                              seen: dict[str, int] | None) -> None:
    with site_client(projects) as client:
        if role:
            login(client, projects, f"u-{role}", role=role, scope=scope)
        page = client.get("/")
    assert page.status_code == 200
    if seen is None:
        assert 'id="yishi-county"' not in page.text and "chart-yishi-stages" not in page.text
        return
    table = _table(page.text)
    assert {k: int(n) for k, n in table.items() if n != "0"} == seen and len(table) == 10
    bars = re.findall(r'<g class="bar" data-label="[^"]+" data-value="(\d+)">', page.text)
    assert bars == list(table.values())  # the chart draws the table's numbers, stage by stage
    total = re.search(r'<tfoot><tr><th scope="row">合计</th><td class="num">(\d+)</td>', page.text)
    assert total is not None and int(total.group(1)) == sum(seen.values())


def test_no_slot_when_the_plugin_is_off(site_factory: Any) -> None:
    site = site_factory(enabled=["dibao"])
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        page = client.get("/")
    assert page.status_code == 200 and 'id="yishi-county"' not in page.text and 'id="dibao-county"' in page.text


def test_stages_in_english(projects: Any) -> None:
    with site_client(projects) as client:
        login(client, projects, "county", role="county_official")
        client.get("/-/locale/en")
        page = client.get("/").text
    assert "一事一议 progress" in page and 'data-label="County filing due"' in page
