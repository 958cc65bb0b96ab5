"""The web shell on a fresh site: county overview, village page, login, locale, health, version."""

from __future__ import annotations

from typing import Any

from cunwu.testing import login, site_client


def test_county_overview_lists_villages_by_township(site: Any) -> None:
    with site_client(site) as client:
        response = client.get("/")
    assert response.status_code == 200
    assert "东街村" in response.text and "梁家村镇" in response.text
    assert response.headers["vary"].startswith("HX-Request")


def test_unknown_village_is_404_with_theme_page(site: Any) -> None:
    with site_client(site) as client:
        response = client.get("/v/130926999999/")
    assert response.status_code == 404
    assert "页面不存在" in response.text


def test_login_logout_and_wrong_password(site: Any) -> None:
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope="130926100201")
        assert "clerk" in client.get("/v/130926100201/").text
        bad = client.post("/login", data={"username": "clerk", "password": "nope"})
        assert bad.status_code == 400 and "用户名或密码不正确" in bad.text
        client.post("/logout")
        assert "退出" not in client.get("/").text


def test_login_is_rate_limited_per_user_and_client(site: Any) -> None:
    with site_client(site) as client:
        for _ in range(5):
            assert client.post("/login", data={"username": "ghost", "password": "x"}).status_code == 400
        blocked = client.post("/login", data={"username": "ghost", "password": "x"})
    assert blocked.status_code == 429


def test_state_change_without_csrf_token_is_refused(site: Any) -> None:
    with site_client(site) as client:
        del client.headers["x-csrftoken"]
        response = client.post("/login", data={"username": "a", "password": "b"})
    assert response.status_code == 403


def test_locale_switch_to_english(site: Any) -> None:
    with site_client(site) as client:
        client.get("/-/locale/en?next=/")
        page = client.get("/")
    assert 'lang="en"' in page.text


def test_health_version_and_openapi(site: Any) -> None:
    with site_client(site) as client:
        assert client.get("/-/health").json() == {"status": "ok", "site": site.slug}
        assert client.get("/-/version").json()["api"] == "1.0"
        assert client.get("/schema/openapi.json").status_code == 200
        assert client.get("/-/plugins.json").json() == []
