"""Registering a co-operative names every unreadable field at once, each beside its field, typed values kept."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from cunwu.testing import field_shown
from cunwu_plugins.coop.models import Cooperative

V = "130926100201"


def test_a_coop_with_a_bad_date_and_a_bad_percentage_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coop"])
    page = client_as(site, "clerk").post(f"/v/{V}/p/coop/new", data={
        "name": "东街村果蔬专业合作社", "credit_code": "93130926MA0ABCDE1X", "registered_on": "2024-02-30",
        "level": "village", "patronage_percent": "六十", "reserve_percent": "10", "additional_votes_percent": "5"})
    assert page.status_code == 400
    day = field_shown(page.text, "registered_on")
    assert "登记日期" in day and 'value="2024-02-30"' in day and 'aria-invalid="true"' in day
    share = field_shown(page.text, "patronage_percent")
    assert "按交易量返还比例须为整数" in share and 'value="六十"' in share
    assert 'value="东街村果蔬专业合作社"' in field_shown(page.text, "name")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Cooperative)).one() == 0
