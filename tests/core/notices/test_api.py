"""The notice board as JSON: `/api/v1/notices` (county), `/api/v1/v/<village>/notices` and one notice with its
versions, files, finance statement and objection counts — public like the board, drafts only for those who may
see the village's drafts, objectors' names and phones never."""

from __future__ import annotations

import datetime as dt
from typing import Any

from cunwu.notices import services
from cunwu.testing import login, site_client

from .conftest import CLERK, OTHER, VILLAGE, Today, finance, publish

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def test_board_lists_public_notices_with_filters_and_pages(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 5, 1))
    old = publish(site, title="五月的旧公示", window_days=3)
    today.set(dt.date(2025, 6, 1))
    live = publish(site, title="六月低保公示", window_days=7)
    party = publish(site, title="主题党日活动安排", stream="party", category="主题党日")
    other = publish(site, village=OTHER, title="西街村的公示")
    with site.db.transaction() as session:
        services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village", category="其他村务",
                              title="尚未公开的草稿", body="x")
    with site_client(site) as client:
        board = client.get(f"/api/v1/v/{VILLAGE}/notices")
        assert board.status_code == 200
        items = {i["title"]: i for i in board.json()["items"]}
        assert set(items) == {"五月的旧公示", "六月低保公示", "主题党日活动安排"}  # no draft, no other village
        assert items["六月低保公示"]["on_display"] is True and items["五月的旧公示"]["on_display"] is False
        assert items["六月低保公示"]["url"] == f"/v/{VILLAGE}/notices/{live.id}"
        county = client.get("/api/v1/notices").json()
        assert county["total"] == 4 and {i["id"] for i in county["items"]} == {old.id, live.id, party.id, other.id}
        assert [i["id"] for i in client.get("/api/v1/notices?stream=party").json()["items"]] == [party.id]
        assert [i["id"] for i in client.get(f"/api/v1/v/{VILLAGE}/notices?q=旧").json()["items"]] == [old.id]
        assert client.get("/api/v1/notices?q=100%").json()["total"] == 0  # LIKE wildcards are literal
        assert {i["id"] for i in client.get(f"/api/v1/v/{VILLAGE}/notices?month=2025-05").json()["items"]} == {
            old.id}
        first = client.get("/api/v1/notices?per_page=3").json()
        second = client.get("/api/v1/notices?per_page=3&page=2").json()
        assert (len(first["items"]), len(second["items"]), first["total"]) == (3, 1, 4)
        assert client.get("/api/v1/notices?per_page=201").status_code == 400
        assert client.get("/api/v1/v/999999999999/notices").status_code == 404


def test_one_notice_with_versions_files_finance_and_objection_counts(site: Any) -> None:
    notice = publish(site, title="三月财务公开", stream="finance", category="月度收支", finance=finance())
    with site.db.transaction() as session:
        new = services.correct_notice(session, site, CLERK, notice.id, title="三月财务公开（更正）",
                                      body="更正说明", note="摘要更正")
        first = services.raise_objection(session, site, None, new.id, body="请说明电费用途", name="王五",
                                         phone="13900000000")
        services.raise_objection(session, site, None, new.id, body="第二条异议内容", name="赵六",
                                 phone="13800000000")
        services.answer_objection(session, site, CLERK, first.id, "电费见附表")
    with site_client(site) as client:
        answer = client.get(f"/api/v1/v/{VILLAGE}/notices/{new.id}")
        assert answer.status_code == 200
        detail = answer.json()
        assert (detail["title"], detail["version"]) == ("三月财务公开（更正）", 2)
        assert detail["correction_note"] == "摘要更正"
        assert [v["version"] for v in detail["versions"]] == [1, 2]
        assert detail["versions"][0]["content_hash"] == notice.content_hash
        assert detail["objections"] == {"total": 2, "open": 1, "answered": 1}
        assert "王五" not in answer.text and "13900000000" not in answer.text
        assert detail["finance"]["closing"] == "1300.00"  # money stays exact: a decimal string, never a float
        assert [(ln["direction"], ln["item"]) for ln in detail["finance"]["lines"]] == [
            ("income", "上级转移支付"), ("expenditure", "路灯电费")]
        older = client.get(f"/api/v1/v/{VILLAGE}/notices/{notice.id}").json()
        assert older["is_current"] is False and older["objections"]["total"] == 2  # counted over the series
        assert client.get(f"/api/v1/v/{OTHER}/notices/{new.id}").status_code == 404


def test_files_are_listed_with_their_hashes(site: Any) -> None:
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                      category="其他村务", title="带附件的公示", body="见附件")
        added = services.add_attachment(session, site, CLERK, draft.id, filename="照片.png", data=PNG)
        services.publish_draft(session, site, CLERK, draft.id)
    with site_client(site) as client:
        files = client.get(f"/api/v1/v/{VILLAGE}/notices/{draft.id}").json()["attachments"]
        assert [(f["filename"], f["size"], f["sha256"]) for f in files] == [("照片.png", len(PNG), added.sha256)]
        assert client.get(files[0]["url"]).content == PNG


def test_drafts_only_for_those_who_may_see_the_villages_drafts(site: Any) -> None:
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                      category="其他村务", title="尚未公开的草稿", body="x")
    url = f"/api/v1/v/{VILLAGE}/notices/{draft.id}"
    with site_client(site) as client:
        refused = client.get(url)
        assert refused.status_code == 404 and refused.json()["detail"] == "没有这条公开信息"
        login(client, site, "villager", role="villager", scope=VILLAGE)
        assert client.get(url).status_code == 404
        login(client, site, "other-clerk", role="clerk", scope=OTHER)
        assert client.get(url).status_code == 404
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        seen = client.get(url).json()
        assert (seen["status"], seen["versions"], seen["on_display"]) == ("draft", [], False)
        assert "尚未公开的草稿" not in client.get(f"/api/v1/v/{VILLAGE}/notices").text  # the board stays public


def test_withdrawn_notice_stays_listed_as_withdrawn(site: Any) -> None:
    notice = publish(site, title="撤回的公示")
    with site.db.transaction() as session:
        services.withdraw_notice(session, site, CLERK, notice.id, "内容有误")
    with site_client(site) as client:
        item = client.get(f"/api/v1/v/{VILLAGE}/notices").json()["items"][0]
        assert (item["title"], item["status"], item["on_display"]) == ("撤回的公示", "withdrawn", False)
        detail = client.get(f"/api/v1/v/{VILLAGE}/notices/{notice.id}").json()
        assert detail["withdrawn_reason"] == "内容有误"
