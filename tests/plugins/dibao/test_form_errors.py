"""The 低保 application names every wrong field at once, each beside its field, and keeps what was typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.clock import local_today
from cunwu.testing import field_shown, links_to_nowhere, login, site_client
from cunwu_plugins.dibao import amounts, disbursement, services
from cunwu_plugins.dibao.models import Case, Cycle, Standard, Visit

from .conftest import CLERK, COUNTY, VILLAGE, enrolled_case, household, standard


def test_an_application_with_a_bad_bank_and_a_bad_account_names_both(site_factory: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "600", dt.date(2025, 1, 1))
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 3, 1), dt.date(1985, 6, 1)])
        head = members[0]
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"/v/{VILLAGE}/p/dibao/cases", data={
            "household_id": str(home.id), "applicant_id": str(head.id), f"covered_{head.id}": "1", "kind": "rural",
            "review_category": "unstable", "bank_code": "NOPE", "account_number": "6222 ٠١٢٣",
            "account_holder": "户主"})
        assert page.status_code == 400
        assert "未知的银行：NOPE" in field_shown(page.text, "bank_code")
        account = field_shown(page.text, "account_number")
        assert "银行账号只能由数字 0-9 组成" in account and 'value="6222 ٠١٢٣"' in account
        assert 'value="户主"' in field_shown(page.text, "account_holder")
        assert 'value="unstable" selected' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Case)).one() == 0


def _case(site: Any) -> tuple[int, Any]:
    standard(site, "600", dt.date(2025, 1, 1))
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 3, 1), dt.date(1985, 6, 1)])
        case = services.apply(session, site, CLERK, village_code=VILLAGE, household_id=home.id,
                              applicant_id=members[0].id, covered=[members[0].id], bank_code="RCC",
                              account_number="6222020200112233445", account_holder="户主")
        return case.id, members


def test_a_home_visit_with_one_investigator_and_no_findings_names_both_on_the_case_page(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    case_id, _members = _case(site)
    url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
    page = client_as(site, "clerk").post(f"{url}/visits", data={"visited_on": "2025-03-01", "visitors": "王文书",
                                                               "findings": "无"})
    assert page.status_code == 400 and "<h1>" in page.text  # the case page again, not an error page
    visitors = field_shown(page.text, "visitors")
    assert "入户调查人至少两人" in visitors and 'value="王文书"' in visitors
    assert "请写明入户调查情况" in field_shown(page.text, "findings")
    assert 'value="2025-03-01"' in field_shown(page.text, "visited_on")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Visit)).one() == 0


def test_an_income_with_a_bad_amount_keeps_the_member_and_the_note(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    case_id, members = _case(site)
    page = client_as(site, "clerk").post(f"/v/{VILLAGE}/p/dibao/cases/{case_id}/incomes", data={
        "person_id": str(members[1].id), "kind": "bogus", "monthly_amount": "六百", "note": "在县城打零工"})
    assert page.status_code == 400
    amount = field_shown(page.text, "monthly_amount")
    assert 'value="六百"' in amount and 'aria-invalid="true"' in amount
    assert f'value="{members[1].id}" selected' in field_shown(page.text, "person_id")
    assert 'value="在县城打零工"' in field_shown(page.text, "note")


def test_a_standard_with_a_bad_amount_and_a_bad_date_names_both_and_keeps_the_kind(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    page = client_as(site, "county_official").post("/p/dibao/standards", data={
        "kind": "urban", "monthly_amount": "六百", "effective_from": "2025-02-30", "note": "民发〔2025〕3 号"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    amount = field_shown(page.text, "monthly_amount")
    assert "金额须为数字：六百" in amount and 'value="六百"' in amount and 'aria-invalid="true"' in amount
    effective = field_shown(page.text, "effective_from")
    assert "执行日期“2025-02-30”不是有效的日期" in effective and 'value="2025-02-30"' in effective
    assert 'value="urban" selected' in field_shown(page.text, "kind")
    assert 'value="民发〔2025〕3 号"' in field_shown(page.text, "note")
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Standard)).one() == 0


def test_a_month_that_is_no_month_is_named_beside_it_and_nothing_is_computed(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    page = client_as(site, "county_official").post("/p/dibao/cycles", data={"month": "2025-13"})
    assert page.status_code == 400 and "<h1>" in page.text  # the cycles page again, not an error page
    month = field_shown(page.text, "month")
    assert "月份格式应为 YYYY-MM：2025-13" in month and 'value="2025-13"' in month
    assert 'href="#f-month"' in page.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Cycle)).one() == 0


def test_a_bank_return_with_two_wrong_rows_is_refused_beside_the_file_box_with_each_row_on_top(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "580", dt.date(2025, 1, 1))
    for i in range(2):
        enrolled_case(site, [dt.date(1980, 5, 20)], "100", confirmed_on=dt.date(2025, 11, 20),
                      account=f"62220202001122{i:05d}")
    system = Actor.system("test")
    with site.db.transaction() as session:
        disbursement.run_month(session, site, system, dt.date(2025, 12, 1))
        disbursement.approve(session, site, system, dt.date(2025, 12, 1))
        batch = disbursement.batches(session)[0]
        disbursement.export_batch(session, site, COUNTY, batch.id, "csv")  # type: ignore[arg-type]
        first, second = disbursement.payments(session, batch)
    wrong = (f"流水号,金额,结果,失败原因,银行流水号\n{first.id},1.00,成功,,B1\n{second.id},{second.amount},也许,,B2\n"
             ).encode()
    page = client_as(site, "county_official").post(f"/p/dibao/batches/{batch.id}/return",
                                                   files={"file": ("回盘.csv", wrong, "text/csv")})
    assert page.status_code == 400
    assert "回盘文件有 3 处问题，没有导入任何结果" in field_shown(page.text, "file")  # 2 rows, 1 gap
    summary = page.text[page.text.index('id="errors"'):page.text.index("</div>", page.text.index('id="errors"'))]
    assert "回盘.csv · 第 2 行 金额 1.00 与发放金额" in summary and "第 3 行 结果应为“成功”或“失败”" in summary
    with site.db.read() as session:
        assert {p.status for p in disbursement.payments(session, batch)} == {"exported"}


def test_totals_for_a_month_typed_wrong_name_it_beside_the_box_and_keep_it(site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    page = client_as(site, "county_official").get("/p/dibao/totals", params={"month": "2026年1月"})
    assert page.status_code == 400 and "<h1>" in page.text  # the totals page, not an error page
    month = field_shown(page.text, "month")
    assert "月份格式应为 YYYY-MM：2026年1月" in month and 'value="2026年1月"' in month


def _computed(site: Any, month: dt.date) -> None:
    """One enrolled case and `month` computed, not yet approved."""
    standard(site, "580", amounts.add_months(month, -12))
    enrolled_case(site, [dt.date(1980, 5, 20)], "100", confirmed_on=amounts.add_months(month, -2))
    with site.db.transaction() as session:
        disbursement.run_month(session, site, Actor.system("test"), month)


def test_approving_a_month_not_begun_is_refused_on_the_months_page_not_an_error_page(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    month = amounts.add_months(amounts.first_of_month(local_today()), 1)
    _computed(site, month)
    page = client_as(site, "county_official").post(f"/p/dibao/cycles/{month:%Y-%m}/approve")
    assert page.status_code == 400 and 'id="cycle-totals"' in page.text  # the month's page, with its totals
    top = page.text[page.text.index('id="errors"'):page.text.index("</div>", page.text.index('id="errors"'))]
    assert f"{month:%Y-%m} 还没有开始，不能审批" in top and 'href="/p/dibao/cycles"' in page.text
    assert links_to_nowhere(page.text) == []
    with site.db.read() as session:
        assert session.exec(select(Cycle)).one().status == "computed"
        assert disbursement.batches(session) == []


def test_reissuing_in_a_month_not_approved_is_refused_on_the_months_page(site_factory: Any,
                                                                        client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    _computed(site, dt.date(2025, 12, 1))
    page = client_as(site, "county_official").post("/p/dibao/cycles/2025-12/reissue")
    assert page.status_code == 400 and 'id="cycle-totals"' in page.text and 'id="errors"' in page.text
    assert "这个月还没有审批发放" in page.text and "审批并生成银行批次" in page.text  # and the next step
    with site.db.read() as session:
        assert disbursement.batches(session) == []


def test_exporting_a_batch_a_second_time_is_refused_on_the_batch_page_and_the_file_is_unchanged(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    _computed(site, dt.date(2025, 12, 1))
    with site.db.transaction() as session:
        disbursement.approve(session, site, Actor.system("test"), dt.date(2025, 12, 1))
        batch_id = int(disbursement.batches(session)[0].id)  # type: ignore[arg-type]
    client = client_as(site, "county_official")
    assert client.post(f"/p/dibao/batches/{batch_id}/export", data={"format": "csv"},
                       follow_redirects=False).status_code == 303
    with site.db.read() as session:
        exported = disbursement.get_batch(session, batch_id)
    page = client.post(f"/p/dibao/batches/{batch_id}/export", data={"format": "xlsx"})
    assert page.status_code == 400 and 'id="control"' in page.text  # the batch's page, not an error page
    top = page.text[page.text.index('id="errors"'):page.text.index("</div>", page.text.index('id="errors"'))]
    assert "这个批次已于" in top and "不能再改动" in top and 'href="/p/dibao/cycles/2025-12"' in page.text
    assert links_to_nowhere(page.text) == [] and 'id="e-file"' not in page.text  # not beside the return box
    with site.db.read() as session:
        again = disbursement.get_batch(session, batch_id)
        assert (again.file_format, again.file_sha256) == ("csv", exported.file_sha256)


def test_a_stop_with_a_bad_month_and_too_short_reasons_names_both_beside_them_and_keeps_them(
        site_factory: Any, client_as: Any) -> None:
    site = site_factory(enabled=["dibao"])
    standard(site, "580", dt.date(2025, 1, 1))
    case_id = enrolled_case(site, [dt.date(1980, 5, 20)], "100", confirmed_on=dt.date(2025, 11, 20))
    with site.db.read() as session:
        decisions = len(services.decisions(session, services.get_case(session, case_id)))
    page = client_as(site, "county_official").post(f"/v/{VILLAGE}/p/dibao/cases/{case_id}/stop", data={
        "reasons": "外出", "effective_month": "2026-13"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    month = field_shown(page.text, "effective_month")
    assert "月份格式应为 YYYY-MM：2026-13" in month and 'value="2026-13"' in month and 'aria-invalid="true"' in month
    reasons = field_shown(page.text, "reasons")
    assert "请写明理由" in reasons and "外出</textarea>" in reasons
    with site.db.read() as session:
        case = services.get_case(session, case_id)
        assert case.status == "enrolled" and len(services.decisions(session, case)) == decisions
