"""One read session per request, permission answers asked once, and a signed-in session written only when it
changes (core/request_scope.py, core/db/engine.py, core/web/sessions.py; docs/performance.md, issue #18 item 3).

Counts, never times: how many read sessions and write transactions one page view opens, and how often each
plugin is asked a permission question.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from cunwu import request_scope
from cunwu.accounts.actor import Actor, Grant
from cunwu.accounts.models import User
from cunwu.clock import frozen_clock, utcnow
from cunwu.testing import make_user
from cunwu.web.sessions import SESSION_RENEW_SECONDS

VILLAGE = "130926100201"
OTHER = "130926100202"
PLUGINS = ["yishi", "dibao", "land", "coop", "coverage"]


@contextmanager
def counting(site: Any) -> Iterator[dict[str, int]]:
    """Read sessions begun, write transactions begun and statements sent on the site's engines while inside."""
    seen = {"reads": 0, "writes": 0}

    def begun(connection: Any) -> None:
        seen["writes" if connection.engine is site.db.write_engine and site.db.is_sqlite else "reads"] += 1

    engines = {site.db.read_engine, site.db.write_engine}
    for engine in engines:
        event.listen(engine, "begin", begun)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "begin", begun)


def _store_rows(site: Any) -> list[tuple[Any, ...]]:
    with site.db.read() as session:
        return [tuple(r) for r in session.execute(text(
            "SELECT key, value, expires_at FROM core_store WHERE namespace LIKE '%sessions'"))]


def test_the_village_home_reads_through_one_session(site_factory: Any) -> None:
    """Anonymous: the register, board and meetings slots (and every plugin's) share the request's one session."""
    from litestar.testing import TestClient

    from cunwu.app import create_site_app

    site = site_factory(enabled=PLUGINS)
    with TestClient(create_site_app(site)) as client:
        assert client.get(f"/v/{VILLAGE}/").status_code == 200
        with counting(site) as seen:
            response = client.get(f"/v/{VILLAGE}/")
    assert response.status_code == 200
    assert "村民登记" in response.text and "正在公示" in response.text  # the slots are all still there
    assert seen == {"reads": 1, "writes": 0}


def test_a_signed_in_page_view_reads_once_and_writes_nothing(client_as: Any, site_factory: Any) -> None:
    """The clerk's register search: session, actor, menu, page — one read session; the unchanged session is not
    stored again and no cookie is sent."""
    site = site_factory(enabled=PLUGINS)
    client = client_as(site, "clerk", village=VILLAGE)
    client.get(f"/v/{VILLAGE}/registry/?q=王")  # the menu's count is taken (and kept) on the first view
    stored = _store_rows(site)
    with counting(site) as seen:
        response = client.get(f"/v/{VILLAGE}/registry/?q=王")
    assert response.status_code == 200 and "退出" in response.text
    assert seen == {"reads": 1, "writes": 0}
    assert "set-cookie" not in response.headers
    assert _store_rows(site) == stored


def _thread_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions a request sends to worker threads, through anyio and through Litestar's own executor (where
    Litestar runs plain-function guards and `sync_to_thread` handlers)."""
    import anyio.to_thread
    import litestar.concurrency

    hops: list[str] = []
    run_sync, in_executor = anyio.to_thread.run_sync, litestar.concurrency._run_sync_asyncio

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    async def counted_litestar(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", repr(func)))
        return await in_executor(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    monkeypatch.setattr(litestar.concurrency, "_run_sync_asyncio", counted_litestar)
    return hops


def test_a_signed_in_view_reads_its_session_and_actor_in_one_thread_hop(client_as: Any, site_factory: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The session store's read, the actor's load and the guard's permission question run in the same worker
    thread: each hop to a thread costs a signed-in page as much as a statement (docs/performance.md, issue #18
    rounds 3 and 5)."""
    site = site_factory()
    client = client_as(site, "clerk", village=VILLAGE)
    client.get(f"/v/{VILLAGE}/registry/?q=王")
    hops = _thread_hops(monkeypatch)
    response = client.get(f"/v/{VILLAGE}/registry/?q=王")
    assert response.status_code == 200 and "退出" in response.text  # signed in: the actor was loaded
    assert "permission_guard" not in hops and "_holds" not in hops  # before: the guard hopped on its own
    assert hops[0] == "_load_sync"


