"""The notice board's pages: public board, one notice, feeds, print, cache, permissions, the clerk's desk."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from cunwu.app import create_site_app
from cunwu.notices import services
from cunwu.notices.models import Notice, NoticeAttachment, Objection
from cunwu.testing import login, site_client

from .conftest import CLERK, OTHER, VILLAGE, Today, finance, publish

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _csrf(client: TestClient[Any]) -> None:
    client.get("/login")
    client.headers["x-csrftoken"] = client.cookies.get("cunwu_csrf") or ""


def test_village_board_shows_current_and_archive_with_filters(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 5, 1))
    old = publish(site, title="三月的旧公示", window_days=3)
    today.set(dt.date(2025, 6, 1))
    live = publish(site, title="六月低保公示", window_days=7)
    party = publish(site, title="主题党日活动安排", stream="party", category="主题党日")
    publish(site, village=OTHER, title="西街村的公示")
    with site_client(site) as client:
        page = client.get(f"/v/{VILLAGE}/notices/")
        assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"  # said once
        assert client.get(f"/v/{VILLAGE}/notices/").headers["content-type"] == "text/html; charset=utf-8"  # kept copy
        now, archive = page.text.split('id="archive"')
        assert "六月低保公示" in now and "主题党日活动安排" in now and "三月的旧公示" not in now
        assert "三月的旧公示" in archive and "西街村的公示" not in page.text
        months = re.findall(r'<option value="(\d{4}-\d{2})"', page.text)
        assert months == ["2025-06", "2025-05"]  # the month filter: this village's months, newest first
        only_party = client.get(f"/v/{VILLAGE}/notices/?stream=party").text
        assert "主题党日活动安排" in only_party and "六月低保公示" not in only_party
        assert "六月低保公示" in client.get(f"/v/{VILLAGE}/notices/?q=低保").text
        assert "主题党日活动安排" not in client.get(f"/v/{VILLAGE}/notices/?q=低保").text
        may = client.get(f"/v/{VILLAGE}/notices/?month=2025-05").text
        assert "三月的旧公示" in may and "六月低保公示" not in may
        county = client.get("/notices/").text
        assert "西街村的公示" in county and "六月低保公示" in county
    assert {old.id, live.id, party.id}


def test_notice_page_shows_versions_diff_hash_and_verify(site: Any) -> None:
    notice = publish(site, title="村道修缮公示", body="工程造价 **12万元**\n施工单位：某公司")
    with site.db.transaction() as session:
        new = services.correct_notice(session, site, CLERK, notice.id, title="村道修缮公示",
                                      body="工程造价 **11.5万元**\n施工单位：某公司", note="造价更正")
    with site_client(site) as client:
        page = client.get(f"/v/{VILLAGE}/notices/{new.id}").text
        assert "<strong>11.5万元</strong>" in page and new.content_hash in page and notice.content_hash in page
        assert '<span class="d-del">- 工程造价 **12万元**</span>' in page
        assert '<span class="d-add">+ 工程造价 **11.5万元**</span>' in page
        old_page = client.get(f"/v/{VILLAGE}/notices/{notice.id}").text
        assert "已被更正" in old_page and f"/v/{VILLAGE}/notices/{new.id}" in old_page
        verify = client.get(f"/v/{VILLAGE}/notices/{new.id}/verify").text
        assert verify.count('class="badge ok"') == 3
        canonical = client.get(f"/v/{VILLAGE}/notices/{new.id}/canonical.json")
        import hashlib

        assert hashlib.sha256(canonical.content).hexdigest() == new.content_hash


def test_notice_of_another_village_and_drafts_are_not_found(site: Any) -> None:
    notice = publish(site)
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                      category="其他村务", title="尚未公开的草稿", body="x")
    with site_client(site) as client:
        assert client.get(f"/v/{OTHER}/notices/{notice.id}").status_code == 404
        assert client.get(f"/v/{VILLAGE}/notices/{draft.id}").status_code == 404
        assert "尚未公开的草稿" not in client.get(f"/v/{VILLAGE}/notices/").text
        login(client, site, "super", role="supervisor", scope=VILLAGE)
        assert "尚未公开的草稿" in client.get(f"/v/{VILLAGE}/notices/{draft.id}").text


def test_objection_through_the_page_and_answer_by_clerk(site_factory: Any, dialect: str, today: Today) -> None:
    site = site_factory(dialect=dialect)
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    url = f"/v/{VILLAGE}/notices/{notice.id}"
    with site_client(site) as client:
        page = client.get(url).text
        assert "提出异议" in page and 'name="phone"' in page
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
        assert token == client.cookies.get("cunwu_csrf")  # the cached page carries this visitor's own token
        missing = client.post(f"{url}/objections", data={"body": "没有留电话", "name": "李四"})
        assert missing.status_code == 400 and "联系电话" in missing.text
        sent = client.post(f"{url}/objections", data={"body": "赵某家有两套商品房，不符合低保条件", "name": "李四",
                                                      "phone": "13812345678"}, follow_redirects=False)
        assert sent.status_code == 303
        public = client.get(url).text
        assert "赵某家有两套商品房" in public and "等待答复" in public
        assert "李四" not in public and "13812345678" not in public
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        desk = client.get(f"/v/{VILLAGE}/notices/manage/objections").text
        assert "李四" in desk and "13812345678" in desk
        with site.db.read() as session:
            objection = session.scalars(select(Objection)).one()
        answered = client.post(f"/v/{VILLAGE}/notices/manage/objections/{objection.id}/answer",
                               data={"answer": "经入户核实，两套房屋均已登记在其子女名下。"}, follow_redirects=False)
        assert answered.status_code == 303
        client.post("/logout")
        _csrf(client)
        public = client.get(url).text
        assert "经入户核实" in public and "李四" not in public
    today.set(dt.date(2025, 6, 8))
    with site_client(site) as client:
        late = client.get(url).text
        assert 'name="phone"' not in late and "公示期已结束" in late
        refused = client.post(f"{url}/objections", data={"body": "过期后的异议内容", "name": "李四",
                                                         "phone": "13812345678"})
        assert refused.status_code == 400 and "公示期已于 2025-06-07 结束" in refused.text


def test_cache_is_shared_and_invalidated_on_publish_across_two_app_instances(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    publish(site, title="第一条公示")
    board = f"/v/{VILLAGE}/notices/"
    with TestClient(create_site_app(site)) as one, TestClient(create_site_app(site)) as two:
        first = one.get(board)
        assert first.headers["x-cache"] == "miss" and "第一条公示" in first.text
        shared = two.get(board)
        assert shared.headers["x-cache"] == "hit" and shared.headers["etag"] == first.headers["etag"]
        county = two.get("/notices/")
        assert county.headers["x-cache"] == "miss"
        publish(site, title="第二条公示")  # committed by a third party (another worker)
        after = two.get(board)
        assert after.headers["x-cache"] == "miss" and "第二条公示" in after.text
        assert one.get(board).headers["x-cache"] == "hit"
        assert "第二条公示" in one.get("/notices/").text
        # An objection answer also reaches every instance.
        with site.db.transaction() as session:
            notice = session.scalars(select(Notice).where(Notice.title == "第二条公示")).one()
            objection = services.raise_objection(session, site, None, notice.id, body="请说明资金来源", name="王",
                                                 phone="13900000000")
        assert "请说明资金来源" in one.get(f"/v/{VILLAGE}/notices/{notice.id}").text
        with site.db.transaction() as session:
            services.answer_objection(session, site, CLERK, objection.id, "资金来自县级财政奖补")
        assert "资金来自县级财政奖补" in two.get(f"/v/{VILLAGE}/notices/{notice.id}").text


def test_etag_304_and_vary(site: Any) -> None:
    notice = publish(site)
    with site_client(site) as client:
        for url in (f"/v/{VILLAGE}/notices/", f"/v/{VILLAGE}/notices/{notice.id}", "/notices/feed.atom"):
            first = client.get(url)
            assert first.headers["vary"].startswith("HX-Request, Cookie") and first.headers["last-modified"]
            again = client.get(url, headers={"if-none-match": first.headers["etag"]})
            assert again.status_code == 304 and again.content == b""
            assert client.get(url, headers={"if-none-match": 'W/"other"'}).status_code == 200
        fragment = client.get(f"/v/{VILLAGE}/notices/{notice.id}", headers={"hx-request": "true"})
        assert "<html" not in fragment.text and notice.title in fragment.text


def test_notice_page_is_small(site: Any) -> None:
    body = "\n\n".join(f"第{i}条：经村民代表会议讨论通过，对本村第{i}组道路进行硬化，长度约 300 米。"
                       for i in range(40))
    table = services.NoticeTable(["户主", "组别", "金额（元）"],
                                 [[f"张*{i}", f"{i % 8 + 1}组", "620.00"] for i in range(60)])
    notice = publish(site, body=body, table=table)
    with site_client(site) as client:
        page = client.get(f"/v/{VILLAGE}/notices/{notice.id}", headers={"accept-encoding": "identity"})
    assert page.status_code == 200 and len(page.content) < 60 * 1024
    assert "<img" not in page.text


PERMISSIONS = [
    # (role, scope, method, path template, expected)
    (None, "", "GET", "/v/{v}/notices/manage/", 401),
    ("villager", VILLAGE, "GET", "/v/{v}/notices/manage/", 403),
    ("representative", VILLAGE, "GET", "/v/{v}/notices/manage/", 403),
    ("supervisor", VILLAGE, "GET", "/v/{v}/notices/manage/", 200),
    ("supervisor", VILLAGE, "GET", "/v/{v}/notices/manage/new", 403),
    ("township_official", VILLAGE[:9], "GET", "/v/{v}/notices/manage/", 200),
    ("township_official", VILLAGE[:9], "GET", "/v/{v}/notices/manage/objections", 403),
    ("county_official", "", "GET", "/v/{v}/notices/manage/", 200),
    ("clerk", VILLAGE, "GET", "/v/{v}/notices/manage/new", 200),
    ("clerk", VILLAGE, "GET", "/v/{v}/notices/manage/objections", 200),
    ("clerk", OTHER, "GET", "/v/{v}/notices/manage/", 403),
    ("clerk", OTHER, "GET", "/v/{v}/notices/manage/new", 403),
    ("clerk", OTHER, "POST", "/v/{v}/notices/manage/{n}/withdraw", 403),
    ("clerk", OTHER, "GET", "/v/{v}/notices/manage/objections", 403),
    ("villager", VILLAGE, "POST", "/v/{v}/notices/manage/{n}/withdraw", 403),
    ("supervisor", VILLAGE, "POST", "/v/{v}/notices/manage/{n}/correct", 403),
]


@pytest.mark.parametrize(("role", "scope", "method", "path", "expected"), PERMISSIONS)
def test_permissions_per_role_and_village(site: Any, role: str | None, scope: str, method: str, path: str,
                                          expected: int) -> None:
    notice = publish(site)
    with site_client(site) as client:
        if role:
            login(client, site, f"u-{role}", role=role, scope=scope)
        url = path.format(v=VILLAGE, n=notice.id)
        if method == "GET":
            response = client.get(url, follow_redirects=False)
        else:
            response = client.post(url, data={"reason": "试图撤回", "title": "x", "body": "y", "note": "z"},
                                   follow_redirects=False)
    if expected == 401:
        assert response.status_code in (302, 303, 307) and "/login" in response.headers["location"]
    else:
        assert response.status_code == expected
    with site.db.read() as session:
        assert session.get(Notice, notice.id).status == "published"


def test_objector_names_only_for_roles_that_need_them(site: Any) -> None:
    notice = publish(site)
    with site.db.transaction() as session:
        services.raise_objection(session, site, None, notice.id, body="请公开评议过程", name="周八",
                                 phone="13700001111")
    url = f"/v/{VILLAGE}/notices/{notice.id}"
    with site_client(site) as client:
        login(client, site, "super", role="supervisor", scope=VILLAGE)
        assert "周八" not in client.get(url).text
    with site_client(site) as client:
        login(client, site, "town", role="township_official", scope=VILLAGE[:9])
        assert "周八" in client.get(url).text and "13700001111" in client.get(url).text


def test_clerk_drafts_previews_uploads_publishes_corrects_and_withdraws(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        form = {"stream": "village", "category": "工程项目", "title": "村东桥维修公示",
                "body": "# 工程概况\n\n维修费用 **3.2 万元**", "window_days": ""}
        preview = client.post(f"/v/{VILLAGE}/notices/manage/preview", data={"body": form["body"]},
                              headers={"hx-request": "true"})
        assert "<h2>工程概况</h2>" in preview.text and "<html" not in preview.text
        bad = client.post(f"/v/{VILLAGE}/notices/manage/new", data={**form, "category": "不存在的分类"})
        assert bad.status_code == 400 and "不在本县村务公开的分类中" in bad.text
        created = client.post(f"/v/{VILLAGE}/notices/manage/new", data=form, follow_redirects=False)
        assert created.status_code == 303
        notice_id = int(created.headers["location"].split("/")[-2])
        upload = client.post(f"/v/{VILLAGE}/notices/manage/{notice_id}/files",
                             files={"file": ("桥.png", PNG, "application/octet-stream")}, follow_redirects=False)
        assert upload.status_code == 303
        refused = client.post(f"/v/{VILLAGE}/notices/manage/{notice_id}/files",
                              files={"file": ("x.html", b"<html><script>", "image/png")})
        assert refused.status_code == 400 and "只能上传图片" in refused.text
        published = client.post(f"/v/{VILLAGE}/notices/manage/{notice_id}/publish", follow_redirects=False)
        assert published.status_code == 303
        page = client.get(f"/v/{VILLAGE}/notices/{notice_id}").text
        assert "村东桥维修公示" in page and "桥.png" in page
        corrected = client.post(f"/v/{VILLAGE}/notices/manage/{notice_id}/correct",
                                data={"title": "村东桥维修公示", "body": "维修费用 **3.5 万元**", "note": "追加护栏"},
                                follow_redirects=False)
        assert corrected.status_code == 303
        new_id = int(corrected.headers["location"].rsplit("/", 1)[-1])
        withdrawn = client.post(f"/v/{VILLAGE}/notices/manage/{new_id}/withdraw", data={"reason": "工程取消"},
                                follow_redirects=False)
        assert withdrawn.status_code == 303
    with site.db.read() as session:
        rows = session.scalars(select(Notice).order_by(Notice.id)).all()
        assert [(n.version, n.status, n.is_current) for n in rows] == [(1, "published", False),
                                                                       (2, "withdrawn", True)]
        files = session.scalars(select(NoticeAttachment)).all()
        assert sorted(f.notice_id for f in files) == [notice_id, new_id]  # the new version carries the file


def test_attachment_headers_and_draft_files_are_private(site: Any) -> None:
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                      category="工程项目", title="附件测试", body="")
        file = services.add_attachment(session, site, CLERK, draft.id, filename="验收单.pdf", data=b"%PDF-1.4 test")
    url = f"/v/{VILLAGE}/notices/{draft.id}/files/{file.id}"
    with site_client(site) as client:
        assert client.get(url).status_code == 404
        with site.db.transaction() as session:
            services.publish_draft(session, site, CLERK, draft.id)
        response = client.get(url)
        assert response.status_code == 200 and response.content == b"%PDF-1.4 test"
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-disposition"] == "inline; filename*=UTF-8''%E9%AA%8C%E6%94%B6%E5%8D%95.pdf"
        assert "immutable" in response.headers["cache-control"]
        assert client.get(url, headers={"if-none-match": response.headers["etag"]}).status_code == 304
        assert client.get(f"/v/{OTHER}/notices/{draft.id}/files/{file.id}").status_code == 404


def test_finance_form_refuses_unbalanced_figures_and_renders_a_table(site: Any) -> None:
    form = {"period": "2025-03", "category": "月度收支", "opening": "10,000.00",
            "income": "上级转移支付 5000\n土地承包费，1200.50", "expenditure": "路灯电费 300.25\n保洁工资 2000",
            "closing": "13900.00", "title": "", "body": "", "window_days": ""}
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        refused = client.post(f"/v/{VILLAGE}/notices/manage/finance", data=form)
        assert refused.status_code == 400 and "收支不平" in refused.text and "相差 0.25 元" in refused.text
        bad_line = client.post(f"/v/{VILLAGE}/notices/manage/finance", data={**form, "income": "只有名称没有金额"})
        assert bad_line.status_code == 400 and "第 1 行" in bad_line.text
        # Every mistake at once, each beside its field and linked from the summary; what was typed stays.
        many = client.post(f"/v/{VILLAGE}/notices/manage/finance", data={
            **form, "period": "三月", "opening": "一万", "income": "上级转移支付 5000\n土地承包费", "closing": "x"})
        assert many.status_code == 400 and "请改正以下 4 处" in many.text
        for field, text in (("period", "期间应写作"), ("opening", "期初余额须为数字"),
                            ("income", "收入第 2 行"), ("closing", "期末余额须为数字")):
            label = many.text.split(f'<label id="f-{field}">', 1)[1].split("</label>", 1)[0]
            assert text in label and 'aria-invalid="true"' in label, field
            assert f'href="#f-{field}"' in many.text
        assert 'value="一万"' in many.text and "上级转移支付 5000" in many.text
        created = client.post(f"/v/{VILLAGE}/notices/manage/finance", data={**form, "closing": "13900.25"},
                              follow_redirects=False)
        assert created.status_code == 303
        notice_id = int(created.headers["location"].split("/")[-2])
        # The draft page offers files and the way to publish (it used to link only back to itself).
        draft = client.get(created.headers["location"]).text
        assert f'action="/v/{VILLAGE}/notices/manage/{notice_id}/files"' in draft
        assert f'href="/v/{VILLAGE}/notices/manage/{notice_id}/publish"' in draft
        confirm = client.get(f"/v/{VILLAGE}/notices/manage/{notice_id}/publish")
        assert confirm.status_code == 200 and "内容不能再修改" in confirm.text and "公示期从今天开始" in confirm.text
        assert f'<form method="post" action="/v/{VILLAGE}/notices/manage/{notice_id}/publish"' in confirm.text
        with site.db.read() as session:
            assert session.get(Notice, notice_id).status == "draft"  # the confirmation page changes nothing
        client.post(f"/v/{VILLAGE}/notices/manage/{notice_id}/publish")
        page = client.get(f"/v/{VILLAGE}/notices/{notice_id}").text
        assert "东街村2025年3月财务收支公开" in page
        assert "13,900.25" in page and "6,200.50" in page and "2,300.25" in page
        poster = client.get(f"/v/{VILLAGE}/notices/{notice_id}/print").text
        assert "13,900.25" in poster and 'class="poster-qr"' in poster


def test_print_poster_and_board_have_qr_window_and_hash(site: Any) -> None:
    one = publish(site, title="春耕补贴发放公示", window_days=7)
    publish(site, title="党员发展公示", stream="party", category="党员发展")
    with site_client(site) as client:
        poster = client.get(f"/v/{VILLAGE}/notices/{one.id}/print").text
        assert '<div class="poster-qr"' in poster and "<svg" in poster and one.content_hash in poster
        assert f"{one.window_start} 至 {one.window_end}" in poster
        assert f"http://testserver.local/v/{VILLAGE}/notices/{one.id}" in poster
        board = client.get(f"/v/{VILLAGE}/notices/print").text
        assert board.count("<svg") == 3 and "春耕补贴发放公示" in board and "党员发展公示" in board


def test_atom_feeds_are_valid(site: Any) -> None:
    notice = publish(site, title="饮水工程公示", body="<b>不会被当作 HTML</b> **加粗**")
    publish(site, village=OTHER, title="西街村公示")
    with site_client(site) as client:
        village = client.get(f"/v/{VILLAGE}/notices/feed.atom")
        county = client.get("/notices/feed.atom")
    assert village.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(village.content).findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["饮水工程公示"]
    content = entries[0].find("a:content", ns).text
    assert "<strong>加粗</strong>" in content and "<b>" not in content
    assert entries[0].find("a:link", ns).get("href").endswith(f"/v/{VILLAGE}/notices/{notice.id}")
    assert len(ET.fromstring(county.content).findall("a:entry", ns)) == 2


def test_the_subscribe_link_opens_a_readable_page(site: Any) -> None:
    """People following "订阅更新" get an HTML page with the entries and how to subscribe; readers keep the feed."""
    notice = publish(site, title="饮水工程公示")
    publish(site, village=OTHER, title="西街村公示")
    with site_client(site) as client:
        board = client.get(f"/v/{VILLAGE}/notices/").text
        assert f'href="/v/{VILLAGE}/notices/subscribe"' in board
        page = client.get(f"/v/{VILLAGE}/notices/subscribe")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert f'href="/v/{VILLAGE}/notices/{notice.id}">饮水工程公示</a>' in page.text
        assert "西街村公示" not in page.text
        assert "怎样订阅" in page.text and f'/v/{VILLAGE}/notices/feed.atom"' in page.text
        county = client.get("/notices/subscribe").text
        assert "饮水工程公示" in county and "西街村公示" in county


def test_village_home_dashboard_and_county_overview_slots(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 4, 20))
    publish(site, title="正在公示的低保名单")
    publish(site, village=OTHER, stream="finance", category="月度收支", title="3月", body="",
            finance=finance(start=dt.date(2025, 3, 1)))
    with site_client(site) as client:
        home = client.get(f"/v/{VILLAGE}/").text
        assert "正在公示的低保名单" in home
        overview = client.get("/").text
        assert "公开逾期的村" in overview
        section = overview.split("公开逾期的村")[1]
        assert "东街村" in section and "财务" in section
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        dashboard = client.get(f"/v/{VILLAGE}/").text
        assert "从未公开财务收支" in dashboard and "公开管理" in dashboard


def test_menu_links(site: Any) -> None:
    with site_client(site) as client:
        assert f'href="/v/{VILLAGE}/notices/"' in client.get(f"/v/{VILLAGE}/").text
        assert f"/v/{VILLAGE}/notices/manage/" not in client.get(f"/v/{VILLAGE}/").text
        assert 'href="/notices/"' in client.get("/").text
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert f'href="/v/{VILLAGE}/notices/manage/"' in client.get(f"/v/{VILLAGE}/").text


def test_english_page(site: Any) -> None:
    notice = publish(site)
    with site_client(site) as client:
        page = client.get(f"/v/{VILLAGE}/notices/{notice.id}?lang=en").text
    assert "Display period" in page and "Raise an objection" in page


def test_the_board_rows_show_each_category_in_the_visitors_language(site: Any, today: Today) -> None:
    """The rows' category labels are translated once per page (`CategoryLabels`), still in the page's language."""
    today.set(dt.date(2025, 5, 1))
    publish(site, title="五月党日", stream="party", category="主题党日", window_days=3)  # past by June
    today.set(dt.date(2025, 6, 1))
    publish(site, title="六月党日", stream="party", category="主题党日")
    publish(site, title="六月村务", category="其他村务")
    with site_client(site) as client:
        english = client.get(f"/v/{VILLAGE}/notices/?lang=en").text.split('class="nt-list"', 1)[1]
        chinese = client.get(f"/v/{VILLAGE}/notices/?lang=zh-CN").text.split('class="nt-list"', 1)[1]
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        desk = client.get(f"/v/{VILLAGE}/notices/manage/?lang=en").text
    assert english.count("Party day") == 2 and english.count("Other village affairs") == 1
    assert "主题党日" not in english
    assert chinese.count("主题党日") == 2 and "Party day" not in chinese
    assert "Party day" in desk.split('class="nt-list"', 1)[1]  # the clerk's desk draws its past rows the same way


#: The Jinja macro the board's lists were drawn with until round 7 of issue #18: `notice_lists` must draw the same.
OLD_LIST_MACRO = "\n".join((
    "{% macro notice_list(items, stream_labels, category_labels, today, site, status_badge, show_village=False) %}",
    '<ul class="nt-list">',
    "{% for n in items %}",
    "  <li>",
    '    <a class="nt-title" href="/v/{{ n.village_code }}/notices/{{ n.id }}">{{ n.title }}</a>',
    '    <span class="small muted">',
    "      {% if show_village %}{{ site.village(n.village_code).name if"
    " site.village(n.village_code) else n.village_code }} · {% endif %}",
    "      {{ stream_labels[n.stream] }} · {{ category_labels[n.category] }} ·",
    "      {% if n.window_start %}{{ n.window_start }} — {{ n.window_end }}{% endif %}",
    '      {% if n.version > 1 %} · {{ _("第 %(v)s 版", v=n.version) }}{% endif %}',
    "    </span>",
    "    {{ status_badge(n, today) }}",
    "  </li>",
    "{% endfor %}",
    "</ul>",
    "{% endmacro %}{{ notice_list(items, stream_labels, category_labels, today, site, status_badge, show_village) }}",
))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_notice_lists_are_the_old_macros_markup_byte_for_byte(site: Any, locale: str) -> None:
    """The board's lists are drawn in Python from unpacked rows; every branch of the macro they replaced (village
    names known or not, windows or none, versions, each status, text to escape) comes out the same."""
    from cunwu import i18n
    from cunwu.notices.controllers import _common
    from cunwu.notices.queries import LIST_COLUMNS

    today = dt.date(2025, 6, 1)
    keys = [column.key for column in LIST_COLUMNS]
    rows = [(1, VILLAGE, "六月<低保> & \"公示\" 'x'", "village", "低保", dt.date(2025, 5, 30), dt.date(2025, 6, 6), 1,
             "published"),
            (2, OTHER, "党日", "party", "主题党日", dt.date(2025, 5, 1), dt.date(2025, 5, 3), 3, "published"),
            (3, "999999999999", "撤回的", "finance", "月度收支", dt.date(2025, 6, 1), dt.date(2025, 6, 9), 2,
             "withdrawn"),
            (4, VILLAGE, "无窗口", "village", "自定<分类>", None, None, 1, "draft"),
            (5, VILLAGE, "窗口未完", "nostream", "其他村务", dt.date(2025, 6, 1), None, 12, "published")]

    class Row:  # what the macro read: attributes
        def __init__(self, values: tuple[Any, ...]) -> None:
            self.__dict__.update(zip(keys, values, strict=True))

    token = i18n.current_locale.set(locale)
    try:
        for show_village in (False, True):
            context = _common(site)
            drawn = context["notice_list"](rows, today, show_village)
            context = _common(site)
            macro = site.templates.from_string(OLD_LIST_MACRO).render(
                **context, items=[Row(r) for r in rows], today=today, site=site, show_village=show_village)
            assert str(drawn) == macro
    finally:
        i18n.current_locale.reset(token)
    assert "&lt;低保&gt; &amp; &#34;公示&#34; &#39;x&#39;" in macro and ("Party day" in macro) == (locale == "en")


def test_anonymous_objections_are_rate_limited_per_client(site_factory: Any, today: Today) -> None:
    site = site_factory(extra_toml="[core.notices]\nanonymous_objections_per_hour = 2\n")
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    url = f"/v/{VILLAGE}/notices/{notice.id}/objections"
    form = {"body": "请公开支出明细", "name": "李四", "phone": "13812345678"}
    with site_client(site) as client:
        assert client.post(url, data=form, follow_redirects=False).status_code == 303
        assert client.post(url, data=form, follow_redirects=False).status_code == 303
        refused = client.post(url, data=form, follow_redirects=False)
        assert refused.status_code == 429 and "提交异议过于频繁" in refused.text
        login(client, site, "villager", role="villager", scope=VILLAGE)
        assert client.post(url, data={"body": "登录后仍可提交"}, follow_redirects=False).status_code == 303
    with site.db.read() as session:
        assert len(session.scalars(select(Objection)).all()) == 3


def test_the_county_overview_follows_a_publication_at_once(site_factory: Any, dialect: str, today: Today) -> None:
    """The overview's disclosure part is kept per audit-chain head (core/notices/slots.py): a notice published after
    a view changes the late list and the compliance table at the next view — never the kept copy."""
    site = site_factory(dialect=dialect)
    today.set(dt.date(2025, 4, 20))
    with site_client(site) as public, site_client(site) as county:
        login(county, site, "county", role="county_official")

        def late_village_notices(client: TestClient[Any]) -> int:
            return client.get("/").text.split("公开逾期的村")[1].count("从未公开村务事项")

        before_public, before_county = late_village_notices(public), late_village_notices(county)
        compliance_before = county.get("/").text.split('id="table-disclosure-streams"')[1].split("</tr>")[2]
        assert before_public == before_county > 0
        publish(site, title="四月村务公开", category="其他村务")
        assert late_village_notices(public) == late_village_notices(county) == before_public - 1
        compliance_after = county.get("/").text.split('id="table-disclosure-streams"')[1].split("</tr>")[2]
        assert compliance_after != compliance_before  # the 村务 row counted the new notice
        assert late_village_notices(public) == before_public - 1  # and stays so when the part is kept
