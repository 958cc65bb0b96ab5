"""A refused login keeps the user name that was typed (never the password), with the reason above the form."""

from __future__ import annotations

from typing import Any

from cunwu.testing import field_shown, make_user, site_client


def test_a_wrong_password_keeps_the_user_name_and_not_the_password(site: Any) -> None:
    make_user(site, "wenshu", role="clerk", scope="130926100201")
    with site_client(site) as client:
        client.get("/login")
        page = client.post("/login", data={"username": "wenshu", "password": "wrong-secret-9"},
                           headers={"x-csrftoken": client.cookies.get("cunwu_csrf") or ""})
        assert page.status_code == 400 and "用户名或密码不正确" in page.text
        assert 'value="wenshu"' in field_shown(page.text, "username")
        assert "wrong-secret-9" not in page.text
