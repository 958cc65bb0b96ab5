"""The register's read API for other areas and plugins (meetings, yishi, dibao, ...). Use these, nothing deeper.

Every function takes an open session (read or write) and a date `on` (default: today): the answer is the register
as it stood on that day. Dated rows are half-open, `start <= on < end` (see `cunwu.registry.models`).

What comes back:
- `Person`, `Household`: the SQLModel rows themselves (read them; change them only through
  `cunwu.registry.services`).
- `HouseholdMembers`, `Member`, `RepresentativeTerm`, `OfficeHolder`: small frozen dataclasses defined here that
  bundle those rows.
Lists are ordered the way a clerk reads them: households by 户号, members head first, people by name.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from cunwu.clock import local_today
from cunwu.db.bulk import among
from cunwu.registry.models import (
    GONE,
    RELATIONS,
    Group,
    Household,
    HouseholdLink,
    Membership,
    Office,
    Person,
    Representation,
    Representative,
)

__all__ = [
    "HouseholdMembers",
    "Member",
    "OfficeHolder",
    "RepresentativeTerm",
    "adults",
    "age_on",
    "first_members",
    "groups",
    "household_numbers",
    "household_of",
    "households",
    "members_of",
    "office_holders",
    "party_members",
    "person",
    "representatives",
]

_RELATION_ORDER = {name: i for i, name in enumerate(RELATIONS)}


@dataclass(frozen=True)
class Member:
    """A person in a household on a date, with the membership row that puts them there."""

    person: Person
    membership: Membership

    @property
    def relation(self) -> str:
        return self.membership.relation


@dataclass(frozen=True)
class HouseholdMembers:
    """A household and its members on a date (head first)."""

    household: Household
    members: list[Member] = field(default_factory=list)

    @property
    def head(self) -> Person | None:
        return next((m.person for m in self.members if m.relation == "head"), None)


@dataclass(frozen=True)
class RepresentativeTerm:
    """A representative serving on a date, and the households they represent on that date (by 户号)."""

    representative: Representative
    person: Person
    households: list[Household] = field(default_factory=list)


@dataclass(frozen=True)
class OfficeHolder:
    """A person holding a post in a village body on a date."""

    office: Office
    person: Person


def _today(on: dt.date | None) -> dt.date:
    return on or local_today()


def _current(model: Any, on: dt.date, start: str = "start_date") -> Any:
    """`start <= on < end` (NULL end = still current)."""
    return and_(getattr(model, start) <= on, or_(col(model.end_date).is_(None), model.end_date > on))


def _serving(model: Any, on: dt.date) -> Any:
    """A term row (representative, office) in force on `on`: started, not past its term, not ended early."""
    return and_(model.term_start <= on, model.term_end > on,
                or_(col(model.end_date).is_(None), model.end_date > on))


def age_on(birth_date: dt.date, on: dt.date) -> int:
    """Completed years on `on` (someone born on 29 February has the birthday on 1 March in common years)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _born_by(on: dt.date, years: int) -> dt.date:
    """The latest birth date of someone `years` old or more on `on`."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February in a common year
        return dt.date(on.year - years, 2, 28)


def _present(on: dt.date) -> Any:
    """Not moved out or deceased on `on` (a status change dated after `on` does not count yet)."""
    return or_(col(Person.status).not_in(list(GONE)), col(Person.status_since) > on)


def person(session: Session, id: int) -> Person | None:
    """One person by id, or None."""
    return session.get(Person, id)


def group(session: Session, id: int) -> Group | None:
    """One villager group by id, or None."""
    return session.get(Group, id)


@functools.cache
def _village_home_statements() -> tuple[Any, Any]:
    """The village home's two reads, built once (the page is public and often viewed): its size in one statement
    of two counts, and its representatives' names."""
    households = select(func.count()).select_from(Household).where(
        Household.village_code == bindparam("village"), col(Household.closed_on).is_(None)).scalar_subquery()
    persons = select(func.count()).select_from(Membership).where(
        Membership.village_code == bindparam("village"), col(Membership.end_date).is_(None)).scalar_subquery()
    on = bindparam("on", type_=Representative.__table__.c.term_start.type)  # type: ignore[attr-defined]
    names = (select(Person.name).join(Representative, col(Representative.person_id) == Person.id)
             .where(Representative.village_code == bindparam("village"), _serving(Representative, on))
             .order_by(col(Person.name)))
    return select(households, persons), names


def village_size(session: Session, village_code: str) -> tuple[int, int]:
    """(open households, current members) of a village — public facts for the village home."""
    households, persons = session.execute(_village_home_statements()[0], {"village": village_code}).one()
    return int(households), int(persons)


