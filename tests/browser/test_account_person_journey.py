"""The site administrator links a grid worker's account to the person on the register, on a phone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from cunwu.accounts.actor import Actor
from cunwu.accounts.models import User
from cunwu.registry import services
from cunwu.registry.resident_id import generate_resident_id
from cunwu.testing import make_user

EAST = "130926100201"


def test_administrator_finds_the_person_and_links_the_account(phone_page: Any, live_server_factory: Any,
                                                              login: Any) -> None:
    server = live_server_factory(enabled=[])
    with server.site.db.transaction() as session:
        for name, sequence in (("王网格", 11), ("王长海", 13), ("李代表", 15)):
            services.create_person(session, server.site, Actor.system("test"), village_code=EAST, data={
                "name": name, "resident_id": generate_resident_id("130926", dt.date(1975, 6, 1), sequence),
                "sex": "男"})
    make_user(server.site, "gridworker", role="villager", scope=EAST, display_name="网格员王")
    login(phone_page, server, "admin", role="site_admin")

    phone_page.goto(server.url + "/")
    phone_page.click("label.menu-button")  # on a phone the menu folds behind 菜单
    phone_page.click("nav.menu >> text=账户管理")
    phone_page.click("#accounts li:has-text('网格员王') >> text=关联村民")
    assert "东街村" in phone_page.locator("select[name=village] option:checked").inner_text()  # the account's village
    assert phone_page.locator("#found li:has-text('李代表')").count() == 1  # the village's register, before a search
    phone_page.fill("input[name=q]", "王")
    phone_page.wait_for_selector("#found li:has-text('李代表')", state="detached")  # htmx narrows it as one types
    assert phone_page.locator("#found li:has-text('王长海')").count() == 1
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling

    phone_page.click("#found li:has-text('王网格') >> text=关联")
    phone_page.wait_for_selector("#linked:has-text('已关联：王网格 · 东街村')")
    with server.site.db.read() as session:
        user = session.exec(select(User).where(User.username == "gridworker")).one()
    assert user.person_id is not None
    phone_page.click("main >> text=账户管理")
    assert "王网格 · 东街村" in phone_page.locator("#accounts li:has-text('网格员王')").inner_text()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 360
