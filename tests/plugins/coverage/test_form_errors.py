"""Recording an organisation names every unreadable field at once, each beside its field, typed values kept."""

from __future__ import annotations

from typing import Any

from sqlmodel import func, select

from cunwu_plugins.coverage.models import Organisation

from .conftest import VILLAGE, village


def _labels(html: str, field: str) -> list[str]:
    """Every `<label id="f-<field>">` on the page (the desk has one form per kind of organisation)."""
    return [chunk.split("</label>", 1)[0] for chunk in html.split(f'<label id="f-{field}"')[1:]]


def test_an_organisation_with_a_bad_date_and_a_bad_count_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/p/coverage/organisations", data={
        "kind": "station", "name": "综治工作站", "founded_on": "2020-02-30", "members": "五个"})
    assert page.status_code == 400
    assert any("不是有效的日期" in label and 'value="2020-02-30"' in label
               for label in _labels(page.text, "founded_on"))
    assert any("须为整数" in label and 'value="五个"' in label for label in _labels(page.text, "members"))
    assert any('value="综治工作站"' in label for label in _labels(page.text, "name"))
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Organisation)).one() == 0
