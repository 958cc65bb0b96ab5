"""我的待办 (/my): the `my_work` hook, the page, the menu count, the landing after login, the notice desk's items."""

from __future__ import annotations

import re
from typing import Any

from cunwu import hookimpl
from cunwu.accounts.actor import Actor, Grant
from cunwu.notices import services as notices
from cunwu.plugin_types import Manifest, WorkItem
from cunwu.testing import TEST_PASSWORD, login, make_user, site_client
from cunwu.web.sessions import CSRF_COOKIE

VILLAGE = "130926100201"
OTHER = "130926100202"
CLERK = Actor(user_id=None, username="clerk-test", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))


class Desk:
    """A plugin with two kinds of waiting work for clerks, one of them empty."""

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="desk", title_zh="台账", title_en="Desk", version="1")

    @hookimpl
    def my_work(self, request: Any, actor: Any) -> list[WorkItem]:
        if not actor.has_role("clerk"):
            return []
        return [WorkItem("台账区", "待盖章的证明", 3, f"/v/{VILLAGE}/", VILLAGE, who_next="盖章后交乡镇"),
                WorkItem("台账区", "待归档的文件", 0, f"/v/{VILLAGE}/")]


def _menu_count(html: str) -> int:
    found = re.search(r'href="/my"[^>]*>我的待办 \((\d+)\)<', html)
    assert found, "no 我的待办 link in the menu"
    return int(found.group(1))


def test_hook_my_work(site_factory: Any) -> None:
    site = site_factory(enabled=["desk"], available={"desk": Desk()})
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get("/my")
        assert page.status_code == 200
        assert "台账区" in page.text and "待盖章的证明" in page.text and "盖章后交乡镇" in page.text
        assert "待归档的文件" not in page.text  # count 0 is not shown
        assert f'href="/v/{VILLAGE}/"' in page.text
        assert _menu_count(client.get(f"/v/{VILLAGE}/").text) >= 3


def test_login_lands_on_my_work_unless_a_page_is_named(site: Any) -> None:
    with site_client(site) as client:
        make_user(site, "clerk", role="clerk", scope=VILLAGE)
        form = {"username": "clerk", "password": TEST_PASSWORD}

        def log_in(**extra: str) -> str:
            response = client.post("/login", data={**form, **extra}, follow_redirects=False)
            # Each login starts a new session, and the CSRF token is bound to the session: take the new one.
            client.headers["x-csrftoken"] = client.cookies.get(CSRF_COOKIE) or ""
            return str(response.headers["location"])

        assert log_in() == "/my"
        assert log_in(next="/") == "/my"
        assert log_in(next=f"/v/{VILLAGE}/notices/") == f"/v/{VILLAGE}/notices/"


def test_visitor_is_sent_to_login_and_back(site: Any) -> None:
    with site_client(site) as client:
        response = client.get("/my", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/my"
        assert "我的待办" not in client.get("/").text


def _publish(site: Any, village: str = VILLAGE) -> int:
    with site.db.transaction() as session:
        notice = notices.publish_notice(session, site, CLERK if village == VILLAGE else Actor.system("t"),
                                        village_code=village, stream="village", category="其他村务",
                                        title="关于修路的公示", body="正文")
        return int(notice.id)  # type: ignore[arg-type]


def test_clerk_sees_drafts_and_objections_and_they_go_when_done(site: Any) -> None:
    notice_id = _publish(site)
    _publish(site, OTHER)  # another village's work is not this clerk's
    with site.db.transaction() as session:
        notices.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village", category="其他村务",
                             title="草稿一", body="正文")
        objection = notices.raise_objection(session, site, None, notice_id, body="修路预算不对，请核实", name="张三",
                                            phone="13800000000")
        other = notices.raise_objection(session, site, None, notice_id + 1, body="另一个村的异议内容", name="李四",
                                        phone="13800000001")
        objection_id = objection.id
        assert other.village_code == OTHER
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.get("/my").text
        assert "待答复的异议" in page and "未发布的草稿" in page
        assert re.search(r'href="/v/130926100201/notices/manage/objections">待答复的异议</a>\s*<span class="badge">1<',
                         page)
        assert "130926100202" not in page
        for href in re.findall(r'<li>\s*<a href="([^"]+)"', page):
            assert client.get(href).status_code == 200, href
        count = _menu_count(page)
        answered = client.post(f"/v/{VILLAGE}/notices/manage/objections/{objection_id}/answer",
                               data={"answer": "已核实，预算无误"}, follow_redirects=False)
        assert answered.status_code in (200, 303)
        page = client.get("/my").text
        assert "待答复的异议" not in page and _menu_count(page) == count - 1


def test_a_role_with_nothing_to_do_sees_the_empty_state(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "villager", role="villager", scope=VILLAGE)
        page = client.get("/my")
        assert page.status_code == 200 and "现在没有等您办理的事" in page.text
        assert f'href="/v/{VILLAGE}/"' in page.text and 'href="/"' in page.text
        assert _menu_count(page.text) == 0


def test_township_official_has_no_notice_desk_work(site: Any) -> None:
    """Only the clerk answers and publishes: a township official's /my lists no notice work."""
    notice_id = _publish(site)
    with site.db.transaction() as session:
        notices.raise_objection(session, site, None, notice_id, body="修路预算不对，请核实", name="张三",
                                phone="13800000000")
    with site_client(site) as client:
        login(client, site, "town", role="township_official", scope=VILLAGE[:9])
        assert "待答复的异议" not in client.get("/my").text


def test_english_my_work(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "villager", role="villager", scope=VILLAGE)
        client.get("/-/locale/en")
        page = client.get("/my").text
        assert "My work" in page and "Nothing is waiting for you" in page


def test_the_menu_count_is_reused_until_the_person_changes_something(site: Any) -> None:
    """Issue #18: counting asks every area, so a worker reuses a person's menu count for a while; their own change
    (a POST) is seen on the very next page, others' changes once the count is taken again (/my always counts)."""
    notice_id = _publish(site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        before = _menu_count(client.get(f"/v/{VILLAGE}/").text)
        with site.db.transaction() as session:  # a villager's objection: not this clerk's doing
            objection = notices.raise_objection(session, site, None, notice_id, body="修路预算不对，请核实",
                                                name="张三", phone="13800000000")
        assert _menu_count(client.get(f"/v/{VILLAGE}/").text) == before  # the count taken a moment ago
        assert _menu_count(client.get("/my").text) == before + 1  # /my counts afresh
        assert _menu_count(client.get(f"/v/{VILLAGE}/").text) == before + 1
        answered = client.post(f"/v/{VILLAGE}/notices/manage/objections/{objection.id}/answer",
                               data={"answer": "已核实，预算无误"}, follow_redirects=False)
        assert answered.status_code in (200, 303)
        assert _menu_count(client.get(f"/v/{VILLAGE}/").text) == before  # the clerk's own change, seen at once
