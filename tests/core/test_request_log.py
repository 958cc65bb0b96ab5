"""Request logs (`cunwu.requests`) and the request id: one structured record per request without personal data, the
id echoed in `X-Request-ID` and on error pages, a trusted proxy's id kept; hook timings through the same setup."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from litestar import get
from litestar.testing import TestClient

from cunwu import hookimpl
from cunwu.app import create_site_app
from cunwu.logs import JsonFormatter, KeyValueFormatter
from cunwu.plugin_types import Manifest
from cunwu.web.request_log import RequestLog, loggable_path
from cunwu.web.settings import WebSettings

VILLAGE = "130926100201"
RESIDENT_ID = "130926199001011234"


class Crashing:
    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="crashing", title_zh="出错", title_en="Crashing", version="1")

    @hookimpl
    def register_routes(self, site: Any) -> list[Any]:
        @get("/p/crashing/", opt={"public": True})
        async def crash() -> None:
            raise RuntimeError("boom")

        return [crash]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    """The records of `cunwu.requests`, collected on the logger itself (Litestar re-configures the root logger when
    an app starts, which takes pytest's capture handler away)."""
    logger = logging.getLogger("cunwu.requests")
    handler, level = _Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.records
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_each_request_is_logged_with_its_fields_and_no_personal_data(site: Any, client_as: Any,
                                                                      logged: list[logging.LogRecord]) -> None:
    clerk = client_as(site, "clerk", village=VILLAGE)
    page = clerk.get(f"/v/{VILLAGE}/registry/", params={"q": RESIDENT_ID})
    assert page.status_code == 200
    [record] = [r for r in logged if r.path == f"/v/{VILLAGE}/registry/"]
    assert (record.method, record.status, record.site) == ("GET", 200, site.slug)
    assert isinstance(record.actor, int) and record.actor > 0  # the account id, not a name
    assert isinstance(record.ms, float) and record.ms >= 0
    assert record.request_id == page.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{12}", record.request_id)
    written = KeyValueFormatter().format(record)
    assert RESIDENT_ID not in written and "q=" not in written and "clerk" not in written
    assert f"path=/v/{VILLAGE}/registry/" in written and "status=200" in written


def test_a_visitor_is_logged_without_an_actor_and_each_request_gets_its_own_id(
        site: Any, logged: list[logging.LogRecord]) -> None:
    with TestClient(create_site_app(site)) as client:
        first = client.get(f"/v/{VILLAGE}/notices/")
        second = client.get(f"/v/{VILLAGE}/notices/")
    records = [r for r in logged if r.path == f"/v/{VILLAGE}/notices/"]
    assert [r.actor for r in records] == [None, None]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert {r.request_id for r in records} == {first.headers["x-request-id"], second.headers["x-request-id"]}


def test_long_numbers_in_a_path_are_not_logged() -> None:
    assert loggable_path(f"/v/{VILLAGE}/p/x/{RESIDENT_ID}") == f"/v/{VILLAGE}/p/x/***"
    assert loggable_path("/v/130926100201/p/x/13092619900101123X/edit") == f"/v/{VILLAGE}/p/x/***/edit"
    assert loggable_path(f"/v/{VILLAGE}/registry/persons/42") == f"/v/{VILLAGE}/registry/persons/42"


def test_the_error_page_shows_the_request_id_a_clerk_can_quote(site_factory: Any,
                                                               logged: list[logging.LogRecord]) -> None:
    site = site_factory(enabled=["crashing"], available={"crashing": Crashing()})
    with TestClient(create_site_app(site), raise_server_exceptions=False) as client:
        crash = client.get("/p/crashing/")
        missing = client.get(f"/v/{VILLAGE}/no-such-page")
    assert crash.status_code == 500 and "boom" not in crash.text
    request_id = crash.headers["x-request-id"]
    assert f"问题编号：{request_id}" in crash.text
    assert missing.status_code == 404 and f"问题编号：{missing.headers['x-request-id']}" in missing.text
    [record] = [r for r in logged if r.path == "/p/crashing/"]
    assert (record.status, record.request_id) == (500, request_id)


def _run(make_coroutine: Callable[[], Awaitable[Any]]) -> Any:
    """A fresh loop in a worker thread (the browser tests keep a loop marked as running on the main thread)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, make_coroutine).result()


def _through_layer(client: tuple[str, int], given: bytes) -> tuple[str, str]:
    """(X-Request-ID answered, request id the app saw) for one request from `client` sending `given`."""
    site = SimpleNamespace(slug="demo", settings=lambda name: WebSettings(trusted_proxies=["10.0.0.0/8"]))
    seen: dict[str, str] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen["id"] = scope["state"]["request_id"]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/", "client": client, "headers": [(b"x-request-id", given)]}
    _run(lambda: RequestLog(app, site)(scope, receive, send))
    headers = dict(sent[0]["headers"])
    return headers[b"x-request-id"].decode(), seen["id"]


@pytest.mark.parametrize(("client", "given", "kept"), [
    (("10.1.2.3", 5000), b"proxy-7f3a.91", True),  # a trusted proxy's id: the proxy's log and ours share it
    (("203.0.113.9", 5000), b"proxy-7f3a.91", False),  # anybody else may not choose the id
    (("10.1.2.3", 5000), b"bad id\r\nx", False),  # nor may a proxy pass on something that is not an id
])
def test_a_trusted_proxy_may_send_the_request_id(client: tuple[str, int], given: bytes, kept: bool) -> None:
    answered, seen = _through_layer(client, given)
    assert answered == seen
    assert (answered == given.decode("latin-1")) is kept
    if not kept:
        assert re.fullmatch(r"[0-9a-f]{12}", answered)


def test_hook_timings_and_request_lines_share_one_format() -> None:
    hook = logging.LogRecord("cunwu.hooks", logging.INFO, __file__, 1, "hook %s plugin %s %.3f ms",
                             ("startup", "yishi", 3.412), None)
    hook.__dict__.update({"hook": "startup", "plugin": "yishi", "ms": 3.412})
    line = KeyValueFormatter().format(hook)
    assert re.fullmatch(r"\S+Z INFO cunwu\.hooks hook startup plugin yishi 3\.412 ms · ms=3\.412 hook=startup "
                        r"plugin=yishi", line), line
    data = json.loads(JsonFormatter().format(hook))
    assert (data["logger"], data["hook"], data["plugin"], data["ms"]) == ("cunwu.hooks", "startup", "yishi", 3.412)


def test_the_time_stamp_kept_for_a_second_follows_each_record() -> None:
    """The formatter writes the time once a second: a record of another second must not get the stamp kept."""
    formatter = KeyValueFormatter()
    stamps = []
    for created in (1_796_000_000.2, 1_796_000_000.9, 1_796_000_001.0, 1_795_999_999.5):
        record = logging.LogRecord("cunwu.requests", logging.INFO, __file__, 1, "GET / 200", None, None)
        record.created = created
        stamps.append(formatter.format(record).split(" ", 1)[0])
    assert stamps == ["2026-11-30T00:53:20Z", "2026-11-30T00:53:20Z", "2026-11-30T00:53:21Z", "2026-11-30T00:53:19Z"]
