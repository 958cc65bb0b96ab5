"""The front cache (cunwu.notices.front): repeat anonymous views answered from worker memory, exactly."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import time
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from cunwu.app import create_site_app
from cunwu.notices.front import Entry, FrontCache
from cunwu.notices.models import Objection
from cunwu.testing import login

from .conftest import VILLAGE, Today, publish

BOARD = f"/v/{VILLAGE}/notices/"


async def _refuse(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError(f"the app was asked for {scope.get('path')}: the front cache should have answered")


def _token(html: str) -> str:
    return re.search(r'"x-csrftoken": "([0-9a-f]*)"', html).group(1)  # type: ignore[union-attr]


def _front(app: Any) -> FrontCache:
    layer = app.asgi  # the request log (cunwu.web.request_log), then the security layer (cunwu.web.security)
    while not isinstance(layer, FrontCache) and hasattr(layer, "app"):
        layer = layer.app
    assert isinstance(layer, FrontCache)
    return layer


def test_a_repeat_view_is_answered_without_the_app_and_matches_it(site: Any) -> None:
    notice = publish(site, title="村道硬化工程公示")
    app = create_site_app(site)
    with TestClient(app) as client:
        first = client.get(BOARD)
        page = client.get(f"/v/{VILLAGE}/notices/{notice.id}")
        inner, _front(app).app = _front(app).app, _refuse
        again = client.get(BOARD)
        assert again.status_code == 200 and "村道硬化工程公示" in again.text
        for name in ("etag", "last-modified", "vary", "cache-control", "content-type"):
            assert again.headers[name] == first.headers[name], name
        assert again.headers["content-encoding"] == "gzip" and again.headers["x-cache"] == "hit"
        assert again.text.replace(_token(again.text), "") == first.text.replace(_token(first.text), "")
        # The notice page holds the token twice (page header and objection form): both spliced, gzip still valid.
        raw = client.get(f"/v/{VILLAGE}/notices/{notice.id}", headers={"accept-encoding": "identity"})
        assert "content-encoding" not in raw.headers and int(raw.headers["content-length"]) == len(raw.content)
        assert raw.text == page.text and raw.text.count(client.cookies["cunwu_csrf"]) == 2
        assert client.get(BOARD, headers={"if-none-match": first.headers["etag"]}).status_code == 304
        _front(app).app = inner
        # Other methods, other queries and a session cookie go to the app.
        assert client.get(BOARD + "?stream=party").headers["x-cache"] == "miss"
        client.headers["x-csrftoken"] = client.cookies["cunwu_csrf"]
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        _front(app).app = _refuse
        with pytest.raises(AssertionError, match="front cache should have answered"):
            client.get(BOARD)


def test_gzip_splice_decodes_to_the_plain_body_for_any_token() -> None:
    served = {"body": "<p>" + "村务公开" * 300 + "</p>__cunwu_csrf_token__<i>中</i>__cunwu_csrf_token__",
              "etag": 'W/"x"', "last_modified": None, "village_code": VILLAGE, "generation": 1,
              "day": dt.date(2025, 6, 1)}
    from cunwu.notices.front import build_entry

    entry = build_entry(served, b"text/html; charset=utf-8", 60)
    for token in (b"", b"a" * 128, "中".encode() * 50):
        assert gzip.decompress(entry.gzip_body(token)) == entry.body(token)
        assert entry.body(token) == served["body"].replace("__cunwu_csrf_token__", token.decode()).encode()


def test_the_csrf_token_is_the_visitors_own_and_a_forged_cookie_is_never_echoed(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    notice = publish(site, title="低保对象公示", window_days=7)
    url = f"/v/{VILLAGE}/notices/{notice.id}"
    app = create_site_app(site)
    with TestClient(app) as warm:
        warm.get(url)  # fill the front cache
    inner = _front(app).app
    with TestClient(app) as visitor:
        _front(app).app = _refuse
        page = visitor.get(url)
        cookie = visitor.cookies["cunwu_csrf"]
        assert "cunwu_csrf=" in page.headers["set-cookie"] and page.text.count(cookie) == 2
        again = visitor.get(url)
        assert "set-cookie" not in again.headers and again.text.count(cookie) == 2
        _front(app).app = inner
        # The form served from memory works: the objection is accepted with the visitor's own token.
        sent = visitor.post(f"{url}/objections", data={"_csrf_token": cookie, "body": "请公开评议结果",
                                                       "name": "李四", "phone": "13812345678"}, follow_redirects=False)
        assert sent.status_code in (200, 303)
    with site.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Objection)) == 1
    with TestClient(app) as forger:
        forger.get(url)  # the objection changed the page: fill the cache again
        _front(app).app = _refuse
        forger.cookies.clear()
        forger.cookies.set("cunwu_csrf", '"><script>alert(1)</script>')
        page = forger.get(url)
        assert "<script>alert(1)" not in page.text
        assert page.headers["set-cookie"].startswith(f"cunwu_csrf={_token(page.text)};")


def test_a_change_committed_elsewhere_or_a_new_day_is_never_served_stale(site_factory: Any, dialect: str,
                                                                         today: Today) -> None:
    today.set(dt.date(2025, 6, 1))
    site = site_factory(dialect=dialect)
    publish(site, title="第一条公示", window_days=3)
    with TestClient(create_site_app(site)) as client:
        assert client.get(BOARD).headers["x-cache"] == "miss"
        assert "第一条公示" in client.get(BOARD).text
        publish(site, title="第二条公示")  # another worker commits
        deadline = time.monotonic() + (5 if dialect == "postgresql" else 0)
        while True:  # SQLite sees it at once; PostgreSQL when the NOTIFY arrives (milliseconds)
            text = client.get(BOARD).text
            if "第二条公示" in text or time.monotonic() > deadline:
                break
            time.sleep(0.01)
        assert "第二条公示" in text
        today.set(dt.date(2025, 6, 5))  # the first notice's window has closed
        current = client.get(BOARD).text.split('id="archive"')[0]
        assert "第二条公示" in current and "第一条公示" not in current


def test_memory_stays_within_its_limit() -> None:
    front = FrontCache(_refuse, watch=None, csrf_secret="s", seconds=60, limit_bytes=4000)  # type: ignore[arg-type]

    def entry(size: int) -> Entry:
        return Entry(None, 1, dt.date(2025, 6, 1), time.monotonic() + 60, "e", [], [b"x" * size], None)

    for index in range(10):
        front._keep(("key", index), entry(900))
    assert front.used_bytes <= 4000 and list(front.entries)[-1] == ("key", 9) and len(front.entries) == 4
    front._keep(("big",), entry(2000))  # over a quarter of the budget: not kept
    assert ("big",) not in front.entries


def test_a_page_built_for_https_is_never_served_over_http(site: Any) -> None:
    """Issue #13 item 11: the feed's links are absolute, so the scheme is part of both caches' keys."""
    from cunwu.runtime import Site

    publish(site, title="村道硬化工程公示")
    site.config.core_settings = {**site.config.core_settings, "web": {"trusted_proxies": ["10.0.0.0/8"]}}
    proxied = Site(site.config, db=site.db)
    app = create_site_app(proxied)

    async def from_proxy(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "client": ("10.0.0.2", 40000)} if scope["type"] == "http" else scope, receive, send)

    from_proxy.lifespan = app.lifespan  # type: ignore[attr-defined]
    feed = f"/v/{VILLAGE}/notices/feed.atom"
    with TestClient(from_proxy, base_url="http://county.example") as client:
        secure = client.get(feed, headers={"x-forwarded-proto": "https"})
        assert "https://county.example/" in secure.text
        _front(app).entries.clear()  # the shared cache (in the database) must tell the two apart too
        plain = client.get(feed)
        assert plain.headers["x-cache"] == "miss"
        assert "http://county.example/" in plain.text and "https://" not in plain.text
        again = client.get(feed, headers={"x-forwarded-proto": "https"})  # from the front cache: still https
        assert "https://county.example/" in again.text
