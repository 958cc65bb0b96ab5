"""Coverage test helpers: a village whose register, meetings and (optionally) co-op make every derived fact known,
with hand-checked numbers (docs/coverage.md)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from cunwu.api import LOCAL_TZ, Actor, local_today, meetings
from cunwu.testing import Member, build_register
from cunwu_plugins.coverage import services

VILLAGE = "130926100201"
OTHER_VILLAGE = "130926100202"
THIRD_VILLAGE = "130926101201"
CLERK = Actor.system("test-clerk")


def hold(site: Any, code: str, kind: str, day: dt.date) -> None:
    """A closed meeting of `kind` on `day` with everyone entitled present."""
    with site.db.transaction() as session:
        meeting = meetings.schedule_meeting(
            session, site, CLERK, village_code=code, kind=kind,
            starts_at=dt.datetime(day.year, day.month, day.day, 9, tzinfo=LOCAL_TZ), title="会议",
            agenda=["议题"], notice_on=day - dt.timedelta(days=7), post_notice=False)
        meetings.open_meeting(session, site, CLERK, meeting)
        for member in meetings.meeting_members(session, meeting):
            meetings.sign_in(session, site, CLERK, meeting, member.id)  # type: ignore[arg-type]
        meetings.close_meeting(session, site, CLERK, meeting, minutes="记录")


def village(site: Any, code: str = VILLAGE, households: int = 12, prefix: str = "H") -> SimpleNamespace:
    """`households` two-adult households, three of whose heads are party members; a party branch (secretary + 2),
    villagers' committee (chair + 2), supervision committee (chair + 2) and three representatives — 3 members each
    (with at least 9 households). No meetings yet."""
    with build_register(site, village=code) as reg:
        homes = [reg.household(f"{prefix}{n:03d}", [Member(f"{prefix}户主{n}", party_member=n <= 3),
                                                      Member(f"{prefix}配偶{n}", sex="F", relation="spouse")])
                 for n in range(1, households + 1)]
        heads = [h.head for h in homes]
        spouses = [h.members[1] for h in homes]
        if households >= 9:  # smaller villages in a test have households only
            for person, post in zip(heads[:3], ("secretary", "member", "member"), strict=True):
                reg.office(person, body="party_branch", post=post)
            for person, post in zip(heads[3:6], ("chair", "vice_chair", "member"), strict=True):
                reg.office(person, body="villagers_committee", post=post)
            for person, post in zip(heads[6:9], ("chair", "member", "member"), strict=True):
                reg.office(person, body="supervision_committee", post=post)
            for person in spouses[:3]:
                reg.representative(person, households=[homes[0]])
    return SimpleNamespace(code=code, homes=homes, heads=heads, spouses=spouses)


def days_ago(n: int) -> dt.date:
    return local_today() - dt.timedelta(days=n)


def record(site: Any, code: str, kind: str, **fields: Any) -> int:
    with site.db.transaction() as session:
        return int(services.save_organisation(session, site, CLERK, code, kind, **fields).id)  # type: ignore[arg-type]


def meet(site: Any, code: str, org_id: int, *days: dt.date) -> None:
    with site.db.transaction() as session:
        org = services.get_organisation(session, code, org_id)
        for day in days:
            services.record_meeting(session, site, CLERK, org, day, "例会")


def one(site: Any, code: str = VILLAGE) -> services.VillageCoverage:
    with site.db.read() as session:
        return services.coverage(session, site, [code])[0]
