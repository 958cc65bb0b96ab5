"""Issue #13 item 5: rate limits count atomically in the shared store (SQLite, PostgreSQL, Redis), so parallel
requests cannot all read the same count and all pass."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from cunwu.app import create_site_app
from cunwu.notices.models import Objection
from cunwu.testing import make_user, site_client
from cunwu.web.store import DatabaseStore, count

VILLAGE = "130926100201"
PARALLEL = 24


def _run(make_coroutine: Callable[[], Awaitable[int]]) -> int:
    """Run one coroutine on a fresh loop in a worker thread: the main thread may already be marked as running a loop
    (the browser tests' session-wide Playwright keeps one there), and `anyio.run` refuses to start inside it."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, make_coroutine).result()


def _counts_in_parallel(store: Any, key: str) -> list[int]:
    def one(_index: int) -> int:
        return anyio.run(lambda: count(store, key, window_seconds=60))

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sorted(pool.map(one, range(PARALLEL)))


def test_the_database_counter_is_atomic(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    store = site.store.with_namespace("ratelimit")
    assert isinstance(store, DatabaseStore)
    assert _counts_in_parallel(store, "k") == list(range(1, PARALLEL + 1))
    assert _run(lambda: count(store, "k", amount=-1, window_seconds=60)) == PARALLEL - 1


def test_the_counter_starts_again_when_its_window_ends(site: Any) -> None:
    store = site.store.with_namespace("ratelimit")
    assert _run(lambda: count(store, "w", window_seconds=60)) == 1
    store._set("w", b"7", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))  # a window that ended long ago
    assert _run(lambda: count(store, "w", window_seconds=60)) == 1


def test_the_redis_counter_is_atomic() -> None:
    import redis
    from litestar.stores.redis import RedisStore

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    key = f"atomic-{dt.datetime.now(dt.UTC).timestamp()}"

    def one(_index: int) -> int:
        async def hit() -> int:
            store = RedisStore.with_client(url=url, namespace="cunwu_test_ratelimit")
            try:
                return await count(store, key, window_seconds=60)
            finally:
                await store._redis.aclose()

        return anyio.run(hit)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(one, range(PARALLEL))) == list(range(1, PARALLEL + 1))
    assert 0 < redis.Redis.from_url(url).ttl(f"cunwu_test_ratelimit:{key}") <= 60


def test_parallel_wrong_passwords_only_the_limit_is_checked(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    make_user(site, "clerk", role="clerk", scope=VILLAGE)
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        token = client.cookies["cunwu_csrf"]

        def attempt(_index: int) -> int:
            return client.post("/login", data={"username": "clerk", "password": "wrong-password",
                                               "_csrf_token": token}).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(attempt, range(PARALLEL)))
    assert statuses.count(400) == 5 and statuses.count(429) == PARALLEL - 5


def test_parallel_anonymous_objections_only_the_limit_is_stored(dialect: str, site_factory: Any) -> None:
    from cunwu.accounts.actor import Actor, Grant
    from cunwu.notices import services

    site = site_factory(dialect=dialect, extra_toml="[core.notices]\nanonymous_objections_per_hour = 5\n")
    clerk = Actor(user_id=None, username="clerk-test", display_name="东街村文书",
                  grants=(Grant("clerk", "village", VILLAGE),))
    with site.db.transaction() as session:
        notice = services.publish_notice(session, site, clerk, village_code=VILLAGE, stream="village",
                                         category="低保", title="关于低保对象的公示", body="正文", window_days=7)
    url = f"/v/{VILLAGE}/notices/{notice.id}/objections"
    form = {"body": "请公开评议过程", "name": "李四", "phone": "13812345678"}
    with site_client(site) as client:

        def objection(_index: int) -> int:
            return client.post(url, data=form, follow_redirects=False).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(objection, range(20)))
    assert statuses.count(303) == 5 and statuses.count(429) == 15
    with site.db.read() as session:
        assert session.execute(select(func.count()).select_from(Objection)).scalar() == 5
