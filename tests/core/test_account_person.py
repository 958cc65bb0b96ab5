"""Accounts linked to register persons: the administrator's page (per role, audited, picker scoped by village) and
`cunwu users create --person` on a site made from nothing with the command line."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu.accounts.models import User
from cunwu.audit.models import AuditEntry
from cunwu.registry import services
from cunwu.registry.models import Person
from cunwu.registry.resident_id import generate_resident_id
from cunwu.runtime import Site
from cunwu.sites import load_site
from cunwu.testing import field_shown, login, make_user, site_client

EAST = "130926100201"  # 东街村
WEST = "130926100202"  # 西街村


def add_person(site: Any, name: str, village: str, sequence: int) -> Person:
    number = generate_resident_id("130926", dt.date(1975, 6, 1), sequence)
    with site.db.transaction() as session:
        person = services.create_person(session, site, Actor.system("test"), village_code=village,
                                        data={"name": name, "resident_id": number, "sex": "男"})
        session.expunge(person)
    return person


@pytest.fixture
def register(site: Any) -> dict[str, Person]:
    return {"wang": add_person(site, "王网格", EAST, 11), "li": add_person(site, "李代表", EAST, 13),
            "zhao": add_person(site, "王西街", WEST, 15)}


def linked_person(site: Any, username: str) -> int | None:
    with site.db.read() as session:
        return session.exec(select(User).where(User.username == username)).one().person_id


def test_the_administrator_links_an_account_to_a_person(site: Any, register: dict[str, Person]) -> None:
    worker = make_user(site, "gridworker", role="villager", scope=EAST, display_name="网格员王")
    with site_client(site) as client:
        login(client, site, "admin", role="site_admin")
        listing = client.get("/admin/users")
        assert listing.status_code == 200
        assert "网格员王" in listing.text and "未关联" in listing.text
        assert f'href="/admin/users/{worker}/person"' in listing.text

        page = client.get(f"/admin/users/{worker}/person", params={"village": EAST, "q": "王"})
        assert page.status_code == 200
        assert "王网格" in page.text and "李代表" not in page.text
        assert "王西街" not in page.text  # the picker searches one village
        assert register["wang"].resident_id not in page.text  # masked for an administrator
        assert register["wang"].resident_id[:6] in page.text

        done = client.post(f"/admin/users/{worker}/person", data={"person_id": str(register["wang"].id)},
                           follow_redirects=False)
        assert done.status_code == 303
        assert linked_person(site, "gridworker") == register["wang"].id
        shown = client.get(f"/admin/users/{worker}/person")
        assert "已关联：王网格 · 东街村" in shown.text
        assert "王网格 · 东街村" in client.get("/admin/users").text

        other = make_user(site, "second", role="villager", scope=EAST)
        refused = client.post(f"/admin/users/{other}/person",
                              data={"person_id": str(register["wang"].id), "village": EAST, "q": "王网"})
        assert refused.status_code == 400
        assert "这个人已关联账户 gridworker" in refused.text
        assert 'value="王网"' in refused.text  # the search the administrator typed is kept
        assert linked_person(site, "second") is None

        unlinked = client.post(f"/admin/users/{worker}/person/unlink", follow_redirects=False)
        assert unlinked.status_code == 303
        assert linked_person(site, "gridworker") is None
    with site.db.read() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.object_type == "accounts_user", AuditEntry.object_id == str(worker))
            .order_by(AuditEntry.id)).all()]
    assert actions[-2:] == ["accounts.user.link_person", "accounts.user.unlink_person"]


def test_linking_without_choosing_a_person_says_what_to_do(site: Any, register: dict[str, Person]) -> None:
    worker = make_user(site, "gridworker", role="villager", scope=EAST)
    with site_client(site) as client:
        login(client, site, "admin", role="site_admin")
        refused = client.post(f"/admin/users/{worker}/person", data={"person_id": "", "village": EAST})
        assert refused.status_code == 400
        assert "请先在下面的名单中选择一位村民" in refused.text
        assert client.post("/admin/users/999/person", data={"person_id": "1"}).status_code == 404


@pytest.mark.parametrize("role,scope", [("clerk", EAST), ("township_official", EAST[:9]),
                                        ("county_official", ""), ("villager", EAST)])
def test_only_the_site_administrator_may_link(site: Any, register: dict[str, Person], role: str, scope: str) -> None:
    worker = make_user(site, "gridworker", role="villager", scope=EAST)
    with site_client(site) as client:
        login(client, site, "someone", role=role, scope=scope)
        assert client.get("/admin/users").status_code == 403
        assert client.get(f"/admin/users/{worker}/person", params={"village": EAST}).status_code == 403
        posted = client.post(f"/admin/users/{worker}/person", data={"person_id": str(register["wang"].id)})
        assert posted.status_code == 403
    assert linked_person(site, "gridworker") is None


def test_anonymous_visitors_are_sent_to_the_login(site: Any) -> None:
    with site_client(site) as client:
        response = client.get("/admin/users", follow_redirects=False)
        assert response.status_code in (302, 303)
        assert response.headers["location"].startswith("/login")


def test_the_menu_shows_account_management_to_the_administrator_only(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "admin", role="site_admin")
        assert 'href="/admin/users"' in client.get("/").text
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        assert 'href="/admin/users"' not in client.get("/").text


def cunwu(args: list[str], folder: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CUNWU_DATA_DIR": str(folder / "var")}
    for name in ("CUNWU_DATABASE_URL", "CUNWU_SITES_DIR", "CUNWU_DEBUG"):
        env.pop(name, None)
    return subprocess.run([sys.executable, "-m", "cunwu", *args], capture_output=True, text=True, env=env,
                          cwd=folder, timeout=180)


def test_a_new_site_imports_its_register_before_the_first_start_and_links_an_account(tmp_path: Path,
                                                                                    monkeypatch: Any) -> None:
    """site new → db upgrade (writes the villages) → registry import → users create --person, all from ./sites."""
    made = cunwu(["site", "new", "hejian", "--name", "河间市", "--division-code", "130984",
                  "--village", "130984100201:城关村:瀛州镇"], tmp_path)
    assert made.returncode == 0, made.stderr
    upgraded = cunwu(["db", "upgrade"], tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "1 villages written" in upgraded.stderr
    head = generate_resident_id("130984", dt.date(1968, 3, 12), 11)
    (tmp_path / "register.csv").write_text(
        "户号,与户主关系,姓名,性别,出生日期,身份证号\n"
        f"0001,户主,王建国,男,1968-03-12,{head}\n", encoding="utf-8")
    imported = cunwu(["registry", "import", "register.csv", "--village", "130984100201", "--commit"], tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert "已导入 1 行" in imported.stderr

    unknown = cunwu(["users", "create", "--username", "li", "--name", "李", "--password", "long-enough-1",
                     "--person", "130984196803129999"], tmp_path)
    assert unknown.returncode == 1
    assert "登记簿中没有这个人" in unknown.stderr and "Traceback" not in unknown.stderr
    created = cunwu(["users", "create", "--username", "wang", "--name", "王建国", "--password", "long-enough-1",
                     "--role", "villager:130984100201", "--person", head], tmp_path)
    assert created.returncode == 0, created.stderr
    assert "linked to 王建国" in created.stderr

    monkeypatch.setenv("CUNWU_DATA_DIR", str(tmp_path / "var"))
    site = Site(load_site(tmp_path / "sites" / "hejian"))
    with site.db.read() as session:
        person = session.exec(select(Person).where(Person.resident_id == head)).one()
        users = {u.username: u.person_id for u in session.exec(select(User)).all()}
    site.db.dispose()
    assert users == {"wang": person.id}  # the refused `li` left nothing behind


def test_commands_fail_with_one_clean_message(tmp_path: Path) -> None:
    nothing = cunwu(["db", "upgrade"], tmp_path)
    assert nothing.returncode == 2
    assert "no sites folder here" in nothing.stderr and "Traceback" not in nothing.stderr
    assert cunwu(["site", "new", "x", "--name", "某县", "--division-code", "130984",
                  "--village", "130984100201:城关村:瀛州镇", "--theme", "nosuch"], tmp_path).returncode == 2
    assert not (tmp_path / "sites" / "x").exists()
    cunwu(["site", "new", "hejian", "--name", "河间市", "--division-code", "130984",
           "--village", "130984100201:城关村:瀛州镇"], tmp_path)
    (tmp_path / "register.csv").write_text("户号,与户主关系,姓名,身份证号\n", encoding="utf-8")
    before_upgrade = cunwu(["registry", "import", "register.csv", "--village", "130984100201"], tmp_path)
    assert before_upgrade.returncode == 1
    assert "database error" in before_upgrade.stderr and "cunwu db upgrade" in before_upgrade.stderr
    assert "Traceback" not in before_upgrade.stderr


def test_a_refused_link_is_named_beside_the_search_with_the_search_kept(site: Any,
                                                                        register: dict[str, Person]) -> None:
    make_user(site, "gridworker", role="villager", scope=EAST, person_id=register["wang"].id)
    other = make_user(site, "second", role="villager", scope=EAST)
    with site_client(site) as client:
        login(client, site, "admin", role="site_admin")
        taken = client.post(f"/admin/users/{other}/person",
                            data={"person_id": str(register["wang"].id), "village": EAST, "q": "王网"})
        assert taken.status_code == 400 and "请改正以下 1 处" in taken.text and 'href="#f-q"' in taken.text
        search = field_shown(taken.text, "q")
        assert "这个人已关联账户 gridworker" in search and 'value="王网"' in search and 'aria-invalid="true"' in search
        none = client.post(f"/admin/users/{other}/person", data={"person_id": "", "village": EAST, "q": "李"})
        assert "请先在下面的名单中选择一位村民" in field_shown(none.text, "q")
        assert 'value="李"' in field_shown(none.text, "q") and f'value="{EAST}" selected' in none.text
    assert linked_person(site, "second") is None
