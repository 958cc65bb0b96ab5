"""Every page each role can reach, at phone width (390×844), in zh-CN: it opens (status < 400), fits the screen (no
sideways scroll of the page), its htmx fragment renders too, and it shows no internals — no field keys, enum values,
audit codes, UTC microseconds, tracebacks or English framework errors.

The demo data of every installed plugin is loaded into a three-village site; each role then walks the links it is
shown, starting from the county overview and its village's home, one page per URL shape (ids replaced), so a new page
is covered as soon as something links to it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest

from cunwu.demo import DEMO_PASSWORD, demo_accounts, populate_demo
from cunwu.plugins import installed_plugins
from cunwu.testing import drop_test_site, make_test_site

from .conftest import LiveServer, serve

PHONE = {"width": 390, "height": 844}
PAGES_PER_ROLE = 45
# Links that are not pages for people: files, feeds, machine formats, the API, actions with side effects.
NOT_A_PAGE = re.compile(r"/logout|/-/locale|\.(xml|atom|json|xlsx|csv|png|pdf|svg)$|/file$|/export|/download"
                        r"|/attachments/|/evidence/|/schema|/api/|/static/")
INTERNALS = [
    (re.compile(r"\d{2}:\d{2}:\d{2}\.\d+"), "a time with seconds and microseconds"),
    (re.compile(r"Traceback|Not Found|Internal Server Error|\bNone\b|\bTrue\b|\bFalse\b"), "a framework word"),
    (re.compile(r"\b[a-z]+(?:_[a-z]+)+\b"), "a field key"),
    (re.compile(r"\b[a-z]{3,}\b"), "an untranslated code"),
]
# Shown on purpose: file extensions and web addresses (stripped before the check), a command a reader can run.
ALLOWED = re.compile(r"https?://\S+|\.[a-z]{2,5}\b|\bsha256sum\b")
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("[data-machine-text], script, style, noscript, template").forEach(e => e.remove());
  return body.innerText;
}"""


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def internals_in(text: str) -> list[str]:
    text = INTERNALS[0][0].sub(lambda m: f"[{m.group(0)}]", text)  # keep microsecond times visible to the check
    found = [f"{what}: {m.group(0)!r}" for pattern, what in INTERNALS[:1] for m in pattern.finditer(text)]
    text = ALLOWED.sub(" ", text)
    for pattern, what in INTERNALS[1:]:
        found += [f"{what}: {m.group(0)!r}" for m in pattern.finditer(text)]
    return sorted(set(found))


def test_internals_check_catches_what_it_should() -> None:
    assert internals_in("2026-12-07 09:30 · 张秀英 · 修改村民 · 党员：否 → 是") == []
    assert internals_in("下载 户籍表.xlsx · http://demo.localhost/v/1 · sha256sum") == []
    assert internals_in("active_soldier： → False") == ["a field key: 'active_soldier'", "a framework word: 'False'"]
    assert internals_in("状态 stable") == ["an untranslated code: 'stable'"]
    assert internals_in("10:20:38.031062+00:00") == ["a time with seconds and microseconds: '10:20:38.031062'"]


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("phone")
    site = make_test_site(folder, enabled=sorted(installed_plugins()), slug="phone", migrate=False)
    populate_demo(site)
    with serve(site) as server:
        yield server
    drop_test_site(site)


def _log_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _walk(page: Any, server: LiveServer, first_village: str) -> list[str]:
    """Visit what the role is shown, one page per URL shape; return every problem found."""
    problems: list[str] = []
    queue = deque([("/", "start"), (f"/v/{first_village}/", "start")])
    seen: set[str] = set()
    visited = 0
    while queue and visited < PAGES_PER_ROLE:
        path, source = queue.popleft()
        if _shape(path) in seen:
            continue
        seen.add(_shape(path))
        response = page.goto(server.url + path)
        visited += 1
        where = f"{path} (linked from {source})"
        if response is None or response.status >= 400:
            problems.append(f"{where}: status {response.status if response else 'none'}")
        fragment = page.request.get(server.url + path, headers={"HX-Request": "true"})
        if fragment.status >= 400:
            problems.append(f"{where}: htmx fragment status {fragment.status}")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{where}: page is {width} px wide")
        problems += [f"{where}: {found}" for found in internals_in(page.evaluate(VISIBLE_TEXT))]
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urlparse(urljoin(server.url + path, href))
            if target.netloc != urlparse(server.url).netloc or NOT_A_PAGE.search(target.path):
                continue
            queue.append((target.path + (f"?{target.query}" if target.query else ""), path))
    assert visited >= 5, f"only {visited} pages reached"
    return problems


# The demo's accounts, and "" for a visitor who is not logged in.
ROLES = ["", "clerk", "clerk2", "rep", "supervisor", "villager", "township", "county", "admin"]


@pytest.mark.parametrize("username", ROLES)
def test_every_reachable_page_fits_a_phone_and_speaks_plainly(browser: Any, demo_server: LiveServer,
                                                              username: str) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    try:
        if username:
            _log_in(page, demo_server, username)
        first_village = demo_server.site.config.villages[0].code
        problems = _walk(page, demo_server, first_village)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_demo_accounts_are_all_walked() -> None:
    """The role list above is the demo's accounts (a new demo role must be walked too)."""
    from types import SimpleNamespace

    fake = SimpleNamespace(config=SimpleNamespace(villages=[SimpleNamespace(code="130926100201")]))
    assert {username for username, *_ in demo_accounts(fake)} == set(ROLES) - {""}  # type: ignore[arg-type]
