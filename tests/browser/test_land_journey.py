"""土地流转 in a real browser, at 390 px and on a desktop: the clerk opens a contract, registers a transfer (a typo
in the area is shown beside its field with the rest kept), files it, and prints the written contract with its QR
code; the QR's verification page is public."""

from __future__ import annotations

import re
from typing import Any

import pytest

VILLAGE = "130926100201"


def _no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_clerk_registers_a_transfer_to_its_printed_contract(browser: Any, live_server_factory: Any, login: Any,
                                                            width: int) -> None:
    from tests.plugins.land.conftest import CREDIT_CODE, contract

    server = live_server_factory(enabled=["land"])
    land = contract(server.site)
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900},
                                  is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, server, "clerk", role="clerk", scope=VILLAGE)
        page.goto(f"{server.url}/v/{VILLAGE}/p/land/")
        _no_sideways_scroll(page)
        page.click(f"a[href$='/contracts/{land.contract_id}']")
        _no_sideways_scroll(page)
        page.click("text=登记流转")
        form = page.locator("#transfer-form")
        form.locator(f"input[name=area_{land.plot_ids[0]}]").fill("50")  # a typo: the plot has 5 亩
        form.locator("select[name=transferee_kind]").select_option("organisation")
        form.locator("input[name=transferee_name]").fill("肃宁县丰收农民专业合作社")
        form.locator("input[name=transferee_credit_code]").fill(CREDIT_CODE)
        form.locator("input[name=start_on]").fill("2026-03-01")
        form.locator("input[name=end_on]").fill("2031-03-01")
        form.locator("input[name=rent_yuan_per_mu]").fill("800")
        _no_sideways_scroll(page)
        form.locator("button[type=submit]").click()
        error = page.locator(f"#e-area_{land.plot_ids[0]}")
        assert "超过地块面积" in error.inner_text()
        assert page.locator("input[name=transferee_name]").input_value() == "肃宁县丰收农民专业合作社"
        page.locator(f"input[name=area_{land.plot_ids[0]}]").fill("5")
        page.locator("#transfer-form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/transfers/LZ2026-0001$"))
        assert "可签订备案" in page.locator("h1").inner_text()
        _no_sideways_scroll(page)
        page.click("text=合同已签订，备案生效")
        assert "备案生效" in page.locator("#next-step").inner_text()
        page.click("#next-step >> text=书面合同")
        page.wait_for_url(re.compile(r"/contract$"))
        assert page.locator(".contract svg").count() == 1
        for clause in ("当事人", "流转土地", "流转期限", "土地用途", "流转价款及支付方式", "地上附着物和设施的处理",
                       "违约责任", land.plot_codes[0]):
            assert clause in page.locator(".contract").inner_text(), clause
        _no_sideways_scroll(page)
        verify_url = re.search(r"https?://\S+/p/land/verify/[0-9a-f]+", page.locator(".contract").inner_text())
        assert verify_url is not None
        page.emulate_media(media="print")
        assert page.locator(".top").is_hidden()
        anonymous = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        public = anonymous.new_page()
        public.goto(verify_url.group(0))
        assert "在村集体备案" in public.locator("main").inner_text()
        anonymous.close()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_clerk_imports_a_county_export_from_the_desk(browser: Any, live_server_factory: Any, login: Any,
                                                     tmp_path: Any, width: int) -> None:
    """The upload page: a file with a bad row → the problems listed by row and column, nothing written → the
    corrected file → 确认导入 → the contracts on the desk; every step fits the screen."""
    from tests.plugins.land.test_import import _csv, _homes, _rows

    server = live_server_factory(enabled=["land"])
    rows = _rows(_homes(server.site))
    bad, good = tmp_path / "bad.csv", tmp_path / "good.csv"
    bad.write_bytes(_csv([rows[0], [*rows[1][:9], "9999", *rows[1][10:]], rows[2]]))
    good.write_bytes(_csv(rows))
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": 900},
                                  is_mobile=width < 600, has_touch=width < 600)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        login(page, server, "clerk", role="clerk", scope=VILLAGE)
        page.goto(f"{server.url}/v/{VILLAGE}/p/land/")
        page.click("text=导入确权数据 >> nth=0")
        _no_sideways_scroll(page)
        page.set_input_files("input[name=file]", str(bad))
        page.click("text=上传并检查")
        problems = page.locator("#problems").inner_text()
        assert "未写入任何数据" in problems and "户号" in problems and "9999" in problems
        assert page.locator("text=确认导入").count() == 0
        _no_sideways_scroll(page)
        page.click("a:has-text('重新上传')")
        page.set_input_files("input[name=file]", str(good))
        page.click("text=上传并检查")
        assert "新增地块 3 块、承包合同 2 份" in page.locator("main").inner_text()
        _no_sideways_scroll(page)
        page.click("text=确认导入")
        assert "已导入：新增地块 3 块、承包合同 2 份" in page.locator("main").inner_text()
        page.click("text=查看承包合同")
        assert page.locator(f"text={rows[0][10]}").count() == 1
        _no_sideways_scroll(page)
    finally:
        context.close()
