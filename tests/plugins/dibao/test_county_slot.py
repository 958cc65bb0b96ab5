"""The county overview's 低保 figures: recipients and amounts by month for the villages the official oversees, as
charts with the same numbers as a table; nothing for village roles, nothing when the plugin is off."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cunwu.accounts.actor import Actor
from cunwu.testing import login, site_client
from cunwu_plugins.dibao import disbursement, slots

from .conftest import VILLAGE, enrolled_case, standard

ADULT = dt.date(1980, 5, 20)
THIRD = "130926101201"  # another township


@pytest.fixture
def paid(site_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Two households of two in 东街村 (incomes 100 and 200) and one in 梁家村 (300), standard 580: paid
    (580 − 50) × 2 = 1060, (580 − 100) × 2 = 960 and (580 − 150) × 2 = 860 in December 2025 and January 2026."""
    site = site_factory(enabled=["dibao"])
    standard(site, "580", dt.date(2025, 1, 1))
    for n, (village, income) in enumerate(((VILLAGE, "100"), (VILLAGE, "200"), (THIRD, "300"))):
        enrolled_case(site, [ADULT, ADULT], income, confirmed_on=dt.date(2025, 11, 20), village=village,
                      account=f"62220202001122{n:05d}")
    for month in (dt.date(2025, 12, 1), dt.date(2026, 1, 1)):
        with site.db.transaction() as session:
            disbursement.run_month(session, site, Actor.system("test"), month)
    monkeypatch.setattr(slots, "local_today", lambda: dt.date(2026, 1, 15))
    return site


def _table(html: str) -> list[tuple[str, ...]]:
    body = html[html.index('id="table-dibao-months"'):]
    body = body[:body.index("</table>")]
    return re.findall(r'<tr data-month="([^"]+)"><th scope="row">[^<]+</th><td class="num">(\d+)</td>'
                      r'<td class="num">(\d+)</td><td class="num">([\d.]+)</td></tr>', body)


def test_monthly_totals_count_households_persons_and_yuan(paid: Any) -> None:
    with paid.db.read() as session:
        months = disbursement.monthly_totals(session, [VILLAGE, THIRD], dt.date(2026, 1, 15))
        mine = disbursement.monthly_totals(session, [VILLAGE], dt.date(2026, 1, 15), months=1)
        none = disbursement.monthly_totals(session, [VILLAGE], dt.date(2025, 11, 30))
    assert [(m.isoformat(), t.households, t.persons, str(t.amount)) for m, t in months] == [
        ("2025-12-01", 3, 6, "2880.00"), ("2026-01-01", 3, 6, "2880.00")]
    assert [(m.isoformat(), t.households, t.persons, str(t.amount)) for m, t in mine] == [
        ("2026-01-01", 2, 4, "2020.00")]
    assert none == []


@pytest.mark.parametrize(("role", "scope", "rows"), [
    ("county_official", "", [("2025-12", "3", "6", "2880.00"), ("2026-01", "3", "6", "2880.00")]),
    ("site_admin", "", [("2025-12", "3", "6", "2880.00"), ("2026-01", "3", "6", "2880.00")]),
    ("township_official", VILLAGE[:9], [("2025-12", "2", "4", "2020.00"), ("2026-01", "2", "4", "2020.00")]),
    ("clerk", VILLAGE, None),
    ("villager", VILLAGE, None),
    (None, "", None),
])
def test_county_overview_shows_the_officials_villages_by_month(paid: Any, role: str | None, scope: str,
                                                              rows: list[tuple[str, ...]] | None) -> None:
    with site_client(paid) as client:
        if role:
            login(client, paid, f"u-{role}", role=role, scope=scope)
        page = client.get("/")
    assert page.status_code == 200
    if rows is None:
        assert 'id="dibao-county"' not in page.text and "chart-dibao" not in page.text
        return
    assert _table(page.text) == rows
    bars = re.findall(r'<g class="bar" data-label="([^"]+)" data-value="([^"]+)">', page.text)
    assert bars == [(month, amount) for month, _h, _p, amount in rows]
    points = re.findall(r'<circle [^>]*data-month="([^"]+)" data-value="(\d+)"', page.text)
    assert points == [(m, h) for m, h, _p, _a in rows] + [(m, p) for m, _h, p, _a in rows]


def test_no_slot_when_the_plugin_is_off(site_factory: Any) -> None:
    site = site_factory(enabled=[])
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        page = client.get("/")
    assert page.status_code == 200 and 'id="dibao-county"' not in page.text
    assert 'id="yishi-county"' not in page.text and 'id="cov-slot"' not in page.text  # no plugin, no card
    assert 'id="table-disclosure"' in page.text  # the core's own card stays


def test_county_figures_in_english(paid: Any) -> None:
    with site_client(paid) as client:
        login(client, paid, "county", role="county_official")
        client.get("/-/locale/en")
        page = client.get("/").text
    assert "低保 recipients and amounts by month" in page and "Households" in page
