"""The co-op pages: a clerk's flow with errors beside their fields, the member's own account, the public
distribution, the county list, the JSON API, and the permission matrix (roles × actions × own/other village)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from cunwu.testing import login, site_client
from cunwu_plugins.coop import services
from cunwu_plugins.coop.models import Cooperative, Member, Trade, YearClose

from .conftest import CLERK, CREDIT_CODES, OTHER_VILLAGE, TOWNSHIP, VILLAGE, contribute, make_coop, trade

BASE = f"/v/{VILLAGE}/p/coop"


def _closed_coop(site: Any) -> int:
    coop_id, members = make_coop(site)
    for index, member_id in enumerate(members):
        contribute(site, coop_id, member_id, f"{(index + 1) * 1000}.00", dt.date(2024, 1, 5))
        trade(site, coop_id, member_id, f"{(index + 1) * 333}.33", dt.date(2024, 5, 1))
    with site.db.transaction() as session:
        services.close_year(session, site, CLERK, services.get_cooperative(session, coop_id), 2024,
                            surplus=Decimal("10000.01"))
    return coop_id


def test_clerk_registers_a_coop_with_errors_beside_fields(site_factory):
    site = site_factory(enabled=["coop"])
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get(f"{BASE}/")
        assert page.status_code == 200 and "登记合作社" in page.text
        form = {"name": "东街果蔬专业合作社", "credit_code": "91110000600037341X", "registered_on": "2023-03-01",
                "level": "village", "patronage_percent": "60", "reserve_percent": "10",
                "additional_votes_percent": "0"}
        bad = client.post(f"{BASE}/new", data=form)
        assert bad.status_code == 400
        assert 'id="e-credit_code"' in bad.text and "校验位" in bad.text
        assert 'value="东街果蔬专业合作社"' in bad.text  # typed input kept
        low = client.post(f"{BASE}/new", data={**form, "credit_code": CREDIT_CODES[0], "patronage_percent": "59"})
        assert low.status_code == 400 and 'id="e-patronage_percent"' in low.text
        done = client.post(f"{BASE}/new", data={**form, "credit_code": CREDIT_CODES[0]}, follow_redirects=False)
        assert done.status_code == 303
        roll = client.get(done.headers["location"])
        assert roll.status_code == 200 and "成员 0 名（至少 5 名）" in roll.text and "不符合" in roll.text
        bad_member = client.post(done.headers["location"] + "members", data={
            "kind": "farmer", "resident_id": "130926199001011234", "joined_on": "2023-03-01"})
        assert bad_member.status_code == 400 and "不在本村（本乡镇）登记簿中" in bad_member.text
        assert 'value="130926199001011234"' in bad_member.text
    with site.db.read() as session:
        assert session.exec(select(Member)).all() == []
        assert len(session.exec(select(Cooperative)).all()) == 1


def test_contribution_in_labour_and_trade_with_negative_quantity_are_refused_on_the_page(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        labour = client.post(f"{BASE}/{coop_id}/contributions", data={
            "member": "1", "kind": "labour", "amount": "100", "contributed_on": "2024-01-05"})
        assert labour.status_code == 400 and "不能以劳务作价出资" in labour.text
        negative = client.post(f"{BASE}/{coop_id}/trades", data={
            "member": "1", "product": "玉米", "quantity": "-3", "amount": "10.00", "traded_on": "2024-05-01"})
        assert negative.status_code == 400 and "数量应大于 0" in negative.text and 'value="-3"' in negative.text
        month13 = client.post(f"{BASE}/{coop_id}/trades", data={
            "member": "1", "product": "玉米", "quantity": "3", "amount": "10.00", "traded_on": "2024-13-01"})
        assert month13.status_code == 400 and "2024-13-01" in month13.text
        ok = client.post(f"{BASE}/{coop_id}/trades", data={
            "member": "1", "product": "玉米", "quantity": "3", "amount": "10.00", "traded_on": "2024-05-01"},
            follow_redirects=False)
        assert ok.status_code == 303
        assert "10.00" in client.get(f"{BASE}/{coop_id}/ledger?year=2024").text


def test_close_from_the_page_posts_the_distribution(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    for index, member_id in enumerate(members):
        contribute(site, coop_id, member_id, "1000.00", dt.date(2024, 1, 5))
        trade(site, coop_id, member_id, f"{index + 1}00.00", dt.date(2024, 5, 1))
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        closed = client.post(f"{BASE}/{coop_id}/close-year", data={"year": "2024", "surplus": "1000.00"},
                             follow_redirects=False)
        assert closed.status_code == 303
        again = client.post(f"{BASE}/{coop_id}/close-year", data={"year": "2024", "surplus": "999.00"})
        assert again.status_code == 400 and "更正决算须说明理由" in again.text and 'id="e-reason"' in again.text
        public = client.get(f"{BASE}/{coop_id}/distribution/2024")
    assert public.status_code == 200 and "900.00" in public.text  # 1000 − 10 % reserve
    with site.db.read() as session:
        close = session.exec(select(YearClose)).one()
    board = client.get(f"/v/{VILLAGE}/notices/{close.notice_id}")
    assert board.status_code == 200 and "盈余分配公示" in board.text


def test_member_sees_only_their_own_account(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id = _closed_coop(site)
    with site.db.read() as session:
        members = session.exec(select(Member).order_by(Member.number)).all()
    with site_client(site) as client:
        login(client, site, "villager1", role="villager", scope=VILLAGE, person_id=members[1].person_id)
        own = client.get(f"{BASE}/my")
        assert own.status_code == 200 and members[1].name in own.text and "2,000.00" in own.text
        assert members[0].name not in own.text
        assert client.get(f"{BASE}/{coop_id}/members/{members[0].id}").status_code == 403
        assert client.get(f"{BASE}/{coop_id}/").status_code == 403
    with site_client(site) as client:
        login(client, site, "villager2", role="villager", scope=VILLAGE)
        assert "尚未关联村登记簿" in client.get(f"{BASE}/my").text


def test_county_list_and_api(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id = _closed_coop(site)
    with site_client(site) as client:
        public = client.get(f"/api/v1/p/coop/villages/{VILLAGE}/cooperatives/{coop_id}/distribution/2024")
        assert public.status_code == 200
        body = public.json()
        assert body["distributable"] == "9000.01"
        assert sum(Decimal(a["total"]) for a in body["allocations"]) == Decimal("9000.01")
        assert client.get("/api/v1/p/coop/cooperatives").status_code == 401
        login(client, site, "county", role="county_official")
        listed = client.get("/api/v1/p/coop/cooperatives").json()["cooperatives"]
        assert listed[0]["membership_ok"] is True and listed[0]["last_closed_year"] == 2024
        page = client.get("/p/coop/")
        assert page.status_code == 200 and "东街村" in page.text
        assert "/api/v1/p/coop/cooperatives" in client.get("/schema/openapi.json").text


ACTIONS = [  # (method, path, permission needed)
    ("get", "{base}/", "view"), ("get", "{base}/{coop}/", "view"), ("get", "{base}/{coop}/ledger", "view"),
    ("post", "{base}/{coop}/trades", "manage"), ("post", "{base}/{coop}/close-year", "manage"),
    ("get", "{base}/{coop}/close", "view"), ("get", "{base}/{coop}/import/template.xlsx", "manage"),
    ("post", "{base}/{coop}/members", "manage"), ("get", "/p/coop/", "supervise"),
    ("get", "{base}/{coop}/distribution/2024", "public"),
]
ROLES = {  # role, scope → what it may do in VILLAGE
    "villager": ("village", set()), "clerk": ("village", {"view", "manage"}),
    "representative": ("village", {"view"}), "supervisor": ("village", {"view"}),
    "township_official": ("township", {"view", "manage", "supervise"}),
    "county_official": ("site", {"view", "supervise"}), "site_admin": ("site", {"view", "supervise"}),
}


@pytest.mark.parametrize(("role", "own_village"), [(role, own) for role, (kind, _a) in ROLES.items()
                                                   for own in (True, False) if own or kind != "site"])
def test_permission_matrix(site_factory, role, own_village):
    site = site_factory(enabled=["coop"])
    coop_id = _closed_coop(site)
    kind, allowed = ROLES[role]
    scope = {"village": VILLAGE if own_village else OTHER_VILLAGE,
             "township": TOWNSHIP if own_village else "130926101", "site": ""}[kind]
    with site_client(site) as client:
        login(client, site, f"u-{role}", role=role, scope=scope)
        for method, path, needs in ACTIONS:
            url = path.format(base=BASE, coop=coop_id)
            response = getattr(client, method)(url, data={}) if method == "post" else client.get(url)
            if needs == "public":
                expected_ok = True
            elif needs == "supervise":
                expected_ok = needs in allowed  # a site page: any village of the actor's scope will do
            else:
                expected_ok = needs in allowed and own_village
            if expected_ok:
                assert response.status_code in (200, 303, 400), (role, url, response.status_code)
            else:
                assert response.status_code == 403, (role, url, response.status_code)


def test_charter_change_refuses_below_sixty_beside_the_field(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    form = {"patronage_percent": "55", "reserve_percent": "10", "additional_votes_percent": "10",
            "additional_votes_basis": "contribution", "reserve_basis": "transactions", "subsidy_basis": "equal"}
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        bad = client.post(f"{BASE}/{coop_id}/charter", data=form)
        assert bad.status_code == 400 and 'id="e-patronage_percent"' in bad.text and 'value="55"' in bad.text
        ok = client.post(f"{BASE}/{coop_id}/charter", data={**form, "patronage_percent": "70"},
                         follow_redirects=False)
        assert ok.status_code == 303
    with site.db.read() as session:
        assert session.get(Cooperative, coop_id).patronage_percent == 70


def test_import_page_offers_a_template_that_imports_as_is(site_factory):
    """The transactions template downloads from the ledger page; filled in (its two example rows: a member's and a
    non-member's trade) it passes the dry run, and the commit writes both."""
    import io

    from openpyxl import load_workbook

    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        ledger = client.get(f"{BASE}/{coop_id}/ledger")
        assert f'href="{BASE}/{coop_id}/import/template.xlsx"' in ledger.text and "下载导入模板" in ledger.text
        template = client.get(f"{BASE}/{coop_id}/import/template.xlsx")
        assert template.status_code == 200 and "attachment" in template.headers["content-disposition"]
        sheet = load_workbook(io.BytesIO(template.content)).active
        assert [c.value for c in sheet[1]] == ["交易日期", "成员编号", "交易对象", "产品", "数量", "单位", "金额"]
        files = {"file": ("template.xlsx", template.content,
                          "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
        dry = client.post(f"{BASE}/{coop_id}/import", files=files)
        assert dry.status_code == 200 and "新增 2 笔" in dry.text and "确认导入" in dry.text
        done = client.post(f"{BASE}/{coop_id}/import", files=files, data={"commit": "1"})
        assert done.status_code == 200 and "已导入 2 笔交易" in done.text
    with site.db.read() as session:
        rows = session.exec(select(Trade).where(Trade.cooperative_id == coop_id)).all()
    assert sorted((t.member_id is None, t.amount) for t in rows) == [(False, Decimal("2760.00")),
                                                                     (True, Decimal("1150.00"))]
