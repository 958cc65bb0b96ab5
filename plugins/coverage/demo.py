"""Demo coverage (after the register, the meetings and the co-ops): most villages fully covered, some missing one
type, so the county dashboard has something to show — founding dates, a 综治工作站 and a patrol team with their
meetings, two or three work sub-areas, household groups of 10–15 (one village left half-assigned, one with an
oversized group), a collective economic organisation in all but the second village, supervision-committee meetings
in the meetings module, and monthly snapshots for the trend (six; two at county scale)."""

from __future__ import annotations

import datetime as dt
import random

from sqlmodel import Session

from cunwu.api import LOCAL_TZ, Actor, DemoContext, Site, local_today, meetings, registry

from . import services

CLERK = Actor(user_id=None, username="clerk", display_name="文书")
SUPERVISION_TOPICS = ["监督本季度村务公开和财务收支", "审核集体资产租赁合同"]


def _supervision_meeting(session: Session, site: Site, code: str, day: dt.date) -> None:
    meeting = meetings.schedule_meeting(
        session, site, CLERK, village_code=code, kind="supervision",
        starts_at=dt.datetime(day.year, day.month, day.day, 15, tzinfo=LOCAL_TZ), title="村务监督委员会会议",
        location="村委会会议室", agenda=SUPERVISION_TOPICS, notice_on=day - dt.timedelta(days=3))
    meetings.open_meeting(session, site, CLERK, meeting)
    for member in meetings.meeting_members(session, meeting):
        meetings.sign_in(session, site, CLERK, meeting, member.id)  # type: ignore[arg-type]
    meetings.close_meeting(session, site, CLERK, meeting, minutes="委员逐项审核，未发现问题。")


def _groups(session: Session, site: Site, code: str, rng: random.Random, *, leave_out: int = 0,
            oversize: bool = False) -> None:
    homes = [h for h in registry.households(session, code) if h.head is not None]
    if leave_out:
        homes = homes[:-leave_out]
    sizes: list[int] = []
    remaining = len(homes)
    while remaining > 0:
        size = min(remaining, 18 if oversize and not sizes else rng.randint(10, 15))
        sizes.append(size)
        remaining -= size
    start = 0
    placements = {}
    for number, size in enumerate(sizes, start=1):
        chunk = homes[start:start + size]
        start += size
        group = services.create_group(session, site, CLERK, code, number, f"{number}组联防",
                                      int(chunk[0].head.id))  # type: ignore[union-attr]
        placements.update({int(h.household.id): int(group.id) for h in chunk})  # type: ignore[arg-type]
    services.assign(session, site, CLERK, code, placements)


def build(session: Session, site: Site, demo: DemoContext) -> None:
    today = local_today()
    codes = [v.code for v in site.config.villages]
    rng = demo.rng
    for index, code in enumerate(codes):
        demo.progress("coverage", 1)
        for kind, years in (("party", 30), ("villagers_committee", 25), ("representative_meeting", 20),
                            ("supervision_committee", 8)):
            services.save_organisation(session, site, CLERK, code, kind,
                                       founded_on=dt.date(today.year - years - index % 3, 3 + index % 6, 1))
        if index % 4 != 3:  # every fourth village has not held its supervision meetings this year
            for months_ago in (8, 2):
                _supervision_meeting(session, site, code, today - dt.timedelta(days=30 * months_ago + index))
        adults = registry.adults(session, code)  # leaders by village index, wrapping round in a county of hundreds
        if index != len(codes) - 1:  # the last village has no 综治工作站 yet
            founded = today - dt.timedelta(days=30 * (2 + index % 5) + 10)
            station = services.save_organisation(session, site, CLERK, code, "station", name="综治工作站",
                                                 founded_on=founded, members=rng.randint(4, 7),
                                                 leader=adults[index % len(adults)].name)
            for offset in (5, 40):
                if founded + dt.timedelta(days=offset) <= today:
                    services.record_meeting(session, site, CLERK, station, founded + dt.timedelta(days=offset),
                                            "研判矛盾纠纷")
        patrol = services.save_organisation(session, site, CLERK, code, "patrol_team", name="治安巡防队",
                                            founded_on=dt.date(today.year - 3, 5, 1), members=rng.randint(8, 20),
                                            leader=adults[(index + 3) % len(adults)].name)
        for months_ago in (10, 6, 3, 1):
            services.record_meeting(session, site, CLERK, patrol, today - dt.timedelta(days=30 * months_ago),
                                    "巡防排班会")
        for number in range(1, 3 + index % 2):
            services.save_organisation(session, site, CLERK, code, "work_subarea", name=f"第{number}片区",
                                       founded_on=dt.date(today.year - 2, 4, 1), leader=adults[10 + number].name)
        if index != 1:  # the collective economic organisation (the second village's is not reorganised yet)
            collective = services.save_organisation(
                session, site, CLERK, code, "economic", name=f"{site.village(code).name}股份经济合作社",
                founded_on=dt.date(2019, 6, 1 + index % 30), members=rng.randint(5, 9), leader=adults[20].name)
            for months_ago in (9, 4):
                services.record_meeting(session, site, CLERK, collective, today - dt.timedelta(days=30 * months_ago),
                                        "成员代表大会")
        _groups(session, site, code, rng, leave_out=7 if index == 2 else 0, oversize=index == 0)
    months = 6 if demo.scale == "demo" else 2  # each snapshot measures every village: keep the county build short
    for months_ago in range(months - 1, -1, -1):
        day = today - dt.timedelta(days=30 * months_ago)
        services.take_snapshot(session, site, day)
