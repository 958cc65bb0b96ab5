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


def test_empty_boxes_are_each_named_beside_themselves_and_the_typed_name_kept(site: Any) -> None:
    with site_client(site) as client:
        client.get("/login")
        token = {"x-csrftoken": client.cookies.get("cunwu_csrf") or ""}
        both = client.post("/login", data={"username": "", "password": ""}, headers=token)
        assert both.status_code == 400 and "未能登录，请改正以下 2 处" in both.text
        assert "请填写用户名" in field_shown(both.text, "username")
        assert "请填写密码" in field_shown(both.text, "password")
        assert 'href="#f-username"' in both.text and 'href="#f-password"' in both.text
        one = client.post("/login", data={"username": "wenshu", "password": ""}, headers=token)
        assert one.status_code == 400 and "请填写用户名" not in one.text
        assert 'value="wenshu"' in field_shown(one.text, "username")
        assert "请填写密码" in field_shown(one.text, "password")
        assert client.get("/my", follow_redirects=False).status_code in (302, 303, 401)  # nobody logged in


def test_a_wrong_pair_never_says_which_of_the_two_was_wrong(site: Any) -> None:
    make_user(site, "wenshu", role="clerk", scope="130926100201")
    with site_client(site) as client:
        client.get("/login")
        token = {"x-csrftoken": client.cookies.get("cunwu_csrf") or ""}
        pages = [client.post("/login", data={"username": name, "password": "wrong-secret-9"}, headers=token)
                 for name in ("wenshu", "nobody-here")]
    for page in pages:
        assert page.status_code == 400 and "用户名或密码不正确" in page.text
        assert 'aria-invalid' not in page.text and "请改正" not in page.text
    assert pages[0].text.replace("wenshu", "X") == pages[1].text.replace("nobody-here", "X")
