"""The board's forms name every wrong field at once, each beside its field, and keep what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.notices import services
from cunwu.notices.models import Notice, Objection
from cunwu.testing import field_shown, login, site_client

from .conftest import VILLAGE, Today, publish

DESK = f"/v/{VILLAGE}/notices/manage"


def test_a_draft_with_no_title_and_a_bad_window_names_both_beside_their_fields(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{DESK}/new", data={"stream": "village", "category": "低保", "title": " ",
                                                "body": "全村低保名单", "window_days": "七天"})
        assert page.status_code == 400
        assert "请改正以下 2 处" in page.text
        assert "请填写标题" in field_shown(page.text, "title")
        days = field_shown(page.text, "window_days")
        assert "公示天数须为整数" in days and 'value="七天"' in days and 'aria-invalid="true"' in days
        assert "全村低保名单" in field_shown(page.text, "body")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Notice)).one() == 0


def test_an_objection_without_name_and_with_a_bad_phone_names_both_beside_them(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    with site_client(site) as client:
        page = client.post(f"/v/{VILLAGE}/notices/{notice.id}/objections",
                           data={"body": "赵某家有两套商品房", "name": "", "phone": "12ab"})
        assert page.status_code == 400
        assert "请填写您的姓名" in field_shown(page.text, "name")
        phone = field_shown(page.text, "phone")
        assert "联系电话" in phone and 'value="12ab"' in phone
        assert "赵某家有两套商品房" in field_shown(page.text, "body")
        # the summary sits in the objection form itself, not at the top of a long page
        form = page.text[page.text.index('class="form narrow nt-object"'):]
        assert "请改正以下 2 处" in form


def test_the_finance_form_lays_out_its_problems_with_the_shared_helpers(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{DESK}/finance", data={"period": "2025-03", "opening": "一千", "closing": "x1",
                                                     "income": "上级转移支付 500", "expenditure": ""})
        assert page.status_code == 400
        assert 'value="一千"' in field_shown(page.text, "opening") and "期初余额" in field_shown(page.text, "opening")
        assert "期末余额" in field_shown(page.text, "closing")
        assert "(opening)" not in page.text and "（opening）" not in page.text


def test_a_correction_with_no_title_and_no_reason_names_both_and_keeps_the_body(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{DESK}/{notice.id}/correct", data={"title": "  ", "body": "更正后的名单", "note": "",
                                                               "restart": "1"})
        assert page.status_code == 400 and "请改正以下 2 处" in page.text
        assert "请填写标题" in field_shown(page.text, "title")
        note = field_shown(page.text, "note")
        assert "请说明更正的原因" in note and 'aria-invalid="true"' in note
        assert "更正后的名单" in field_shown(page.text, "body")
        assert 'name="restart" value="1" checked' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Notice)).one() == 1


def test_a_withdrawal_without_a_reason_says_so_beside_the_reason(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{DESK}/{notice.id}/withdraw", data={"reason": "x"})
        assert page.status_code == 400
        reason = field_shown(page.text, "reason")
        assert "请填写撤回原因" in reason and ">x</textarea>" in reason
    with site.db.read() as session:
        assert session.get(Notice, notice.id).status == "published"  # type: ignore[union-attr]


def test_a_too_short_answer_is_refused_beside_that_objections_box_and_kept(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, window_days=7)
    with site.db.transaction() as session:
        first, second = (services.raise_objection(session, site, None, notice.id, body=body, name="李四",
                                                   phone="13812345678").id
                         for body in ("赵某家有两套商品房", "第三组王某家有经营车辆"))
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"{DESK}/objections/{second}/answer", data={"answer": "否"})
        assert page.status_code == 400
        box = field_shown(page.text, "answer")
        assert "请填写答复" in box and ">否</textarea>" in box and 'aria-invalid="true"' in box
        assert page.text.count('id="f-answer"') == 1  # the other objection's form is left as it was
        assert page.text.index(f'id="o{second}"') < page.text.index('id="f-answer"')
        assert "请填写答复（2 到 4000 个字）" in page.text.split('id="f-answer"')[0].split(f'id="o{second}"')[1]
    with site.db.read() as session:
        assert {o.id: o.status for o in session.scalars(select(Objection))} == {first: "open", second: "open"}
