"""The land rules on SQLite and PostgreSQL: codes, the area over time, terms, frozen plots, consent, attorney,
the priority posting, filing with its rent ledger, termination."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from cunwu.api import frozen_clock, raise_objection
from cunwu.audit import services as audit
from cunwu_plugins.land import codes, services
from cunwu_plugins.land.models import RentInstalment, Transfer, TransferPlot
from cunwu_plugins.land.services import LandError, PlotInput

from .conftest import CLERK, CREDIT_CODE, VILLAGE, contract, make_transfer

TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)


@pytest.fixture
def land_site(site_factory: Any, dialect: str) -> Any:
    return site_factory(enabled=["land"], dialect=dialect)


def test_codes() -> None:
    assert codes.issuer_code(VILLAGE, 3) == "13092610020103"
    assert codes.check_plot_code("1309261002010300001", VILLAGE) is None
    assert "不属于本村" in codes.check_plot_code("1309261002020300001", VILLAGE)
    assert "19 位数字" in codes.check_plot_code("13092610020103", VILLAGE)
    assert codes.check_contract_code("130926100201000001J", "130926100201000001") is None
    assert "J 或 Q" in codes.check_contract_code("130926100201000001X", "130926100201000001")
    assert codes.check_credit_code(CREDIT_CODE) is None
    assert "无效" in codes.check_credit_code(CREDIT_CODE[:-1] + ("0" if CREDIT_CODE[-1] != "0" else "1"))


def test_plot_input_errors_name_the_field(land_site: Any) -> None:
    with land_site.db.transaction() as session, pytest.raises(LandError, match="不属于本村") as caught:
        services.register_plot(session, land_site, CLERK, VILLAGE, PlotInput(
            code="1309261002020000001", name="", area_mu=Decimal("0")))
    fields = {p.field for p in caught.value.problems}
    assert fields == {"code", "name", "area_mu"}


def test_area_exact_and_never_over_the_plot_on_any_date(land_site: Any) -> None:
    land = contract(land_site, areas=("5.3333",))
    plot = land.plot_ids[0]
    with frozen_clock(TODAY):
        make_transfer(land_site, land, {plot: "3.3333"}, start_on=dt.date(2026, 1, 1), end_on=dt.date(2030, 1, 1))
        # later years, same plot: the 2 亩 left, and from 2030 the whole plot again
        make_transfer(land_site, land, {plot: "2"}, start_on=dt.date(2027, 1, 1), end_on=dt.date(2035, 1, 1))
        make_transfer(land_site, land, {plot: "3.3333"}, start_on=dt.date(2030, 1, 1), end_on=dt.date(2036, 1, 1))
        with pytest.raises(LandError, match=r"已流转 5\.3333 亩，只剩 0\.0000 亩") as caught:
            make_transfer(land_site, land, {plot: "0.0001"}, start_on=dt.date(2029, 6, 1),
                          end_on=dt.date(2029, 7, 1))
        assert caught.value.problems[0].field == f"area_{plot}"
        with pytest.raises(LandError, match="超过地块面积"):
            make_transfer(land_site, land, {plot: "6"}, start_on=dt.date(2040, 1, 1), end_on=dt.date(2041, 1, 1))
    with land_site.db.read() as session:
        areas = sorted(r.area_mu for r in session.exec(select(TransferPlot)).all())
    assert areas == [Decimal("2.0000"), Decimal("3.3333"), Decimal("3.3333")]


def test_the_database_itself_refuses_an_over_transfer(land_site: Any) -> None:
    land = contract(land_site, areas=("5",))
    with frozen_clock(TODAY):
        make_transfer(land_site, land, {land.plot_ids[0]: "4"})
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "1"})
    with land_site.db.read() as session:
        transfer = services.get_transfer(session, VILLAGE, ref)
    area = 20000 if land_site.db.url.startswith("sqlite") else Decimal(2)
    with pytest.raises(DBAPIError, match="land_plot_over_transferred"), land_site.db.transaction() as session:
        session.execute(text("UPDATE land_transfer_plot SET area_mu = :a WHERE transfer_id = :t"),
                        {"a": area, "t": transfer.id})


def test_term_within_the_contract_and_agricultural_use(land_site: Any) -> None:
    land = contract(land_site, extended=False)
    with frozen_clock(TODAY), pytest.raises(LandError, match="只能用于农业生产") as caught:
        make_transfer(land_site, land, end_on=dt.date(2030, 1, 1), use="factory")
    assert {p.field for p in caught.value.problems} == {"end_on", "use"}
    assert any("承包期到 2028-01-01 为止" in p.message for p in caught.value.problems)


def test_swap_is_not_a_transfer_and_shares_go_to_an_organisation(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY), pytest.raises(LandError, match="互换和转让改变承包权"):
        make_transfer(land_site, land, form="swap")
    with frozen_clock(TODAY), pytest.raises(LandError, match="入股只能入股到"):
        make_transfer(land_site, land, form="shares", transferee_kind="outsider", transferee_name="张三")
    with frozen_clock(TODAY), pytest.raises(LandError, match=r"统一社会信用代码.*无效"):
        make_transfer(land_site, land, transferee_credit_code=CREDIT_CODE[:-1])


def test_a_disputed_plot_is_frozen_until_closed(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "2"})
        with land_site.db.transaction() as session:
            plot = services.get_plot(session, VILLAGE, land.plot_codes[0])
            dispute = services.open_dispute(session, land_site, CLERK, plot, parties="王大、李四",
                                            subject="地界争议", opened_on=dt.date(2026, 1, 5))
            dispute_id = dispute.id
        with pytest.raises(LandError, match="已冻结，不能流转"):
            make_transfer(land_site, land, {land.plot_ids[0]: "1"})
        with pytest.raises(LandError, match="已冻结，不能备案"), land_site.db.transaction() as session:
            services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))
        with land_site.db.transaction() as session:
            dispute = services.get_dispute(session, VILLAGE, dispute_id)
            services.add_step(session, land_site, CLERK, dispute, kind="village_mediation",
                              on_date=dt.date(2026, 1, 6), outcome="未达成一致")
            with pytest.raises(LandError, match="不能倒退"):
                services.add_step(session, land_site, CLERK, dispute, kind="negotiation",
                                  on_date=dt.date(2026, 1, 7), outcome="再协商")
        with land_site.db.transaction() as session:
            dispute = services.get_dispute(session, VILLAGE, dispute_id)
            services.add_step(session, land_site, CLERK, dispute, kind="township_mediation",
                              on_date=dt.date(2026, 1, 8), outcome="调解成功，按原界")
            services.close_dispute(session, land_site, CLERK, dispute, outcome="调解结案",
                                   closed_on=dt.date(2026, 1, 8))
        make_transfer(land_site, land, {land.plot_ids[0]: "1"})
        with land_site.db.transaction() as session:
            services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))


def test_retransfer_needs_written_consent_and_stays_within_the_first(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "4"})
        with land_site.db.transaction() as session:
            services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))
        again = dict(parent_ref=ref, transferee_kind="outsider", transferee_name="外村李某",
                     transferee_credit_code=None)
        with pytest.raises(LandError, match="须有承包方的书面同意"):
            make_transfer(land_site, land, {land.plot_ids[0]: "2"}, **again)
        with land_site.db.transaction() as session:
            services.record_consent(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref),
                                    signed_on=dt.date(2026, 1, 9), document="王大签字的书面同意书，村委会档案")
        with pytest.raises(LandError, match=r"剩余的 4\.0000 亩"):
            make_transfer(land_site, land, {land.plot_ids[0]: "4.5"}, **again)
        child = make_transfer(land_site, land, {land.plot_ids[0]: "4"}, **again)
        # the re-transfer does not count twice against the plot: 1 亩 is still free for the contractor
        make_transfer(land_site, land, {land.plot_ids[0]: "1"})
    with land_site.db.read() as session:
        assert services.get_transfer(session, VILLAGE, child).consent_id is not None


def test_an_agent_needs_a_recorded_power_of_attorney(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        with pytest.raises(LandError, match="没有登记在有效期内的书面委托书") as caught:
            make_transfer(land_site, land, agent_name="王小")
        assert caught.value.problems[0].field == "agent_name"
        with land_site.db.transaction() as session:
            contractor = session.get(services.Contractor, land.contractor_id)
            services.record_power(session, land_site, CLERK, contractor, agent_name="王小", scope="办理土地流转",
                                  signed_on=dt.date(2026, 1, 2), valid_until=dt.date(2026, 12, 31))
        ref = make_transfer(land_site, land, agent_name="王小")
    with land_site.db.read() as session:
        assert services.get_transfer(session, VILLAGE, ref).agent_power_id is not None


def test_outsider_priority_posting_objection_holds_then_filed(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, transferee_kind="outsider", transferee_name="外县张某",
                            transferee_credit_code=None)
        with land_site.db.transaction() as session:
            transfer = services.get_transfer(session, VILLAGE, ref)
            with pytest.raises(LandError, match="须先进行优先权公示"):
                services.file_transfer(session, land_site, CLERK, transfer)
            services.post_for_priority(session, land_site, CLERK, transfer)
            notice_id, ends = transfer.notice_id, transfer.posting_ends_on
        with land_site.db.transaction() as session:
            raise_objection(session, land_site, None, notice_id, body="本村孙一愿以同等条件承租", name="孙一",
                            phone="13800000000")
        with land_site.db.transaction() as session:
            transfer = services.get_transfer(session, VILLAGE, ref)
            assert transfer.status == "held"
            assert "孙一愿以同等条件承租" in transfer.hold_reason
            with pytest.raises(LandError, match="须先处理异议"):
                services.file_transfer(session, land_site, CLERK, transfer)
            services.release_hold(session, land_site, CLERK, transfer, "孙一未按同等条件签约，放弃优先权")
    with frozen_clock(dt.datetime.combine(ends, dt.time(9), dt.UTC)), land_site.db.transaction() as session:
        transfer = services.get_transfer(session, VILLAGE, ref)
        with pytest.raises(LandError, match="优先权公示期到"):
            services.file_transfer(session, land_site, CLERK, transfer)
    after = dt.datetime.combine(ends + dt.timedelta(days=1), dt.time(9), dt.UTC)
    with frozen_clock(after), land_site.db.transaction() as session:
        transfer = services.get_transfer(session, VILLAGE, ref)
        assert services.file_transfer(session, land_site, CLERK, transfer) == []
        assert transfer.status == "filed"


def test_filing_makes_the_rent_due_and_the_ledger_shows_it(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, {land.plot_ids[0]: "5", land.plot_ids[1]: "1.5"},
                            start_on=dt.date(2025, 7, 1), end_on=dt.date(2027, 1, 1), rent_kind="grain",
                            grain_kg_per_mu=Decimal("400"), grain_price=None, payment_schedule="yearly")
        with land_site.db.transaction() as session:
            services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))
        with land_site.db.read() as session:
            transfer = services.get_transfer(session, VILLAGE, ref)
            items = services.rent_of(session, transfer)
        # 400 kg × 2.40 yuan (site default) = 960 yuan/亩/年 × 6.5 亩 = 6240 a year; then 184 days of 365
        assert transfer.grain_price == Decimal("2.40")
        assert [(i.due_on, i.amount) for i in items] == [(dt.date(2025, 7, 1), Decimal("6240.00")),
                                                         (dt.date(2026, 7, 1), Decimal("3145.64"))]
        with land_site.db.transaction() as session:
            item = session.get(RentInstalment, items[0].id)
            services.record_payment(session, land_site, CLERK, item, Decimal("6000"), dt.date(2025, 7, 5))
            with pytest.raises(LandError, match="超过应付金额"):
                services.record_payment(session, land_site, CLERK, item, Decimal("300"), dt.date(2025, 8, 5))
        with land_site.db.read() as session:
            [line] = services.rent_ledger(session, land_site, VILLAGE)
            assert (line.due, line.paid, line.overdue) == (Decimal("6240.00"), Decimal("6000.00"), Decimal("240.00"))
            rows, totals = services.ledger(session, land_site, [VILLAGE])
        assert [(r.ref, r.area, r.rent_per_mu, r.registrable) for r in rows] == [
            (ref, Decimal("6.5000"), Decimal("960.00"), False)]
        assert totals[VILLAGE].contracted == Decimal("8.0000")
        assert totals[VILLAGE].share == Decimal("81.3")


def test_termination_frees_the_area_from_its_date(land_site: Any) -> None:
    land = contract(land_site)
    plot = land.plot_ids[0]
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land, {plot: "5"})
        with land_site.db.transaction() as session:
            transfer = services.get_transfer(session, VILLAGE, ref)
            services.file_transfer(session, land_site, CLERK, transfer)
            with pytest.raises(LandError, match="法定事由"):
                services.terminate_transfer(session, land_site, CLERK, transfer, ground="dislike",
                                            on=dt.date(2027, 1, 1))
            services.terminate_transfer(session, land_site, CLERK, transfer, ground="idle_two_years",
                                        on=dt.date(2028, 1, 1))
        with pytest.raises(LandError, match=r"只剩 0\.0000 亩"):
            make_transfer(land_site, land, {plot: "1"}, start_on=dt.date(2027, 1, 1), end_on=dt.date(2029, 1, 1))
        make_transfer(land_site, land, {plot: "5"}, start_on=dt.date(2028, 1, 1), end_on=dt.date(2030, 1, 1))


def test_every_write_is_audited(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        ref = make_transfer(land_site, land)
    with land_site.db.read() as session:
        transfer = services.get_transfer(session, VILLAGE, ref)
        history = audit.history(session, "land_transfer", str(transfer.id))
        assert [e.action for e in history] == ["land.transfer.create"]
        assert audit.verify_chain(session)[1] is None
        assert session.get(Transfer, transfer.id).status == "ready"


def test_ledger_flags_registrable_and_expiring_transfers(land_site: Any) -> None:
    land = contract(land_site)
    with frozen_clock(TODAY):
        long_ref = make_transfer(land_site, land, {land.plot_ids[0]: "5"}, start_on=dt.date(2026, 1, 1),
                                 end_on=dt.date(2031, 1, 1))
        short_ref = make_transfer(land_site, land, {land.plot_ids[1]: "3"}, start_on=dt.date(2025, 6, 1),
                                  end_on=dt.date(2026, 3, 1), form="subcontract")
        with land_site.db.transaction() as session:
            for ref in (long_ref, short_ref):
                services.file_transfer(session, land_site, CLERK, services.get_transfer(session, VILLAGE, ref))
        with land_site.db.read() as session:
            rows, totals = services.ledger(session, land_site, [VILLAGE])
    flags = {r.ref: (r.registrable, r.expiring, r.form) for r in rows}
    assert flags == {long_ref: (True, False, "lease"), short_ref: (False, True, "subcontract")}
    total = totals[VILLAGE]
    assert (total.transferred, total.registrable, total.expiring, total.share) == (
        Decimal("8.0000"), 1, 1, Decimal("100.0"))
    assert dict(total.by_form) == {"lease": Decimal("5.0000"), "subcontract": Decimal("3.0000")}


def test_a_contractor_is_a_household_of_the_issuers_village_that_still_exists(land_site: Any) -> None:
    """The check looks at the one household asked for: another village's household, or a closed one, is refused;
    the village's own open household gets its head as representative."""
    from .conftest import OTHER_VILLAGE, household

    with land_site.db.transaction() as session:
        issuer = services.issuer_for(session, land_site, CLERK, VILLAGE)
        elsewhere, _head = household(session, land_site, "外村户", village=OTHER_VILLAGE)
        closed, _head = household(session, land_site, "已销户")
        audit.update(session, CLERK, closed, {"closed_on": dt.date(2020, 1, 1), "close_reason": "迁出"},
                     "registry.household.close")
        own, head = household(session, land_site, "本村户")
        for refused in (elsewhere.id, closed.id):
            with pytest.raises(LandError, match="本村户籍登记中没有这一户"):
                services.register_contractor(session, land_site, CLERK, issuer, refused)
        contractor = services.register_contractor(session, land_site, CLERK, issuer, own.id)
        assert (contractor.household_id, contractor.representative_id, contractor.name) == (own.id, head.id, "本村户")
