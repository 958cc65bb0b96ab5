"""Issue #13 item 3: a masked ID cannot be rebuilt from the page, API or export that shows it. The 8 characters the
mask hides are the birth date; beside a masked ID the birth date is shown as the age only (cunwu.privacy.birth_shown).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from cunwu.privacy import birth_shown
from cunwu.registry import exporter
from cunwu.testing import login, site_client

from .conftest import VILLAGE
from .test_web import API, ROLE_SCOPES, R, filled  # noqa: F401  (the fixture)

MASKED_ROLES = ["supervisor", "county_official", "site_admin"]


def _giveaways(person: Any) -> list[str]:
    """What would rebuild the ID beside its mask: the hidden characters, the date in any usual spelling."""
    born = person.birth_date
    return [person.resident_id[6:14], born.isoformat(), f"{born:%Y/%m/%d}", f"{born.year}年{born.month}月{born.day}日",
            f"{born:%Y%m%d}"]


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_pages_and_api_for_masked_roles_never_show_the_birth_date(site: Any, filled: dict[str, Any],  # noqa: F811
                                                                   role: str) -> None:
    head = filled["head"]
    masked = head.resident_id[:6] + "*" * 8 + head.resident_id[-4:]
    age = birth_shown(head.birth_date, full=False, today=dt.date.today())
    urls = [f"{R}/", f"{R}/households/{filled['home'].id}", f"{R}/persons/{head.id}", f"{API}/persons",
            f"{API}/households", f"{API}/persons/{head.id}"]
    with site_client(site) as client:
        login(client, site, role, role=role, scope=ROLE_SCOPES[role])
        for url in urls:
            text = client.get(url).text
            assert masked in text, url
            assert [g for g in _giveaways(head) if g in text] == [], url
        assert age in client.get(f"{R}/persons/{head.id}").text
        person = client.get(f"{API}/persons/{head.id}").json()
        assert person["birth_date"] is None and person["age"] == int(age.split()[0])


def test_the_clerk_who_sees_ids_in_full_sees_the_date(site: Any, filled: dict[str, Any]) -> None:  # noqa: F811
    head = filled["head"]
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        assert head.birth_date.isoformat() in client.get(f"{R}/households/{filled['home'].id}").text
        assert client.get(f"{API}/persons/{head.id}").json()["birth_date"] == head.birth_date.isoformat()


def test_a_masked_export_gives_the_age_only(site: Any, filled: dict[str, Any]) -> None:  # noqa: F811
    head = filled["head"]
    with site.db.read() as session:
        masked = exporter.rows(session, VILLAGE, full=False)
        full = exporter.rows(session, VILLAGE, full=True)
    text = "\n".join(",".join(row) for row in masked)
    assert head.resident_id[:6] + "*" * 8 in text
    assert [g for g in _giveaways(head) if g in text] == []
    assert head.birth_date.isoformat() in "\n".join(",".join(row) for row in full)


def test_birth_shown_rule() -> None:
    born, today = dt.date(1980, 5, 20), dt.date(2026, 5, 19)
    assert birth_shown(born, full=True, today=today) == "1980-05-20"
    assert birth_shown(born, full=False, today=today) == "45 岁"
    assert birth_shown(None, full=False, today=today) == ""
