"""A clerk imports the household register in a real browser: upload, preview with errors, fix, import, search."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from cunwu.accounts.actor import Actor
from cunwu.registry import services

sys.path.insert(0, str(Path(__file__).parent.parent / "core" / "registry"))
from registerfile import register_rows, xlsx_bytes

VILLAGE = "130926100201"


@pytest.mark.browser
def test_clerk_uploads_sees_errors_fixes_imports_and_finds_a_household(page: Any, live_server: Any, login: Any,
                                                                       tmp_path: Path) -> None:
    with live_server.site.db.transaction() as session:
        for number in (1, 2):
            services.create_group(session, live_server.site, Actor.system("test"), village_code=VILLAGE,
                                  number=number)
    rows = register_rows(25, seed=11, groups=2)
    broken = [dict(r) for r in rows]
    broken[1]["身份证号"] = broken[1]["身份证号"][:-1] + ("0" if broken[1]["身份证号"][-1] != "0" else "1")
    broken[4]["村民小组"] = "8"
    (tmp_path / "broken.xlsx").write_bytes(xlsx_bytes(broken))
    (tmp_path / "fixed.xlsx").write_bytes(xlsx_bytes(rows))

    login(page, live_server, "clerk", role="clerk", scope=VILLAGE)
    page.goto(f"{live_server.url}/v/{VILLAGE}/")
    page.click("nav.menu >> text=导入户籍表")
    page.set_input_files("input[type=file]", str(tmp_path / "broken.xlsx"))
    page.click("text=上传并预览")
    problems = page.locator("#problems")
    assert "发现 2 个问题，未写入任何数据" in problems.inner_text()
    table = problems.locator("tbody").inner_text()
    assert "3\t身份证号" in table and "6\t村民小组" in table
    assert page.locator("text=确认导入").count() == 0

    page.click("a:has-text('重新上传')")
    page.set_input_files("input[type=file]", str(tmp_path / "fixed.xlsx"))
    page.click("text=上传并预览")
    assert f"新增 {len(rows)} 人" in page.locator("p.lead").inner_text()
    page.click("text=确认导入")
    assert "导入完成" in page.locator("h1").inner_text()

    page.click("text=查看村民登记")
    wanted = rows[-1]
    page.fill("input[name=q]", wanted["户号"])  # htmx updates the results as the clerk types
    page.wait_for_function("document.querySelector('#results').innerText.includes('共') && "
                           f"!document.querySelector('#results').innerText.includes('共 {len(rows)} 人')")
    assert f"q={wanted['户号']}" in page.url
    page.click(f"#results >> text={wanted['户号']} >> nth=0")
    assert f"户号 {wanted['户号']}" in page.locator("h1").inner_text()
    assert wanted["姓名"] in page.locator("main").inner_text()
