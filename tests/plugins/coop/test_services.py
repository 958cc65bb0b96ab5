"""The co-op's services on a real database: membership rules (SQLite and PostgreSQL), capital, trades, the year
close with its posted distribution, corrections, exits, annual reports and the weighted assembly."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from cunwu.audit.models import AuditEntry
from cunwu.notices.models import Notice
from cunwu.testing import check_violation, unique_violation
from cunwu_plugins.coop import services
from cunwu_plugins.coop.models import Contribution, Cooperative, Member, Trade, YearClose
from cunwu_plugins.coop.services import Charter, CoopError, NewMember

from .conftest import CLERK, CREDIT_CODES, VILLAGE, contribute, make_coop, person, trade

D = Decimal


def _add(site, coop_id, entries):
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        return services.add_members(session, site, CLERK, coop, entries)


def _count(site, model):
    with site.db.read() as session:
        return len(session.exec(select(model)).all())


def test_membership_rules_enforced_on_both_databases(site_factory, dialect):
    site = site_factory(enabled=["coop"], dialect=dialect)
    coop_id, _members = make_coop(site, farmers=4, organisations=1)  # 80 % farmers, one organisation: lawful
    before = _count(site, Member)
    # a second organisation with ≤ 20 members breaks the organisation rule → refused, nothing written
    with pytest.raises(CoopError, match="20 名以下时至多 1 个"):
        _add(site, coop_id, [NewMember("organisation", dt.date(2024, 1, 1), name="某公司",
                                       credit_code=CREDIT_CODES[1])])
    # a non-farmer person would bring farmers to 4/6 = 66.67 % → refused
    with site.db.transaction() as session:
        outsider = person(session, site).id
    with pytest.raises(CoopError, match=r"农民成员 4 名，占 66\.66%"):
        _add(site, coop_id, [NewMember("person", dt.date(2024, 1, 1), person_id=outsider)])
    assert _count(site, Member) == before
    # a farmer is welcome; then the non-farmer fits (5/7 = 71 % still fails; add farmers first)
    with site.db.transaction() as session:
        farmers = [person(session, site).id for _ in range(4)]
    _add(site, coop_id, [NewMember("farmer", dt.date(2024, 1, 1), person_id=p) for p in farmers])
    _add(site, coop_id, [NewMember("person", dt.date(2024, 1, 1), person_id=outsider)])  # 8/10 farmers
    with site.db.read() as session:
        checks = services.roll_checks(session, services.get_cooperative(session, coop_id))
    assert all(c.ok for c in checks)
    assert checks[1].message == "农民成员 8 名，占 80%（至少 80%）"


def test_founding_roll_and_refusals(site_factory, dialect):
    site = site_factory(enabled=["coop"], dialect=dialect)
    coop_id, members = make_coop(site, farmers=5)
    assert len(members) == 5
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        with pytest.raises(CoopError, match="不在村登记簿中"):
            services.add_members(session, site, CLERK, coop, [NewMember("farmer", dt.date(2024, 1, 1),
                                                                        person_id=999999)])
        member = services.get_member(session, coop, members[0])
        with pytest.raises(CoopError, match="已是本社成员"):
            services.add_members(session, site, CLERK, coop, [NewMember("farmer", dt.date(2024, 1, 1),
                                                                        person_id=member.person_id)])
    with site.db.transaction() as session, pytest.raises(CoopError, match="已登记过合作社"):
        services.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="重复社",
                                    credit_code=CREDIT_CODES[0], registered_on=dt.date(2023, 1, 1),
                                    charter=Charter(10, 60))
    with site.db.transaction() as session, pytest.raises(CoopError, match="统一社会信用代码 91110000600037341X 无效"):
        services.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="坏代码社",
                                    credit_code="91110000600037341x", registered_on=dt.date(2023, 1, 1),
                                    charter=Charter(10, 60))
    with site.db.transaction() as session, pytest.raises(CoopError, match="不得低于可分配盈余的 60%"):
        services.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="五成社",
                                    credit_code=CREDIT_CODES[1], registered_on=dt.date(2023, 1, 1),
                                    charter=Charter(10, 59))
    with site.db.transaction() as session, pytest.raises(CoopError, match="不得超过 20%"):
        services.create_cooperative(session, site, CLERK, village_code=VILLAGE, name="多票社",
                                    credit_code=CREDIT_CODES[1], registered_on=dt.date(2023, 1, 1),
                                    charter=Charter(10, 60, additional_votes_percent=21))
    assert _count(site, Cooperative) == 1


def test_database_refuses_what_the_services_refuse(site_factory, dialect):
    site = site_factory(enabled=["coop"], dialect=dialect)
    coop_id, members = make_coop(site)
    from cunwu.audit import services as audit

    patronage = check_violation("ck_coop_cooperative_patronage_at_least_60")
    with pytest.raises(IntegrityError, match=patronage), site.db.transaction() as session:
        coop = session.get(Cooperative, coop_id)
        audit.update(session, CLERK, coop, {"patronage_percent": 59}, "test")
    kind = check_violation("ck_coop_contribution_kind")
    with pytest.raises(IntegrityError, match=kind), site.db.transaction() as session:
        audit.create(session, CLERK, Contribution(village_code=VILLAGE, cooperative_id=coop_id, member_id=members[0],
                                                  kind="labour", amount=D("100"), contributed_on=dt.date(2024, 1, 1)))
    with pytest.raises(IntegrityError, match=unique_violation("coop_member")), site.db.transaction() as session:
        member = session.get(Member, members[0])
        audit.create(session, CLERK, Member(village_code=VILLAGE, cooperative_id=coop_id, number=99, kind="farmer",
                                            person_id=member.person_id, name="x", joined_on=dt.date(2024, 1, 1)))


def test_contributions_refuse_labour_credit_claims(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    for kind, word in (("labour", "劳务"), ("credit", "信用"), ("claim", "债权")):
        with pytest.raises(CoopError, match=f"不能以{word}作价出资"):
            contribute(site, coop_id, members[0], "100.00", dt.date(2024, 1, 5), kind=kind)
    with pytest.raises(CoopError, match="大于 0"):
        contribute(site, coop_id, members[0], "-1.00", dt.date(2024, 1, 5))
    contribute(site, coop_id, members[0], "3000.00", dt.date(2024, 1, 5))
    contribute(site, coop_id, members[0], "1500.00", dt.date(2024, 2, 5), kind="in_kind")
    assert _count(site, Contribution) == 2
    with site.db.read() as session:
        coop = services.get_cooperative(session, coop_id)
        account = services.account(session, coop, services.get_member(session, coop, members[0]))
    assert account.capital == D("4500.00")


def test_trades_bad_input_writes_nothing(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with pytest.raises(CoopError, match="数量应大于 0"):
        trade(site, coop_id, members[0], "10.00", dt.date(2024, 5, 1), quantity="-5")
    with pytest.raises(CoopError, match="非成员交易请填写交易对象"):
        trade(site, coop_id, None, "10.00", dt.date(2024, 5, 1))
    with pytest.raises(CoopError, match="不是本社成员"):
        trade(site, coop_id, members[0], "10.00", dt.date(2022, 5, 1))
    assert _count(site, Trade) == 0
    trade(site, coop_id, members[0], "10.00", dt.date(2024, 5, 1))
    trade(site, coop_id, None, "99.00", dt.date(2024, 5, 1), counterparty="县粮站")
    with site.db.read() as session:
        turnover = services.turnover(session, services.get_cooperative(session, coop_id), 2024)
    assert (turnover.members, turnover.non_members, turnover.count) == (D("10.00"), D("99.00"), 2)


def _close(site, coop_id, year, surplus, **kwargs):
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        close = services.close_year(session, site, CLERK, coop, year, surplus=D(surplus), **kwargs)
        return close.id


def test_year_close_posts_the_distribution_and_settles_an_exit(site_factory, dialect):
    site = site_factory(enabled=["coop"], dialect=dialect)
    coop_id, members = make_coop(site, farmers=6)
    for index, member_id in enumerate(members):
        contribute(site, coop_id, member_id, f"{1000 * (index + 1)}.00", dt.date(2024, 1, 10))
    for member_id, amount in zip(members, ["3000.00", "2000.00", "1500.00", "700.00", "0.01", "1234.56"],
                                 strict=True):
        trade(site, coop_id, member_id, amount, dt.date(2024, 6, 1))
    trade(site, coop_id, None, "5000.00", dt.date(2024, 7, 1), counterparty="县粮站")
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        year = services.give_exit_notice(session, site, CLERK, coop, services.get_member(session, coop, members[3]),
                                         dt.date(2024, 9, 30))
    assert year == 2024
    close_id = _close(site, coop_id, 2024, "12345.67", losses_made_good=D("1000.00"), subsidy_assets=D("600.00"))
    with site.db.read() as session:
        close = session.get(YearClose, close_id)
        coop = services.get_cooperative(session, coop_id)
        lines = services.allocations_of(session, close)
        notice = session.get(Notice, close.notice_id)
        leaver = services.get_member(session, coop, members[3])
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "coop.allocation.create")).all()
    assert (close.reserve, close.distributable) == (D("1134.57"), D("10211.10"))
    assert close.patronage_pool == D("6126.66") and close.member_turnover == D("8434.57")
    assert close.nonmember_turnover == D("5000.00")
    assert sum(a.patronage + a.other for a, _m in lines) == D("10211.10")
    assert sum(a.subsidy_added for a, _m in lines) == D("600.00")  # 100.00 each, equal by default
    assert {a.subsidy_added for a, _m in lines} == {D("100.00")}
    assert sum(a.reserve_added for a, _m in lines) == D("1134.57")  # by transactions (model charter)
    assert [a.after["@batch"]["rows"] for a in audited] == [6]  # one audited act: the close's lines in one batch
    assert notice.stream == "finance" and "盈余分配公示" in notice.title
    assert len(notice.data_table["rows"]) == 6 and notice.data_table["rows"][0][1] == lines[0][1].name
    assert leaver.exited_on == dt.date(2024, 12, 31)
    leaving_line = next(a for a, m in lines if m.id == members[3])
    assert leaving_line.refund_contribution == D("4000.00")
    assert leaving_line.refund_reserve == leaving_line.reserve_share > 0
    # the closed year is immutable: no trade or contribution may be added to it, and closing again needs a reason
    with pytest.raises(CoopError, match="已决算"):
        trade(site, coop_id, members[0], "1.00", dt.date(2024, 12, 1))
    with pytest.raises(CoopError, match="更正决算须说明理由"):
        _close(site, coop_id, 2024, "12345.67")
    corrected = _close(site, coop_id, 2024, "12000.00", losses_made_good=D("1000.00"), subsidy_assets=D("600.00"),
                       reason="审计调减盈余")
    with site.db.read() as session:
        versions = services.close_versions(session, services.get_cooperative(session, coop_id), 2024)
        current = session.get(YearClose, corrected)
    assert [(v.version, v.is_current) for v in versions] == [(2, True), (1, False)]
    assert current.distributable == D("9900.00") and current.reason == "审计调减盈余"


def test_close_refuses_an_open_year_and_nothing_to_return(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with pytest.raises(CoopError, match="尚未结束"):
        _close(site, coop_id, 2999, "1.00")
    contribute(site, coop_id, members[0], "100.00", dt.date(2024, 1, 10))
    with pytest.raises(CoopError, match="没有成员交易额"):
        _close(site, coop_id, 2024, "100.00")
    assert _count(site, YearClose) == 0


def test_exit_notice_after_september_leaves_next_year(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site)
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        member = services.get_member(session, coop, members[0])
        assert services.give_exit_notice(session, site, CLERK, coop, member, dt.date(2024, 10, 1)) == 2025


def test_annual_report_state():
    coop = Cooperative(village_code=VILLAGE, name="x", credit_code=CREDIT_CODES[0], registered_on=dt.date(2023, 5, 1),
                       created_at=dt.datetime(2023, 5, 1, tzinfo=dt.UTC))
    state = services.report_state(coop, set(), dt.date(2024, 3, 1))
    assert (state.due_year, state.overdue_years) == (2023, [])
    state = services.report_state(coop, set(), dt.date(2024, 7, 1))
    assert (state.due_year, state.overdue_years) == (None, [2023])
    assert services.report_state(coop, {2023}, dt.date(2024, 6, 30)).ok
    assert services.report_state(coop, set(), dt.date(2023, 12, 31)).ok


def test_weighted_assembly(site_factory):
    site = site_factory(enabled=["coop"])
    coop_id, members = make_coop(site, farmers=10, additional_votes=20)
    for index, member_id in enumerate(members):
        contribute(site, coop_id, member_id, f"{(index + 1) * 100}.00", dt.date(2024, 1, 10))
    with site.db.transaction() as session:
        coop = services.get_cooperative(session, coop_id)
        assembly = services.hold_assembly(session, site, CLERK, coop, held_on=dt.date(2024, 3, 1), title="年度大会",
                                          present=members[:7])
        # 2 additional votes (20 % of 10), by contribution: the two largest contributors
        assert assembly.additional_votes == {str(members[9]): 1, str(members[8]): 1}
        assert assembly.quorum_met
        ballots = {m: "for" for m in members[:6]} | {members[6]: "against"}
        ordinary = services.put_resolution(session, site, CLERK, assembly, kind="ordinary", title="年度分配方案",
                                           ballots=ballots)
        charter = services.put_resolution(session, site, CLERK, assembly, kind="charter", title="修改章程",
                                          ballots=ballots)
        assert (ordinary.total_votes, ordinary.votes_for, ordinary.passed) == (12, 6, False)  # 6/12 is not > 1/2
        assert charter.passed is False
        small = services.hold_assembly(session, site, CLERK, coop, held_on=dt.date(2024, 4, 1), title="临时会",
                                       present=members[:6])
        assert small.quorum_met is False
        with pytest.raises(CoopError, match="不足三分之二"):
            services.put_resolution(session, site, CLERK, small, kind="ordinary", title="x", ballots={})


def test_concurrent_closes_and_joins_on_postgresql(site_factory, pg):
    """Two clerks close the same year at once: one close is written, the other is told the year is closed. Two
    joins at once get different member numbers. (The co-op row is locked for every change that depends on it.)"""
    import threading

    site = site_factory(enabled=["coop"], dialect=pg)
    coop_id, members = make_coop(site)
    for member_id in members:
        contribute(site, coop_id, member_id, "100.00", dt.date(2024, 1, 5))
        trade(site, coop_id, member_id, "50.00", dt.date(2024, 5, 1))
    with site.db.transaction() as session:
        newcomers = [person(session, site).id for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def close_it() -> None:
        barrier.wait()
        try:
            _close(site, coop_id, 2024, "1000.00")
            outcomes.append("closed")
        except CoopError as error:
            outcomes.append(error.message)

    def join(person_id: int) -> None:
        barrier.wait()
        _add(site, coop_id, [NewMember("farmer", dt.date(2025, 1, 2), person_id=person_id)])

    threads = [threading.Thread(target=close_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(outcomes) == 2 and outcomes.count("closed") == 1
    assert any("更正决算须说明理由" in outcome for outcome in outcomes)
    threads = [threading.Thread(target=join, args=(p,)) for p in newcomers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with site.db.read() as session:
        assert len(session.exec(select(YearClose)).all()) == 1
        numbers = sorted(m.number for m in session.exec(select(Member)).all())
    assert numbers == [1, 2, 3, 4, 5, 6, 7]


def _three_coops(site):
    """Three co-ops with awkward figures: an exit at the close, a year already closed (then corrected), subsidies."""
    made = []
    for index, (farmers, patronage, reserve) in enumerate(((6, 60, 10), (7, 75, 0), (5, 100, 15))):
        coop_id, members = make_coop(site, farmers=farmers, credit_code=CREDIT_CODES[index], patronage=patronage,
                                     reserve=reserve)
        for position, member_id in enumerate(members):
            contribute(site, coop_id, member_id, f"{333 * (position + 1) + index}.33", dt.date(2023, 6, 1))
            trade(site, coop_id, member_id, f"{(position * 7919) % 1000 + 1}.{position}{index}", dt.date(2024, 5, 2))
        trade(site, coop_id, None, "777.77", dt.date(2024, 8, 8), counterparty="县粮站")
        made.append((coop_id, members))
    with site.db.transaction() as session:
        first = services.get_cooperative(session, made[0][0])
        services.give_exit_notice(session, site, CLERK, first, services.get_member(session, first, made[0][1][2]),
                                  dt.date(2024, 9, 1))
    trade(site, made[1][0], made[1][1][0], "250.00", dt.date(2023, 7, 1))
    _close(site, made[1][0], 2023, "500.00")  # an earlier closed year, for the carried shares
    _close(site, made[1][0], 2024, "100.00")  # closed already: the joint close below corrects it
    return made


def _figures(site, made):
    with site.db.read() as session:
        found = []
        for coop_id, _members in made:
            coop = services.get_cooperative(session, coop_id)
            close = services.get_close(session, coop, 2024)
            found.append((close.version, close.reserve, close.distributable, close.patronage_pool, close.other_pool,
                          close.member_turnover, close.nonmember_turnover, close.notice_id is not None))
            found += [(m.number, m.exited_on, a.trade_amount, a.contribution, a.reserve_added, a.reserve_share,
                       a.subsidy_added, a.subsidy_share, a.patronage, a.other, a.refund_contribution,
                       a.refund_reserve) for a, m in services.allocations_of(session, close)]
    return found


def test_closing_many_coops_at_once_matches_closing_each_alone(site_factory, dialect):
    """`close_years` is set-based across co-ops; every figure, to the fen, equals what one close per co-op gives."""
    figures = [(D("12345.67"), D("1000.00"), D("600.00")), (D("9999.99"), D("0.00"), D("0.00")),
               (D("0.03"), D("0.00"), D("0.07"))]
    alone, together = (site_factory(enabled=["coop"], dialect=dialect) for _ in range(2))
    made_alone, made_together = _three_coops(alone), _three_coops(together)
    for (coop_id, _m), (surplus, losses, subsidy) in zip(made_alone, figures, strict=True):
        _close(alone, coop_id, 2024, str(surplus), losses_made_good=losses, subsidy_assets=subsidy,
               reason="更正" if coop_id == made_alone[1][0] else "")
    with together.db.transaction() as session:
        orders = [services.CloseOrder(services.get_cooperative(session, coop_id), surplus, losses, subsidy,
                                      "更正" if index == 1 else "")
                  for index, ((coop_id, _m), (surplus, losses, subsidy)) in enumerate(zip(made_together, figures,
                                                                                        strict=True))]
        closes = services.close_years(session, together, CLERK, 2024, orders)
    assert [c.version for c in closes] == [1, 2, 1]
    assert _figures(together, made_together) == _figures(alone, made_alone)


def test_a_refused_order_writes_nothing_for_any_coop(site_factory):
    site = site_factory(enabled=["coop"])
    made = _three_coops(site)
    before = _count(site, YearClose)
    with site.db.transaction() as session:
        orders = [services.CloseOrder(services.get_cooperative(session, coop_id), D("100.00"))
                  for coop_id, _m in made]
        with pytest.raises(CoopError, match="已决算（第 1 版）。更正决算须说明理由"):
            services.close_years(session, site, CLERK, 2024, orders)
        session.rollback()
    assert _count(site, YearClose) == before
    with site.db.read() as session:
        assert session.exec(select(Member).where(col(Member.exited_on).is_not(None))).all() == []
