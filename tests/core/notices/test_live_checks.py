"""The live check under the finance statement (htmx): the totals of what is typed so far, the closing balance they
give and whether the statement reconciles; for the village's drafters only, CSRF-checked; nothing is saved."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from cunwu.notices.models import Notice

from .conftest import OTHER, VILLAGE

CHECK = f"/v/{VILLAGE}/notices/manage/finance/check"
FORM = {"period": "2025-03", "opening": "1000", "income": "上级转移支付 500\n租金 300.50",
        "expenditure": "路灯电费 200", "closing": "1600.50"}


def _post(client: Any, data: dict[str, str], url: str = CHECK) -> Any:
    return client.post(url, data=data, headers={"HX-Request": "true",
                                                "x-csrftoken": client.cookies.get("cunwu_csrf") or ""})


def test_the_finance_check_adds_up_while_typing(site: Any, client_as: Any) -> None:
    clerk = client_as(site, "clerk")
    assert 'hx-post="' + CHECK + '"' in clerk.get(f"/v/{VILLAGE}/notices/manage/finance").text
    balanced = _post(clerk, FORM)
    assert balanced.status_code == 200 and "<html" not in balanced.text
    assert "收入合计 800.50 元 · 支出合计 200.00 元" in balanced.text and "期末余额应为 1600.50 元" in balanced.text
    assert "收支平衡" in balanced.text
    off = _post(clerk, {**FORM, "closing": "1500"})
    assert "收支不平" in off.text and "相差 100.50 元" in off.text
    half = _post(clerk, {"period": "2025-03", "opening": "1000", "income": "上级转移支付 500"})
    assert "期末余额应为 1500.00 元" in half.text and "请填写" not in half.text  # unfilled fields are not judged
    wrong = _post(clerk, {**FORM, "opening": "一千", "income": "上级转移支付 五百"})
    assert "期初余额" in wrong.text and "收入第 1 行" in wrong.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Notice)).one() == 0


def test_the_finance_check_is_for_the_village_drafters_and_needs_the_csrf_token(site: Any, client_as: Any) -> None:
    for role in ("villager", "representative", "supervisor", "county_official"):
        assert _post(client_as(site, role), FORM).status_code == 403, role
    assert _post(client_as(site, "clerk", OTHER), FORM).status_code == 403
    clerk = client_as(site, "clerk")
    token = clerk.headers.pop("x-csrftoken")
    assert clerk.post(CHECK, data=FORM).status_code == 403  # no CSRF token
    clerk.headers["x-csrftoken"] = token
    assert _post(clerk, FORM, "/v/130926999999/notices/manage/finance/check").status_code == 404
