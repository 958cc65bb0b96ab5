"""The register's person forms name every wrong field at once, each beside its field, and keep what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.registry import services
from cunwu.registry.models import Household, Membership, Person
from cunwu.testing import field_shown, login, site_client

from .conftest import VILLAGE, make_household, make_person

R = f"/v/{VILLAGE}/registry"


def test_new_person_with_a_bad_id_and_a_bad_entry_date_names_both_and_keeps_the_rest(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/persons/new", data={
            "name": "刘志强", "resident_id": "13092619900203", "phone": "138", "household_number": "0050",
            "relation": "head", "start_date": "2025-13-40", "address": "东街 5 号"})
        assert page.status_code == 400
        ident = field_shown(page.text, "resident_id")
        assert 'aria-invalid="true"' in ident and 'value="13092619900203"' in ident and "身份证号" in ident
        start = field_shown(page.text, "start_date")
        assert "入户日期" in start and "不是有效的日期" in start
        assert "格式不正确" in field_shown(page.text, "phone")
        assert 'value="刘志强"' in field_shown(page.text, "name")
        assert 'value="0050"' in field_shown(page.text, "household_number")
        assert 'value="东街 5 号"' in field_shown(page.text, "address")
        assert '<span class="muted">resident_id</span>' not in page.text  # no raw field key on screen
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 0


def test_editing_a_person_keeps_what_was_typed_beside_both_problems(site: Any) -> None:
    with site.db.transaction() as session:
        person = make_person(session, site, Actor.system("test"), "王建国")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/persons/{person.id}/edit", data={
            "name": "", "resident_id": person.resident_id, "phone": "12ab", "ethnicity": "回族", "student": "1"})
        assert page.status_code == 400
        assert "姓名不能为空" in field_shown(page.text, "name")
        phone = field_shown(page.text, "phone")
        assert "格式不正确" in phone and 'value="12ab"' in phone
        assert 'value="回族"' in field_shown(page.text, "ethnicity")
        assert '<details open><summary>' in page.text
        assert 'name="student" value="1" checked' in page.text


def test_a_representative_with_an_unknown_id_and_an_unknown_household_names_both(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/representatives", data={"resident_id": "130926199001011234", "households": "0099",
                                                         "term_start": "2025-01-01", "on": "2025-01-01"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        ident = field_shown(page.text, "resident_id")
        assert 'aria-invalid="true"' in ident and 'value="130926199001011234"' in ident
        households = field_shown(page.text, "households")
        assert "本村没有户号为 0099 的现有户" in households and 'value="0099"' in households
        assert 'value="2025-01-01"' in field_shown(page.text, "term_start")


def test_adding_a_member_with_an_unknown_id_and_a_bad_date_names_both(site: Any) -> None:
    from .conftest import make_household

    with site.db.transaction() as session:
        head = make_person(session, site, Actor.system("test"), "王建国")
        home = make_household(session, site, Actor.system("test"), "0001", head)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{home.id}/members", data={
            "resident_id": "1309", "relation": "child", "start_date": "2025-02-30"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        ident = field_shown(page.text, "resident_id")
        assert 'aria-invalid="true"' in ident and 'value="1309"' in ident
        assert "入户日期" in field_shown(page.text, "start_date")
        assert 'value="child" selected' in field_shown(page.text, "relation")


def _family(site: Any) -> tuple[int, int, int]:
    """A household 0001 (head 王建国, a son 王小明) and a second open household 0002: the ids of the first household,
    the head and the son."""
    actor = Actor.system("test")
    with site.db.transaction() as session:
        head = make_person(session, site, actor, "王建国")
        son = make_person(session, site, actor, "王小明", born=dt.date(1998, 3, 3))
        household = make_household(session, site, actor, "0001", head)
        services.add_member(session, site, actor, household, son, "child", dt.date(2020, 1, 1))
        make_household(session, site, actor, "0002", make_person(session, site, actor, "李四"))
        return int(household.id), int(head.id), int(son.id)  # type: ignore[arg-type]


def _memberships(site: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(Membership)).one())


def test_changing_the_head_with_a_bad_date_and_a_bad_relation_names_both(site: Any) -> None:
    household, _head, son = _family(site)
    before = _memberships(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{household}/head", data={
            "person_id": str(son), "former_head_relation": "head", "on": "2024-02-30"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        on = field_shown(page.text, "on")
        assert "不是有效的日期" in on and 'value="2024-02-30"' in on
        assert "请选择原户主与新户主的关系" in field_shown(page.text, "former_head_relation")
        assert f'value="{son}" selected' in field_shown(page.text, "person_id")
    with site.db.read() as session:
        assert session.get(Membership, next(iter(session.exec(select(Membership.id).where(
            Membership.person_id == son))))).relation == "child"  # type: ignore[union-attr]
    assert _memberships(site) == before


def test_splitting_with_a_bad_date_and_a_head_not_leaving_names_both(site: Any) -> None:
    household, _head, son = _family(site)
    before = _memberships(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{household}/split", data={
            "new_head_id": str(son), "new_number": "0009", "on": "2024-13-01", "address": "西街 9 号"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        on = field_shown(page.text, "on")
        assert "不是有效的日期" in on and 'value="2024-13-01"' in on
        assert "新户主必须在分出的成员中" in field_shown(page.text, "new_head_id")
        assert 'value="0009"' in field_shown(page.text, "new_number")
        assert 'value="西街 9 号"' in field_shown(page.text, "address")
    assert _memberships(site) == before


def test_merging_into_an_unknown_household_on_a_bad_date_names_both(site: Any) -> None:
    household, _head, _son = _family(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{household}/merge", data={"target_number": "0777", "on": "2024-02-30"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        target = field_shown(page.text, "target_number")
        assert "本村没有户号为 0777 的现有户" in target and 'value="0777"' in target
        assert 'value="2024-02-30"' in field_shown(page.text, "on")
    with site.db.read() as session:
        assert session.get(Household, household).closed_on is None  # type: ignore[union-attr]


def test_editing_a_household_with_an_unknown_group_keeps_the_typed_address(site: Any) -> None:
    household, _head, _son = _family(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{household}/edit", data={"address": "南街 1 号", "group_id": "abc"})
        assert page.status_code == 400
        assert 'aria-invalid="true"' in field_shown(page.text, "group_id")
        assert 'value="南街 1 号"' in field_shown(page.text, "address")
    with site.db.read() as session:
        assert session.get(Household, household).address != "南街 1 号"  # type: ignore[union-attr]


def test_a_status_change_with_an_unknown_status_and_a_bad_date_names_both(site: Any) -> None:
    _household, _head, son = _family(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/persons/{son}/status", data={"status": "gone", "since": "2024-02-30",
                                                              "reason": "去了外地"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        assert "未知状态" in field_shown(page.text, "status")
        since = field_shown(page.text, "since")
        assert "不是有效的日期" in since and 'value="2024-02-30"' in since
        assert 'value="去了外地"' in field_shown(page.text, "reason")
    with site.db.read() as session:
        assert session.get(Person, son).status_since is None  # type: ignore[union-attr]


def test_a_move_to_an_unknown_household_on_a_bad_date_names_both(site: Any) -> None:
    _household, _head, son = _family(site)
    before = _memberships(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/persons/{son}/move", data={"target_number": "0777", "relation": "child",
                                                            "on": "2024-02-30"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        target = field_shown(page.text, "target_number")
        assert "本村没有户号为 0777 的现有户" in target and 'value="0777"' in target
        assert 'value="2024-02-30"' in field_shown(page.text, "on")
        assert 'value="child" selected' in field_shown(page.text, "relation")
    assert _memberships(site) == before


def test_ending_a_membership_without_a_reason_on_a_bad_date_names_both_in_that_row(site: Any) -> None:
    household, _head, son = _family(site)
    with site.db.read() as session:
        membership = session.exec(select(Membership).where(Membership.person_id == son)).one()
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/households/{household}/members/{membership.id}/end",
                           data={"reason": " ", "end_date": "2024-02-30"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        assert "请填写原因" in field_shown(page.text, "reason")
        end = field_shown(page.text, "end_date")
        assert "不是有效的日期" in end and 'value="2024-02-30"' in end
        assert page.text.count('id="f-reason"') == 1  # only the refused row carries the ids
    with site.db.read() as session:
        assert session.get(Membership, membership.id).end_date is None  # type: ignore[union-attr]


def test_a_group_with_a_number_out_of_range_is_refused_beside_it_with_the_name_kept(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{R}/groups", data={"number": "120", "name": "东岭组"})
        assert page.status_code == 400
        number = field_shown(page.text, "number")
        assert "村民小组编号应在 1 到 99 之间" in number and 'value="120"' in number
        assert 'value="东岭组"' in field_shown(page.text, "name")
