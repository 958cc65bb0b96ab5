"""Coverage forms name every wrong field at once, each beside its field (only in the form posted: the desk has one
form per organisation), typed values kept, nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import func, select

from cunwu.testing import field_shown, links_to_nowhere
from cunwu_plugins.coverage import services
from cunwu_plugins.coverage.models import GroupMembership, HouseholdGroup, Organisation, OrganisationMeeting

from .conftest import CLERK, VILLAGE, days_ago, record, village

BASE = f"/v/{VILLAGE}/p/coverage"


def _count(site: Any, model: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_an_organisation_with_a_bad_date_and_a_bad_count_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/p/coverage/organisations", data={
        "kind": "station", "name": "综治工作站", "founded_on": "2020-02-30", "members": "五个"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    founded = field_shown(page.text, "founded_on")
    assert "不是有效的日期" in founded and 'value="2020-02-30"' in founded
    members = field_shown(page.text, "members")
    assert "须为整数" in members and 'value="五个"' in members
    assert 'value="综治工作站"' in field_shown(page.text, "name")
    assert page.text.count('id="f-founded_on"') == 1  # only the form posted, not every organisation's
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Organisation)).one() == 0


def test_a_meeting_on_a_bad_day_is_refused_beside_it_and_keeps_the_matter(site_factory: Any,
                                                                          client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    station = record(site, VILLAGE, "station", name="综治工作站", founded_on=days_ago(400), members=5)
    page = client_as(site, "clerk").post(f"{BASE}/organisations/{station}/meetings", data={
        "held_on": "2026-13-01", "title": "研判矛盾纠纷"})
    assert page.status_code == 400
    day = field_shown(page.text, "held_on")
    assert "会议日期" in day and 'value="2026-13-01"' in day and 'aria-invalid="true"' in day
    assert 'value="研判矛盾纠纷"' in field_shown(page.text, "title")
    assert _count(site, OrganisationMeeting) == 0


def test_dissolving_on_a_bad_day_without_a_reason_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    station = record(site, VILLAGE, "station", name="综治工作站", founded_on=days_ago(400), members=5)
    page = client_as(site, "clerk").post(f"{BASE}/organisations/{station}/dissolve", data={
        "dissolved_on": "2025-02-29", "dissolve_reason": " "})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    day = field_shown(page.text, "dissolved_on")
    assert "撤销日期" in day and 'value="2025-02-29"' in day
    assert "请填写撤销原因" in field_shown(page.text, "dissolve_reason")
    with site.db.read() as session:
        assert session.get(Organisation, station).dissolved_on is None  # type: ignore[union-attr]


def test_a_group_with_a_bad_number_is_refused_beside_it_and_keeps_the_name(site_factory: Any,
                                                                           client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    page = client_as(site, "clerk").post(f"{BASE}/groups/new", data={"number": "一", "name": "东头"})
    assert page.status_code == 400
    number = field_shown(page.text, "number")
    assert "小组编号须为整数" in number and 'value="一"' in number
    assert 'value="东头"' in field_shown(page.text, "name")
    assert _count(site, HouseholdGroup) == 0


def test_a_leader_from_another_village_is_refused_beside_that_groups_choice(site_factory: Any,
                                                                            client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    with site.db.transaction() as session:
        first = services.create_group(session, site, CLERK, VILLAGE, 1)
        second = services.create_group(session, site, CLERK, VILLAGE, 2)
        services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: first.id, built.homes[1].id: second.id})
        first_id, second_id = first.id, second.id
    page = client_as(site, "clerk").post(f"{BASE}/groups/{second_id}/leader", data={"person_id": "999999"})
    assert page.status_code == 400 and page.text.count('id="f-leader"') == 1
    assert "组长应是本村在册村民" in field_shown(page.text, "leader")
    assert page.text.index('id="f-leader"') > page.text.index(f'id="group-{second_id}"')  # in the second group
    with site.db.read() as session:
        assert session.get(HouseholdGroup, first_id).leader_person_id is None  # type: ignore[union-attr]
        assert session.get(HouseholdGroup, second_id).leader_person_id is None  # type: ignore[union-attr]


def test_two_unreadable_group_choices_are_each_named_beside_their_household(site_factory: Any,
                                                                             client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    with site.db.transaction() as session:
        group = services.create_group(session, site, CLERK, VILLAGE, 1)
        group_id = group.id
    first, second, third = (f"h_{home.id}" for home in built.homes[:3])
    page = client_as(site, "clerk").post(f"{BASE}/groups/assign", data={
        first: "第一组", second: "x", third: str(group_id)})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "分组选择无效" in field_shown(page.text, first) and 'aria-invalid="true"' in field_shown(page.text, first)
    assert "分组选择无效" in field_shown(page.text, second)
    kept = field_shown(page.text, third)
    assert f'value="{group_id}" selected' in kept and "分组选择无效" not in kept
    assert _count(site, GroupMembership) == 0


@pytest.mark.parametrize(("tampered", "said"), [
    (lambda home, group: {"h_999999": str(group)}, "第 999999 号农户不是本村的在册农户"),
    (lambda home, group: {f"h_{home}": "999999"}, "第 999999 号小组不在本村"),
    (lambda home, group: {"h_x1": str(group)}, "分组选择无效"),
    (lambda home, group: {"h_999999": "第一组"}, "分组选择无效"),
])
def test_a_tampered_household_or_group_id_is_named_on_top_linking_to_no_field(
        site_factory: Any, client_as: Any, tampered: Any, said: str) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    with site.db.transaction() as session:
        group_id = services.create_group(session, site, CLERK, VILLAGE, 1).id
    kept = f"h_{built.homes[1].id}"
    page = client_as(site, "clerk").post(f"{BASE}/groups/assign", data={
        **tampered(built.homes[0].id, group_id), kept: str(group_id)})
    assert page.status_code == 400 and said in page.text
    assert links_to_nowhere(page.text) == []
    assert f'value="{group_id}" selected' in field_shown(page.text, kept)  # the other choices are kept
    assert _count(site, GroupMembership) == 0
