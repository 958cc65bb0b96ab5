"""The county dashboard's figures are kept per process under the rows they are summed from
(plugins/coverage/dashview.py): they must follow a clerk's write and a snapshot at once, never answer for another
reader's villages, and equal a fresh drawing."""

from __future__ import annotations

import re
from typing import Any

from cunwu.api import kept_parts
from cunwu.testing import login, site_client
from cunwu_plugins.coverage import dashview, services

from .conftest import VILLAGE, days_ago, hold, village

DESK = f"/v/{VILLAGE}/p/coverage"


def _kpi(page: str, title: str) -> str:
    """The county rate of one type as the page's top line shows it ("33.3")."""
    found = re.search(rf'<li><span class="kpi">([0-9.]+)%</span> {title}</li>', page)
    assert found, f"no rate for {title}"
    return found.group(1)


def _missing(page: str, kind: str) -> str:
    """How many villages miss a type, as the page says it ("2 个村", or "全部覆盖")."""
    found = re.search(rf'<li id="missing-{kind}">.*?(\d+ 个村|全部覆盖)', page, re.S)
    assert found, f"no missing count for {kind}"
    return found.group(1)


def test_the_dashboard_follows_a_clerks_write_and_a_snapshot_at_once(site_factory: Any, dialect: str) -> None:
    site = site_factory(enabled=["coverage"], dialect=dialect)
    village(site)
    with site.db.transaction() as session:
        services.take_snapshot(session, site)
    economic = {"kind": "economic", "name": "东街村股份经济合作社", "founded_on": "2020-05-01", "members": "5"}
    with site_client(site) as county, site_client(site) as clerk:
        login(county, site, "county", role="county_official")
        login(clerk, site, "clerk", role="clerk", scope=VILLAGE)
        first = county.get("/p/coverage/").text
        assert _kpi(first, "经济合作组织") == "0.0" and _missing(first, "economic") == "3 个村"
        assert county.get("/p/coverage/").text == first  # kept: the same page
        assert clerk.post(f"{DESK}/organisations", data=economic, follow_redirects=False).status_code == 303
        org = re.search(r'/organisations/(\d+)/meetings', clerk.get(f"{DESK}/").text)
        assert org, "no meeting form for the economic organisation"
        for day in (days_ago(20), days_ago(10)):  # two meetings: now it covers
            held = clerk.post(f"{DESK}/organisations/{org.group(1)}/meetings", follow_redirects=False,
                              data={"held_on": day.isoformat(), "title": "成员大会"})
            assert held.status_code == 303
        recorded = county.get("/p/coverage/").text  # the clerk's writes retook the village's row: new figures now
        assert _kpi(recorded, "经济合作组织") == "33.3" and _missing(recorded, "economic") == "2 个村"
        for kind in ("party_branch", "party_members"):  # the meetings module: counted at the next snapshot
            hold(site, VILLAGE, kind, days_ago(5))
        assert _kpi(county.get("/p/coverage/").text, "党组织") == "0.0"
        assert county.post("/p/coverage/snapshot", follow_redirects=False).status_code == 303
        taken = county.get("/p/coverage/").text
        assert _kpi(taken, "党组织") == "33.3" and _kpi(taken, "经济合作组织") == "33.3"
        dissolved = clerk.post(f"{DESK}/organisations/{org.group(1)}/dissolve", follow_redirects=False,
                               data={"dissolved_on": days_ago(1).isoformat(), "dissolve_reason": "合并"})
        assert dissolved.status_code == 303
        back = county.get("/p/coverage/").text  # the counts are those of before the write again: not that page
        assert _kpi(back, "经济合作组织") == "0.0" and _missing(back, "economic") == "3 个村"
        assert _kpi(back, "党组织") == "33.3"


def test_one_readers_figures_never_answer_for_another(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    for kind in ("party_branch", "party_members"):
        hold(site, VILLAGE, kind, days_ago(5))
    with site.db.transaction() as session:
        services.take_snapshot(session, site)
    total = r'<tfoot><tr><th scope="row">合计</th><td class="num">(\d+)</td><td class="num">([0-9.]+)</td>'
    with site_client(site) as county, site_client(site) as here, site_client(site) as there:
        login(county, site, "county", role="county_official")
        login(here, site, "town", role="township_official", scope=VILLAGE[:9])
        login(there, site, "liang", role="township_official", scope="130926101")
        for _round in range(2):  # drawn, then kept
            assert re.findall(total, county.get("/p/coverage/").text) == [("3", "33.3")]
            assert re.findall(total, here.get("/p/coverage/").text) == [("2", "50.0")]
            theirs = there.get("/p/coverage/").text
            assert re.findall(total, theirs) == [("1", "0.0")] and "肃宁镇" not in theirs


def test_a_kept_dashboard_is_the_fresh_one_to_the_byte(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    codes = list(site.villages)
    live = dashview.dashboard(site, codes)  # no snapshot this month: measured live, drawn each time, never kept
    assert live.unsnapshotted == 3 and dashview.dashboard(site, codes) is not live
    with site.db.transaction() as session:
        services.take_snapshot(session, site, days_ago(40))
        services.take_snapshot(session, site)
    kept = dashview.dashboard(site, codes)
    assert kept is dashview.dashboard(site, codes) and kept.unsnapshotted == 0 and kept.villages == 3
    with site.db.read() as session:
        fresh = dashview.draw(site, *services.dashboard(session, site, codes))
    assert kept.part.raw == fresh.part.raw and b'id="chart-trend"' in kept.part.raw
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        for language in ("zh_CN", "en"):
            if language == "en":
                client.get("/-/locale/en")
            drawn, again = client.get("/p/coverage/"), client.get("/p/coverage/")
            kept_parts(site, "coverage.dashboard", dashview.KEPT_PARTS).clear()
            plain = client.get("/p/coverage/", headers={"Accept-Encoding": "identity"})
            assert drawn.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
            assert drawn.text == again.text == plain.text
        assert "Four-organisation coverage dashboard" in drawn.text  # not the kept Chinese part
        assert _kpi(drawn.text, "Economic co-operation organisation") == "0.0"
