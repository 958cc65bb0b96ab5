"""The web shell in a real browser: county overview → village → login → language switch, on a phone."""

from __future__ import annotations

from typing import Any


def test_visitor_browses_county_to_village_and_switches_language(phone_page: Any, live_server: Any) -> None:
    phone_page.goto(live_server.url + "/")
    assert phone_page.locator("h1").inner_text() == "测试县"
    phone_page.click("text=东街村")
    assert phone_page.url.endswith("/v/130926100201/")
    phone_page.click("text=English")
    assert phone_page.locator("html").get_attribute("lang") == "en"
    # htmx is vendored and loads (no CDN): the global exists on the page.
    assert phone_page.evaluate("typeof htmx") == "object"


def test_clerk_logs_in_with_the_form(page: Any, live_server: Any, login: Any) -> None:
    login(page, live_server, "clerk", role="clerk", scope="130926100201")
    page.goto(live_server.url + "/v/130926100201/")
    assert "clerk" in page.locator("header").inner_text()
