"""A register builder for tests: villages' groups, households, persons, representatives and offices, written through
the real register services (so through the audit chain, with the same checks a clerk's form gets).

    with build_register(site) as reg:                       # one transaction; default village = the site's first
        wang = reg.household("001", [Member("王大", born=date(1970, 3, 1), party_member=True),
                                     Member("李梅", born=date(1972, 5, 1), sex="F", relation="spouse")])
        reg.representative("王大", households=[wang.household])
        reg.office("王大", body="party_branch", post="secretary")
    reg.people["王大"].id, reg.households["001"].id   # usable after the transaction

Inside a transaction you already hold, use `RegisterBuilder(session, site)` directly. Resident ID numbers are made up
from the birth date and sex (valid check digit), unique within a test run.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.registry import services
from cunwu.registry.models import Group, Household, Office, Person, Representative
from cunwu.registry.resident_id import generate_resident_id
from cunwu.runtime import Site

#: When households are opened and members join unless a test says otherwise (before any test's reference date).
START = dt.date(2000, 1, 1)
#: Representatives' and office holders' default term: serving on every date the tests use.
TERM = (dt.date(2021, 1, 1), dt.date(2031, 1, 1))

# Sequence numbers 0–999 of generated ID numbers (odd = male), shared by every builder so numbers never repeat.
_male = itertools.count(1, 2)
_female = itertools.count(2, 2)


class Member:
    """One person to put on the register; `fields` are any other person fields (phone, student, gave_birth_on …).

    `relation` is the relation to the head when the person joins a household after its first member."""

    def __init__(self, name: str, born: dt.date = dt.date(1980, 1, 1), sex: str = "M", relation: str = "child",
                 **fields: Any) -> None:
        self.name, self.born, self.sex, self.relation, self.fields = name, born, sex, relation, fields


@dataclass
class BuiltHousehold:
    """A household as written: the row and its members in the order given (the head first)."""

    household: Household
    members: list[Person]

    @property
    def id(self) -> int:
        return int(self.household.id)  # type: ignore[arg-type]

    @property
    def head(self) -> Person:
        return self.members[0]


def resident_id(born: dt.date, sex: str = "M", area: str = "130926") -> str:
    """A valid, not yet used resident ID number for someone born on `born`."""
    sequence = next(_male if sex == "M" else _female) % 1000
    return generate_resident_id(area, born, sequence)


class RegisterBuilder:
    """Writes register records in one open session. Every method names its village (default: the builder's)."""

    def __init__(self, session: Session, site: Site, *, village: str | None = None,
                 actor: Actor | None = None) -> None:
        self.session = session
        self.site = site
        self.village_code = village or site.config.villages[0].code
        self.actor = actor or Actor.system("test-register")
        self.people: dict[str, Person] = {}
        self.households: dict[str, Household] = {}
        self.groups: dict[int, Group] = {}

    def _village(self, village: str | None) -> str:
        return village or self.village_code

    def _person(self, who: Person | str) -> Person:
        return self.people[who] if isinstance(who, str) else who

    def group(self, number: int, name: str = "", *, village: str | None = None) -> Group:
        """A villager group (村民小组)."""
        group = services.create_group(self.session, self.site, self.actor, village_code=self._village(village),
                                      number=number, name=name)
        self.groups[number] = group
        return group

    def person(self, member: Member | str, *, village: str | None = None, **fields: Any) -> Person:
        """One person, not yet in a household: `reg.person("王五", born=date(1990, 1, 1))` or a `Member`."""
        if isinstance(member, str):
            member = Member(member, **fields)
        data = {"name": member.name, "resident_id": resident_id(member.born, member.sex), **member.fields}
        person = services.create_person(self.session, self.site, self.actor, village_code=self._village(village),
                                        data=data)
        self.people[person.name] = person
        return person

    def household(self, number: str, members: Sequence[Member | Person], *, village: str | None = None,
                  created_on: dt.date = START, group: Group | int | None = None, address: str = "") -> BuiltHousehold:
        """A household whose first member is the head; the others join on `created_on` with their `relation`."""
        code = self._village(village)
        people = [m if isinstance(m, Person) else self.person(m, village=code) for m in members]
        group_id = group.id if isinstance(group, Group) else (self.groups[group].id if group is not None else None)
        home = services.create_household(self.session, self.site, self.actor, village_code=code, number=number,
                                         head=people[0], created_on=created_on, address=address or f"{number}号",
                                         group_id=group_id)
        for spec, person in zip(members[1:], people[1:], strict=True):
            relation = spec.relation if isinstance(spec, Member) else "child"
            services.add_member(self.session, self.site, self.actor, home, person, relation, created_on)
        self.households[number] = home
        return BuiltHousehold(home, people)

    def households_of(self, count: int, *, size: int = 2, prefix: str = "H", village: str | None = None,
                      born: dt.date = dt.date(1980, 1, 1)) -> list[BuiltHousehold]:
        """`count` plain households of `size` adults each (numbered prefix0001, …), for tests that need volume."""
        start = len(self.households)
        return [self.household(f"{prefix}{start + n + 1:04d}",
                               [Member(f"{prefix}{start + n + 1}-{k + 1}", born=born + dt.timedelta(days=n),
                                       sex="MF"[k % 2],
                                       relation="spouse" if k == 1 else "child") for k in range(size)],
                               village=village)
                for n in range(count)]

    def representative(self, who: Person | str, *, households: Sequence[Household | BuiltHousehold] = (),
                       term: tuple[dt.date, dt.date] = TERM) -> Representative:
        """A villager representative (村民代表) for `term`, linked to the households they represent."""
        person = self._person(who)
        ids = [int(h.id) for h in households]  # type: ignore[arg-type]
        return services.set_representative(self.session, self.site, self.actor, village_code=person.village_code,
                                           person=person, household_ids=ids, on=term[0], term_start=term[0],
                                           term_end=term[1])

    def office(self, who: Person | str, *, body: str, post: str, term: tuple[dt.date, dt.date] = TERM) -> Office:
        """An office held for `term` (body: villagers_committee, party_branch or supervision_committee)."""
        person = self._person(who)
        return services.set_office(self.session, self.site, self.actor, village_code=person.village_code,
                                   person=person, body=body, post=post, term_start=term[0], term_end=term[1])


@contextmanager
def build_register(site: Site, *, village: str | None = None, actor: Actor | None = None,
                   ) -> Iterator[RegisterBuilder]:
    """A `RegisterBuilder` in its own transaction, committed when the block ends."""
    with site.db.transaction() as session:
        yield RegisterBuilder(session, site, village=village, actor=actor)
