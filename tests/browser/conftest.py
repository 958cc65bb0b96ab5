"""Browser tests: headless Debian Chromium driven by Playwright (no browser download), against a real uvicorn server.

Fixtures:
- `live_server_factory(enabled=[...])` -> LiveServer(url, site): a fresh migrated site served on a free port;
- `live_server`: the same with every installed plugin enabled;
- `page`: a Playwright page (desktop viewport); `phone_page`: a 360x740 phone viewport; `phone`: 390x844;
- `phone_fits(page)`: on the page shown, no sideways scroll at 390 px and every control labelled, a checkbox or
  radio button beside its label (not above it); `open_menu(page)`: unfold the phone menu;
- `login_as(page, live_server, username, role, scope)`: creates the user and logs in through the form.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cunwu.app import create_site_app
from cunwu.plugins import installed_plugins
from cunwu.testing import TEST_PASSWORD, drop_test_site, make_test_site, make_user

CHROMIUM = os.environ.get("CUNWU_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@dataclass
class LiveServer:
    url: str
    site: Any


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(site: Any) -> Iterator[LiveServer]:
    """Serve a site with uvicorn on a free port in a background thread until the block ends."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_site_app(site), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", site)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server_factory(tmp_path: Path) -> Iterator[Any]:
    with ExitStack() as stack:
        sites: list[Any] = []

        def start(enabled: list[str] | None = None) -> LiveServer:
            site = make_test_site(tmp_path, enabled=enabled or [], slug=f"live{len(sites)}")
            sites.append(site)
            return stack.enter_context(serve(site))

        yield start
    for site in sites:
        drop_test_site(site)


@pytest.fixture
def live_server(live_server_factory: Any) -> LiveServer:
    return live_server_factory(enabled=sorted(installed_plugins()))


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


def _page(browser: Any, request: pytest.FixtureRequest, **context_args: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", **context_args)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _page(browser, request, viewport={"width": 1280, "height": 900})


@pytest.fixture
def phone_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from _page(browser, request, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A phone of 390 × 844 (the width issue #14 measures pages at)."""
    yield from _page(browser, request, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


#: Controls a person fills in without a label, and checkboxes/radios whose middle is off their label's middle.
_UNLABELLED = """() => {
  const shown = e => e.offsetParent !== null && e.getBoundingClientRect().width > 0;
  const bad = [];
  for (const e of document.querySelectorAll('main input, main select, main textarea')) {
    if (['hidden', 'submit', 'button'].includes(e.type) || !shown(e)) continue;
    const label = e.closest('label') || (e.labels && e.labels[0]);
    if (!label && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby')) {
      bad.push('no label: ' + (e.name || e.outerHTML.slice(0, 60)));
    } else if (label && (e.type === 'checkbox' || e.type === 'radio') && label.contains(e)) {
      const i = e.getBoundingClientRect(), l = label.getBoundingClientRect();
      if (Math.abs((i.top + i.bottom) / 2 - (l.top + l.bottom) / 2) > 12) bad.push('above its label: ' + e.name);
    }
  }
  return bad;
}"""


def phone_fits_check(page: Any, width: int = 390) -> None:
    """The page shown fits the phone: no sideways scroll, every control labelled, checkboxes beside their labels."""
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"sideways scroll on {page.url}"
    assert page.evaluate(_UNLABELLED) == [], page.url


@pytest.fixture
def phone_fits() -> Any:
    return phone_fits_check


def open_menu_on(page: Any) -> None:
    """Unfold the collapsed menu of a phone-width page (nothing to do when the menu is shown in full)."""
    button = page.locator("label.menu-button")
    if button.count() and button.is_visible() and not page.locator("#menu-toggle").is_checked():
        button.click()


@pytest.fixture
def open_menu() -> Any:
    return open_menu_on


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def login_as(page: Any, server: LiveServer, username: str, *, role: str | None = None, scope: str = "",
             create: bool = True) -> None:
    """Create the user (unless it exists) and log in through the real form."""
    if create:
        make_user(server.site, username, role=role, scope=scope)
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def login() -> Any:
    return login_as
