"""One head per household, one household per person, one resident ID per person — in the database and in the
services, on SQLite and PostgreSQL; two clerks at once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cunwu.audit import services as audit
from cunwu.audit.services import verify_chain
from cunwu.errors import DomainError
from cunwu.registry import queries, services
from cunwu.registry.models import Household, HouseholdLink, Membership, Person, Village
from cunwu.registry.resident_id import generate_resident_id
from cunwu.testing import unique_violation

from .conftest import VILLAGE, make_household, make_person

D = dt.date


def test_villages_are_synced_from_site_toml_at_startup(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    with site.db.read() as session:
        villages = {v.code: v for v in session.exec(select(Village)).all()}
    assert villages[VILLAGE].name == "东街村" and villages[VILLAGE].township_code == "130926100"
    assert len(villages) == 3
    site.config.villages[0].name = "东街新村"
    site.config.villages = site.config.villages[:1]
    site.run_startup()
    with site.db.read() as session:
        villages = {v.code: v for v in session.exec(select(Village)).all()}
    assert villages[VILLAGE].name == "东街新村"
    assert len(villages) == 3  # never deleted


def test_database_refuses_two_current_heads_and_two_current_households(site_factory: Any, dialect: str,
                                                                        clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        a, b = make_person(session, site, clerk, "王一"), make_person(session, site, clerk, "王二")
        h1 = make_household(session, site, clerk, "0001", a)
        h2 = make_household(session, site, clerk, "0002", b)
        ids = (a.id, b.id, h1.id, h2.id)
    # Bypassing the services (but not the audit service): the partial unique indexes still hold.
    with pytest.raises(IntegrityError, match=unique_violation("registry_membership")), site.db.transaction() as session:
        audit.create(session, clerk, Membership(village_code=VILLAGE, household_id=ids[2], person_id=ids[1],
                                                relation="head", start_date=D(2021, 1, 1)))
    with pytest.raises(IntegrityError, match=unique_violation("registry_membership")), site.db.transaction() as session:
        audit.create(session, clerk, Membership(village_code=VILLAGE, household_id=ids[3], person_id=ids[0],
                                                relation="spouse", start_date=D(2021, 1, 1)))
    with site.db.read() as session:
        p = session.get(Person, ids[0])
        assert p is not None
    with pytest.raises(IntegrityError, match=unique_violation("registry_person")), site.db.transaction() as session:
        audit.create(session, clerk, Person(village_code=VILLAGE, name="冒名", sex=p.sex, birth_date=p.birth_date,
                                            resident_id=p.resident_id))


def test_services_refuse_overlapping_dated_memberships_and_heads(site_factory: Any, dialect: str,
                                                                 clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        a, b, c = (make_person(session, site, clerk, n) for n in ("李一", "李二", "李三"))
        h1 = make_household(session, site, clerk, "0001", a, D(2010, 1, 1))
        h2 = make_household(session, site, clerk, "0002", b, D(2010, 1, 1))
        m = services.add_member(session, site, clerk, h1, c, "child", D(2012, 1, 1))
        services.end_membership(session, site, clerk, m, D(2018, 1, 1), "外出")
    # c was in 0001 from 2012 to 2018: joining 0002 in 2015 overlaps the dated (ended) membership.
    with pytest.raises(DomainError, match="同一时间只能属于一户") as refused, site.db.transaction() as session:
        services.add_member(session, site, clerk, session.get(Household, h2.id), session.get(Person, c.id),
                            "child", D(2015, 1, 1))
    assert "同一时间只能属于一户" in refused.value.message and refused.value.problems[0].field == "person_id"
    with site.db.transaction() as session:
        services.add_member(session, site, clerk, session.get(Household, h2.id), session.get(Person, c.id),
                            "child", D(2018, 1, 1))
    # The head cannot leave while others remain: the household would have no head.
    with pytest.raises(DomainError, match="请先变更户主"), site.db.transaction() as session:
        services.move_person(session, site, clerk, session.get(Person, b.id), session.get(Household, h1.id),
                             "other", D(2020, 1, 1))
    with pytest.raises(DomainError, match="户号 0001 已存在"), site.db.transaction() as session:
        services.create_household(session, site, clerk, village_code=VILLAGE, number="0001",
                                  head=session.get(Person, c.id), created_on=D(2020, 1, 1))
    with pytest.raises(DomainError, match="同一时间只能属于一户"), site.db.transaction() as session:
        services.create_household(session, site, clerk, village_code=VILLAGE, number="0003",
                                  head=session.get(Person, c.id), created_on=D(2020, 1, 1))


def test_change_head_split_and_merge_keep_history_and_one_head(site_factory: Any, dialect: str, clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        father = make_person(session, site, clerk, "张父", born=D(1950, 1, 1))
        son = make_person(session, site, clerk, "张子", born=D(1975, 1, 1))
        wife = make_person(session, site, clerk, "王媳", sex="F", born=D(1977, 1, 1))
        kid = make_person(session, site, clerk, "张孙", born=D(2005, 1, 1))
        home = make_household(session, site, clerk, "0100", father, D(2000, 1, 1))
        for person, rel in ((son, "child"), (wife, "other"), (kid, "grandchild")):
            services.add_member(session, site, clerk, home, person, rel, D(2006, 1, 1))
        services.change_head(session, site, clerk, home, son, D(2015, 6, 1), former_head_relation="parent")
        new = services.split_household(session, site, clerk, home, person_ids=[kid.id], new_head_id=kid.id,
                                       new_number="0101", on=D(2024, 1, 1))
        ids = {"home": home.id, "new": new.id, "father": father.id, "son": son.id, "kid": kid.id}
    with site.db.read() as session:
        on_2010 = {m.person.name: m.relation for m in queries.households(session, VILLAGE, D(2010, 1, 1))[0].members}
        assert on_2010 == {"张父": "head", "张子": "child", "王媳": "other", "张孙": "grandchild"}
        now = {h.household.number: {m.person.name: m.relation for m in h.members}
               for h in queries.households(session, VILLAGE)}
        assert now == {"0100": {"张子": "head", "张父": "parent", "王媳": "other"}, "0101": {"张孙": "head"}}
    with site.db.transaction() as session:
        services.merge_households(session, site, clerk, session.get(Household, ids["new"]),
                                  session.get(Household, ids["home"]), D(2025, 1, 1),
                                  relations={ids["kid"]: "child"})
    with site.db.read() as session:
        assert [h.household.number for h in queries.households(session, VILLAGE)] == ["0100"]
        closed = session.get(Household, ids["new"])
        assert closed.closed_on == D(2025, 1, 1) and "0100" in closed.close_reason
        assert {link.kind for link in session.exec(select(HouseholdLink)).all()} == {"split", "merge"}
        # Every day of the household's life has exactly one head.
        heads = session.exec(select(Membership).where(Membership.household_id == ids["home"],
                                                      Membership.relation == "head")).all()
        spans = sorted((m.start_date, m.end_date) for m in heads)
        assert spans == [(D(2000, 1, 1), D(2015, 6, 1)), (D(2015, 6, 1), None)]
        # Nothing was deleted: the kid has three memberships.
        assert len(session.exec(select(Membership).where(Membership.person_id == ids["kid"])).all()) == 3
        assert verify_chain(session)[1] is None


def test_resident_id_must_be_valid_unique_and_agree_with_sex_and_birth(site_factory: Any, dialect: str,
                                                                       clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        first = make_person(session, site, clerk, "赵一")
        number = first.resident_id
    cases = [
        ({"name": "赵二", "resident_id": number}, "已登记给"),
        ({"name": "赵二", "resident_id": number[:-1] + ("0" if number[-1] != "0" else "1")}, "校验位错误"),
        ({"name": "赵二", "resident_id": "11010519491231002X", "sex": "男"}, "表示女性"),
        ({"name": "赵二", "resident_id": "11010519491231002X", "birth_date": "1949-12-30"}, "不一致"),
        ({"name": "", "resident_id": "11010519491231002X"}, "姓名不能为空"),
    ]
    for data, message in cases:
        with (
            pytest.raises(DomainError, match=f"{re.escape(message)}|请更正以下问题") as refused,
            site.db.transaction() as session,
        ):
            services.create_person(session, site, clerk, village_code=VILLAGE, data=data)
        assert any(message in p.message for p in refused.value.problems), (data, refused.value.problems)
    # An abolished address code (崇文区 110103) is never a reason to reject.
    with site.db.transaction() as session:
        abolished = generate_resident_id("110103", D(1949, 12, 31), 2)
        person = services.create_person(session, site, clerk, village_code=VILLAGE,
                                        data={"name": "钱三", "resident_id": abolished})
        assert person.sex == "F" and person.birth_date == D(1949, 12, 31)


def test_moved_out_and_deceased_end_membership_and_leave_adults(site_factory: Any, dialect: str,
                                                                 clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        head = make_person(session, site, clerk, "周一", born=D(1960, 1, 1), party_member="是")
        child = make_person(session, site, clerk, "周二", born=D(2010, 1, 1))
        gone = make_person(session, site, clerk, "周三", born=D(1990, 1, 1))
        h = make_household(session, site, clerk, "0007", head, D(2000, 1, 1))
        services.add_member(session, site, clerk, h, child, "child", D(2010, 1, 1))
        services.add_member(session, site, clerk, h, gone, "child", D(2000, 1, 1))
        services.change_status(session, site, clerk, gone, "moved_out", D(2023, 3, 1), "迁往县城")
        ids = (head.id, gone.id)
    with site.db.read() as session:
        assert [p.name for p in queries.adults(session, VILLAGE, D(2022, 1, 1))] == ["周一", "周三"]
        assert [p.name for p in queries.adults(session, VILLAGE)] == ["周一"]
        assert [p.name for p in queries.adults(session, VILLAGE, D(2028, 1, 1))] == ["周一", "周二"]
        assert [p.name for p in queries.party_members(session, VILLAGE)] == ["周一"]
        assert queries.household_of(session, ids[1]) is None
        assert queries.household_of(session, ids[1], D(2022, 1, 1)).number == "0007"
        assert session.get(Person, ids[1]).status == "moved_out"
    with pytest.raises(DomainError, match="请先变更户主"), site.db.transaction() as session:
        services.change_status(session, site, clerk, session.get(Person, ids[0]), "deceased", D(2024, 1, 1))


def test_representatives_and_offices_are_dated(site_factory: Any, dialect: str, clerk: Any) -> None:
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        people = [make_person(session, site, clerk, f"孙{i}", sex="F" if i % 2 else "M") for i in range(4)]
        homes = [make_household(session, site, clerk, f"{i:04d}", p) for i, p in enumerate(people)]
        services.set_representative(session, site, clerk, village_code=VILLAGE, person=people[0],
                                    household_ids=[homes[0].id, homes[1].id], on=D(2024, 5, 1))
        services.set_representative(session, site, clerk, village_code=VILLAGE, person=people[1],
                                    household_ids=[homes[1].id, homes[2].id], on=D(2025, 1, 1))
        services.set_office(session, site, clerk, village_code=VILLAGE, person=people[2], body="villagers_committee",
                            post="chair", term_start=D(2024, 5, 1))
        with pytest.raises(DomainError, match="已在"):
            services.set_office(session, site, clerk, village_code=VILLAGE, person=people[2],
                                body="villagers_committee", post="member", term_start=D(2025, 1, 1))
    with site.db.read() as session:
        reps = {r.person.name: [h.number for h in r.households] for r in queries.representatives(session, VILLAGE)}
        assert reps == {"孙0": ["0000"], "孙1": ["0001", "0002"]}
        before = {r.person.name: [h.number for h in r.households]
                  for r in queries.representatives(session, VILLAGE, D(2024, 6, 1))}
        assert before == {"孙0": ["0000", "0001"]}
        holders = queries.office_holders(session, VILLAGE, "villagers_committee", D(2025, 1, 1))
        assert [(h.person.name, h.office.post) for h in holders] == [("孙2", "chair")]
        assert queries.office_holders(session, VILLAGE, "villagers_committee", D(2029, 5, 1)) == []


def _two_clerks(site: Any, *actions: Any) -> list[BaseException | None]:
    """Run each action in its own thread and session at the same moment; return what each raised."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[BaseException | None] = [None] * len(actions)

    def run(index: int) -> None:
        try:
            with site.db.transaction() as session:
                barrier.wait(timeout=10)
                actions[index](session)
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_clerks_cannot_put_one_person_in_two_households_at_once(site_factory: Any, pg: str,
                                                                   clerk: Any) -> None:
    site = site_factory(dialect=pg)
    with site.db.transaction() as session:
        a, b, c = (make_person(session, site, clerk, n) for n in ("吴一", "吴二", "吴三"))
        h1, h2 = make_household(session, site, clerk, "0001", a), make_household(session, site, clerk, "0002", b)
        ids = (h1.id, h2.id, c.id)

    def join(household_id: int, start: dt.date) -> Any:
        def action(session: Any) -> None:
            services.add_member(session, site, clerk, session.get(Household, household_id),
                                session.get(Person, ids[2]), "child", start)
        return action

    outcomes = _two_clerks(site, join(ids[0], D(2021, 1, 1)), join(ids[1], D(2022, 1, 1)))
    failures = [o for o in outcomes if o is not None]
    assert len(failures) == 1 and isinstance(failures[0], DomainError), outcomes
    # The loser waited on the person's row lock and was refused by the service's dated check (with its reason),
    # not merely by the database index after the fact.
    assert "同一时间只能属于一户" in failures[0].message
    with site.db.read() as session:
        rows = session.exec(select(Membership).where(Membership.person_id == ids[2])).all()
    assert len(rows) == 1


