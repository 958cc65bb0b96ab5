"""The 一事一议 proposal form names every wrong field at once, each beside its field, and keeps what was typed
(the ticked co-proposers too)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import func, select

from cunwu.testing import field_shown, login, site_client
from cunwu_plugins.yishi.models import Project

V = "130926100201"


def test_a_proposal_with_a_bad_budget_and_a_bad_rate_names_both(site_factory: Any, y: SimpleNamespace) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        page = client.get(f"/v/{V}/p/yishi/new").text
        someone = page.split('name="requesters" value="', 1)[1].split('"', 1)[0]
        answer = client.post(f"/v/{V}/p/yishi/new", data={
            "title": "硬化村东道路", "kind": "road", "description": "800 米", "beneficiaries": "全村",
            "budget": "六万", "money_per_person": "10元", "workdays_per_labourer": "4", "year": "2025",
            "reference_date": "2025-06-01", "proposed_on": "2025-05-01", "origin": "villagers",
            "requesters": someone})
        assert answer.status_code == 400 and "请改正以下 2 处" in answer.text
        budget = field_shown(answer.text, "budget")
        assert "项目预算" in budget and 'value="六万"' in budget and 'aria-invalid="true"' in budget
        rate = field_shown(answer.text, "money_per_person")
        assert "每人筹资" in rate and 'value="10元"' in rate
        assert 'value="硬化村东道路"' in field_shown(answer.text, "title")
        assert f'name="requesters" value="{someone}" checked' in answer.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Project)).one() == 0
