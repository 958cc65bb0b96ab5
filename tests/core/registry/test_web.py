"""Register pages, export and API: permissions per role, masking per role, village scoping, forms, htmx, upload."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any

import pytest
from python_calamine import CalamineWorkbook
from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.clock import frozen_clock
from cunwu.registry import services
from cunwu.registry.models import Person
from cunwu.testing import login, site_client

from .conftest import OTHER_VILLAGE, VILLAGE, make_household, make_person
from .registerfile import csv_bytes, register_rows, xlsx_bytes

R = f"/v/{VILLAGE}/registry"
API = f"/api/v1/v/{VILLAGE}/registry"
ROLE_SCOPES = {
    "clerk": VILLAGE, "supervisor": VILLAGE, "representative": VILLAGE, "villager": VILLAGE,
    "township_official": VILLAGE[:9], "county_official": "", "site_admin": "",
}


@pytest.fixture
def filled(site: Any) -> dict[str, Any]:
    """A household in each of two villages, with a phone to mask."""
    actor = Actor.system("test")
    with site.db.transaction() as session:
        head = make_person(session, site, actor, "王建国", phone="13812345678")
        wife = make_person(session, site, actor, "李秀英", sex="F")
        home = make_household(session, site, actor, "0001", head)
        services.add_member(session, site, actor, home, wife, "spouse", home.created_on)
        services.create_group(session, site, actor, village_code=VILLAGE, number=1)
        outsider = make_person(session, site, actor, "赵外村", village=OTHER_VILLAGE)
        far = make_household(session, site, actor, "0009", outsider, village=OTHER_VILLAGE)
        return {"head": head, "home": home, "outsider": outsider, "far": far}


def _pages(filled: dict[str, Any]) -> list[str]:
    return [f"{R}/", f"{R}/households/{filled['home'].id}", f"{R}/persons/{filled['head'].id}",
            f"{R}/representatives", f"{API}/persons", f"{API}/households", f"{API}/persons/{filled['head'].id}"]


EXPECTED = {  # role -> (view, view_personal, import, export, edit)
    "clerk": (True, True, True, True, True),
    "supervisor": (True, False, False, False, False),
    "township_official": (True, True, False, True, False),
    "county_official": (True, False, False, False, False),
    "site_admin": (True, False, False, False, False),
    "representative": (False, False, False, False, False),
    "villager": (False, False, False, False, False),
}


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_permissions_and_masking_per_role(site: Any, filled: dict[str, Any], role: str) -> None:
    view, personal, can_import, can_export, can_edit = EXPECTED[role]
    number, phone = filled["head"].resident_id, filled["head"].phone
    masked = number[:6] + "*" * 8 + number[-4:]
    with site_client(site) as client:
        login(client, site, role, role=role, scope=ROLE_SCOPES[role])
        for url in _pages(filled):
            response = client.get(url)
            assert response.status_code == (200 if view else 403), (role, url, response.status_code)
            if view and "/households" not in url.split("registry")[1][:12] and "representatives" not in url:
                assert (number in response.text) is personal, (role, url)
                assert (phone in response.text) is personal, (role, url)
                if not personal:
                    assert masked in response.text and "138****5678" in response.text, (role, url)
        export = client.get(f"{R}/export.csv")
        assert export.status_code == (200 if can_export else 403)
        if can_export:
            table = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
            assert table[0][:3] == ["户号", "与户主关系", "姓名"]
            assert (number in export.text) is personal and (masked in export.text) is not personal
        assert client.get(f"{R}/import").status_code == (200 if can_import else 403)
        assert client.get(f"{R}/import/template.xlsx").status_code == (200 if can_import else 403)
        created = client.post(f"{R}/groups", data={"number": "7"}, follow_redirects=False)
        assert created.status_code == (303 if can_edit else 403)


def test_county_official_sees_masked_register_but_cannot_export(site: Any, filled: dict[str, Any]) -> None:
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        xlsx = client.get(f"{R}/export.xlsx")
    assert xlsx.status_code == 403  # county officials see the register on screen, masked, but do not export


def test_clerk_of_another_village_gets_403_and_foreign_ids_are_404(site: Any, filled: dict[str, Any]) -> None:
    with site_client(site) as client:
        login(client, site, "clerk2", role="clerk", scope=OTHER_VILLAGE)
        for url in [*_pages(filled), f"{R}/export.xlsx", f"{R}/import"]:
            assert client.get(url).status_code == 403, url
        assert client.post(f"{R}/groups", data={"number": "5"}).status_code == 403
        # Its own village's pages work, but a record of the first village addressed through them is not found.
        own = f"/v/{OTHER_VILLAGE}/registry"
        assert client.get(f"{own}/households/{filled['far'].id}").status_code == 200
        assert client.get(f"{own}/households/{filled['home'].id}").status_code == 404
        assert client.get(f"{own}/persons/{filled['head'].id}").status_code == 404
        assert client.get(f"/api/v1/v/{OTHER_VILLAGE}/registry/persons/{filled['head'].id}").status_code == 404


def test_public_sees_counts_and_representative_names_but_nothing_personal(site: Any, filled: dict[str, Any]) -> None:
    actor = Actor.system("test")
    with site.db.transaction() as session:
        services.set_representative(session, site, actor, village_code=VILLAGE,
                                    person=session.get(Person, filled["head"].id),
                                    household_ids=[filled["home"].id], on=dt.date.today())
    with site_client(site) as client:
        home = client.get(f"/v/{VILLAGE}/")
        assert "现有 1 户、2 人" in home.text and "王建国" in home.text
        assert filled["head"].resident_id[-4:] not in home.text and "1381" not in home.text
        assert client.get(f"{R}/").status_code in (401, 200) and "王建国" not in client.get(
            f"{R}/", follow_redirects=False).text
        assert client.get(f"{API}/persons").status_code == 401
        login(client, site, "villager", role="villager", scope=VILLAGE)
        assert client.get(f"{R}/").status_code == 403
        assert "村民登记" not in re.sub(r"<section class=\"card registry-summary\">.*?</section>", "",
                                     client.get(f"/v/{VILLAGE}/").text, flags=re.S).split("<main")[0]


def test_search_filters_htmx_fragment_and_pagination(site: Any, filled: dict[str, Any]) -> None:
    actor = Actor.system("test")
    with site.db.transaction() as session:
        for i in range(60):
            person = make_person(session, site, actor, f"张{i:02d}", party_member="是" if i % 10 == 0 else "否")
            make_household(session, site, actor, f"1{i:03d}", person)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        everyone = client.get(f"{R}/")
        assert "共 62 人" in everyone.text and "下一页" in everyone.text
        second = client.get(f"{R}/?page=2")
        assert "第 2 / 2 页" in second.text
        assert "共 1 人" in client.get(f"{R}/?q=张07").text
        by_household = client.get(f"{R}/?q=0001")
        assert "共 2 人" in by_household.text and "李秀英" in by_household.text
        tail = filled["head"].resident_id[-6:]
        assert "王建国" in client.get(f"{R}/?q={tail}").text
        assert "共 6 人" in client.get(f"{R}/?flag=party_member").text
        fragment = client.get(f"{R}/?q=张07", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="results"' in fragment.text


def test_each_register_row_shows_its_person_household_and_group(site: Any) -> None:
    """The search's table, cell by cell (read as plain columns since #18 round 4): a member of a household in a
    group, and a person in no household, whose household, relation and group cells stay empty."""
    actor = Actor.system("test")
    with site.db.transaction() as session:
        group = services.create_group(session, site, actor, village_code=VILLAGE, number=3, name="东街")
        head = make_person(session, site, actor, "王建国", phone="13812345678", party_member="是",
                           born=dt.date(1970, 5, 4))
        wife = make_person(session, site, actor, "李秀英", sex="F", born=dt.date(1972, 1, 1))
        home = services.create_household(session, site, actor, village_code=VILLAGE, number="0042", head=head,
                                         created_on=dt.date(2020, 1, 1), group_id=group.id)
        services.add_member(session, site, actor, home, wife, "spouse", home.created_on)
        alone = make_person(session, site, actor, "赵独居", born=dt.date(1950, 3, 3))
    with frozen_clock(dt.datetime(2025, 6, 1, 4, tzinfo=dt.UTC)), site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get(f"{R}/").text
    rows = [[re.sub(r"<[^>]+>", "", cell).split() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)]
    by_name = {row[1][0]: row for row in rows}
    assert by_name["王建国"] == [["0042"], ["王建国", "党员"], ["户主"], ["男"], ["55"], [head.resident_id],
                                ["13812345678"], ["03", "东街"], ["在村"]]
    assert by_name["李秀英"] == [["0042"], ["李秀英"], ["配偶"], ["女"], ["53"], [wife.resident_id], [],
                                ["03", "东街"], ["在村"]]
    assert by_name["赵独居"] == [[], ["赵独居"], [], ["男"], ["75"], [alone.resident_id], [], [], ["在村"]]
    assert f'href="{R}/households/{home.id}">0042</a>' in page and f'href="{R}/persons/{wife.id}">李秀英</a>' in page


def test_clerk_forms_register_person_household_and_show_errors(site: Any, filled: dict[str, Any]) -> None:
    from cunwu.registry.resident_id import generate_resident_id

    number = generate_resident_id("130926", dt.date(1990, 2, 3), 21)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        wrong = client.post(f"{R}/persons/new", data={"name": "刘志强", "resident_id": number, "sex": "女",
                                                      "household_number": "0050", "relation": "head"})
        assert wrong.status_code == 400 and "表示男性" in wrong.text and 'value="刘志强"' in wrong.text
        made = client.post(f"{R}/persons/new", data={"name": "刘志强", "resident_id": number, "sex": "男",
                                                     "household_number": "0050", "relation": "head"},
                           follow_redirects=False)
        assert made.status_code == 303
        person_url = made.headers["location"]
        page = client.get(person_url)
        assert "刘志强" in page.text and "0050" in page.text
        assert "登记村民" in page.text and "registry.person.create" not in page.text  # the change log speaks plainly
        household_id = re.search(r"/households/(\d+)\">户号 0050", page.text).group(1)
        refused = client.post(f"{R}/households/{household_id}/members",
                              data={"resident_id": filled["head"].resident_id, "relation": "child"})
        assert refused.status_code == 400 and "同一时间只能属于一户" in refused.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Person)).one() == 4


def test_representatives_page_warns_about_women_and_unrepresented(site: Any, filled: dict[str, Any]) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        saved = client.post(f"{R}/representatives", data={"resident_id": filled["head"].resident_id,
                                                          "households": "0001"}, follow_redirects=False)
        assert saved.status_code == 303
        page = client.get(f"{R}/representatives")
    assert "妇女代表 0 人" in page.text
    assert "联系 1 户，不在每位代表联系 5–15 户的范围内" in page.text


def test_web_upload_preview_confirm_and_reupload(site: Any, filled: dict[str, Any]) -> None:
    rows = register_rows(40, groups=1)
    for row in rows:
        row["户号"] = "B" + row["户号"]  # the fixture already has a household 0001 with another head
    bad = [dict(r) for r in rows]
    bad[3]["身份证号"] = bad[3]["身份证号"][:-1] + ("0" if bad[3]["身份证号"][-1] != "0" else "1")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        preview = client.post(f"{R}/import", files={"file": ("r.xlsx", xlsx_bytes(bad), "application/octet-stream")})
        assert preview.status_code == 422 and "第" not in preview.text.split("problems")[0][-5:]
        assert "<td>5</td><td>身份证号</td>" in preview.text and "确认导入" not in preview.text
        not_sheet = client.post(f"{R}/import", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")})
        assert not_sheet.status_code == 400 and "xlsx" in not_sheet.text
        good = client.post(f"{R}/import", files={"file": ("r.csv", csv_bytes(rows, "gbk"), "text/csv")})
        assert good.status_code == 200 and "确认导入" in good.text
        token = re.search(r"/import/([^/]+)/confirm", good.text).group(1)
        # Another clerk of the same village cannot confirm someone else's upload.
        with site_client(site) as other:
            login(other, site, "clerk-b", role="clerk", scope=VILLAGE)
            assert other.post(f"{R}/import/{token}/confirm").status_code == 404
        done = client.post(f"{R}/import/{token}/confirm")
        assert done.status_code == 200 and f"新增 {len(rows)} 人" in done.text
        assert client.post(f"{R}/import/{token}/confirm").status_code == 410
        again = client.post(f"{R}/import", files={"file": ("r.xlsx", xlsx_bytes(rows), "application/octet-stream")})
        assert "没有需要导入的变化" in again.text
        book = CalamineWorkbook.from_filelike(io.BytesIO(client.get(f"{R}/export.xlsx").content))
        exported = book.get_sheet_by_index(0).to_python()
    assert len(exported) == len(rows) + 2 + 1  # header + the fixture's two people + the file


def test_unmasked_export_in_english_imports_back_unchanged(site: Any, filled: dict[str, Any]) -> None:
    from cunwu.registry.importer import preview, read_table

    with site.db.transaction() as session:
        services.change_status(session, site, Actor.system("test"), session.get(Person, filled["head"].id), "away",
                               dt.date.today())  # "Working away" in English would not read back
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        client.get("/-/locale/en?next=/")
        exported = client.get(f"{R}/export.xlsx")
    assert exported.status_code == 200
    with site.db.read() as session:
        result = preview(session, VILLAGE, read_table(exported.content, "export.xlsx"))
    assert result.ok and result.nothing_changes, result.problems
