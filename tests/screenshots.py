"""Phone screenshots of the main pages for the documentation: `python -m tests.screenshots [--out docs/screenshots]`.

Builds the demo county (every installed plugin's demo data) in a temporary folder, serves it, and photographs each
page at 390 × 844 in zh-CN with Debian's Chromium (a Chinese font must be installed: fonts-noto-cjk). Pages that hold
an id are found by following the first matching link on a list page, so the set follows the demo data.
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path
from typing import Any

from cunwu.demo import DEMO_PASSWORD, populate_demo
from cunwu.plugins import installed_plugins
from cunwu.testing import drop_test_site, make_test_site
from tests.browser.conftest import CHROMIUM, LiveServer, serve

PHONE = {"width": 390, "height": 844}
ROOT = Path(__file__).resolve().parents[1]

# (file name, who is logged in ("" for a visitor), the page, or a list page and a link pattern to follow there)
SHOTS: list[tuple[str, str, str, str | None]] = [
    ("01-county-home", "", "/", None),
    ("02-village-home", "", "/v/{v}/", None),
    ("03-notice-board", "", "/v/{v}/notices/", None),
    ("04-notice", "", "/v/{v}/notices/", r"^/v/\d+/notices/\d+$"),
    ("05-subscribe", "", "/v/{v}/notices/subscribe", None),
    ("06-my-work-clerk", "clerk", "/my", None),
    ("07-notice-desk", "clerk", "/v/{v}/notices/manage/", None),
    ("08-finance-form", "clerk", "/v/{v}/notices/manage/finance", None),
    ("09-meetings", "clerk", "/v/{v}/meetings/", None),
    ("10-meeting", "clerk", "/v/{v}/meetings/", r"^/v/\d+/meetings/\d+$"),
    ("11-matter-progress", "clerk", "/v/{v}/matters/", r"^/v/\d+/matters/\d+$"),
    ("12-yishi-projects", "clerk", "/v/{v}/p/yishi/", None),
    ("13-yishi-project", "clerk", "/v/{v}/p/yishi/", r"^/v/\d+/p/yishi/projects/\d+/manage$"),
    ("14-dibao-cases", "clerk", "/v/{v}/p/dibao/", None),
    ("15-dibao-new", "clerk", "/v/{v}/p/dibao/new", None),
    ("16-my-work-county", "county", "/my", None),
    ("17-land-village", "clerk", "/v/{v}/p/land/", None),
    ("18-land-map", "", "/v/{v}/p/land/map", None),
    ("19-land-transfer", "clerk", "/v/{v}/p/land/", r"^/v/\d+/p/land/transfers/(?!new$)[^/]+$"),
    ("20-land-ledger", "township", "/p/land/", None),
    ("21-coop-list", "clerk", "/v/{v}/p/coop/", None),
    ("22-coop-desk", "clerk", "/v/{v}/p/coop/", r"^/v/\d+/p/coop/\d+/$"),
    ("23-coop-my-account", "villager", "/v/{v}/p/coop/my", None),
    ("24-coverage-village", "clerk", "/v/{v}/p/coverage/", None),
    ("25-coverage-groups", "clerk", "/v/{v}/p/coverage/groups", None),
    ("26-coverage-county", "county", "/p/coverage/", None),
]


def _log_in(page: Any, server: LiveServer, username: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state()


def _follow(page: Any, pattern: str) -> bool:
    for href in page.eval_on_selector_all("main a[href]", "links => links.map(a => a.getAttribute('href'))"):
        if re.match(pattern, href.split("?")[0]):
            page.goto(page.url.split("/v/")[0].rstrip("/") + href if href.startswith("/") else href)
            return True
    return False


def take(out: Path) -> list[Path]:
    """Write one PNG per entry of SHOTS into `out` (skipping a page the demo has nothing for) and return them."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        site = make_test_site(Path(folder), enabled=sorted(installed_plugins()), slug="shots", migrate=False)
        try:
            populate_demo(site)
            village = site.config.villages[0].code
            with serve(site) as server, sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                                     args=["--no-sandbox", "--disable-gpu"])
                contexts: dict[str, Any] = {}
                for name, who, path, pattern in SHOTS:
                    if who not in contexts:
                        contexts[who] = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True,
                                                            has_touch=True)
                        if who:
                            _log_in(contexts[who].new_page(), server, who)
                    page = contexts[who].new_page()
                    page.goto(server.url + path.format(v=village))
                    if pattern is not None and not _follow(page, pattern):
                        print(f"skipped {name}: no link like {pattern} on {path}")
                        page.close()
                        continue
                    page.wait_for_load_state("networkidle")
                    target = out / f"{name}.png"
                    page.screenshot(path=str(target), full_page=False)
                    written.append(target)
                    page.close()
                browser.close()
        finally:
            drop_test_site(site)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    for path in take(parser.parse_args().out):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


if __name__ == "__main__":
    main()
