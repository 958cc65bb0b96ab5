"""PostgreSQL's pooled connections pinged only after sitting idle, not at every checkout (core/db/engine.py;
docs/performance.md, issue #18 round 5).

Counts, never times: whether a ping reaches the server, and that a connection the server dropped is
replaced before a page uses it.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from cunwu.db import engine as engine_module


def _pings(site: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    ping = site.db.write_engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        pings.append(1)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(site.db.write_engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_back_in_the_pool_a_moment_ago_is_not_pinged(pg: str, site_factory: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_factory(dialect=pg)
    pings = _pings(site, monkeypatch)
    for _ in range(3):
        with site.db.read() as session:
            assert session.execute(text("SELECT 1")).scalar() == 1
    assert pings == []


def test_an_idle_connection_the_server_dropped_is_replaced_before_use(pg: str, site_factory: Any,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A server restart or an idle timeout kills pooled connections: the next read pings, finds it gone and takes a
    new one instead of failing the page."""
    site = site_factory(dialect=pg)
    with site.db.read() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    other = create_engine(site.db.url)  # a connection of its own ends the pooled one, as a restart would
    try:
        with other.begin() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        other.dispose()
    pings = _pings(site, monkeypatch)
    monkeypatch.setattr(engine_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    with site.db.read() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    assert pings  # it was pinged, and replaced
