"""A small village register for the meetings tests, written straight through the audit service.

東街村 (130926100201) on 2025-06-01: 12 households in two groups (1–6, 7–12), each a head (M), a spouse (F) and a
child of 10: 24 villagers aged 18+.
- representatives: heads 1–5 and spouses 6–9 (9; 4 women); villagers' committee: heads 10, 11 and spouse 11 →
  representative meeting of 12 members;
- party branch: heads 10, 12 and spouse 12; two committees: branch + committee = 5 (head 10 sits on both);
- supervision committee: spouses 1–3; party members: heads 1, 2, 10, 11, 12 and spouse 12 (6).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import Session, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import LOCAL_TZ
from cunwu.meetings import services
from cunwu.meetings.models import Meeting, MeetingMember, Motion
from cunwu.registry.models import Group, Household, Membership, Office, Person, Representation, Representative

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
SYSTEM = Actor.system("test")
START = dt.date(2000, 1, 1)
TERM = (dt.date(2021, 1, 1), dt.date(2031, 1, 1))


@dataclass
class TestVillage:
    code: str
    people: dict[str, int] = field(default_factory=dict)  # name -> person id
    households: list[int] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)

    def ids(self, *names: str) -> list[int]:
        return [self.people[name] for name in names]


_serial = iter(range(1, 10**6))


def _resident_id() -> str:
    return f"130926198001{next(_serial):06d}"


def populate(session: Any, code: str = VILLAGE, *, prefix: str = "") -> TestVillage:
    """Write the village described in the module docstring (names get `prefix` to tell villages apart)."""
    village = TestVillage(code)
    for number in (1, 2):
        group = Group(village_code=code, number=number, name=f"{number}组")
        audit.create(session, SYSTEM, group)
        village.groups.append(group.id)
    for n in range(1, 13):
        household = Household(village_code=code, number=f"{n:03d}", address=f"{n}号",
                              group_id=village.groups[0 if n <= 6 else 1], created_on=START)
        audit.create(session, SYSTEM, household)
        village.households.append(household.id)
        for relation, label, sex, born in (("head", "户主", "M", dt.date(1970, 3, 1)),
                                           ("spouse", "配偶", "F", dt.date(1972, 5, 1)),
                                           ("child", "子女", "M", dt.date(2015, 1, 1))):
            name = f"{prefix}{label}{n:02d}"
            person = Person(village_code=code, name=name, sex=sex, birth_date=born, resident_id=_resident_id(),
                            party_member=name.removeprefix(prefix) in
                            {"户主01", "户主02", "户主10", "户主11", "户主12", "配偶12"})
            audit.create(session, SYSTEM, person)
            audit.create(session, SYSTEM, Membership(village_code=code, household_id=household.id,
                                                     person_id=person.id, relation=relation, start_date=START))
            village.people[name] = person.id
    reps = [f"户主{n:02d}" for n in range(1, 6)] + [f"配偶{n:02d}" for n in range(6, 10)]
    for i, name in enumerate(reps):
        rep = Representative(village_code=code, person_id=village.people[prefix + name], term_start=TERM[0],
                             term_end=TERM[1])
        audit.create(session, SYSTEM, rep)
        audit.create(session, SYSTEM, Representation(village_code=code, representative_id=rep.id,
                                                     household_id=village.households[i], start_date=TERM[0]))
    offices = {
        "villagers_committee": [("户主10", "chair"), ("户主11", "vice_chair"), ("配偶11", "member")],
        "party_branch": [("户主10", "secretary"), ("户主12", "deputy_secretary"), ("配偶12", "member")],
        "supervision_committee": [("配偶01", "chair"), ("配偶02", "member"), ("配偶03", "member")],
    }
    for body, holders in offices.items():
        for name, post in holders:
            audit.create(session, SYSTEM, Office(village_code=code, person_id=village.people[prefix + name],
                                                 body=body, post=post, term_start=TERM[0], term_end=TERM[1]))
    return village


CLERK = Actor(user_id=None, username="clerk-test", display_name="文书")
DAY = dt.date(2025, 6, 1)


def at(day: dt.date = DAY, hour: int = 9) -> dt.datetime:
    """A meeting time on `day` in China."""
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def schedule(session: Session, site: Any, kind: str, *, day: dt.date = DAY, village: str = VILLAGE,
             **kwargs: Any) -> Meeting:
    kwargs.setdefault("notice_on", day - dt.timedelta(days=10))
    return services.schedule_meeting(session, site, CLERK, village_code=village, kind=kind, starts_at=at(day),
                                     **kwargs)


def members(session: Session, meeting: Meeting) -> list[MeetingMember]:
    return list(session.exec(select(MeetingMember).where(MeetingMember.meeting_id == meeting.id)
                             .order_by(MeetingMember.position)).all())


def sign_in_first(session: Session, site: Any, meeting: Meeting, count: int) -> list[MeetingMember]:
    """Sign in the first `count` members of the snapshot."""
    chosen = members(session, meeting)[:count]
    for member in chosen:
        services.sign_in(session, site, CLERK, meeting, member.id)
    return chosen


def held_meeting(
    session: Session, site: Any, kind: str, *, present: int | None = None,
    votes: tuple[int, int, int] | None = None, title: str = "议案", matter: Any = None, day: dt.date = DAY,
    **kwargs: Any,
) -> tuple[Meeting, Motion | None]:
    """Schedule, open, sign in `present` (default: everyone), put one motion and vote it by counts (default: all
    for) when quorate, then close. Returns the closed meeting and its motion (None without quorum)."""
    meeting = schedule(session, site, kind, day=day, **kwargs)
    services.open_meeting(session, site, CLERK, meeting)
    sign_in_first(session, site, meeting, (meeting.members_total or 0) if present is None else present)
    motion = None
    if services.meeting_quorum(session, site, meeting).met:
        motion = services.put_motion(session, site, CLERK, meeting, title=title, matter=matter)
        present_now = services.meeting_quorum(session, site, meeting).present
        votes_for, against, abstain = votes or (present_now, 0, 0)
        services.record_vote_counts(session, site, CLERK, motion, votes_for=votes_for, against=against,
                                    abstain=abstain)
    services.close_meeting(session, site, CLERK, meeting, minutes="会议记录")
    return meeting, motion


@pytest.fixture
def h() -> SimpleNamespace:
    """The helpers above, for test modules (conftest modules are not importable under importlib mode)."""
    return SimpleNamespace(CLERK=CLERK, DAY=DAY, at=at, schedule=schedule, members=members,
                           sign_in_first=sign_in_first, held_meeting=held_meeting, populate=populate)


@pytest.fixture
def village_site(site_factory: Any, dialect: str) -> Iterator[tuple[Any, TestVillage]]:
    """A site (on both databases) with the test village registered in 东街村 and a copy in 西街村."""
    site = site_factory(dialect=dialect)
    with site.db.transaction() as session:
        village = populate(session)
        populate(session, OTHER_VILLAGE, prefix="西")
    yield site, village


@pytest.fixture
def make_site(site_factory: Any) -> Callable[..., tuple[Any, TestVillage]]:
    """A SQLite site with extra `[core.meetings]` settings and the test village."""

    def build(extra_toml: str = "", **kwargs: Any) -> tuple[Any, TestVillage]:
        site = site_factory(extra_toml=extra_toml, **kwargs)
        with site.db.transaction() as session:
            village = populate(session)
        return site, village

    return build
