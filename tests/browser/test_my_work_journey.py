"""The clerk's 我的待办 on a phone (390 px): log in, land on /my, follow an item, do the work, and the item is gone
from /my (answering an objection, then publishing a draft)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.notices import services as notices

VILLAGE = "130926100201"
CLERK = Actor(user_id=None, username="clerk-seed", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))


@pytest.fixture
def phone_390(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _open_my_work(page: Any) -> str:
    """Through the menu, as a person would: open the collapsed menu, tap 我的待办 (N)."""
    page.click("label.menu-button")
    link = page.locator("#site-menu a[href='/my']")
    label = link.inner_text()
    link.click()
    page.wait_for_url("**/my")
    return label


@pytest.mark.browser
def test_clerk_empties_items_from_my_work(phone_390: Any, live_server_factory: Any, login: Any) -> None:
    server = live_server_factory()
    site, page = server.site, phone_390
    with site.db.transaction() as session:
        notice = notices.publish_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                        category="工程项目", title="村东道路硬化工程公示", body="预算 6 万元")
        notices.raise_objection(session, site, None, notice.id, body="预算偏高，请说明依据", name="钱多多",  # type: ignore[arg-type]
                                phone="13912345678")
        notices.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village", category="会议决议",
                             title="村民代表会议决议", body="同意硬化村东道路")

    login(page, server, "clerk", role="clerk", scope=VILLAGE)
    assert page.url.endswith("/my")  # no page named: the clerk lands on their work
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    main = page.locator("main").inner_text()
    assert "待答复的异议" in main and "未发布的草稿" in main
    before = int(re.search(r"\((\d+)\)", page.locator("#site-menu a[href='/my']").inner_text()).group(1))  # type: ignore[union-attr]

    # The objection: follow the item, answer it, and it is gone.
    page.click("text=待答复的异议")
    page.wait_for_url("**/notices/manage/objections")
    page.fill("textarea[name=answer]", "预算依据县交通局定额，已在村务公开栏张贴明细。")
    page.click("form[action$='/answer'] button")
    page.wait_for_load_state("networkidle")
    label = _open_my_work(page)
    assert label == f"我的待办 ({before - 1})"  # the menu counts what is left
    main = page.locator("main").inner_text()
    assert "待答复的异议" not in main and "未发布的草稿" in main

    # The draft: follow the item to the desk, open the draft, publish it, and it is gone too.
    page.click("text=未发布的草稿")
    page.wait_for_url("**/notices/manage/")
    page.click("text=村民代表会议决议")
    page.click("a[href$='/publish']")  # the confirmation page states the consequence first
    page.click("form[action$='/publish'] button")
    page.wait_for_url(re.compile(rf"/v/{VILLAGE}/notices/\d+$"))
    _open_my_work(page)
    main = page.locator("main").inner_text()
    assert "待答复的异议" not in main and "未发布的草稿" not in main
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
