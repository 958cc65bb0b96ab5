"""Registering a land contract names every wrong field at once, each beside its field, typed values kept."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from cunwu.testing import field_shown
from cunwu_plugins.land.models import Contract

V = "130926100201"


def test_a_contract_with_an_unknown_household_and_a_bad_date_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    page = client_as(site, "clerk").post(f"/v/{V}/p/land/contracts", data={
        "household": "0777", "group": "1", "kind": "J", "start_on": "1998-02-30", "end_on": "2028-01-01"})
    assert page.status_code == 400
    home = field_shown(page.text, "household")
    assert "本村没有户号 0777" in home and 'value="0777"' in home
    start = field_shown(page.text, "start_on")
    assert "承包期开始日" in start and 'value="1998-02-30"' in start
    assert 'value="2028-01-01"' in field_shown(page.text, "end_on")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Contract)).one() == 0
