"""Issue #13 items 2, 10 and 11: session fixation, Secure cookies behind a trusted proxy, framing, CSRF bound to the
session, and the shared page cache keyed on the scheme."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import text

from cunwu.app import create_site_app
from cunwu.plugins import SiteConfigError
from cunwu.runtime import Site
from cunwu.testing import TEST_PASSWORD, make_user

VILLAGE = "130926100201"


def _stored_session_ids(site: Any) -> set[str]:
    with site.db.read() as session:
        rows = session.execute(text("SELECT key FROM core_store WHERE namespace LIKE '%sessions'")).scalars()
        return set(rows)


def _set_cookie(client: TestClient[Any], name: str, value: str) -> None:
    """Replace a cookie as a browser would hold it (one per name, for the test server's host)."""
    client.cookies.delete(name)
    client.cookies.set(name, value, domain="testserver.local")


def _login(client: TestClient[Any], username: str = "clerk") -> Any:
    return client.post("/login", data={"username": username, "password": TEST_PASSWORD,
                                       "_csrf_token": client.cookies.get("cunwu_csrf") or ""},
                       follow_redirects=False)


def test_login_with_a_planted_session_cookie_gets_a_new_session_id(dialect: str, site_factory: Any) -> None:
    """An attacker's pre-login session id (known or stored) never gains the rights of the person who logs in."""
    site = site_factory(dialect=dialect)
    make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    with TestClient(create_site_app(site)) as attacker:
        attacker.get("/login")  # no session for anonymous visitors: the attacker plants an invented id
        planted = "a" * 64
    with TestClient(create_site_app(site)) as victim:
        victim.get("/login")
        _set_cookie(victim, "cunwu_session", planted)
        assert _login(victim).status_code == 303
        assert victim.cookies.get("cunwu_session") not in (None, planted)
        assert planted not in _stored_session_ids(site)
        first = victim.cookies["cunwu_session"]
    with TestClient(create_site_app(site), cookies={"cunwu_session": planted}) as attacker:
        assert "张秀英" not in attacker.get(f"/v/{VILLAGE}/").text
    # A second login over a live session (another user on the same browser) rotates again and drops the old one.
    make_user(site, "clerk2", role="clerk", scope=VILLAGE, display_name="李四")
    with TestClient(create_site_app(site)) as shared:
        _set_cookie(shared, "cunwu_session", first)
        shared.get("/login")
        assert _login(shared, "clerk2").status_code == 303
        assert shared.cookies["cunwu_session"] != first
        assert first not in _stored_session_ids(site)
    with TestClient(create_site_app(site), cookies={"cunwu_session": first}) as stale:
        assert "张秀英" not in stale.get(f"/v/{VILLAGE}/").text


def test_logout_deletes_the_session_and_its_id_is_dead(site: Any) -> None:
    make_user(site, "clerk", role="clerk", scope=VILLAGE, display_name="张秀英")
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        _login(client)
        old = client.cookies["cunwu_session"]
        client.headers["x-csrftoken"] = client.cookies["cunwu_csrf"]
        assert client.post("/logout", follow_redirects=False).status_code == 303
    assert old not in _stored_session_ids(site)
    with TestClient(create_site_app(site), cookies={"cunwu_session": old}) as replay:
        assert "张秀英" not in replay.get(f"/v/{VILLAGE}/").text


def test_csrf_token_is_bound_to_the_session(site: Any) -> None:
    """A token minted before login, or for another session, is refused; the session's own token passes."""
    make_user(site, "clerk", role="clerk", scope=VILLAGE)
    make_user(site, "other", role="clerk", scope=VILLAGE)
    with TestClient(create_site_app(site)) as other:
        other.get("/login")
        _login(other, "other")
        foreign = other.cookies["cunwu_csrf"]
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        anonymous = client.cookies["cunwu_csrf"]
        _login(client)
        own = client.cookies["cunwu_csrf"]
        assert own != anonymous
        for token in (anonymous, foreign):
            _set_cookie(client, "cunwu_csrf", token)
            refused = client.post("/logout", headers={"x-csrftoken": token}, follow_redirects=False)
            assert refused.status_code == 403
        _set_cookie(client, "cunwu_csrf", own)
        page = client.get(f"/v/{VILLAGE}/")
        assert own in page.text  # the page's forms carry the session's token
        assert client.post("/logout", headers={"x-csrftoken": own}, follow_redirects=False).status_code == 303


def test_a_page_for_a_stale_token_gets_a_fresh_bound_one(site: Any) -> None:
    make_user(site, "clerk", role="clerk", scope=VILLAGE)
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        _login(client)
        _set_cookie(client, "cunwu_csrf", "0" * 128)
        page = client.get(f"/v/{VILLAGE}/")
        fresh = client.cookies["cunwu_csrf"]
        assert fresh != "0" * 128 and fresh in page.text
        assert client.post("/logout", headers={"x-csrftoken": fresh}, follow_redirects=False).status_code == 303


def _with_web_settings(site: Any, **values: Any) -> Site:
    site.config.core_settings = {**site.config.core_settings, "web": values}
    return Site(site.config, db=site.db)


def _from(address: str, app: Any) -> Any:
    """The app as seen from a connection whose peer is `address` (the test client's peer is not an IP)."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        await app({**scope, "client": (address, 40000)} if scope["type"] == "http" else scope, receive, send)

    asgi.lifespan = app.lifespan  # type: ignore[attr-defined]
    return asgi


def test_cookies_are_secure_behind_a_trusted_proxy_only(site: Any) -> None:
    make_user(site, "clerk", role="clerk", scope=VILLAGE)
    https = {"x-forwarded-proto": "https"}
    proxied = _with_web_settings(site, trusted_proxies=["10.0.0.0/8"])
    for app in (create_site_app(site), _from("192.0.2.7", create_site_app(proxied))):
        with TestClient(app) as untrusted:  # no trusted proxy, or not from it: the header is ignored
            page = untrusted.get("/login", headers=https)
            assert "cunwu_csrf=" in page.headers["set-cookie"] and "secure" not in page.headers["set-cookie"].lower()
    with TestClient(_from("10.1.2.3", create_site_app(proxied))) as client:
        page = client.get("/login", headers=https)
        assert "Secure" in page.headers["set-cookie"]
        token = page.cookies["cunwu_csrf"]  # a Secure cookie: the plain-http test client would not send it back
        login = client.post("/login", data={"username": "clerk", "password": TEST_PASSWORD, "_csrf_token": token},
                            headers={**https, "cookie": f"cunwu_csrf={token}"}, follow_redirects=False)
        cookies = login.headers.get_list("set-cookie")
        assert any(c.startswith("cunwu_session=") for c in cookies)
        assert cookies and all("Secure" in c for c in cookies)
        plain = client.get("/login", headers={"x-forwarded-proto": "http"})
        assert "Secure" not in plain.headers.get("set-cookie", "")


def test_trusted_proxies_setting_is_checked() -> None:
    from cunwu.web.security import WebSettings

    with pytest.raises(ValueError, match="not an IP address or network"):
        WebSettings(trusted_proxies=["proxy.example"])
    with pytest.raises(ValueError, match="not an origin"):
        WebSettings(frame_ancestors=["portal.example; script-src *"])
    assert SiteConfigError  # the site.toml path reports through SiteConfigError (tests/core/test_sites.py)


def test_html_pages_may_not_be_framed_by_other_sites(site: Any) -> None:
    with TestClient(create_site_app(site)) as client:
        for path in ("/", f"/v/{VILLAGE}/", f"/v/{VILLAGE}/notices/", "/login", "/no-such-page"):
            response = client.get(path)
            assert response.headers["x-frame-options"] == "SAMEORIGIN", path
            assert response.headers["content-security-policy"] == "frame-ancestors 'self'", path
        assert "x-frame-options" not in client.get("/-/version").headers  # JSON is not framed anyway
    portal = _with_web_settings(site, frame_ancestors=["https://portal.example.gov.cn"])
    with TestClient(create_site_app(portal)) as client:
        response = client.get("/")
        assert response.headers["content-security-policy"] == "frame-ancestors 'self' https://portal.example.gov.cn"
        assert "x-frame-options" not in response.headers


def test_an_unknown_user_costs_a_full_password_check_and_is_refused(site: Any) -> None:
    """The stand-in hash for unknown users has the real hasher's parameters (so the login takes as long as a known
    user's) and matches no password, not even the one it was named after."""
    from argon2 import extract_parameters

    from cunwu.accounts import services

    assert extract_parameters(services._DUMMY_HASH) == extract_parameters(services.hash_password("any-password"))
    with site.db.read() as session:
        assert services.authenticate(session, "nobody", TEST_PASSWORD) is None
        assert services.authenticate(session, "nobody", "cunwu-no-such-user") is None
    with TestClient(create_site_app(site)) as client:
        client.get("/login")
        response = _login(client, "nobody")
        assert response.status_code != 303
        assert "cunwu_session" not in client.cookies
