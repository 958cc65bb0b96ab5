"""The register's person forms name every wrong field at once, each beside its field, and keep what was typed."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.registry.models import Person
from cunwu.testing import field_shown, login, site_client

from .conftest import VILLAGE, make_person

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
