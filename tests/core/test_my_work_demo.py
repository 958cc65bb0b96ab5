"""我的待办 on the demo site (every installed plugin, realistic data): each demo login's /my opens, and every item
links to a page that person may open."""

from __future__ import annotations

import random
import re
from typing import Any

from cunwu.demo import DEMO_PASSWORD, demo_accounts, populate_demo
from cunwu.plugins import installed_plugins
from cunwu.testing import drop_test_site, make_test_site, site_client
from cunwu.web.sessions import CSRF_COOKIE


def test_every_demo_login_can_open_its_work(tmp_path: Any) -> None:
    site = make_test_site(tmp_path, enabled=sorted(installed_plugins()), migrate=False)
    populate_demo(site, rng=random.Random(3))
    seen: dict[str, int] = {}
    with site_client(site) as client:
        for username, _name, _role, _scope in demo_accounts(site):
            client.cookies.clear()
            client.get("/login")
            client.headers["x-csrftoken"] = client.cookies.get(CSRF_COOKIE) or ""
            landed = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
            assert landed.status_code == 200 and str(landed.url).endswith("/my"), username
            links = re.findall(r'<li>\s*<a href="([^"]+)">', landed.text)
            seen[username] = len(links)
            for href in links:
                assert client.get(href).status_code == 200, (username, href)
    drop_test_site(site)
    assert seen["clerk"] > 0 and seen["township"] > 0 and seen["villager"] == 0, seen
