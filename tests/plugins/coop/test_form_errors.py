"""Co-op forms name every wrong field at once, each beside its field, typed values kept, nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.testing import Member as Person
from cunwu.testing import RegisterBuilder, field_shown, links_to_nowhere
from cunwu_plugins.coop import services
from cunwu_plugins.coop.models import (
    AnnualReport,
    Assembly,
    Contribution,
    Cooperative,
    Member,
    Resolution,
    Trade,
    YearClose,
)

from .conftest import CLERK, CREDIT_CODES, make_coop

V = "130926100201"
BASE = f"/v/{V}/p/coop"


def test_a_coop_with_a_bad_date_and_a_bad_percentage_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    page = client_as(site, "clerk").post(f"/v/{V}/p/coop/new", data={
        "name": "东街村果蔬专业合作社", "credit_code": "93130926MA0ABCDE1X", "registered_on": "2024-02-30",
        "level": "village", "patronage_percent": "六十", "reserve_percent": "10", "additional_votes_percent": "5"})
    assert page.status_code == 400
    day = field_shown(page.text, "registered_on")
    assert "登记日期" in day and 'value="2024-02-30"' in day and 'aria-invalid="true"' in day
    share = field_shown(page.text, "patronage_percent")
    assert "按交易量返还比例须为整数" in share and 'value="六十"' in share
    assert 'value="东街村果蔬专业合作社"' in field_shown(page.text, "name")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Cooperative)).one() == 0


def _count(site: Any, model: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_member_with_an_unknown_id_and_a_bad_day_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    members = _count(site, Member)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/members", data={
        "kind": "farmer", "resident_id": "130926199001011234", "joined_on": "2024-02-30"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    ident = field_shown(page.text, "resident_id")
    assert "不在本村（本乡镇）登记簿中" in ident and 'value="130926199001011234"' in ident
    day = field_shown(page.text, "joined_on")
    assert "入社日期" in day and 'value="2024-02-30"' in day and 'aria-invalid="true"' in day
    assert _count(site, Member) == members


def test_a_person_already_on_the_roll_is_refused_beside_the_id_typed(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with site.db.transaction() as session:
        head = RegisterBuilder(session, site, village=V, actor=CLERK).household(
            "H00001", [Person("王五", born=dt.date(1971, 5, 1))], created_on=dt.date(2000, 1, 1)).head
        ident = head.resident_id
    client = client_as(site, "clerk")
    joined = client.post(f"{BASE}/{coop_id}/members", data={
        "kind": "farmer", "resident_id": ident, "joined_on": "2024-01-05"}, follow_redirects=False)
    assert joined.status_code == 303
    page = client.post(f"{BASE}/{coop_id}/members", data={
        "kind": "farmer", "resident_id": ident, "joined_on": "2024-01-05"})
    assert page.status_code == 400
    shown = field_shown(page.text, "resident_id")
    assert "王五 已是本社成员" in shown and f'value="{ident}"' in shown and 'href="#f-resident_id"' in page.text
    assert _count(site, Member) == len(members) + 1


def test_an_exit_notice_with_a_bad_day_is_refused_beside_that_members_date(site_factory: Any,
                                                                             client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/members/{members[1]}/exit",
                                         data={"notice_on": "2024-04-31"})
    assert page.status_code == 400 and page.text.count('id="f-notice_on"') == 1
    day = field_shown(page.text, "notice_on")
    assert "退社声明日期" in day and 'value="2024-04-31"' in day
    with site.db.read() as session:
        assert session.get(Member, members[1]).exit_notice_on is None  # type: ignore[union-attr]


def test_a_contribution_by_an_unknown_member_on_a_bad_day_names_both_in_its_form(site_factory: Any,
                                                                                  client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/contributions", data={
        "member": "77", "kind": "money", "amount": "1000", "contributed_on": "2024-01-32"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    member = field_shown(page.text, "member")
    assert "成员编号 77 不在本社成员名册中" in member and 'value="77"' in member
    assert "成员交易" not in member  # the contribution's member field, not the trade's
    day = field_shown(page.text, "contributed_on")
    assert "出资日期" in day and 'value="2024-01-32"' in day
    assert 'value="1000"' in field_shown(page.text, "amount") and page.text.count('id="f-amount"') == 1
    assert _count(site, Contribution) == 0


def test_a_trade_with_an_unreadable_quantity_and_day_names_both_in_its_form(site_factory: Any,
                                                                             client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/trades", data={
        "member": "1", "product": "玉米", "quantity": "三吨", "unit": "吨", "amount": "10.00",
        "traded_on": "2024-13-01"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    quantity = field_shown(page.text, "quantity")
    assert "数量须为数字" in quantity and 'value="三吨"' in quantity
    day = field_shown(page.text, "traded_on")
    assert "交易日期" in day and 'value="2024-13-01"' in day
    member = field_shown(page.text, "member")
    assert "成员交易" in member and 'value="1"' in member
    assert 'value="玉米"' in field_shown(page.text, "product")
    assert _count(site, Trade) == 0


def test_a_resolution_without_a_matter_and_with_a_bad_kind_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        assembly = services.hold_assembly(session, site, CLERK, coop, held_on=dt.date(2024, 3, 1), title="年度大会",
                                          present=members)
        assembly_id = assembly.id
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/assemblies/{assembly_id}/resolutions", data={
        "title": " ", "kind": "coup", f"vote_{members[0]}": "against"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "请填写决议事项" in field_shown(page.text, "title")
    assert "决议类别无效" in field_shown(page.text, "kind")
    assert 'value="against" selected' in page.text  # the votes typed are kept
    assert _count(site, Resolution) == 0


def test_an_assembly_on_a_bad_day_is_refused_beside_it_and_keeps_the_title(site_factory: Any,
                                                                          client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/assemblies", data={
        "held_on": "2024-02-30", "title": "年度成员大会", "present": [str(m) for m in members[:3]]})
    assert page.status_code == 400
    day = field_shown(page.text, "held_on")
    assert "会议日期" in day and 'value="2024-02-30"' in day and 'aria-invalid="true"' in day
    assert 'value="年度成员大会"' in field_shown(page.text, "title")
    assert page.text.count(" checked>") == 3  # who was ticked present is kept
    assert _count(site, Assembly) == 0


def test_a_year_close_with_an_unreadable_year_and_surplus_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/close-year", data={
        "year": "二〇二四", "surplus": "一万", "losses_made_good": "0"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    year = field_shown(page.text, "year")
    assert "年度须为整数" in year and 'value="二〇二四"' in year
    surplus = field_shown(page.text, "surplus")
    assert "当年盈余须为数字" in surplus and 'value="一万"' in surplus
    assert _count(site, YearClose) == 0


def test_an_annual_report_with_an_unreadable_year_and_day_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, _members = make_coop(site)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/reports", data={
        "report_year": "去年", "submitted_on": "2025-06-31"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    year = field_shown(page.text, "report_year")
    assert "年报年度须为整数" in year and 'value="去年"' in year
    day = field_shown(page.text, "submitted_on")
    assert "报送日期" in day and 'value="2025-06-31"' in day
    assert _count(site, AnnualReport) == 0


def test_a_member_breaking_the_rolls_shape_is_named_on_top_linking_to_no_field(site_factory: Any,
                                                                              client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site, organisations=1)
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/members", data={
        "kind": "organisation", "name": "东街农机公司", "credit_code": CREDIT_CODES[1], "joined_on": "2024-01-05"})
    assert page.status_code == 400 and "加入后不符合成员构成要求" in page.text
    assert 'href="#f-' not in page.text and links_to_nowhere(page.text) == []
    assert 'value="东街农机公司"' in field_shown(page.text, "name")  # what was typed is kept
    assert _count(site, Member) == len(members)


def test_a_vote_by_a_member_not_present_is_refused_beside_the_ballots(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        assembly_id = services.hold_assembly(session, site, CLERK, coop, held_on=dt.date(2024, 3, 1), title="年度大会",
                                             present=members[:4]).id
    page = client_as(site, "clerk").post(f"{BASE}/{coop_id}/assemblies/{assembly_id}/resolutions", data={
        "title": "购置烘干机", "kind": "ordinary", f"vote_{members[0]}": "against", f"vote_{members[4]}": "for"})
    assert page.status_code == 400 and 'href="#f-ballots"' in page.text and links_to_nowhere(page.text) == []
    start = page.text.index('id="f-ballots"')
    ballots = page.text[start:page.text.index("</table>", start)]
    assert "只有出席的成员可以表决" in ballots and 'value="against" selected' in ballots
    assert 'value="购置烘干机"' in field_shown(page.text, "title")
    assert _count(site, Resolution) == 0
