"""Demo data: every village gets a plausible register with valid IDs, representatives and offices, reproducibly."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

from sqlmodel import select

from cunwu.audit.services import verify_chain
from cunwu.plugin_types import DemoContext
from cunwu.registry import queries
from cunwu.registry.demo import build
from cunwu.registry.models import Group, Person
from cunwu.registry.resident_id import parse_resident_id


def _build(site: Any, seed: int) -> list[tuple[str, str]]:
    with site.db.transaction() as session:
        build(session, site, DemoContext(rng=random.Random(seed)))
    with site.db.read() as session:
        return [(p.name, p.resident_id) for p in session.exec(select(Person).order_by(Person.id)).all()]


def test_demo_register_is_plausible_and_reproducible(site_factory: Any) -> None:
    site = site_factory()
    people = _build(site, 5)
    assert people == _build(site_factory(), 5)
    with site.db.read() as session:
        for village in site.config.villages:
            households = queries.households(session, village.code)
            assert 150 <= len(households) <= 400
            assert all(h.head is not None and 1 <= len(h.members) <= 7 for h in households)
            assert 2 <= len(session.exec(select(Group).where(Group.village_code == village.code)).all()) <= 6
            surnames = Counter(m.person.name[0] for h in households for m in h.members)
            assert sum(n for _s, n in surnames.most_common(3)) > 0.5 * sum(surnames.values())
            reps = queries.representatives(session, village.code)
            assert sum(t.person.sex == "F" for t in reps) * 3 >= len(reps)
            assert all(5 <= len(t.households) <= 15 for t in reps)
            assert sum(len(t.households) for t in reps) == len(households)
            committee = queries.office_holders(session, village.code, "villagers_committee")
            assert len(committee) == 5 and any(h.person.sex == "F" for h in committee)
            assert 3 <= len(queries.office_holders(session, village.code, "party_branch")) <= 5
            assert len(queries.office_holders(session, village.code, "supervision_committee")) == 3
            adults = queries.adults(session, village.code)
            party = queries.party_members(session, village.code)
            assert 0.03 < len(party) / len(adults) < 0.12
        for _name, number in people[:500]:
            assert parse_resident_id(number).number == number
        assert len({n for _p, n in people}) == len(people)
        assert verify_chain(session)[1] is None