def member_birth_dates(session: Session, households: Select[tuple[int]], on: dt.date | None = None,
                       ) -> dict[int, dict[int, dt.date]]:
    """Household id → {person id: birth date} of the members on `on`, for the households `households` selects (a
    SELECT of household ids, so thousands need no id list). Plain columns, row by row: for batch work such as a
    monthly benefit run over a county, where ORM objects would cost more than the rest of the run."""
    on = _today(on)
    membership, person = Membership.__table__.c, Person.__table__.c  # type: ignore[attr-defined]
    rows = session.execute(
        select(membership.household_id, person.id, person.birth_date)
        .select_from(Membership.__table__).join(Person.__table__, person.id == membership.person_id)  # type: ignore[attr-defined]
        .where(membership.household_id.in_(households), membership.start_date <= on,
               or_(membership.end_date.is_(None), membership.end_date > on)))
    found: dict[int, dict[int, dt.date]] = defaultdict(dict)
    for household_id, person_id, born in rows:
        found[household_id][person_id] = born
    return found


def members_of(session: Session, household_ids: Iterable[int], on: dt.date | None = None) -> dict[int, list[Member]]:
    """Members of several households on `on`, head first, by household id."""
    on = _today(on)
    ids = list(household_ids)
    result: dict[int, list[Member]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
        chunk = ids[chunk_start:chunk_start + 900]
        rows = session.exec(
            select(Membership, Person)
            .join(Person, col(Person.id) == Membership.person_id)
            .where(col(Membership.household_id).in_(chunk), _current(Membership, on))
        ).all()
        for membership, found in rows:
            result[membership.household_id].append(Member(found, membership))
    for members in result.values():
        members.sort(key=lambda m: (_RELATION_ORDER.get(m.relation, 99), m.person.birth_date, m.person.id or 0))
    return dict(result)


def household_numbers(session: Session, village_code: str, on: dt.date | None = None) -> dict[str, int]:
    """Number → id of the village's households that exist on `on`, as plain rows: for importers that match a file's
    household numbers (`households` builds every household and member as objects, which a 确权 file of 20,000
    households does not need)."""
    on = _today(on)
    return dict(session.exec(select(Household.number, Household.id).where(
        Household.village_code == village_code, Household.created_on <= on,
        or_(col(Household.closed_on).is_(None), col(Household.closed_on) > on))).all())  # type: ignore[arg-type]


def first_members(session: Session, household_ids: Iterable[int], on: dt.date | None = None
                  ) -> dict[int, tuple[int, str]]:
    """Household id → (person id, name) of its first member on `on` in `members_of`'s order (the head when it has
    one), as plain rows."""
    on = _today(on)
    best: dict[int, tuple[tuple[Any, ...], int, str]] = {}
    for condition in among(session, col(Membership.household_id), list(household_ids)):
        rows = session.exec(
            select(Membership.household_id, Membership.relation, Person.birth_date, Person.id, Person.name)
            .join(Person, col(Person.id) == Membership.person_id)
            .where(condition, _current(Membership, on))
        ).all()
        for household_id, relation, birth_date, person_id, name in rows:
            key = (_RELATION_ORDER.get(relation, 99), birth_date, person_id or 0)
            if household_id not in best or key < best[household_id][0]:
                best[household_id] = (key, person_id, name)  # type: ignore[assignment]
    return {household_id: (person_id, name) for household_id, (_key, person_id, name) in best.items()}


def households(session: Session, village_code: str, on: dt.date | None = None,
               group_id: int | None = None, household_id: int | None = None) -> list[HouseholdMembers]:
    """The village's households that exist on `on` (created, not closed), each with its members on that day.

    `household_id` asks for that one household (an empty list when it is not one of them), so a caller checking
    one household does not load the whole village.
    """
    on = _today(on)
    query = select(Household).where(
        Household.village_code == village_code, Household.created_on <= on,
        or_(col(Household.closed_on).is_(None), col(Household.closed_on) > on),
    )
    if group_id is not None:
        query = query.where(Household.group_id == group_id)
    if household_id is not None:
        query = query.where(Household.id == household_id)
    found = list(session.exec(query.order_by(col(Household.number))).all())
    members = members_of(session, [h.id for h in found if h.id is not None], on)
    return [HouseholdMembers(h, members.get(h.id or 0, [])) for h in found]


def _villagers(village_code: str, on: dt.date, group_id: int | None) -> Any:
    """Persons with a membership on `on` in a household of the village (and group), present on that day."""
    query = (
        select(Person)
        .join(Membership, col(Membership.person_id) == Person.id)
        .join(Household, col(Household.id) == Membership.household_id)
        .where(Household.village_code == village_code, _current(Membership, on), _present(on))
    )
    if group_id is not None:
        query = query.where(Household.group_id == group_id)
    return query


def adults(session: Session, village_code: str, on: dt.date | None = None, group_id: int | None = None,
           age: int = 18) -> list[Person]:
    """Villagers aged `age` or more on `on` (default 18, the voting age; pass the site's `voting_age`), members of a
    household of the village (and of `group_id` if given) on that day, neither moved out nor deceased by then."""
    on = _today(on)
    query = _villagers(village_code, on, group_id).where(Person.birth_date <= _born_by(on, age))
    return list(session.exec(query.order_by(col(Person.name), col(Person.id))).all())


def party_members(session: Session, village_code: str, on: dt.date | None = None) -> list[Person]:
    """Villagers who are party members (the flag as it stands now), members of a household of the village on `on`."""
    on = _today(on)
    query = _villagers(village_code, on, None).where(col(Person.party_member).is_(True))
    return list(session.exec(query.order_by(col(Person.name), col(Person.id))).all())


def household_of(session: Session, person_id: int, on: dt.date | None = None) -> Household | None:
    """The household a person belongs to on `on`, or None."""
    on = _today(on)
    return session.exec(
        select(Household)
        .join(Membership, col(Membership.household_id) == Household.id)
        .where(Membership.person_id == person_id, _current(Membership, on))
    ).first()


def representatives(session: Session, village_code: str, on: dt.date | None = None) -> list[RepresentativeTerm]:
    """Representatives serving on `on` and the households each represents on that day (the representative
    meeting's representative members)."""
    on = _today(on)
    rows = session.exec(
        select(Representative, Person)
        .join(Person, col(Person.id) == Representative.person_id)
        .where(Representative.village_code == village_code, _serving(Representative, on))
        .order_by(col(Person.name), col(Representative.id))
    ).all()
    ids = [r.id for r, _p in rows]
    represented: dict[int, list[Household]] = defaultdict(list)
    if ids:
        for link, household in session.exec(
            select(Representation, Household)
            .join(Household, col(Household.id) == Representation.household_id)
            .where(col(Representation.representative_id).in_(ids), _current(Representation, on))
            .order_by(col(Household.number))
        ).all():
            represented[link.representative_id].append(household)
    return [RepresentativeTerm(r, p, represented.get(r.id or 0, [])) for r, p in rows]


def representative_names(session: Session, village_code: str, on: dt.date | None = None) -> list[str]:
    """Names of the representatives serving on `on` — public facts for the village home, read in one query."""
    return list(session.execute(_village_home_statements()[1], {"village": village_code, "on": _today(on)}).scalars())


def office_holders(session: Session, village_code: str, body: str, on: dt.date | None = None) -> list[OfficeHolder]:
    """Who holds a post in `body` ("villagers_committee", "party_branch", "supervision_committee") on `on`."""
    on = _today(on)
    rows = session.exec(
        select(Office, Person)
        .join(Person, col(Person.id) == Office.person_id)
        .where(Office.village_code == village_code, Office.body == body, _serving(Office, on))
        .order_by(col(Office.post), col(Person.name))
    ).all()
    return [OfficeHolder(o, p) for o, p in rows]


def groups(session: Session, village_code: str) -> Sequence[Group]:
    """The village's villager groups by number."""
    return session.exec(_groups_statement(), params={"village_code": village_code}).all()  # type: ignore[call-overload]


@functools.cache
def _groups_statement() -> Any:
    """Built once: the register search, the household pages and the forms list the groups on every view."""
    return select(Group).where(Group.village_code == bindparam("village_code")).order_by(col(Group.number))


# --- what the register pages and the JSON API read (the controllers run no queries of their own) ---------------
# Core's own pages and services use these; they are not in `__all__`, so not part of the plugin API.

def person_households(session: Session, village_code: str, person_ids: Iterable[int], on: dt.date | None = None,
                      group_id: int | None = None) -> dict[int, tuple[int, str]]:
    """Person id → (household id, number) for those of `person_ids` who belong on `on` to a household of the village
    (and group) that exists on that day, as plain rows: a meeting's member list needs the households of its few
    dozen members, not every household and member of the village as objects (`households`)."""
    on = _today(on)
    found: dict[int, tuple[int, str]] = {}
    for condition in among(session, col(Membership.person_id), list(person_ids)):
        query = (
            select(Membership.person_id, Household.id, Household.number)
            .join(Household, col(Household.id) == Membership.household_id)
            .where(condition, _current(Membership, on), Household.village_code == village_code,
                   Household.created_on <= on, or_(col(Household.closed_on).is_(None), col(Household.closed_on) > on))
        )
        if group_id is not None:
            query = query.where(Household.group_id == group_id)
        for person_id, household_id, number in session.exec(query.order_by(col(Household.number))).all():
            found[person_id] = (household_id, number)  # type: ignore[index]
    return found


#: Person statuses a register search may filter by; without one, the people living in or away from the village.
_LISTED_BY_DEFAULT = ("resident", "away")


def count(session: Session, query: Any) -> int:
    """How many rows `query` would return."""
    return int(session.exec(select(func.count()).select_from(query.subquery())).one())


@dataclass(frozen=True)
class RegisterSearch:
    """A register search as the register page and the JSON API take it: `q` in the name, the 户号 or the end of the
    ID number; a group id; a status (one of `statuses`, "all" for every status, else the people living in or away
    from the village); a flag field (one of `flags`) or "disabled"."""

    q: str = ""
    group: str = ""
    status: str = ""
    flag: str = ""
    statuses: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()

    def shape(self) -> tuple[bool, bool, bool, str, str]:
        """What decides the statement's form (the values are bind parameters)."""
        q = self.q.strip()
        status = "one" if self.status in self.statuses else "all" if self.status == "all" else ""
        flag = self.flag if self.flag in self.flags or self.flag == "disabled" else ""
        return bool(q), bool(q) and q.isalnum() and q.isascii(), self._group() is not None, status, flag

    def _group(self) -> int | None:
        group = self.group
        return int(group) if group.isascii() and group.isdigit() and int(group) < 2**63 else None

    def params(self, village_code: str, on: dt.date | None) -> dict[str, Any]:
        q = self.q.strip()
        return {"village": village_code, "today": _today(on), "q": q, "q_upper": q.upper(), "group": self._group(),
                "status": self.status}


def _list_columns() -> tuple[Any, ...]:
    """What the register page's table shows of each row (`register_list`), labelled as its template reads them."""
    return (col(Person.id).label("person_id"), Person.name, Person.party_member, Person.sex, Person.birth_date,
            Person.resident_id, Person.phone, Person.status, col(Membership.id).label("membership_id"),
            Membership.relation, col(Household.id).label("household_id"),
            col(Household.number).label("household_number"), Household.group_id)


@functools.lru_cache(maxsize=64)
def _register_statements(q: bool, q_id: bool, group: bool, status: str, flag: str,
                         plain: bool = False) -> tuple[Any, Any]:
    """The register search for one shape, built once (building costs more than running it on SQLite): the count,
    and one page of (Person, Membership, Household, total) — or with `plain` the page's columns and the total — in
    the register's order. The total is a window count, so a page and its count are one pass over the village."""
    current = (col(Membership.end_date).is_(None)) | (col(Membership.end_date) > bindparam("today"))
    query = (
        (select(*_list_columns()) if plain else select(Person, Membership, Household))  # type: ignore[call-overload]
        .join(Membership, (col(Membership.person_id) == Person.id) & current, isouter=True)
        .join(Household, col(Household.id) == Membership.household_id, isouter=True)
        .where(Person.village_code == bindparam("village"))
    )
    if q:
        by_person = [col(Person.name).contains(bindparam("q"))]
        if q_id:
            by_person.append(col(Person.resident_id).endswith(bindparam("q_upper")))
        # The same test on the person alone, so the database drops the persons who cannot match before joining
        # their memberships and households (on PostgreSQL it tested every person of the village after the joins):
        # a person matches by 户号 only through a current membership of that household, which is in their village.
        member, household = aliased(Membership), aliased(Household)
        by_number = (select(member.person_id).join(household, household.id == member.household_id)
                     .where(household.village_code == bindparam("village"), household.number == bindparam("q"),
                            (col(member.end_date).is_(None)) | (col(member.end_date) > bindparam("today"))))
        query = query.where(or_(*by_person, col(Person.id).in_(by_number)),
                            or_(*by_person, Household.number == bindparam("q")))
    if group:
        query = query.where(Household.group_id == bindparam("group"))
    if status == "one":
        query = query.where(Person.status == bindparam("status"))
    elif status != "all":
        # Equalities, not `in_`: an `IN` list is an expanding parameter, rendered into the SQL again on every run.
        query = query.where(or_(*(Person.status == listed for listed in _LISTED_BY_DEFAULT)))
    if flag == "disabled":
        query = query.where(col(Person.disability_grade).is_not(None))
    elif flag:
        query = query.where(getattr(Person, flag).is_(True))
    page = (query.add_columns(func.count().over().label("total"))
            .order_by(col(Household.number), col(Person.birth_date), col(Person.id))
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return select(func.count()).select_from(query.subquery()), page


def register_page(session: Session, village_code: str, search: RegisterSearch, *, page: int, per_page: int,
                  on: dt.date | None = None) -> tuple[list[tuple[Person, Membership | None, Household | None]], int]:
    """One page of the register search, by 户号 then oldest first, and how many match in all."""
    found, total = _search(session, village_code, search, page, per_page, on, plain=False)
    return [(person, membership, household) for person, membership, household, _ in found], total


def register_list(session: Session, village_code: str, search: RegisterSearch, *, page: int, per_page: int,
                  on: dt.date | None = None) -> tuple[Sequence[Any], int]:
    """`register_page` as the register page's table reads it: plain rows of its columns (`_list_columns`: person_id,
    name, …, relation, household_id, household_number, group_id), no Person, Membership and Household objects to
    build and let go for each row (the clerk's busiest page; docs/performance.md, issue #18 round 4)."""
    return _search(session, village_code, search, page, per_page, on, plain=True)


def _search(session: Session, village_code: str, search: RegisterSearch, page: int, per_page: int,
            on: dt.date | None, *, plain: bool) -> tuple[Sequence[Any], int]:
    count, rows = _register_statements(*search.shape(), plain)
    params = search.params(village_code, on)
    found = session.exec(rows, params={**params, "limit": per_page, "offset": (page - 1) * per_page}).all()  # type: ignore[call-overload]
    if found:
        return found, int(found[0][-1])
    total = int(session.exec(count, params=params).one()) if page > 1 else 0  # type: ignore[call-overload]
    return [], total


def person_by_resident_id(session: Session, village_code: str, number: str) -> Person | None:
    return session.exec(select(Person).where(Person.resident_id == number, Person.village_code == village_code)).first()


def open_household_by_number(session: Session, village_code: str, number: str) -> Household | None:
    """The village's current (not closed) household with this 户号."""
    return session.exec(select(Household).where(Household.village_code == village_code, Household.number == number,
                                                col(Household.closed_on).is_(None))).first()


def open_households(village_code: str) -> Any:
    """Query of the village's current households."""
    return select(Household).where(Household.village_code == village_code, col(Household.closed_on).is_(None))


def open_household_count(session: Session, village_code: str) -> int:
    return count(session, open_households(village_code))


def household_memberships(session: Session, household_id: int) -> Sequence[Any]:
    """(Membership, Person) of everyone who ever belonged to the household: current first, then by start."""
    return session.exec(select(Membership, Person).join(Person, col(Person.id) == Membership.person_id)
                        .where(Membership.household_id == household_id)
                        .order_by(col(Membership.end_date).is_not(None), col(Membership.start_date),
                                  col(Membership.id))).all()


def household_links(session: Session, household_id: int) -> tuple[Sequence[HouseholdLink], dict[int, Household]]:
    """The split/merge links of a household, and the households at their other ends by id."""
    links = session.exec(select(HouseholdLink).where(
        (HouseholdLink.source_id == household_id) | (HouseholdLink.target_id == household_id))).all()
    ends = [link.source_id for link in links] + [link.target_id for link in links]
    linked = {h.id: h for h in session.exec(select(Household).where(col(Household.id).in_(ends))).all()}
    return links, linked  # type: ignore[return-value]


def person_memberships(session: Session, person_id: int) -> Sequence[Any]:
    """(Membership, Household) of every household the person belonged to, oldest first."""
    return session.exec(select(Membership, Household).join(Household, col(Household.id) == Membership.household_id)
                        .where(Membership.person_id == person_id)
                        .order_by(col(Membership.start_date), col(Membership.id))).all()


def person_offices(session: Session, person_id: int) -> Sequence[Office]:
    return session.exec(select(Office).where(Office.person_id == person_id)).all()


def person_terms(session: Session, person_id: int) -> Sequence[Representative]:
    return session.exec(select(Representative).where(Representative.person_id == person_id)).all()


def current_membership(session: Session, person_id: int) -> Membership | None:
    return session.exec(select(Membership).where(Membership.person_id == person_id,
                                                 col(Membership.end_date).is_(None))).first()
