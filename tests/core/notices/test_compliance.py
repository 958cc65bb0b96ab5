"""Disclosure compliance on the county overview: for the latest closed period of each stream, each village's
disclosure is on time, late or missing (docs/domain.md §3 "Compliance"); officials see it for the villages they
oversee, village roles and visitors not at all."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from cunwu.clock import LOCAL_TZ, frozen_clock
from cunwu.notices import queries, services
from cunwu.testing import login, site_client

from .conftest import CLERK, OTHER, VILLAGE, Today, finance, publish

THIRD = "130926101201"


def _at(day: dt.date, stream: str, village: str = VILLAGE, **kwargs: Any) -> Any:
    with frozen_clock(dt.datetime(day.year, day.month, day.day, 10, tzinfo=LOCAL_TZ)):
        return publish(site=kwargs.pop("site"), village=village, stream=stream, **kwargs)


def _board(site: Any) -> None:
    """Checked on 20 April 2025 (defaults: finance monthly with 10 days' grace → March, due 10 April; 村务 and 党务
    quarterly → the first quarter, due 31 March)."""
    march = finance(start=dt.date(2025, 3, 1))
    _at(dt.date(2025, 4, 5), "finance", site=site, category="月度收支", title="3月", body="", finance=march)
    _at(dt.date(2025, 3, 15), "village", site=site, category="其他村务", title="一季度村务")
    _at(dt.date(2025, 4, 2), "party", site=site, category="其他党务", title="一季度党务")  # after 31 March: late
    _at(dt.date(2025, 4, 15), "finance", OTHER, site=site, category="月度收支", title="3月", body="",
        finance=finance(start=dt.date(2025, 3, 1)))  # after 10 April: late
    _at(dt.date(2024, 12, 20), "village", OTHER, site=site, category="其他村务", title="去年四季度")  # before Q1
    withdrawn = _at(dt.date(2025, 2, 10), "party", OTHER, site=site, category="其他党务", title="撤回的")
    with site.db.transaction() as session:
        services.withdraw_notice(session, site, CLERK, withdrawn.id, "发错了")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_each_village_and_stream_is_on_time_late_or_missing(site_factory: Any, dialect: str) -> None:
    if dialect == "postgresql":
        from cunwu.testing.plugin import require_postgres

        require_postgres()
    site = site_factory(dialect=dialect)
    _board(site)
    with site.db.read() as session:
        periods, found = queries.compliance(session, site, [VILLAGE, OTHER, THIRD], today=dt.date(2025, 4, 20))
    assert (periods["finance"].start, periods["finance"].end, periods["finance"].due) == (
        dt.date(2025, 3, 1), dt.date(2025, 3, 31), dt.date(2025, 4, 10))
    assert (periods["village"].start, periods["village"].due) == (dt.date(2025, 1, 1), dt.date(2025, 3, 31))
    assert found == {
        VILLAGE: {"finance": "on_time", "village": "on_time", "party": "late"},
        OTHER: {"finance": "late", "village": "missing", "party": "missing"},  # the withdrawn one does not count
        THIRD: {"finance": "missing", "village": "missing", "party": "missing"},
    }


def test_periods_follow_the_settings(site_factory: Any) -> None:
    site = site_factory(extra_toml="[core.notices]\nfinance_period = \"quarter\"\nfinance_grace_days = 15\n"
                                   "party_interval_months = 6\nvillage_interval_months = 1\n")
    periods = queries.due_periods(site, dt.date(2025, 8, 3))
    assert (periods["finance"].start, periods["finance"].end, periods["finance"].due) == (
        dt.date(2025, 4, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 15))
    assert (periods["party"].start, periods["party"].end) == (dt.date(2025, 1, 1), dt.date(2025, 6, 30))
    assert (periods["village"].start, periods["village"].end) == (dt.date(2025, 7, 1), dt.date(2025, 7, 31))
    january = queries.due_periods(site, dt.date(2026, 1, 5))
    assert (january["party"].start, january["party"].end) == (dt.date(2025, 7, 1), dt.date(2025, 12, 31))


def _cells(html: str, table: str) -> dict[str, list[str]]:
    body = html[html.index(f'id="{table}"'):]
    body = body[:body.index("</table>")]
    return {name: re.findall(r'<td class="num" data-key="\w+">(\d+)</td>', row)
            for name, row in re.findall(r'<tr data-\w+="([^"]+)">(.*?)</tr>', body, re.S)}


@pytest.mark.parametrize(("role", "scope", "sees"), [
    ("county_official", "", {"肃宁镇": ["2", "2", "2"], "梁家村镇": ["0", "0", "3"]}),
    ("site_admin", "", {"肃宁镇": ["2", "2", "2"], "梁家村镇": ["0", "0", "3"]}),
    ("township_official", "130926100", {"肃宁镇": ["2", "2", "2"]}),
    ("clerk", VILLAGE, None),
    ("villager", VILLAGE, None),
    (None, "", None),
])
def test_county_overview_shows_compliance_to_officials_for_their_villages(
        site: Any, today: Today, role: str | None, scope: str, sees: dict[str, list[str]] | None) -> None:
    _board(site)
    today.set(dt.date(2025, 4, 20))
    with site_client(site) as client:
        if role:
            login(client, site, f"u-{role}", role=role, scope=scope)
        page = client.get("/")
    assert page.status_code == 200 and "公开逾期的村" in page.text  # the public list stays for everyone
    if sees is None:
        assert 'id="table-disclosure"' not in page.text and 'id="chart-disclosure"' not in page.text
        return
    assert _cells(page.text, "table-disclosure") == sees
    bars = re.findall(r'<g class="bar" data-label="([^"]+)" data-total="(\d+)">', page.text)
    assert bars == [(name, str(sum(map(int, row)))) for name, row in sees.items()]
    parts = re.findall(r'data-series="([^"]+)" data-value="(\d+)"', page.text)
    assert [v for _s, v in parts] == [v for row in sees.values() for v in row]  # the chart draws the table
    streams = _cells(page.text, "table-disclosure-streams")
    if role == "township_official":
        assert streams == {"party": ["0", "1", "1"], "village": ["1", "0", "1"], "finance": ["1", "1", "0"]}
    else:
        assert streams == {"party": ["0", "1", "2"], "village": ["1", "0", "2"], "finance": ["1", "1", "1"]}
    assert "2025-03-01 至 2025-03-31，应于 2025-04-10 前公开" in page.text


def test_compliance_in_english(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 4, 20))
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        client.get("/-/locale/en")
        page = client.get("/").text
    assert "Disclosure by township (village disclosures)" in page and "On time" in page
    assert "2025-03-01 to 2025-03-31, due by 2025-04-10" in page
