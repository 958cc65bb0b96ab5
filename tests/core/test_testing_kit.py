"""The shipped test kit (cunwu.testing): the register builder writes through the audited register services, clients
per role see what their role and village allow, and the models-match-migrations check fails on a real difference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from cunwu.audit.models import AuditEntry
from cunwu.audit.services import verify_chain
from cunwu.registry import queries
from cunwu.registry.services import RegistryError
from cunwu.testing import Member, assert_models_match_migrations

VILLAGE, OTHER = "130926100201", "130926100202"
ON = dt.date(2025, 6, 1)


def test_register_builder_writes_an_audited_register(site: Any, register: Any) -> None:
    with register(site) as reg:
        group = reg.group(1)
        wang = reg.household("001", [Member("王大", born=dt.date(1970, 3, 1), party_member=True),
                                     Member("李梅", born=dt.date(1972, 5, 1), sex="F", relation="spouse")],
                             group=group)
        reg.household("002", [Member("张父", born=dt.date(1960, 1, 1))])
        reg.households_of(3, size=3)
        reg.representative("王大", households=[wang])
        reg.office("李梅", body="party_branch", post="secretary")
        reg.household("101", [Member("西甲")], village=OTHER)
    with site.db.read() as session:
        homes = queries.households(session, VILLAGE, on=ON)
        assert len(homes) == 5
        members = queries.members_of(session, [reg.households["001"].id], on=ON)[reg.households["001"].id]
        assert [(m.person.name, m.relation) for m in members] == [("王大", "head"), ("李梅", "spouse")]
        assert reg.people["李梅"].sex == "F" and reg.people["王大"].party_member
        terms = queries.representatives(session, VILLAGE, on=ON)
        assert [(t.person.name, [h.number for h in t.households]) for t in terms] == [("王大", ["001"])]
        assert [h.person.name for h in queries.office_holders(session, VILLAGE, "party_branch", on=ON)] == ["李梅"]
        assert queries.households(session, OTHER, on=ON)[0].household.number == "101"
        actions = set(session.exec(select(AuditEntry.action)).all())
        assert {"registry.person.create", "registry.household.create", "registry.representative.create",
                "registry.office.create", "registry.group.create"} <= actions
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() > 20
        assert verify_chain(session)[1] is None


def test_register_builder_gets_the_services_checks(site: Any, register: Any) -> None:
    with pytest.raises(RegistryError, match="户号 001 已存在"), register(site) as reg:
        reg.household("001", [Member("甲")])
        reg.household("001", [Member("乙")])
    with site.db.read() as session:
        assert queries.households(session, VILLAGE, on=ON) == []  # the whole block was rolled back


def test_client_as_logs_in_with_the_role_where_it_is_normally_granted(site: Any, client_as: Any) -> None:
    clerk = client_as(site, "clerk", village=VILLAGE)
    assert clerk.get(f"/v/{VILLAGE}/registry/").status_code == 200
    assert clerk.get(f"/v/{OTHER}/registry/").status_code == 403
    township = client_as(site, "township_official", village=VILLAGE)
    assert township.get(f"/v/{OTHER}/registry/").status_code == 200  # same township 肃宁镇
    assert township.get("/v/130926101201/registry/").status_code == 403
    county = client_as(site, "county_official")
    assert county.get("/v/130926101201/registry/").status_code == 200


def test_models_match_migrations_fails_on_a_difference(site: Any) -> None:
    assert_models_match_migrations(site)
    with site.db.write_engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_registry_person_village_name"))
    with pytest.raises(AssertionError, match=r"(?s)models and migrations differ.*ix_registry_person_village_name"):
        assert_models_match_migrations(site)
