"""Register test helpers: a clerk actor and small builders for persons and households."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest

from cunwu.accounts.actor import Actor, Grant
from cunwu.registry import services
from cunwu.registry.models import Household, Person
from cunwu.registry.resident_id import generate_resident_id

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
_sequence = itertools.count(1)


@pytest.fixture
def clerk() -> Actor:
    return Actor(user_id=None, username="clerk-test", display_name="文书", grants=(Grant("clerk", "village", VILLAGE),))


def make_person(session: Any, site: Any, actor: Actor, name: str = "王建国", *, sex: str = "M",
                born: dt.date = dt.date(1970, 5, 4), village: str = VILLAGE, **extra: Any) -> Person:
    """A person with a fresh valid ID of the right sex."""
    n = next(_sequence) * 2 % 1000
    sequence = n + 1 if sex == "M" else n
    number = generate_resident_id("130926", born, sequence % 1000)
    data = {"name": name, "resident_id": number, "sex": "男" if sex == "M" else "女", **extra}
    return services.create_person(session, site, actor, village_code=village, data=data)


def make_household(session: Any, site: Any, actor: Actor, number: str, head: Person,
                   created_on: dt.date = dt.date(2020, 1, 1), village: str = VILLAGE) -> Household:
    return services.create_household(session, site, actor, village_code=village, number=number, head=head,
                                     created_on=created_on)