def test_two_clerks_cannot_both_change_the_head(site_factory: Any, pg: str, clerk: Any) -> None:
    site = site_factory(dialect=pg)
    with site.db.transaction() as session:
        head, x, y = (make_person(session, site, clerk, n) for n in ("郑一", "郑二", "郑三"))
        home = make_household(session, site, clerk, "0001", head, D(2000, 1, 1))
        services.add_member(session, site, clerk, home, x, "spouse", D(2000, 1, 1))
        services.add_member(session, site, clerk, home, y, "child", D(2000, 1, 1))
        ids = (home.id, x.id, y.id)

    def make_head(person_id: int, on: dt.date) -> Any:
        def action(session: Any) -> None:
            services.change_head(session, site, clerk, session.get(Household, ids[0]),
                                 session.get(Person, person_id), on)
        return action

    outcomes = _two_clerks(site, make_head(ids[1], D(2020, 1, 1)), make_head(ids[2], D(2021, 1, 1)))
    with site.db.read() as session:
        heads = session.exec(select(Membership).where(Membership.household_id == ids[0],
                                                      Membership.relation == "head",
                                                      col(Membership.end_date).is_(None))).all()
    assert len(heads) == 1
    # Both may succeed one after the other (the second sees the first's head and replaces it), never together.
    assert all(o is None or isinstance(o, DomainError) for o in outcomes), outcomes
