"""Land forms name every wrong field at once, each beside its field, typed values kept, nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.api import frozen_clock
from cunwu.testing import field_shown, links_to_nowhere
from cunwu_plugins.land import services
from cunwu_plugins.land.models import (
    Consent,
    Contract,
    Dispute,
    DisputeStep,
    Plot,
    PowerOfAttorney,
    RentInstalment,
    Transfer,
)

from .conftest import CLERK, contract, make_transfer

V = "130926100201"
BASE = f"/v/{V}/p/land"
TODAY = dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC)


def _count(site: Any, model: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_contract_with_an_unknown_household_and_a_bad_date_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    page = client_as(site, "clerk").post(f"/v/{V}/p/land/contracts", data={
        "household": "0777", "group": "1", "kind": "J", "start_on": "1998-02-30", "end_on": "2028-01-01"})
    assert page.status_code == 400
    home = field_shown(page.text, "household")
    assert "本村没有户号 0777" in home and 'value="0777"' in home
    start = field_shown(page.text, "start_on")
    assert "承包期开始日" in start and 'value="1998-02-30"' in start
    assert 'value="2028-01-01"' in field_shown(page.text, "end_on")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Contract)).one() == 0


def test_a_plot_with_an_unreadable_area_and_grade_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    plots = _count(site, Plot)
    page = client_as(site, "clerk").post(f"{BASE}/contracts/{land.contract_id}/plots", data={
        "code": land.plot_codes[0][:-1] + "9", "name": "东洼地", "area_mu": "二亩", "land_type": "013",
        "grade": "三等", "east": "大路"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    area = field_shown(page.text, "area_mu")
    assert "面积须为数字" in area and 'value="二亩"' in area and 'aria-invalid="true"' in area
    grade = field_shown(page.text, "grade")
    assert "地力等级须为整数" in grade and 'value="三等"' in grade
    assert 'value="东洼地"' in field_shown(page.text, "name") and 'value="大路"' in field_shown(page.text, "east")
    assert _count(site, Plot) == plots


def test_a_power_of_attorney_without_an_agent_and_with_a_bad_date_names_both(site_factory: Any,
                                                                             client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    page = client_as(site, "clerk").post(f"{BASE}/contracts/{land.contract_id}/powers", data={
        "agent_name": " ", "scope": "签订流转合同", "signed_on": "2026-02-30", "valid_until": "2027-01-05"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "请填写受托人姓名" in field_shown(page.text, "agent_name")
    signed = field_shown(page.text, "signed_on")
    assert "签署日期" in signed and 'value="2026-02-30"' in signed and 'aria-invalid="true"' in signed
    assert 'value="签订流转合同"' in field_shown(page.text, "scope")
    assert 'value="2027-01-05"' in field_shown(page.text, "valid_until")
    assert _count(site, PowerOfAttorney) == 0


def test_a_dispute_on_an_unknown_plot_without_parties_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    contract(site)
    page = client_as(site, "clerk").post(f"{BASE}/disputes", data={
        "plot": "1309261002019999999", "parties": "", "subject": "地界不清", "opened_on": "2026-01-09"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    plot = field_shown(page.text, "plot")
    assert "本村没有地块 1309261002019999999" in plot and 'value="1309261002019999999"' in plot
    assert "请填写纠纷当事人" in field_shown(page.text, "parties")
    assert "地界不清" in field_shown(page.text, "subject")
    assert 'href="#f-plot"' in page.text and 'href="#f-parties"' in page.text
    assert _count(site, Dispute) == 0


def test_a_dispute_step_with_a_bad_date_and_no_outcome_names_both_in_its_own_form(site_factory: Any,
                                                                                   client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    with frozen_clock(TODAY):
        client = client_as(site, "clerk")
        url = client.post(f"{BASE}/disputes", data={"plot": land.plot_codes[0], "parties": "王大、李四",
                                                    "subject": "地界", "opened_on": "2026-01-09"},
                          follow_redirects=False).headers["location"]
        page = client.post(f"{url}/steps", data={"kind": "village_mediation", "on_date": "2026-01-32",
                                                 "outcome": ""})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    day = field_shown(page.text, "on_date")
    assert "日期“2026-01-32”不是有效的日期" in day and 'value="2026-01-32"' in day
    outcome = field_shown(page.text, "outcome")
    assert "请写明这一步的结果" in outcome and "结案结果" not in outcome  # the step's outcome, not the closing one
    assert 'value="village_mediation" selected' in field_shown(page.text, "kind")
    assert page.text.count('id="f-outcome"') == 1
    assert _count(site, DisputeStep) == 0


def test_a_rent_payment_with_a_bad_amount_and_date_names_both_in_its_row(site_factory: Any,
                                                                         client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    with frozen_clock(TODAY):
        ref = make_transfer(site, land, start_on=dt.date(2025, 7, 1), end_on=dt.date(2027, 1, 1))
        with site.db.transaction() as session:
            services.file_transfer(session, site, CLERK, services.get_transfer(session, V, ref))
        with site.db.read() as session:
            first, *_later = services.rent_of(session, services.get_transfer(session, V, ref))
        page = client_as(site, "clerk").post(f"{BASE}/rent/{first.id}/pay", data={
            "amount": "四千", "paid_on": "2026-13-01"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    amount = field_shown(page.text, "amount")
    assert "付款金额须为数字" in amount and 'value="四千"' in amount
    paid = field_shown(page.text, "paid_on")
    assert "付款日期" in paid and 'value="2026-13-01"' in paid
    assert page.text.count('id="f-amount"') == 1
    with site.db.read() as session:
        assert session.get(RentInstalment, first.id).paid_amount == 0  # type: ignore[union-attr]


def _filed(site: Any) -> str:
    land = contract(site)
    ref = make_transfer(site, land, start_on=dt.date(2025, 7, 1), end_on=dt.date(2027, 1, 1))
    with site.db.transaction() as session:
        services.file_transfer(session, site, CLERK, services.get_transfer(session, V, ref))
    return ref


def test_a_consent_with_a_bad_day_and_no_document_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    with frozen_clock(TODAY):
        ref = _filed(site)
        page = client_as(site, "clerk").post(f"{BASE}/transfers/{ref}/consent", data={
            "signed_on": "2025-09-31", "document": ""})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    day = field_shown(page.text, "signed_on")
    assert "签署日期" in day and 'value="2025-09-31"' in day and 'aria-invalid="true"' in day
    assert "请写明书面同意书的名称和存放处" in field_shown(page.text, "document")
    assert _count(site, Consent) == 0


def test_a_termination_without_a_ground_and_with_a_bad_day_names_both(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    with frozen_clock(TODAY):
        ref = _filed(site)
        page = client_as(site, "clerk").post(f"{BASE}/transfers/{ref}/terminate", data={
            "ground": "whim", "on": "2026-02-30"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "解除流转须有法定事由或双方协商一致" in field_shown(page.text, "ground")
    day = field_shown(page.text, "on")
    assert "解除日期" in day and 'value="2026-02-30"' in day
    with site.db.read() as session:
        assert services.get_transfer(session, V, ref).status == "filed"


def test_a_pasted_shape_that_is_no_polygon_is_refused_beside_what_was_pasted(site_factory: Any,
                                                                              client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    pasted = '{"type": "Point", "coordinates": [115.8, 38.4]}'
    page = client_as(site, "clerk").post(f"{BASE}/geometry", data={"plot": land.plot_codes[1], "geojson": pasted})
    assert page.status_code == 400 and 'href="#f-geojson"' in page.text
    shown = field_shown(page.text, "geojson")
    assert 'id="e-geojson"' in shown and "115.8" in shown and 'aria-invalid="true"' in shown
    assert f'value="{land.plot_codes[1]}" selected' in field_shown(page.text, "plot")
    with site.db.read() as session:
        assert services.get_plot(session, V, land.plot_codes[1]).geometry is None


def test_a_renewal_ending_too_early_is_refused_beside_the_renewal_end_the_summary_links_to(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    with frozen_clock(TODAY):
        ref = _filed(site)
        transfers = _count(site, Transfer)
        page = client_as(site, "clerk").post(f"{BASE}/transfers/{ref}/renew", data={"end_on": "2026-12-01"})
    assert page.status_code == 400 and 'href="#f-renew_end_on"' in page.text
    end = field_shown(page.text, "renew_end_on")  # also: the summary links to no field the page lacks
    assert "流转结束日必须晚于开始日" in end and 'value="2026-12-01"' in end and 'aria-invalid="true"' in end
    assert _count(site, Transfer) == transfers


def test_a_refusal_for_the_transfers_state_is_on_top_linking_to_no_field(site_factory: Any,
                                                                          client_as: Any) -> None:
    site = site_factory(enabled=["land"])
    land = contract(site)
    with frozen_clock(TODAY):
        ref = make_transfer(site, land, start_on=dt.date(2025, 7, 1), end_on=dt.date(2027, 1, 1))
        page = client_as(site, "clerk").post(f"{BASE}/transfers/{ref}/renew", data={"end_on": "2028-01-01"})
    assert page.status_code == 400 and "只有已备案生效的流转可以续签" in page.text
    assert 'href="#f-' not in page.text and links_to_nowhere(page.text) == []
    with site.db.read() as session:
        assert services.get_transfer(session, V, ref).status != "filed"
        assert session.exec(select(func.count()).select_from(Transfer)).one() == 1
