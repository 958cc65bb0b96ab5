"""Derivations from the register, the meetings module and the co-op plugin (enabled or not); recording what is not
derived; bad input refused with nothing written; household-group invariants held by the database on SQLite and
PostgreSQL; monthly snapshots idempotent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from cunwu.api import audit, utcnow
from cunwu.audit.models import AuditEntry
from cunwu.testing import unique_violation
from cunwu_plugins.coverage import services
from cunwu_plugins.coverage.models import (
    GroupMembership,
    HouseholdGroup,
    Organisation,
    OrganisationMeeting,
    Snapshot,
    TownshipMonth,
)
from cunwu_plugins.coverage.services import CoverageError

from .conftest import CLERK, OTHER_VILLAGE, THIRD_VILLAGE, VILLAGE, days_ago, hold, meet, one, record, village


def _count(site: Any, model: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_register_and_meetings_make_party_and_self_governance(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    village(site)
    for kind in ("party_branch", "party_members", "two_committees", "two_committees", "representatives",
                 "representatives", "supervision"):
        hold(site, VILLAGE, kind, days_ago(30))
    hold(site, VILLAGE, "supervision", days_ago(366))  # outside the 12 months: not counted
    cov = one(site)
    party, committee = cov.orgs["party"], cov.orgs["villagers_committee"]
    reps, supervision = cov.orgs["representative_meeting"], cov.orgs["supervision_committee"]
    assert (party.members, party.meetings, party.leader, party.covers) == (3, 2, "H户主1", True)
    assert (committee.members, committee.meetings, committee.leader, committee.covers) == (3, 2, "H户主4", True)
    assert (reps.members, reps.meetings, reps.leader, reps.covers) == (3, 2, "H户主4", True)
    assert (supervision.members, supervision.meetings, supervision.shortfalls) == (3, 1, ["meetings"])
    assert party.sources["members"] == "register" and party.sources["meetings"] == "meetings"
    assert cov.types == {"party": True, "self_governance": False, "economic": False, "order": False}
    # enrolled: 3 party members (also branch officers), 6 other officers, 3 representatives = 12 of 24 adults
    assert (cov.adults, cov.enrolled) == (24, 12)
    hold(site, VILLAGE, "supervision", days_ago(2))
    assert one(site).types["self_governance"] is True


def test_economic_organisations_come_from_the_coop_plugin_only_when_it_is_enabled(site_factory: Any) -> None:
    from cunwu_plugins.coop import services as coop
    from cunwu_plugins.coop.services import Charter, NewMember

    with_coop = site_factory(enabled=["coop", "coverage"], slug="with")
    without = site_factory(enabled=["coverage"], slug="without")
    for site in (with_coop, without):
        built = village(site)
        with site.db.transaction() as session:
            made = coop.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="东街果蔬专业合作社",
                                           credit_code="91110000600037341L", registered_on=dt.date(2023, 3, 1),
                                           charter=Charter(reserve_percent=10, patronage_percent=60)) \
                if site is with_coop else None
            if made is not None:
                members = coop.add_members(session, site, CLERK, made, [
                    NewMember("farmer", dt.date(2023, 3, 1), person_id=p.id) for p in built.spouses[3:8]])
                coop.hold_assembly(session, site, CLERK, made, held_on=days_ago(100), title="成员大会",
                                   present=[m.id for m in members])
    found = one(with_coop).economic
    assert [(v.name, v.members, v.meetings, v.sources["members"], v.shortfalls) for v in found] == [
        ("东街果蔬专业合作社", 5, 1, "农民专业合作社", ["meetings"])]
    assert found[0].url.startswith(f"/v/{VILLAGE}/p/coop/")
    assert one(with_coop).enrolled == 12 + 5  # the co-op's members count as enrolled
    assert one(without).economic == [] and one(without).types["economic"] is False
    with with_coop.db.transaction() as session:
        made = coop.cooperatives(session, [VILLAGE])[0]
        coop.hold_assembly(session, with_coop, CLERK, made, held_on=days_ago(10), title="成员大会",
                           present=[m.id for m in coop.roll(session, made)])
    assert one(with_coop).types["economic"] is True


def test_order_and_stability_three_plus_one(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    station = record(site, VILLAGE, "station", name="综治工作站", founded_on=dt.date(2020, 1, 1), members=5,
                     leader="王站长")
    patrol = record(site, VILLAGE, "patrol_team", name="巡防队", founded_on=dt.date(2020, 1, 1), members=12,
                    leader="李队长")
    meet(site, VILLAGE, station, days_ago(10), days_ago(200))
    meet(site, VILLAGE, patrol, days_ago(10), days_ago(400))
    record(site, VILLAGE, "work_subarea", name="东片", leader="张片长")
    with site.db.transaction() as session:
        group = services.create_group(session, site, CLERK, VILLAGE, 1, "一组", int(built.heads[0].id))
        services.assign(session, site, CLERK, VILLAGE, {h.id: int(group.id) for h in built.homes[:11]})
    cov = one(site)
    assert cov.orgs["station"].covers and cov.orgs["patrol_team"].shortfalls == ["meetings"]
    assert (cov.groups.households, cov.groups.assigned, cov.groups.groups) == (12, 11, 1)
    assert cov.groups.shortfalls() == ["unassigned"] and cov.types["order"] is False
    meet(site, VILLAGE, patrol, days_ago(5))
    with site.db.transaction() as session:
        group = services.groups_of(session, VILLAGE)[0]
        services.assign(session, site, CLERK, VILLAGE, {built.homes[11].id: int(group.id)})  # type: ignore[arg-type]
    cov = one(site)
    assert cov.types["order"] is True and cov.groups.wrong_size == 0


def test_bad_input_is_refused_with_nothing_written(site_factory: Any) -> None:
    site = site_factory(enabled=["coverage"])
    built = village(site)
    other = village(site, OTHER_VILLAGE, households=2, prefix="W")
    hold(site, VILLAGE, "representatives", days_ago(20))
    before = (_count(site, Organisation), _count(site, AuditEntry))
    tomorrow = days_ago(-1)
    with pytest.raises(CoverageError, match=r"成立日期 .* 不能晚于今天"), site.db.transaction() as session:
        services.save_organisation(session, site, CLERK, VILLAGE, "station", name="综治工作站", founded_on=tomorrow)
    with pytest.raises(CoverageError, match="填写的近 12 个月会议 3 次与会议模块记录的 1 次不符"), \
            site.db.transaction() as session:
        services.save_organisation(session, site, CLERK, VILLAGE, "representative_meeting",
                                   founded_on=dt.date(2000, 1, 1), meetings_declared=3)
    assert (_count(site, Organisation), _count(site, AuditEntry)) == before
    party = record(site, VILLAGE, "party", founded_on=dt.date(1990, 7, 1), meetings_declared=None)
    with pytest.raises(CoverageError, match="村党组织的会议以会议模块为准"), site.db.transaction() as session:
        services.record_meeting(session, site, CLERK, services.get_organisation(session, VILLAGE, party),
                                days_ago(3))
    station = record(site, VILLAGE, "station", name="综治工作站", founded_on=days_ago(30), members=4)
    with pytest.raises(CoverageError, match="早于成立日期"), site.db.transaction() as session:
        services.record_meeting(session, site, CLERK, services.get_organisation(session, VILLAGE, station),
                                days_ago(31))
    with site.db.transaction() as session:
        group = services.create_group(session, site, CLERK, VILLAGE, 1, "", int(built.heads[0].id))
        services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: int(group.id)})  # type: ignore[arg-type]
        second = services.create_group(session, site, CLERK, VILLAGE, 2)
        elsewhere = services.create_group(session, site, CLERK, OTHER_VILLAGE, 1)
        ids = (int(group.id), int(second.id), int(elsewhere.id))  # type: ignore[arg-type]
    written = (_count(site, GroupMembership), _count(site, AuditEntry))
    with pytest.raises(CoverageError, match=f"第 {ids[2]} 号小组不在本村"), site.db.transaction() as session:
        services.assign(session, site, CLERK, VILLAGE, {built.homes[1].id: ids[0], built.homes[2].id: ids[2]})
    with pytest.raises(CoverageError, match="不是本村的在册农户"), site.db.transaction() as session:
        services.assign(session, site, CLERK, VILLAGE, {other.homes[0].id: ids[0]})
    with pytest.raises(CoverageError, match="组长应是本村在册村民"), site.db.transaction() as session:
        services.set_leader(session, site, CLERK, session.get(HouseholdGroup, ids[1]), int(other.heads[0].id))
    assert (_count(site, GroupMembership), _count(site, AuditEntry)) == written
    with site.db.read() as session:
        assert session.exec(select(OrganisationMeeting)).all() == []


def test_household_in_two_groups_and_group_of_another_village_refused_by_the_database(site_factory: Any,
                                                                                       dialect: str) -> None:
    site = site_factory(enabled=["coverage"], dialect=dialect)
    built = village(site, households=2)
    with site.db.transaction() as session:
        first = services.create_group(session, site, CLERK, VILLAGE, 1)
        second = services.create_group(session, site, CLERK, VILLAGE, 2)
        elsewhere = services.create_group(session, site, CLERK, THIRD_VILLAGE, 1)
        services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: int(first.id)})  # type: ignore[arg-type]
        ids = int(first.id), int(second.id), int(elsewhere.id)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError, match=unique_violation("coverage_group_member")), \
            site.db.transaction() as session:
        audit.create(session, CLERK, GroupMembership(village_code=VILLAGE, group_id=ids[1],
                                                     household_id=built.homes[0].id))
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"), site.db.transaction() as session:
        audit.create(session, CLERK, GroupMembership(village_code=VILLAGE, group_id=ids[2],
                                                     household_id=built.homes[1].id))
    with pytest.raises(IntegrityError, match=unique_violation("coverage_household_group")), \
            site.db.transaction() as session:
        audit.create(session, CLERK, HouseholdGroup(village_code=VILLAGE, number=1))
    with pytest.raises(IntegrityError, match=unique_violation("coverage_organisation")), \
            site.db.transaction() as session:
        audit.create_many(session, CLERK, [Organisation(village_code=VILLAGE, kind="station", name="甲"),
                                           Organisation(village_code=VILLAGE, kind="station", name="乙")])
    with site.db.transaction() as session:  # moving a household is an update of its one row, not a second row
        services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: ids[1]})
    with site.db.read() as session:
        rows = session.exec(select(GroupMembership)).all()
    assert [(r.household_id, r.group_id) for r in rows] == [(built.homes[0].id, ids[1])]


def test_snapshot_is_idempotent_per_month(site_factory: Any, dialect: str) -> None:
    site = site_factory(enabled=["coverage"], dialect=dialect)
    village(site)
    day = days_ago(0)
    with site.db.transaction() as session:
        assert services.take_snapshot(session, site, day) == (3, 0)
    hold(site, VILLAGE, "party_branch", days_ago(1))
    hold(site, VILLAGE, "party_members", days_ago(1))
    with site.db.transaction() as session:
        assert services.take_snapshot(session, site, day) == (0, 3)
        assert services.take_snapshot(session, site, day) == (0, 3)  # again: the same rows
    with site.db.read() as session:
        rows = session.exec(select(Snapshot).where(Snapshot.village_code == VILLAGE)).all()
        assert [(r.month, r.party) for r in rows] == [(day.replace(day=1), True)]
    earlier = day - dt.timedelta(days=40)  # before the party's meetings: not covered then
    with site.db.transaction() as session:
        assert services.take_snapshot(session, site, earlier) == (3, 0)
    assert _count(site, Snapshot) == 6
    with site.db.read() as session:
        months = services.trend(session, [VILLAGE, OTHER_VILLAGE, THIRD_VILLAGE])
    assert [(m, r.covered["party"], r.villages) for m, r in months] == [
        (earlier.replace(day=1), 0, 3), (day.replace(day=1), 1, 3)]


def test_two_clerks_placing_the_same_household_at_once_on_postgresql(site_factory: Any, pg: str) -> None:
    """The second placement waits on the unique index, then is refused with a message; one row stays."""
    import threading

    site = site_factory(enabled=["coverage"], dialect=pg)
    built = village(site, households=2)
    with site.db.transaction() as session:
        ids = [int(services.create_group(session, site, CLERK, VILLAGE, n).id) for n in (1, 2)]  # type: ignore[arg-type]
    flushed, checked = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def first() -> None:
        with site.db.transaction() as session:
            services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: ids[0]})
            flushed.set()
            checked.wait(10)
            threading.Event().wait(0.5)  # let the second one reach the unique index and wait there

    def second() -> None:
        flushed.wait(10)
        try:
            with site.db.transaction() as session:
                checked.set()
                services.assign(session, site, CLERK, VILLAGE, {built.homes[0].id: ids[1]})
        except CoverageError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(errors) == 1 and "刚被他人编入小组" in errors[0].message
    with site.db.read() as session:
        rows = session.exec(select(GroupMembership)).all()
    assert [(r.household_id, r.group_id) for r in rows] == [(built.homes[0].id, ids[0])]


def test_dashboard_reads_the_township_counts_take_snapshot_keeps(site_factory: Any, dialect: str) -> None:
    """`take_snapshot` keeps each township's counts for the month beside its rows (rewritten, not added, when run
    again); `dashboard` answers from them for a reader who sees whole townships — the figures `overview` and
    `trend` count from the rows — and from the rows themselves for a reader who sees part of a township."""
    villages = [("130926100201", "东街村", "肃宁镇"), ("130926100202", "西街村", "肃宁镇"),
                ("130926100203", "南关村", "肃宁镇"), ("130926101201", "梁家村", "梁家村镇")]
    site = site_factory(enabled=["coverage"], villages=villages, dialect=dialect)
    this_month = days_ago(0).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    for _run in range(2):
        with site.db.transaction() as session:
            services.take_snapshot(session, site)
    with site.db.read() as session:
        kept = sorted((r.month, r.township, r.villages, r.party, r.all_four) for r in session.exec(
            select(TownshipMonth)).all())
    assert kept == [(this_month, "130926100", 3, 0, 0), (this_month, "130926101", 1, 0, 0)]  # empty villages
    flags = {"130926100201": (True, True, True, True), "130926100202": (False, True, True, False),
             "130926100203": (True, True, False, True), "130926101201": (False, False, True, True)}
    with site.db.transaction() as session:  # last month's rows, counted as take_snapshot counts them
        for code, (party, self_governance, economic, order) in flags.items():
            session.add(Snapshot(village_code=code, month=last_month, party=party, self_governance=self_governance,
                                 economic=economic, order_stability=order, adults=10, enrolled=5,
                                 taken_at=utcnow(), reasons={}))
        session.flush()
        services.count_townships(session, last_month, {"130926100", "130926101"})
        row = session.exec(select(TownshipMonth).where(TownshipMonth.month == last_month,
                                                       TownshipMonth.township == "130926100")).one()
        assert (row.villages, row.party, row.self_governance, row.economic, row.order_stability,
                row.all_four) == (3, 2, 3, 2, 2, 1)

    def figures(found: services.Overview) -> Any:
        return ({name: (r.villages, r.covered) for name, r in found.townships.items()},
                (found.county.villages, found.county.covered), found.as_of, found.unsnapshotted)

    for codes in (list(site.villages), ["130926100201", "130926101201"]):  # whole townships; part of one
        with site.db.read() as session:
            fast, months = services.dashboard(session, site, codes)
            slow, slow_months = services.overview(session, site, codes, reasons=False), services.trend(session, codes)
        assert figures(fast) == figures(slow) and fast.villages == []
        assert [(m, r.villages, r.covered) for m, r in months] == [(m, r.villages, r.covered) for m, r in slow_months]
    assert [(m, r.villages, r.covered["party"], r.covered["all"]) for m, r in months] == [
        (last_month, 2, 1, 1), (this_month, 2, 0, 0)]


def test_dashboard_counts_in_the_database_what_overview_and_trend_count_in_python(site_factory: Any) -> None:
    """`dashboard` (one query grouped by month and township) gives the rates, counts and trend `overview` and
    `trend` give from the rows, and falls back to them while the month's snapshot lacks a village."""
    villages = [("130926100201", "东街村", "肃宁镇"), ("130926100202", "西街村", "肃宁镇"),
                ("130926100203", "南关村", "肃宁镇"), ("130926101201", "梁家村", "梁家村镇")]
    site = site_factory(enabled=["coverage"], villages=villages)
    this_month = days_ago(0).replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    flags = {"130926100201": (True, True, True, True), "130926100202": (False, True, True, False),
             "130926100203": (False, True, False, True), "130926101201": (False, False, True, True)}
    with site.db.transaction() as session:
        for month in (this_month, last_month):
            for code, (party, self_governance, economic, order) in flags.items():
                if month != this_month:
                    party = not party
                session.add(Snapshot(village_code=code, month=month, party=party, self_governance=self_governance,
                                     economic=economic, order_stability=order, adults=10, enrolled=5,
                                     taken_at=utcnow(), reasons={}))
    codes = list(site.villages)

    def figures(found: services.Overview) -> Any:
        return ({name: (r.villages, r.covered) for name, r in found.townships.items()},
                (found.county.villages, found.county.covered), found.as_of, found.unsnapshotted)

    with site.db.read() as session:
        fast, months = services.dashboard(session, site, codes)
        slow, slow_months = services.overview(session, site, codes, reasons=False), services.trend(session, codes)
    assert figures(fast) == figures(slow)
    assert fast.villages == [] and len(slow.villages) == 4  # counted by the database, no line per village
    assert [(m, r.villages, r.covered) for m, r in months] == [(m, r.villages, r.covered) for m, r in slow_months]
    assert list(fast.townships) == ["肃宁镇", "梁家村镇"]
    assert fast.county.covered == {"party": 1, "self_governance": 3, "economic": 3, "order": 3, "all": 1}
    assert [r.covered["party"] for _m, r in months] == [3, 1]  # last month the flags were the other way round
    with site.db.transaction() as session:  # a village without this month's row: measured live, as overview does
        session.delete(session.exec(select(Snapshot).where(Snapshot.village_code == "130926101201",
                                                           Snapshot.month == this_month)).one())
    with site.db.read() as session:
        fast, _months = services.dashboard(session, site, codes)
        slow = services.overview(session, site, codes, reasons=False)
    assert fast.unsnapshotted == 1 and figures(fast) == figures(slow) and len(fast.villages) == 4
