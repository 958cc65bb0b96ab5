"""A plausible register for every demo village: groups, households of 1–7, valid IDs, representatives, offices.

Villages are dominated by two or three surnames, as in the north China plain; names, ages, flags and phones follow
rough real proportions. `demo.scale == "county"` builds ~250,000 people over the site's villages for benchmarks.
Everything is written through the audit service's bulk path as plain rows (`insert_batch`: one entry per batch
committing to every row, no ORM objects), in batches.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, SQLModel

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.i18n import _
from cunwu.registry.models import Group, Household, Membership, Office, Person, Representation, Representative
from cunwu.registry.resident_id import generate_resident_id

if TYPE_CHECKING:
    from cunwu.plugin_types import DemoContext
    from cunwu.runtime import Site

#: A record being built: column → value (the rows handed to `audit.insert_batch`, with "id" once inserted).
Row = dict[str, Any]

COUNTY_CODE = "130926"
COUNTY_PERSONS = 250_000
BATCH_HOUSEHOLDS = 1500
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
MALE_CHARS = "建国志强长海国庆文杰明华春生德明振宇海涛永刚金山立新树林保平俊峰学军红旗卫东家兴福田富贵广才"
FEMALE_CHARS = "秀英红梅玉兰小燕丽娟桂芳淑珍凤霞春兰秀兰美玲翠花海燕晓静雪梅金凤慧敏丽华彩云月娥素琴"
ETHNICITIES = ["汉族"] * 97 + ["回族", "满族", "蒙古族"]


@dataclass
class _Village:
    code: str
    rng: random.Random
    surnames: list[str]
    used_ids: set[str]
    today: dt.date
    people: list[Row] = field(default_factory=list)


def _name(v: _Village, sex: str, surname: str | None = None) -> str:
    chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
    surname = surname or _surname(v)
    return surname + v.rng.choice(chars) + v.rng.choice(chars)


def _surname(v: _Village) -> str:
    """Two or three surnames dominate a village; the rest are scattered."""
    return v.rng.choices(v.surnames, weights=[8, 5, 3, *[1] * (len(v.surnames) - 3)])[0]


def _born(v: _Village, age: int) -> dt.date:
    return v.today - dt.timedelta(days=age * 365 + age // 4 + v.rng.randint(1, 364))


def _person(v: _Village, sex: str, age: int, surname: str | None = None) -> Row:
    born = _born(v, max(0, age))
    while True:
        sequence = v.rng.randrange(0, 500) * 2 + (1 if sex == "M" else 0)
        number = generate_resident_id(COUNTY_CODE, born, sequence)
        if number not in v.used_ids:
            v.used_ids.add(number)
            break
    adult = age >= 18
    person = {
        "village_code": v.code, "name": _name(v, sex, surname), "sex": sex, "birth_date": born, "resident_id": number,
        "phone": f"1{v.rng.choice('3578')}{v.rng.randint(0, 9)}{v.rng.randint(10_000_000, 99_999_999)}"
        if adult and v.rng.random() < 0.75 else None,
        "ethnicity": v.rng.choice(ETHNICITIES),
        "status": "away" if 20 <= age <= 50 and v.rng.random() < 0.25 else "resident",
        "party_member": adult and v.rng.random() < (0.09 if sex == "M" else 0.05),
        "active_soldier": sex == "M" and 18 <= age <= 24 and v.rng.random() < 0.05,
        "disabled_veteran": sex == "M" and age >= 50 and v.rng.random() < 0.004,
        "student": 6 <= age <= 22 and v.rng.random() < 0.92,
        "disability_grade": v.rng.randint(1, 4) if v.rng.random() < 0.025 else None,
    }
    if sex == "F" and 22 <= age <= 40 and v.rng.random() < 0.08:
        person["gave_birth_on"] = v.today - dt.timedelta(days=v.rng.randint(10, 700))
    return person


def _family(v: _Village) -> list[tuple[Row, str]]:
    """A household of 1–7: head, usually a spouse, children, sometimes parents or grandchildren."""
    surname = _surname(v)
    head_sex = "M" if v.rng.random() < 0.82 else "F"
    head_age = v.rng.randint(26, 82)
    members = [(_person(v, head_sex, head_age, surname if head_sex == "M" else None), "head")]
    if v.rng.random() < 0.85:
        spouse_sex = "F" if head_sex == "M" else "M"
        spouse_age = max(20, head_age + v.rng.randint(-5, 3))
        members.append((_person(v, spouse_sex, spouse_age, surname if spouse_sex == "M" else None), "spouse"))
    size = v.rng.choices([1, 2, 3, 4, 5, 6, 7], weights=[8, 22, 25, 22, 13, 7, 3])[0]
    children_ages = [head_age - v.rng.randint(22, 36) for _ in range(max(0, min(3, size - len(members))))]
    for age in children_ages:
        if age >= 0:
            sex = v.rng.choice("MF")
            members.append((_person(v, sex, age, surname if sex == "M" else None), "child"))
    if len(members) < size and head_age < 55 and v.rng.random() < 0.5:
        members.append((_person(v, "F", head_age + v.rng.randint(24, 32), None), "parent"))
    if len(members) < size and head_age > 58:
        age = head_age - v.rng.randint(46, 58)
        if age >= 0:
            members.append((_person(v, v.rng.choice("MF"), age, surname), "grandchild"))
    return members[:7]


def build(session: Session, site: Site, demo: DemoContext) -> None:
    actor = Actor.system("demo")
    rng: random.Random = demo.rng
    today = local_today()
    villages = site.config.villages
    used: set[str] = set()
    per_village_persons = COUNTY_PERSONS // len(villages) if demo.scale == "county" else None
    for entry in villages:
        v = _Village(entry.code, random.Random(rng.random()), rng.sample(SURNAMES[:20], 3) + list(SURNAMES[20:26]),
                     used, today)
        groups = [{"village_code": entry.code, "number": n, "name": _("第%(n)s村民小组", n=n)}
                  for n in range(1, v.rng.randint(2, 6) + 1)]
        _insert(session, actor, Group, groups, "registry.group.demo")
        target_households = v.rng.randint(150, 400) if per_village_persons is None else per_village_persons // 3
        households: list[Row] = []
        number = 0
        while number < target_households:
            batch_households: list[Row] = []
            batch_people: list[tuple[Row, Row, str]] = []
            for _i in range(min(BATCH_HOUSEHOLDS, target_households - number)):
                number += 1
                group = v.rng.choice(groups)
                created = dt.date(v.rng.randint(1985, 2018), v.rng.randint(1, 12), v.rng.randint(1, 28))
                household = {"village_code": entry.code, "number": f"{number:04d}",
                             "address": _("%(village)s%(group)s组%(n)s号", village=entry.name,
                                          group=group["number"], n=v.rng.randint(1, 300)),
                             "group_id": group["id"], "created_on": created}
                batch_households.append(household)
                batch_people += [(household, p, rel) for p, rel in _family(v)]
            _insert(session, actor, Household, batch_households, "registry.household.demo")
            _insert(session, actor, Person, [p for _h, p, _r in batch_people], "registry.person.demo")
            memberships = [{"village_code": entry.code, "household_id": household["id"], "person_id": person["id"],
                            "relation": relation, "start_date": max(household["created_on"], person["birth_date"])}
                           for household, person, relation in batch_people]
            _insert(session, actor, Membership, memberships, "registry.membership.demo")
            v.people += [p for _h, p, _r in batch_people]
            households += batch_households
            demo.progress(_("村民登记"), len(batch_households))
        _demo_representatives(session, actor, v, households)
        _demo_offices(session, actor, v)


def _insert(session: Session, actor: Actor, model: type[SQLModel], rows: list[Row], action: str) -> None:
    """Write the rows through the audit service and give each its id."""
    for row, id_ in zip(rows, audit.insert_batch(session, actor, model, rows, action), strict=True):
        row["id"] = id_


def _adults(v: _Village, sex: str | None = None) -> list[Row]:
    return [p for p in v.people
            if 23 <= v.today.year - p["birth_date"].year <= 68 and (sex is None or p["sex"] == sex)]


def _demo_representatives(session: Session, actor: Actor, v: _Village, households: list[Row]) -> None:
    """One representative per ~10 neighbouring households; every third one a woman (women ≥ 1/3)."""
    term_start = dt.date(v.today.year - 1 if v.today.month >= 5 else v.today.year - 2, 5, 1)
    term_end = term_start.replace(year=term_start.year + 5)
    women, men = _adults(v, "F"), _adults(v, "M")
    v.rng.shuffle(women)
    v.rng.shuffle(men)
    chunks = [households[i:i + 10] for i in range(0, len(households), 10)]
    if len(chunks) > 1 and len(chunks[-1]) < 5:
        last = chunks.pop()
        chunks[-1] = chunks[-1] + last
    reps = [{"village_code": v.code, "person_id": (women.pop() if i % 3 == 0 else men.pop())["id"],
             "term_start": term_start, "term_end": term_end} for i in range(len(chunks))]
    _insert(session, actor, Representative, reps, "registry.representative.demo")
    links = [{"village_code": v.code, "representative_id": rep["id"], "household_id": h["id"],
              "start_date": term_start} for rep, chunk in zip(reps, chunks, strict=True) for h in chunk]
    _insert(session, actor, Representation, links, "registry.representation.demo")


def _demo_offices(session: Session, actor: Actor, v: _Village) -> None:
    """Villagers' committee of 5 with a woman, party branch of 3–5 party members, supervision committee of 3."""
    term_start = dt.date(2021, 5, 1) if v.today < dt.date(2026, 5, 1) else dt.date(2026, 5, 1)
    term_end = term_start.replace(year=term_start.year + 5)
    party = [p for p in _adults(v) if p["party_member"]]
    v.rng.shuffle(party)
    others = _adults(v)
    v.rng.shuffle(others)
    taken: set[int] = set()

    def pick(pool: list[Row], sex: str | None = None) -> int:
        """The id of the first person in `pool` not yet holding an office here."""
        person = next(p for p in pool if p["id"] not in taken and (sex is None or p["sex"] == sex))
        taken.add(person["id"])
        return int(person["id"])

    def office(person_id: int, body: str, post: str) -> Row:
        return {"village_code": v.code, "person_id": person_id, "body": body, "post": post,
                "term_start": term_start, "term_end": term_end}

    branch_size = v.rng.randint(3, 5)
    secretary = pick(party)
    offices = [office(secretary, "party_branch", "secretary")]
    offices += [office(pick(party), "party_branch", "deputy_secretary" if i == 0 else "member")
                for i in range(branch_size - 1)]
    # The party secretary usually chairs the villagers' committee too (一肩挑).
    committee = [(secretary, "chair"), (pick(others, "F"), "member"), (pick(party), "vice_chair"),
                 (pick(others), "member"), (pick(others), "member")]
    offices += [office(person_id, "villagers_committee", post) for person_id, post in committee]
    offices += [office(pick(others), "supervision_committee", "chair" if i == 0 else "member") for i in range(3)]
    _insert(session, actor, Office, offices, "registry.office.demo")
