"""Sessions, rate limits and the secret live in the database: they survive a restart and are shared by workers."""

from __future__ import annotations

import os
from typing import Any

from litestar.testing import TestClient

from cunwu.app import create_site_app
from cunwu.runtime import Site
from cunwu.testing import TEST_PASSWORD, make_user

VILLAGE = "130926100201"


def _login(client: TestClient[Any]) -> None:
    client.get("/login")
    token = client.cookies.get("cunwu_csrf") or ""
    response = client.post("/login", data={"username": "clerk", "password": TEST_PASSWORD, "_csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303


def test_a_session_started_on_one_worker_is_valid_on_another_and_after_restart(dialect: str,
                                                                                site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    with TestClient(create_site_app(site)) as worker_a:
        _login(worker_a)
        cookies = dict(worker_a.cookies)
    restarted = Site(site.config, db=site.db)  # a new process: new Site, new app, same database
    with TestClient(create_site_app(restarted), cookies=cookies) as worker_b:
        page = worker_b.get(f"/v/{VILLAGE}/")
        assert "张秀英" in page.text
        worker_b.headers["x-csrftoken"] = cookies["cunwu_csrf"]  # the CSRF secret is shared too
        assert worker_b.post("/logout", follow_redirects=False).status_code == 303


def test_login_rate_limit_is_shared_between_workers(site: Any) -> None:
    make_user(site, "clerk", role="clerk", scope=VILLAGE)
    for attempt in range(6):
        with TestClient(create_site_app(Site(site.config, db=site.db))) as worker:  # a different worker each time
            worker.get("/login")
            response = worker.post("/login", data={"username": "clerk", "password": "wrong",
                                                   "_csrf_token": worker.cookies.get("cunwu_csrf") or ""})
            assert response.status_code == (429 if attempt == 5 else 400)


def test_redis_store_when_configured(site: Any, monkeypatch: Any) -> None:
    """With CUNWU_REDIS_URL set (several hosts), sessions live in Redis instead of the database."""
    import pytest
    import redis

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError:
        if os.environ.get("CI") == "true":  # like PostgreSQL and Chromium: under CI a missing server is a failure
            pytest.fail("CI=true but no Redis server on 127.0.0.1:6379")
        pytest.skip("no Redis server on 127.0.0.1:6379")
    monkeypatch.setenv("CUNWU_REDIS_URL", url)
    make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    on_redis = Site(site.config, db=site.db)
    assert type(on_redis.store).__name__ == "RedisStore"
    with TestClient(create_site_app(on_redis)) as worker_a:
        _login(worker_a)
        cookies = dict(worker_a.cookies)
    with TestClient(create_site_app(Site(site.config, db=site.db)), cookies=cookies) as worker_b:
        assert "张秀英" in worker_b.get(f"/v/{VILLAGE}/").text
    assert redis.Redis.from_url(url).keys("cunwu_*")
