"""Anonymous visitors get no server-side session: no store row, no session cookie (core/web/sessions.py)."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy import text

from cunwu.app import create_site_app
from cunwu.testing import TEST_PASSWORD, make_user

VILLAGE = "130926100201"


def _sessions(site: Any) -> int:
    with site.db.read() as session:
        return int(session.execute(text("SELECT count(*) FROM core_store WHERE namespace LIKE '%sessions'")).scalar()
                   or 0)


def test_anonymous_pages_store_no_session_and_send_no_session_cookie(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    with TestClient(create_site_app(site)) as client:
        for path in ("/", f"/v/{VILLAGE}/", "/login"):
            response = client.get(path)
            assert response.status_code == 200
            assert "cunwu_session" not in response.headers.get("set-cookie", "")
    assert _sessions(site) == 0


def test_login_stores_the_session_and_logout_clears_it(dialect: str, site_factory: Any) -> None:
    site = site_factory(dialect=dialect)
    make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        token = client.cookies.get("cunwu_csrf") or ""
        response = client.post("/login", data={"username": "clerk", "password": TEST_PASSWORD,
                                               "_csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert client.cookies.get("cunwu_session")
        assert _sessions(site) == 1
        assert "张秀英" in client.get(f"/v/{VILLAGE}/").text
        client.headers["x-csrftoken"] = client.cookies.get("cunwu_csrf") or ""  # the token bound to the new session
        assert client.cookies.get("cunwu_csrf") != token
        assert client.post("/logout", follow_redirects=False).status_code == 303
        assert _sessions(site) == 0
        assert "张秀英" not in client.get(f"/v/{VILLAGE}/").text


def test_an_anonymous_page_sends_the_csrf_cookie_as_litestar_would(site_factory: Any) -> None:
    """The CSRF cookie's header is written out by hand (docs/performance.md, issue #18 round 3): it must read as
    litestar's `Cookie.to_header` gives it (the login tests post the token back)."""
    from litestar.datastructures import Cookie

    site = site_factory()
    with TestClient(create_site_app(site)) as client:
        response = client.get(f"/v/{VILLAGE}/")
    header = response.headers.get("set-cookie", "")
    token = header.split(";")[0].removeprefix("cunwu_csrf=")
    assert len(token) == 128
    assert header == Cookie(key="cunwu_csrf", value=token, path="/", samesite="lax").to_header(header="")