def test_the_guard_of_a_public_page_makes_no_thread_hop(site_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Litestar runs a plain-function guard in a worker thread, on every request; the guard is a coroutine now and a
    public page's checks (its village exists) need no thread."""
    from litestar.testing import TestClient

    from cunwu.app import create_site_app

    site = site_factory()
    with TestClient(create_site_app(site)) as client:
        assert client.get(f"/v/{VILLAGE}/notices/").status_code == 200
        hops = _thread_hops(monkeypatch)
        response = client.get(f"/v/{VILLAGE}/notices/")
        missing = client.get("/v/999999999999/notices/")
    assert response.status_code == 200 and "三务公开栏" in response.text
    assert missing.status_code == 404  # the guard still answers an unknown village
    assert "permission_guard" not in hops


def test_a_permission_the_session_thread_did_not_answer_is_still_checked(client_as: Any, site_factory: Any) -> None:
    """Signed in, but refused: the answer given ahead is the plugins' answer, never a pass."""
    site = site_factory()
    client = client_as(site, "clerk", village=VILLAGE)
    assert client.get(f"/v/{OTHER}/registry/?q=王").status_code == 403  # another village's register
    assert client.get(f"/v/{VILLAGE}/registry/?q=王").status_code == 200


def test_on_postgresql_the_read_transaction_ends_in_the_page_thread(client_as: Any, pg: str, site_factory: Any,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Ending a read transaction is a round trip on PostgreSQL: the worker thread that rendered the page makes it,
    so the request's end needs no more thread hop (docs/performance.md, issue #18 round 4)."""
    import anyio.to_thread

    site = site_factory(dialect=pg)
    client = client_as(site, "clerk", village=VILLAGE)
    client.get(f"/v/{VILLAGE}/registry/?q=王")
    hops: list[str] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(getattr(func, "__name__", repr(func)))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    with counting(site) as seen:
        response = client.get(f"/v/{VILLAGE}/registry/?q=王")
    assert response.status_code == 200 and "退出" in response.text
    assert hops == ["_load_sync"]  # before: ["_load_sync", "close"]
    assert seen == {"reads": 1, "writes": 0}  # still one read transaction for the whole page
    assert site.db.read_engine.pool.checkedout() == 0  # its connection is back in the pool


def test_a_page_built_inside_a_read_block_ends_the_transaction_when_the_block_ends(pg: str,
                                                                                  site_factory: Any) -> None:
    """A page rendered while its handler's block is still open keeps that block's session and objects usable; the
    transaction ends with the block, and a later read opens a new one."""
    site = site_factory(dialect=pg)
    make_user(site, "clerk", display_name="张秀英")
    shared, token = request_scope.enter()
    try:
        with site.db.read() as session:
            user = session.exec(select(User).where(User.username == "clerk")).one()
            shared.page_built()
            assert session.in_transaction() and user in session
            assert session.exec(select(User).where(User.id == user.id)).one() is user
        assert not session.in_transaction() and not shared.remote()
        with site.db.read() as session:
            assert session.exec(select(User.display_name).where(User.id == user.id)).one() == "张秀英"
        assert not shared.remote()  # read after the page was built: released with its block
    finally:
        request_scope.leave(token)
        shared.close()


def test_an_unchanged_session_is_stored_again_once_its_renewal_is_due(client_as: Any, site_factory: Any) -> None:
    """The session's expiry still slides: after SESSION_RENEW_SECONDS a view stores it again with a new cookie."""
    site = site_factory()
    client = client_as(site, "clerk", village=VILLAGE)
    client.get(f"/v/{VILLAGE}/")
    [(key, _value, expires)] = _store_rows(site)
    later = utcnow() + dt.timedelta(seconds=SESSION_RENEW_SECONDS + 5)
    with frozen_clock(later):
        response = client.get(f"/v/{VILLAGE}/")
    assert response.status_code == 200
    assert f"cunwu_session={key}" in response.headers.get("set-cookie", "")
    [(same_key, _value, renewed)] = _store_rows(site)
    assert same_key == key
    assert renewed > expires  # type: ignore[operator]
    assert "clerk" in client.get(f"/v/{VILLAGE}/").text  # still signed in with the renewed session


def test_a_change_to_the_session_is_stored(client_as: Any, site_factory: Any) -> None:
    """Switching the language changes the session: it is stored (and read back on the next view)."""
    site = site_factory()
    client = client_as(site, "clerk", village=VILLAGE)
    client.get(f"/v/{VILLAGE}/")
    before = _store_rows(site)
    assert client.get("/-/locale/en?next=/", follow_redirects=False).status_code == 303
    assert _store_rows(site) != before
    client.cookies.delete("cunwu_lang")  # only the session remembers the choice now
    assert 'lang="en"' in client.get(f"/v/{VILLAGE}/").text


def test_reads_after_a_write_in_the_same_request_see_the_write(dialect: str, site_factory: Any) -> None:
    """Inside a request, a read after a transaction sees what it committed (the shared read transaction ended)."""
    site = site_factory(dialect=dialect)
    shared, token = request_scope.enter()
    try:
        with site.db.read() as session:
            before = session.execute(text("SELECT count(*) FROM core_store")).scalar()
        with site.db.transaction() as session:
            session.execute(text("INSERT INTO core_store (namespace, key, value) VALUES ('t', 'k', :v)"),
                            {"v": b"1"})
        with site.db.read() as session:
            after = session.execute(text("SELECT count(*) FROM core_store")).scalar()
        assert after == before + 1  # type: ignore[operator]
    finally:
        request_scope.leave(token)
        shared.close()


def test_a_block_of_the_request_does_not_hand_its_objects_to_the_next(site_factory: Any) -> None:
    """Blocks share the session's transaction, not its objects: what one block loaded (or changed for display) is
    let go when it ends, as when each block had a session of its own."""
    site = site_factory()
    make_user(site, "clerk", display_name="张秀英")
    shared, token = request_scope.enter()
    try:
        with site.db.read() as session:
            first = session.exec(select(User).where(User.username == "clerk")).one()
            first.display_name = "改过的名字"  # e.g. a label changed for display, never to be written
        with site.db.read() as session:
            again = session.exec(select(User).where(User.username == "clerk")).one()
            assert again is not first
            assert again.display_name == "张秀英"
            assert session is site.db.read()  # still the request's one session
    finally:
        request_scope.leave(token)
        shared.close()


def test_each_permission_question_is_put_to_the_plugins_once_per_request(site_factory: Any,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A request asks once per (actor, permission, village); a write forgets the answers; outside a request nothing
    is kept."""
    import cunwu.accounts.services as services

    site = site_factory()
    asked: list[tuple[str, str | None]] = []
    real = services.is_allowed

    def spy(site_: Any, actor: Any, action: str, scope_code: str | None) -> bool:
        asked.append((action, scope_code))
        return real(site_, actor, action, scope_code)

    monkeypatch.setattr(services, "is_allowed", spy)
    clerk = Actor(1, "clerk", "Clerk", (Grant("clerk", "village", VILLAGE),))
    assert site.allowed(clerk, "registry.view", VILLAGE) and site.allowed(clerk, "registry.view", VILLAGE)
    assert len(asked) == 2  # no request: asked each time
    asked.clear()
    shared, token = request_scope.enter()
    try:
        for _ in range(3):
            assert site.allowed(clerk, "registry.view", VILLAGE)
            assert not site.allowed(clerk, "registry.view", OTHER)
        assert asked == [("registry.view", VILLAGE), ("registry.view", OTHER)]
        other = Actor(2, "other", "Other", (Grant("clerk", "village", OTHER),))
        assert site.allowed(other, "registry.view", OTHER)  # another person's answer is their own
        assert not site.allowed(other, "registry.view", VILLAGE)
        with site.db.transaction():
            pass
        assert site.allowed(clerk, "registry.view", VILLAGE)
        assert asked[-1] == ("registry.view", VILLAGE) and len(asked) == 5
    finally:
        request_scope.leave(token)
        shared.close()


def test_anywhere_stops_at_the_first_village_that_allows(site_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """`allowed_anywhere` asks about the actor's own villages first and stops at the first yes."""
    import cunwu.accounts.services as services

    site = site_factory()
    asked: list[str | None] = []
    real = services.is_allowed
    monkeypatch.setattr(services, "is_allowed",
                        lambda s, a, action, code: asked.append(code) or real(s, a, action, code))
    clerk = Actor(1, "clerk", "Clerk", (Grant("clerk", "village", OTHER),))
    assert site.allowed_anywhere(clerk, "registry.view")
    assert asked == [None, OTHER]
    asked.clear()
    assert not site.allowed_anywhere(clerk, "accounts.manage")
    assert sorted(code for code in asked if code) == sorted(site.villages)  # a no still asks about every village


def test_the_actor_is_loaded_with_only_its_live_grants(site_factory: Any) -> None:
    """The actor's one statement: live grants only, none for an account without any, nobody for an inactive one."""
    from cunwu.accounts.services import load_actor

    site = site_factory()
    clerk = make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    plain = make_user(site, "plain")
    with site.db.transaction() as session:  # no service revokes or deactivates yet: set the columns directly
        session.execute(text(
            "INSERT INTO accounts_role_grant (user_id, role, scope_kind, scope_code, granted_at, revoked_at) "
            "SELECT user_id, 'village_head', scope_kind, scope_code, :now, :now FROM accounts_role_grant "
            "WHERE user_id = :id"), {"id": clerk, "now": utcnow()})
    with site.db.read() as session:
        loaded = load_actor(session, clerk)
        assert loaded is not None and loaded.display_name == "张秀英"
        assert loaded.grants == (Grant("clerk", "village", VILLAGE),)
        assert load_actor(session, plain) == Actor(plain, "plain", "plain", ())
        assert load_actor(session, 10**9) is None
    with site.db.transaction() as session:
        session.execute(text("UPDATE accounts_user SET is_active = :no WHERE id = :id"), {"no": False, "id": clerk})
    with site.db.read() as session:
        assert load_actor(session, clerk) is None
