"""The coverage pages: the clerk's desk with errors beside their fields, household groups (assignment, import dry
run and commit, export), the public summary, the county dashboard (charts with the table's numbers, print, xlsx),
the JSON API, the county overview's slot, and the permission matrix (roles × actions × own/other village)."""

from __future__ import annotations

import html
import io
import re
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from cunwu.api import utcnow
from cunwu.testing import login, site_client
from cunwu_plugins.coverage import services
from cunwu_plugins.coverage.models import GroupMembership, HouseholdGroup, Organisation, Snapshot

from .conftest import CLERK, OTHER_VILLAGE, VILLAGE, days_ago, hold, village

BASE = f"/v/{VILLAGE}/p/coverage"


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_clerk_records_what_is_not_derived_with_errors_beside_fields(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    hold(site, VILLAGE, "representatives", days_ago(3))
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get(f"{BASE}/")
        assert page.status_code == 200 and "四个组织全覆盖" in page.text
        assert "村民登记簿（任职、党员、村民代表）" in page.text and "会议模块（已结束的会议）" in page.text
        future = client.post(f"{BASE}/organisations", data={"kind": "station", "name": "综治工作站",
                                                            "founded_on": "2099-01-01", "members": "5"})
        assert future.status_code == 400 and 'id="e-founded_on"' in future.text and "不能晚于今天" in future.text
        assert 'value="综治工作站"' in future.text  # typed input kept
        contradicting = client.post(f"{BASE}/organisations", data={
            "kind": "representative_meeting", "founded_on": "2000-01-01", "meetings_declared": "4"})
        assert contradicting.status_code == 400 and 'id="e-meetings_declared"' in contradicting.text
        assert "与会议模块记录的 1 次不符" in contradicting.text
        done = client.post(f"{BASE}/organisations", data={"kind": "station", "name": "综治工作站",
                                                          "founded_on": "2020-05-01", "members": "5",
                                                          "leader": "王站长"}, follow_redirects=False)
        assert done.status_code == 303
        with site.db.read() as session:
            station = session.exec(select(Organisation).where(Organisation.kind == "station")).one()
        bad_day = client.post(f"{BASE}/organisations/{station.id}/meetings", data={"held_on": "2026-13-01"})
        assert bad_day.status_code == 400 and "2026-13-01" in bad_day.text and 'id="e-held_on"' in bad_day.text
        ok = client.post(f"{BASE}/organisations/{station.id}/meetings", data={"held_on": str(days_ago(4)),
                                                                            "title": "研判"},
                         follow_redirects=False)
        assert ok.status_code == 303
        assert "王站长" in client.get(f"{BASE}/").text
        for path in (f"{BASE}/", f"{BASE}/groups"):  # the htmx fragment of each page renders on its own
            fragment = client.get(path, headers={"HX-Request": "true"})
            assert fragment.status_code == 200 and "<html" not in fragment.text and "四个组织" in fragment.text
    with site.db.read() as session:
        assert len(session.exec(select(Organisation)).all()) == 1


def test_household_groups_page_assignment_import_and_export(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    village(site, OTHER_VILLAGE, households=2, prefix="W")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert "还没有十户联防小组" in client.get(f"{BASE}/groups").text
        twice = _xlsx([["小组编号", "小组名称", "户号", "组长"], [1, "东一组", "H001", "是"], [2, "", "H001", ""],
                       [1, "", "W001", ""], ["x", "", "H002", ""]])
        dry = client.post(f"{BASE}/groups/import", files={"file": ("groups.xlsx", twice)}, data={"commit": "1"})
        assert dry.status_code == 400
        assert "第 3 行" in dry.text and "户号 H001 在第 2 行已分到第 1 小组：一户只能在一个小组" in dry.text
        assert "户号 W001 不是本村的在册农户" in dry.text and "小组编号“x”应是正整数" in dry.text
        with site.db.read() as session:
            assert session.exec(select(HouseholdGroup)).all() == []
        rows = [["小组编号", "小组名称", "户号", "组长"]] + [
            [1 if n <= 10 else 2, "", f"H{n:03d}", "是" if n in (1, 11) else ""] for n in range(1, 13)]
        preview = client.post(f"{BASE}/groups/import", files={"file": ("groups.xlsx", _xlsx(rows))})
        assert preview.status_code == 200 and "检查通过：12 户，2 个小组（其中新建 2 个）" in preview.text
        with site.db.read() as session:
            assert session.exec(select(GroupMembership)).all() == []
        written = client.post(f"{BASE}/groups/import", files={"file": ("groups.xlsx", _xlsx(rows))},
                              data={"commit": "1"})
        assert written.status_code == 200 and "已导入：12 户编入或调整了小组" in written.text
        page = client.get(f"{BASE}/groups")
        assert "少于 10 户" in page.text and "H户主1" in page.text  # group 2 has 2 households: flagged
        with site.db.read() as session:
            groups = services.groups_of(session, VILLAGE)
        moved = client.post(f"{BASE}/groups/assign", data={f"h_{built.homes[9].id}": str(groups[1].id)},
                            follow_redirects=False)
        assert moved.status_code == 303
        foreign = client.post(f"{BASE}/groups/assign", data={f"h_{built.homes[0].id}": "999999"})
        assert foreign.status_code == 400 and "号小组不在本村" in foreign.text
        export = client.get(f"{BASE}/groups.xlsx")
        assert export.status_code == 200
        sheet = load_workbook(io.BytesIO(export.content)).active
        values = list(sheet.iter_rows(values_only=True))
        assert values[0][:4] == ("小组编号", "小组名称", "户号", "组长")
        assert ("H010", 2) in [(r[2], r[0]) for r in values[1:]] and len(values) == 13
    with site.db.read() as session:
        sizes = sorted(len([m for m in session.exec(select(GroupMembership)).all() if m.group_id == g.id])
                       for g in services.groups_of(session, VILLAGE))
    assert sizes == [3, 9]


def test_export_cells_are_safe_in_a_spreadsheet(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site, households=2)
    with site.db.transaction() as session:
        group = services.create_group(session, site, CLERK, VILLAGE, 1, '=HYPERLINK("x")')
        services.assign(session, site, CLERK, VILLAGE, {h.household.id: int(group.id)  # type: ignore[arg-type]
                                                        for h in services.group_views(session, site, VILLAGE)[1]})
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        content = client.get(f"{BASE}/groups.xlsx").content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet["B2"].value == "'=HYPERLINK(\"x\")" and sheet["C2"].value == "H001"


def _numbers(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


def test_county_dashboard_charts_show_the_tables_numbers(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    for kind in ("party_branch", "party_members"):
        hold(site, VILLAGE, kind, days_ago(5))
    with site.db.transaction() as session:
        services.take_snapshot(session, site, days_ago(40))
        services.take_snapshot(session, site)
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        page = client.get("/p/coverage/")
        assert page.status_code == 200
        bars = _numbers(page.text, r'<g class="bar" data-label="([^"]+)" data-value="([^"]+)"')
        table = _numbers(page.text, r'<tr data-township="([^"]+)">.*?data-value="([^"]+)"')
        assert bars == table == [("肃宁镇", "0.0"), ("梁家村镇", "0.0")]
        assert page.text.count("<circle") == 2 * 5 and "33.3" in page.text  # party: 1 of 3 villages this month
        assert 'href="/p/coverage/missing/economic">3 个村</a>' in page.text  # a count and a link, not the list
        economic = client.get("/p/coverage/missing/economic")
        assert economic.status_code == 200 and "东街村" in economic.text
        assert f"/v/{VILLAGE}/p/coverage/#type-economic" in economic.text
        assert client.get("/p/coverage/missing/nothing").status_code == 404
        assert client.get("/p/coverage/print").status_code == 200
        fragment = client.get("/p/coverage/", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and 'id="chart-townships"' in fragment.text
        report = client.get("/p/coverage/report.xlsx")
        book = load_workbook(io.BytesIO(report.content))
        assert [r[0] for r in book.worksheets[0].iter_rows(values_only=True)] == ["乡镇", "肃宁镇", "梁家村镇", "合计"]
        assert book.worksheets[0]["C4"].value == pytest.approx(33.3)  # party, county total
        api = client.get("/api/v1/p/coverage/rates").json()
        assert api["county"]["covered"]["party"] == 1 and api["county"]["percent"]["party"] == "33.3"
        assert [m["month"] for m in api["trend"]] == sorted({days_ago(40).strftime("%Y-%m"),
                                                              days_ago(0).strftime("%Y-%m")})
        home = client.get("/")
        assert "全覆盖的村：0 / 3" in home.text and 'id="chart-townships"' in home.text
    with site_client(site) as client:
        login(client, site, "town", role="township_official", scope="130926101")
        page = client.get("/p/coverage/")
        assert 'href="/p/coverage/missing/economic">1 个村</a>' in page.text
        economic = client.get("/p/coverage/missing/economic").text
        assert "梁家村" in economic and "东街村" not in economic  # only the township's villages


def test_county_dashboard_serves_this_months_snapshot_and_coverage_writes_refresh_it(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)

    def party_percent(client: Any) -> str:
        page = client.get("/p/coverage/")
        assert page.status_code == 200 and 'id="as-of"' in page.text and "cunwu coverage snapshot" in page.text
        return _numbers(page.text, r'<tfoot><tr><th scope="row">合计</th><td class="num">3</td>'
                                   r'<td class="num">([0-9.]+)</td>')[0]

    def rows() -> int:
        with site.db.read() as session:
            return len(session.exec(select(Snapshot)).all())

    with site_client(site) as county, site_client(site) as clerk, site_client(site) as town:
        login(county, site, "county", role="county_official")
        login(clerk, site, "clerk", role="clerk", scope=VILLAGE)
        login(town, site, "town", role="township_official", scope=VILLAGE[:9])
        first = county.get("/p/coverage/")
        assert 'id="no-snapshot"' in first.text and "3 个村的数字是打开本页时即时计算的" in first.text
        assert 'action="/p/coverage/snapshot"' in first.text  # the county officer may take it now
        assert rows() == 0  # a visit never writes: the villages are measured for the page only
        assert party_percent(county) == "0.0"
        for kind in ("party_branch", "party_members"):
            hold(site, VILLAGE, kind, days_ago(5))
        assert party_percent(county) == "33.3" and rows() == 0  # measured again, still nothing stored
        town_page = town.get("/p/coverage/")
        assert 'id="no-snapshot"' in town_page.text and 'action="/p/coverage/snapshot"' not in town_page.text
        assert town.post("/p/coverage/snapshot").status_code == 403 and rows() == 0
        assert clerk.post("/p/coverage/snapshot").status_code == 403 and rows() == 0
        taken = county.post("/p/coverage/snapshot", follow_redirects=False)
        assert taken.status_code == 303 and rows() == 3
        after = county.get("/p/coverage/")
        assert 'id="no-snapshot"' not in after.text and "数字为本月快照" in after.text
        with site.db.read() as session:
            stored = {r.village_code: r for r in session.exec(select(Snapshot)).all()}
        assert stored[VILLAGE].party and "party" not in (stored[VILLAGE].reasons or {})
        assert stored[OTHER_VILLAGE].reasons["party"] == [["party", ["absent"]]]
        hold(site, VILLAGE, "two_committees", days_ago(4))
        hold(site, VILLAGE, "two_committees", days_ago(3))
        assert party_percent(county) == "33.3"  # a meetings-module change waits for the next snapshot
        done = clerk.post(f"{BASE}/organisations", data={"kind": "station", "name": "综治工作站",
                                                          "founded_on": "2020-05-01", "members": "5"},
                          follow_redirects=False)
        assert done.status_code == 303 and rows() == 3  # the clerk's write refreshed the village's row
        with site.db.read() as session:
            row = session.exec(select(Snapshot).where(Snapshot.village_code == VILLAGE)).one()
        assert ["villagers_committee", ["meetings"]] not in row.reasons["self_governance"]
        assert ["representative_meeting", ["meetings"]] in row.reasons["self_governance"]


def test_missing_lists_show_the_snapshots_reasons(site_factory: Any) -> None:
    """The list of villages missing each type says why from the stored row, in the reader's language."""
    site = site_factory(enabled=["coverage"])
    village(site)
    for kind in ("party_branch", "party_members"):
        hold(site, VILLAGE, kind, days_ago(5))  # one meeting each: the party has 2 in the window, covers
    hold(site, VILLAGE, "supervision", days_ago(5))  # one of the two the supervision committee needs
    with site.db.transaction() as session:
        services.take_snapshot(session, site)
    few = "近 12 个月会议次数不足"
    order = "综治工作站：未建立；巡防队：未建立；工作片区：未建立；未编十户联防小组；有农户未编入小组"
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        def why(code: str, kind: str) -> str | None:
            page = client.get(f"/p/coverage/missing/{kind}")
            assert page.status_code == 200
            found = re.search(rf'<a href="/v/{code}/p/coverage/#type-{kind}">[^<]*</a>\s*'
                              rf'<span class="small why">([^<]*)</span>', page.text)
            return found.group(1) if found else None

        assert why(VILLAGE, "self_governance") == f"村民委员会：{few}；村民代表会议：{few}；村务监督委员会：{few}"
        assert why(OTHER_VILLAGE, "party") == "村党组织：未建立"
        assert why(VILLAGE, "party") is None  # the party covers there
        assert f'href="/v/{VILLAGE}/p/coverage/#type-party"' not in client.get("/p/coverage/missing/party").text
        assert why(VILLAGE, "order") == order
        printed = client.get("/p/coverage/print").text  # paper lists them all, with the same words
        assert f"<span class=\"small why\">{order}</span>" in printed and "村党组织：未建立" in printed
        # the export and the rates API carry the same reasons, in words
        sheet = load_workbook(io.BytesIO(client.get("/p/coverage/report.xlsx").content))["各村情况"]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][-4:] == ("党组织：未覆盖的原因", "自治组织：未覆盖的原因", "经济合作组织：未覆盖的原因",
                                "维护稳定组织（3+1）：未覆盖的原因")
        mine = next(r for r in rows if r[1] == "东街村")
        assert mine[-4:] == (None, f"村民委员会：{few}；村民代表会议：{few}；村务监督委员会：{few}",
                             "经济合作组织：未建立", order)
        api = {v["code"]: v for v in client.get("/api/v1/p/coverage/rates").json()["villages"]}
        assert api[VILLAGE]["reasons"] == {
            "self_governance": [f"村民委员会：{few}", f"村民代表会议：{few}", f"村务监督委员会：{few}"],
            "economic": ["经济合作组织：未建立"],
            "order": ["综治工作站：未建立", "巡防队：未建立", "工作片区：未建立", "未编十户联防小组",
                      "有农户未编入小组"]}
        assert api[OTHER_VILLAGE]["reasons"]["party"] == ["村党组织：未建立"]
        client.get("/-/locale/en")
        english = html.unescape(client.get("/p/coverage/missing/party").text)
        assert "Village party organisation: Not established" in english
        english = html.unescape(client.get("/p/coverage/missing/self_governance").text)
        assert ("Villagers' committee: Too few meetings in the last 12 months; Villager representatives' meeting: "
                "Too few meetings in the last 12 months") in english
        api = {v["code"]: v for v in client.get("/api/v1/p/coverage/rates").json()["villages"]}
        assert api[OTHER_VILLAGE]["reasons"]["party"] == ["Village party organisation: Not established"]
        sheet = load_workbook(io.BytesIO(client.get("/p/coverage/report.xlsx").content)).worksheets[2]
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[0][-4] == "Party organisation: why not covered"
        assert next(r for r in rows if r[1] == "西街村")[-4] == "Village party organisation: Not established"
    with site.db.transaction() as session:  # a row stored before reasons were kept: the page sends to the village
        row = session.exec(select(Snapshot).where(Snapshot.village_code == OTHER_VILLAGE)).one()
        row.reasons = None
        session.add(row)
    with site_client(site) as client:
        login(client, site, "county2", role="county_official")
        assert "原因见该村页面" in client.get("/p/coverage/missing/party").text
        api = {v["code"]: v for v in client.get("/api/v1/p/coverage/rates").json()["villages"]}
        assert api[OTHER_VILLAGE]["reasons"] is None and api[VILLAGE]["reasons"]["economic"] == ["经济合作组织：未建立"]
        sheet = load_workbook(io.BytesIO(client.get("/p/coverage/report.xlsx").content))["各村情况"]
        other = next(r for r in sheet.iter_rows(values_only=True) if r[1] == "西街村")
        assert other[-4] == "原因见该村页面"


def test_missing_lists_and_rates_from_stored_rows(site_factory: Any) -> None:
    """The dashboard reads the month's rows as they are stored: hand-checked rates per township and county, each
    missing list in village order, the same reasons said alike for every village sharing them (they are put in
    words once a page), and a row without reasons sending the reader to the village."""
    villages = [("130926100201", "东街村", "肃宁镇"), ("130926100202", "西街村", "肃宁镇"),
                ("130926100203", "南关村", "肃宁镇"), ("130926101201", "梁家村", "梁家村镇")]
    site = site_factory(enabled=["coverage"], villages=villages)
    absent = {"party": [["party", ["absent"]]]}
    rows = {  # code: (party, self-governance, economic, order, reasons)
        "130926100201": (True, True, True, True, {}),
        "130926100202": (False, True, True, False, {**absent, "order": [["groups", ["no_groups"]]]}),
        "130926100203": (False, True, False, True, {**absent, "economic": [["economic", ["none_covers"]]]}),
        "130926101201": (False, False, True, True, None),
    }
    with site.db.transaction() as session:
        for code, (party, self_governance, economic, order, reasons) in rows.items():
            session.add(Snapshot(village_code=code, month=days_ago(0).replace(day=1), party=party,
                                 self_governance=self_governance, economic=economic, order_stability=order,
                                 adults=10, enrolled=5, taken_at=utcnow(), reasons=reasons))
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        page = client.get("/p/coverage/").text
        assert 'id="no-snapshot"' not in page
        table = _numbers(page, r'<tr data-township="([^"]+)"><th scope="row">[^<]+</th><td class="num">(\d+)</td>'
                               r'<td class="num">([0-9.]+)</td><td class="num">([0-9.]+)</td>'
                               r'<td class="num">([0-9.]+)</td><td class="num">([0-9.]+)</td>')
        assert table == [("肃宁镇", "3", "33.3", "100.0", "66.7", "66.7"),
                         ("梁家村镇", "1", "0.0", "0.0", "100.0", "100.0")]
        total = _numbers(page, r'<tfoot><tr><th scope="row">合计</th><td class="num">(\d+)</td>((?:<td class="num">'
                               r'[0-9.]+</td>){5})')
        assert total == [("4", "".join(f'<td class="num">{p}</td>' for p in ("25.0", "75.0", "75.0", "75.0", "25.0")))]
        counts = re.findall(r'<a href="/p/coverage/missing/(\w+)">(\d+) 个村</a>', page)
        assert counts == [("party", "3"), ("self_governance", "1"), ("economic", "1"), ("order", "1")]
        pattern = r'<a href="/v/(\d+)/p/coverage/#type-(\w+)">[^<]*</a>\s*<span class="small[^"]*">([^<]*)</span>'
        listed = [found for kind, _n in counts
                  for found in re.findall(pattern, client.get(f"/p/coverage/missing/{kind}").text)]
        printed = client.get("/p/coverage/print").text
        assert re.findall(pattern, printed[printed.index('id="h-missing"'):]) == listed
        assert listed == [("130926100202", "party", "村党组织：未建立"), ("130926100203", "party", "村党组织：未建立"),
                          ("130926101201", "party", "原因见该村页面"),
                          ("130926101201", "self_governance", "原因见该村页面"),
                          ("130926100203", "economic", "经济合作组织：无一达标"),
                          ("130926100202", "order", "未编十户联防小组")]
        client.get("/-/locale/en")
        english = html.unescape(client.get("/p/coverage/missing/party").text)
        assert english.count("Village party organisation: Not established") == 2


def test_public_summary_and_api(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    with site_client(site) as client:
        page = client.get(f"{BASE}/summary")
        assert page.status_code == 200 and "东街村的四个组织" in page.text and "尚未实现四个组织全覆盖" in page.text
        fragment = client.get(f"{BASE}/summary", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "村民委员会" in fragment.text and "<html" not in fragment.text
        data = client.get(f"/api/v1/p/coverage/villages/{VILLAGE}").json()
        assert data["all_four"] is False and data["organisations"][0]["members"] == 3
        assert client.get("/api/v1/p/coverage/villages/130926999999").status_code == 404
        anonymous = client.get(f"{BASE}/", follow_redirects=False)
        assert anonymous.status_code == 302 and anonymous.headers["location"].startswith("/login")


ROLES = {
    "villager": ("village", set()),
    "representative": ("village", {"view"}),
    "supervisor": ("village", {"view"}),
    "clerk": ("village", {"view", "manage"}),
    "township_official": ("township", {"view", "county"}),
    "county_official": ("site", {"view", "county", "snapshot"}),
    "site_admin": ("site", {"view", "county", "snapshot"}),
}
ACTIONS = [
    ("get", f"{BASE}/", "view"),
    ("get", f"{BASE}/groups", "view"),
    ("get", f"{BASE}/groups.xlsx", "view"),
    ("post", f"{BASE}/organisations", "manage"),
    ("post", f"{BASE}/groups/new", "manage"),
    ("post", f"{BASE}/groups/assign", "manage"),
    ("get", f"{BASE}/summary", "public"),
    ("get", f"/api/v1/p/coverage/villages/{VILLAGE}", "public"),
    ("get", "/p/coverage/", "county"),
    ("get", "/p/coverage/print", "county"),
    ("get", "/p/coverage/missing/party", "county"),
    ("get", "/p/coverage/report.xlsx", "county"),
    ("get", "/api/v1/p/coverage/rates", "county"),
    ("post", "/p/coverage/snapshot", "snapshot"),
]


@pytest.mark.parametrize("own_village", [True, False], ids=["own", "other"])
@pytest.mark.parametrize("role", list(ROLES))
def test_permission_matrix(site_factory: Any, role: str, own_village: bool) -> None:
    site = site_factory(enabled=["coverage"])
    kind, allowed = ROLES[role]
    scope = {"village": VILLAGE if own_village else OTHER_VILLAGE,
             "township": VILLAGE[:9] if own_village else "130926101", "site": ""}[kind]
    with site_client(site) as client:
        login(client, site, f"u-{role}", role=role, scope=scope)
        for method, url, needs in ACTIONS:
            response = client.post(url, data={}) if method == "post" else client.get(url)
            if needs == "public":
                expected_ok = True
            elif needs in ("county", "snapshot"):
                expected_ok = needs in allowed  # a site page: any village of the actor's scope will do
            else:
                expected_ok = needs in allowed and (own_village or kind == "site")
            if expected_ok:
                assert response.status_code in (200, 303, 400), (role, url, response.status_code)
            else:
                assert response.status_code == 403, (role, url, response.status_code)
