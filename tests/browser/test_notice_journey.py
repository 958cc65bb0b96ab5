"""The notice board in a real browser: a clerk drafts and publishes, a villager on a phone reads and objects, the
clerk answers on the record, and the A4 poster carries the QR code."""

from __future__ import annotations

from typing import Any

import pytest

VILLAGE = "130926100201"


@pytest.mark.browser
def test_clerk_publishes_villager_objects_clerk_answers_poster_prints(page: Any, phone_page: Any,
                                                                    live_server_factory: Any, login: Any) -> None:
    server = live_server_factory()
    base = server.url

    # The clerk drafts a notice, previews it and publishes it.
    login(page, server, "clerk", role="clerk", scope=VILLAGE)
    page.goto(f"{base}/v/{VILLAGE}/notices/manage/")
    page.click("text=起草公开信息")
    page.select_option("select[name=stream]", "village")
    page.select_option("select[name=category]", "低保")
    page.fill("input[name=title]", "东街村2025年第三批低保拟保对象公示")
    page.fill("textarea[name=body]", "经入户调查、民主评议，拟将以下家庭纳入低保：\n\n- 第三组 赵某某家（3人）")
    page.fill("input[name=window_days]", "7")
    page.wait_for_selector("#preview li")  # htmx live preview of the Markdown list
    page.click("button[value=save]")
    page.wait_for_url("**/edit")
    page.click("a[href$='/publish']")  # the confirmation page states the consequence first
    page.click("form[action$='/publish'] button")
    page.wait_for_url(f"**/v/{VILLAGE}/notices/*")
    notice_url = page.url
    assert page.locator("h1").inner_text() == "东街村2025年第三批低保拟保对象公示"
    assert page.locator(".nt-hash .hash").inner_text().strip()

    # A villager on a phone finds it on the board, reads it and raises an objection without an account.
    phone_page.goto(f"{base}/v/{VILLAGE}/notices/")
    phone_page.click("text=东街村2025年第三批低保拟保对象公示")
    assert phone_page.locator(".nt-body li").inner_text() == "第三组 赵某某家（3人）"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    phone_page.fill("textarea[name=body]", "赵某某家去年新买了一辆小轿车，是否符合条件？")
    phone_page.fill("input[name=name]", "钱多多")
    phone_page.fill("input[name=phone]", "13912345678")
    phone_page.click("form.nt-object button[type=submit]")
    phone_page.wait_for_selector(".notice-msg")
    objections = phone_page.locator("#objections").inner_text()
    assert "小轿车" in objections and "等待答复" in objections and "钱多多" not in objections

    # The clerk sees who objected, and answers on the record.
    page.goto(f"{base}/v/{VILLAGE}/notices/manage/objections")
    assert "钱多多" in page.locator("main").inner_text()
    page.fill("textarea[name=answer]", "经村务监督委员会核实，该车为其女儿所有，已单独立户，符合条件。")
    page.click("form[action$='/answer'] button")
    page.wait_for_load_state("networkidle")

    # The answer is public; the objector's name and phone are not.
    phone_page.goto(notice_url)
    objections = phone_page.locator("#objections").inner_text()
    assert "已单独立户" in objections and "钱多多" not in objections and "13912345678" not in objections

    # The A4 poster for the physical board shows the QR code, the window and the hash.
    page.goto(notice_url + "/print")
    page.emulate_media(media="print")
    qr = page.locator(".poster-qr svg")
    assert qr.is_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] > 60 and abs(box["width"] - box["height"]) < 2
    assert not page.locator("header.top").is_visible()  # the site chrome is not printed
    assert "公示期" in page.locator(".nt-poster-foot").inner_text()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
