"""The 低保 application names every wrong field at once, each beside its field, and keeps what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.testing import field_shown, login, site_client
from cunwu_plugins.dibao.models import Case

from .conftest import VILLAGE, household, standard


def test_an_application_with_a_bad_bank_and_a_bad_account_names_both(site_factory: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "600", dt.date(2025, 1, 1))
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 3, 1), dt.date(1985, 6, 1)])
        head = members[0]
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"/v/{VILLAGE}/p/dibao/cases", data={
            "household_id": str(home.id), "applicant_id": str(head.id), f"covered_{head.id}": "1", "kind": "rural",
            "review_category": "unstable", "bank_code": "NOPE", "account_number": "6222 ٠١٢٣",
            "account_holder": "户主"})
        assert page.status_code == 400
        assert "未知的银行：NOPE" in field_shown(page.text, "bank_code")
        account = field_shown(page.text, "account_number")
        assert "银行账号只能由数字 0-9 组成" in account and 'value="6222 ٠١٢٣"' in account
        assert 'value="户主"' in field_shown(page.text, "account_holder")
        assert 'value="unstable" selected' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 0
