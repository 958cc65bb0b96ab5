"""The live check beside a proposal's rates (htmx): the yearly caps the plan would break for the village's
households, before it is proposed, published or voted; for the village's managers only."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

V = "130926100201"
OTHER = "130926100202"
TYPED = {"money_per_person": "10", "workdays_per_labourer": "4", "year": "2025", "reference_date": "2025-06-01"}


def _site(site_factory: Any, y: SimpleNamespace) -> Any:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
    return site


def test_the_cap_check_answers_while_the_rate_is_typed(site_factory: Any, y: SimpleNamespace,
                                                       client_as: Any) -> None:
    site = _site(site_factory, y)
    clerk = client_as(site, "clerk")
    assert f'hx-get="/v/{V}/p/yishi/cap-check"' in clerk.get(f"/v/{V}/p/yishi/new").text
    within = clerk.get(f"/v/{V}/p/yishi/cap-check", params=TYPED, headers={"HX-Request": "true"})
    assert within.status_code == 200 and "<html" not in within.text
    assert "未超过年度上限" in within.text and "上限 15 元" in within.text
    over = clerk.get(f"/v/{V}/p/yishi/cap-check", params={**TYPED, "money_per_person": "15.5"})
    assert "超过年度上限" in over.text and "超过每人每年15元的上限" in over.text
    labour = clerk.get(f"/v/{V}/p/yishi/cap-check", params={**TYPED, "workdays_per_labourer": "11"})
    assert "标准工日的上限" in labour.text
    unreadable = clerk.get(f"/v/{V}/p/yishi/cap-check", params={**TYPED, "money_per_person": "十元"})
    assert "每人筹资" in unreadable.text and "未超过" not in unreadable.text


def test_the_cap_counts_the_years_other_projects(site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site = _site(site_factory, y)
    with site.db.transaction() as session:
        y.approved_project(session, site, money_per_person=Decimal("10"))
    clerk = client_as(site, "clerk")
    second = clerk.get(f"/v/{V}/p/yishi/cap-check", params={**TYPED, "money_per_person": "8"})
    assert "户本年度的一事一议负担将超过上限" in second.text


def test_the_cap_check_is_for_the_village_managers_only(site_factory: Any, y: SimpleNamespace,
                                                        client_as: Any) -> None:
    site = _site(site_factory, y)
    url = f"/v/{V}/p/yishi/cap-check?money_per_person=10&workdays_per_labourer=4&year=2025&reference_date=2025-06-01"
    for role in ("villager", "representative", "county_official"):
        assert client_as(site, role).get(url).status_code == 403, role
    assert client_as(site, "clerk", OTHER).get(url).status_code == 403
    assert client_as(site, "clerk").get(url.replace(V, "130926999999")).status_code == 404
    assert client_as(site, "clerk").get(url).status_code == 200
