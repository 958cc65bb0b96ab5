"""Demo meetings for every demo village: a year of quarterly representative meetings, a villagers' meeting that
delegates homestead and compensation matters, party meetings, and three 四议两公开 matters — one complete with both
notices, one stopped by a failed quorum and re-proposed, one just begun. Runs after the register's demo data and
goes through the same services a clerk uses (so the audit chain and the notice board are filled as in real use),
but for the sign-ins, written as one audited batch per meeting."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today, utcnow
from cunwu.db.types import LOCAL_TZ
from cunwu.meetings import matters, services
from cunwu.meetings.models import Attendance, Matter, Meeting, Motion
from cunwu.meetings.rules import MeetingKind, QuorumMode

if TYPE_CHECKING:
    from cunwu.plugin_types import DemoContext
    from cunwu.runtime import Site

QUARTERLY_TOPICS = [
    ["审议本年度村集体收支预算", "审议村内道路维修方案"],
    ["审议春季农田水利维修计划", "审议村庄环境整治方案"],
    ["审议集体机动地租赁方案", "审议困难群众临时救助名单"],
    ["审议冬季清洁取暖改造方案", "审议下一年度工作计划"],
]


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ)


def _hold(
    session: Session, site: Site, actor: Actor, rng: random.Random, village_code: str, kind: MeetingKind,
    day: dt.date, motions: Sequence[str], *, share: float = 0.85, matter: Matter | None = None,
    title: str = "", paper: bool = False, against: int = 1,
) -> tuple[Meeting, list[Motion]]:
    """Schedule, open, sign in about `share` of the members, vote each motion by a show of hands, close.

    The sign-ins are written as one audited batch (`audit.insert_batch`), the rows `services.sign_in` would write one
    entry each for: a county build signs in ~400 people per village."""
    meeting = services.schedule_meeting(
        session, site, actor, village_code=village_code, kind=kind, starts_at=_at(day), title=title,
        location="村委会会议室", agenda=list(motions), notice_on=day - dt.timedelta(days=10 if paper else 3),
        quorum_mode=QuorumMode.households if paper else QuorumMode.persons, chair="", recorder="",
    )
    services.open_meeting(session, site, actor, meeting)
    total = meeting.members_total or 0
    present = min(total, max(0, round(total * share)))
    if paper:
        households = min(meeting.households_total or 0, round((meeting.households_total or 0) * share))
        services.record_counts(session, site, actor, meeting, persons=max(present, households), households=households)
    else:
        members = services.meeting_members(session, meeting)
        signed_in_at = utcnow()
        audit.insert_batch(session, actor, Attendance, [
            {"village_code": village_code, "meeting_id": meeting.id, "member_id": member.id,
             "signed_in_at": signed_in_at} for member in rng.sample(members, present)],
            "meetings.attendance.sign_in")
    voted: list[Motion] = []
    quorum = services.meeting_quorum(session, site, meeting)
    if quorum.met:
        for title_of_motion in motions:
            motion = services.put_motion(session, site, actor, meeting, title=title_of_motion, matter=matter)
            large = quorum.present >= 10  # small committees decide unanimously in the demo
            no = against if large else 0
            abstain = rng.randint(0, 2) if large else 0
            services.record_vote_counts(session, site, actor, motion, votes_for=quorum.present - no - abstain,
                                        against=no, abstain=abstain)
            voted.append(motion)
    minutes = "与会人员对议程逐项讨论，按规定程序表决。" if quorum.met else "到会人数不足法定人数，会议未作决定。"
    services.close_meeting(session, site, actor, meeting, minutes=minutes)
    return meeting, voted


def _step(session: Session, site: Site, actor: Actor, rng: random.Random, matter: Matter, step: int,
          kind: MeetingKind, day: dt.date, *, share: float = 0.85) -> None:
    meeting, motions = _hold(session, site, actor, rng, matter.village_code, kind, day,
                             [f"{matter.title}（第{step}步）"], share=share, matter=matter)
    matters.record_step(session, site, actor, matter, step, meeting=meeting, motion=motions[0] if motions else None,
                        origin="党支部提议" if step == 1 else "", content=matter.summary)


def build(session: Session, site: Site, demo: DemoContext) -> None:
    actor = Actor.system("demo")
    today = local_today()
    for entry in site.config.villages:
        rng = random.Random(demo.rng.random())
        code = entry.code
        reps_kind = MeetingKind.representatives
        for quarter, topics in enumerate(QUARTERLY_TOPICS):
            day = today - dt.timedelta(days=330 - quarter * 90)
            meeting, _motions = _hold(session, site, actor, rng, code, reps_kind, day, topics,
                                      share=rng.uniform(0.72, 0.95))
            if quarter == len(QUARTERLY_TOPICS) - 1:
                services.publish_resolution(session, site, actor, meeting)
        assembly_day = today - dt.timedelta(days=200)
        assembly, delegating = _hold(
            session, site, actor, rng, code, MeetingKind.villagers, assembly_day,
            ["授权村民代表会议讨论决定宅基地使用方案和征地补偿费分配方案"], share=0.74, paper=True,
            title=f"{entry.name}村民会议")
        if delegating:
            services.create_delegation(session, site, actor, delegating[0], scope=["homestead", "land_compensation"],
                                       valid_from=assembly_day, valid_until=assembly_day + dt.timedelta(days=3 * 365))
            services.publish_resolution(session, site, actor, assembly)
        for months_ago in (5, 3, 1):
            day = today - dt.timedelta(days=30 * months_ago)
            _hold(session, site, actor, rng, code, MeetingKind.party_members, day,
                  ["学习传达上级会议精神", "讨论发展党员工作"], share=0.8, against=0)
        start = today - dt.timedelta(days=25)
        branch, _h = services.derive_members(session, site, code, MeetingKind.party_branch, start)
        if not branch:
            continue  # the demo register has no branch in office yet on that date
        homestead = matters.open_matter(session, site, actor, village_code=code, matter_type="homestead",
                                   title="2026年度宅基地使用方案", summary="新增宅基地12处，按申请先后和人口安排。",
                                   opened_on=start)
        for step, kind, offset in ((1, MeetingKind.party_branch, 0), (2, MeetingKind.two_committees, 2),
                                   (3, MeetingKind.party_members, 4), (4, MeetingKind.representatives, 6)):
            _step(session, site, actor, rng, homestead, step, kind, start + dt.timedelta(days=offset))
        matters.record_step(session, site, actor, homestead, 5, held_on=start + dt.timedelta(days=7),
                            notice_title="2026年度宅基地使用方案决议公告",
                            notice_body="经村民代表会议表决通过（依村民会议授权），现予公告。")
        matters.record_step(session, site, actor, homestead, 6, held_on=start + dt.timedelta(days=19),
                            notice_title="2026年度宅基地使用方案实施结果公开",
                            notice_body="12处宅基地已按方案安排完毕，名单见村委会。")
        square_start = today - dt.timedelta(days=18)
        square = matters.open_matter(session, site, actor, village_code=code, matter_type="other",
                                     title="修建村文化广场", summary="在村东空地修建文化广场约1500平方米。",
                                     opened_on=square_start)
        _step(session, site, actor, rng, square, 1, MeetingKind.party_branch, square_start)
        _step(session, site, actor, rng, square, 2, MeetingKind.two_committees, square_start + dt.timedelta(days=1))
        _step(session, site, actor, rng, square, 3, MeetingKind.party_members, square_start + dt.timedelta(days=3),
              share=0.5)  # below 2/3: the matter stops
        again = matters.repropose(session, site, actor, square, opened_on=square_start + dt.timedelta(days=6))
        for step, kind, offset in ((1, MeetingKind.party_branch, 6), (2, MeetingKind.two_committees, 7),
                                   (3, MeetingKind.party_members, 9)):
            _step(session, site, actor, rng, again, step, kind, square_start + dt.timedelta(days=offset))
        wells = matters.open_matter(session, site, actor, village_code=code, matter_type="other",
                                    title="更新农田机井", summary="更新村南农田机井4眼。",
                                    opened_on=today - dt.timedelta(days=3))
        _step(session, site, actor, rng, wells, 1, MeetingKind.party_branch, today - dt.timedelta(days=3))
        demo.progress("村务会议", 1)
