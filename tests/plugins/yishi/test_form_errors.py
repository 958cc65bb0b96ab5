"""The 一事一议 forms name every wrong field at once, each beside its field, and keep what was typed: the proposal
(the ticked co-proposers too), every form on the project's workflow page, and the villagers' ballot."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlmodel import func, select

from cunwu.testing import field_shown, login, site_client
from cunwu_plugins.yishi import services
from cunwu_plugins.yishi.models import (
    Ballot,
    Collection,
    LabourDelivered,
    Project,
    Reduction,
    Review,
    Share,
    Spending,
)

V = "130926100201"


def test_a_proposal_with_a_bad_budget_and_a_bad_rate_names_both(site_factory: Any, y: SimpleNamespace) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=V)
        page = client.get(f"/v/{V}/p/yishi/new").text
        someone = page.split('name="requesters" value="', 1)[1].split('"', 1)[0]
        answer = client.post(f"/v/{V}/p/yishi/new", data={
            "title": "硬化村东道路", "kind": "road", "description": "800 米", "beneficiaries": "全村",
            "budget": "六万", "money_per_person": "10元", "workdays_per_labourer": "4", "year": "2025",
            "reference_date": "2025-06-01", "proposed_on": "2025-05-01", "origin": "villagers",
            "requesters": someone})
        assert answer.status_code == 400 and "请改正以下 2 处" in answer.text
        budget = field_shown(answer.text, "budget")
        assert "项目预算" in budget and 'value="六万"' in budget and 'aria-invalid="true"' in budget
        rate = field_shown(answer.text, "money_per_person")
        assert "每人筹资" in rate and 'value="10元"' in rate
        assert 'value="硬化村东道路"' in field_shown(answer.text, "title")
        assert f'name="requesters" value="{someone}" checked' in answer.text
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(Project)).one() == 0


def _filed(site_factory: Any, y: SimpleNamespace) -> tuple[Any, str, int]:
    """A filed project (collecting): the site, the manage page's base address and household 001's id."""
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        household = next(s.household_id for s in services.current_shares(session, project)
                         if s.household_number == "001")
    return site, f"/v/{V}/p/yishi/projects/{project.id}", household


def _count(site: Any, model: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_payment_with_a_bad_amount_and_a_bad_date_names_both_beside_them(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, household = _filed(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/collection", data={
        "household_id": str(household), "amount": "三十", "on": "2025-07-32", "receipt_no": "A001"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    amount = field_shown(page.text, "amount")
    assert "收款金额" in amount and 'value="三十"' in amount and 'aria-invalid="true"' in amount
    on = field_shown(page.text, "on")
    assert "收款日期“2025-07-32”不是有效的日期" in on and 'value="2025-07-32"' in on
    assert 'value="A001"' in field_shown(page.text, "receipt_no")
    assert f'value="{household}" selected' in field_shown(page.text, "household_id")
    assert page.text.count('id="f-amount"') == 1  # the spending form's amount has no id: only the refused form
    assert _count(site, Collection) == 0


def test_labour_with_bad_workdays_and_a_bad_date_names_both(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, household = _filed(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/labour", data={
        "household_id": str(household), "workdays": "两天", "on": "七月一日"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    workdays = field_shown(page.text, "workdays")
    assert "出工工日" in workdays and 'value="两天"' in workdays
    assert 'value="七月一日"' in field_shown(page.text, "on") and "出工日期" in field_shown(page.text, "on")
    assert _count(site, LabourDelivered) == 0


def test_converting_labour_with_an_unknown_household_and_bad_workdays_names_both(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, _household = _filed(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/convert", data={"household_id": "第一户", "workdays": "一个半"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "户须为整数：第一户" in field_shown(page.text, "household_id")
    workdays = field_shown(page.text, "workdays")
    assert "折算工日" in workdays and 'value="一个半"' in workdays
    with site.db.read() as session:
        assert all(s.converted_workdays == 0 for s in session.exec(select(Share)).all())


def test_spending_without_an_item_and_with_a_bad_amount_names_both(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, _household = _filed(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/spending", data={
        "item": " ", "amount": "一百", "on": "2025-07-02", "voucher_no": "记-7"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    assert "请填写支出事项" in field_shown(page.text, "item")
    amount = field_shown(page.text, "amount")
    assert "支出金额" in amount and 'value="一百"' in amount
    assert 'value="记-7"' in field_shown(page.text, "voucher_no")
    assert 'value="2025-07-02"' in field_shown(page.text, "on")
    assert _count(site, Spending) == 0


def _approved(site_factory: Any, y: SimpleNamespace) -> tuple[Any, str, dict[str, int]]:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        village = y.populate(session, site)
        project = y.approved_project(session, site)
    return site, f"/v/{V}/p/yishi/projects/{project.id}", village.households


def test_a_reduction_without_a_reason_and_with_a_bad_amount_names_both(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, households = _approved(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/reduction", data={
        "household_id": str(households["004"]), "money": "十五元", "workdays": "2", "reason": ""})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    money = field_shown(page.text, "money")
    assert "减免金额" in money and 'value="十五元"' in money
    assert "请写明村民会议（代表会议）表决的减免理由" in field_shown(page.text, "reason")
    assert 'value="2"' in field_shown(page.text, "workdays")
    assert f'value="{households["004"]}" selected' in field_shown(page.text, "household_id")
    assert _count(site, Reduction) == 0


def test_dibao_households_that_are_not_the_villages_are_refused_beside_the_ticks_and_kept(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, households = _approved(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/dibao", data={"household_id": [str(households["003"]), "99999"]})
    assert page.status_code == 400
    ticks = page.text[page.text.index('id="f-dibao"'):page.text.index("</fieldset>", page.text.index('id="f-dibao"'))]
    assert "所选低保户不是本村的户" in ticks
    assert f'value="{households["003"]}" checked' in ticks
    with site.db.read() as session:
        assert session.exec(select(Project)).one().dibao_households == []


def test_a_vote_with_a_motion_that_cannot_be_read_is_named_beside_the_choice(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
    page = client_as(site, "clerk").post(f"/v/{V}/p/yishi/projects/{project.id}/vote", data={"motion_id": "第一项"})
    assert page.status_code == 400
    assert "议案须为整数：第一项" in field_shown(page.text, "motion_id")
    with site.db.read() as session:
        assert session.exec(select(Project)).one().status == "published"


def test_a_return_without_reasons_is_refused_beside_the_opinion_with_the_choice_kept(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = y.approved_project(session, site)
        services.fix_shares(session, site, y.CLERK, project)
        services.submit_for_review(session, site, y.CLERK, project)
    page = client_as(site, "township_official").post(f"/v/{V}/p/yishi/projects/{project.id}/review",
                                                     data={"decision": "returned", "opinion": "  "})
    assert page.status_code == 400
    assert "退回必须写明理由" in field_shown(page.text, "opinion")
    assert 'value="returned" checked' in page.text[page.text.index('id="f-decision"'):]
    assert _count(site, Review) == 0


def test_a_ballot_with_a_wrong_code_and_no_choice_names_both_and_keeps_the_code(
        site_factory: Any, y: SimpleNamespace) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        services.issue_codes(session, site, y.CLERK, project)
    with site_client(site) as villager:
        page = villager.post(f"/v/{V}/p/yishi/projects/{project.id}/ballot", data={"code": "ABCDE-12345"})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    code = field_shown(page.text, "code")
    assert "表决码无效，请核对纸条上的表决码" in code and 'value="ABCDE-12345"' in code
    assert "请选择同意、不同意或弃权" in field_shown(page.text, "choice")
    assert _count(site, Ballot) == 0


def test_a_right_code_without_a_choice_is_refused_and_the_code_stays_unused(
        site_factory: Any, y: SimpleNamespace) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=V, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
        code = services.issue_codes(session, site, y.CLERK, project)[0].code
    base = f"/v/{V}/p/yishi/projects/{project.id}/ballot"
    with site_client(site) as villager:
        page = villager.post(base, data={"code": code})
        assert page.status_code == 400 and "请改正以下 1 处" in page.text
        assert f'value="{code}"' in field_shown(page.text, "code")
        assert _count(site, Ballot) == 0  # the stand-in choice that checked the code was not kept
        assert villager.post(base, data={"code": code, "choice": "for"}).status_code == 200
    assert _count(site, Ballot) == 1


def test_an_unreadable_tick_and_another_villages_household_are_both_named_beside_the_ticks(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site, base, households = _approved(site_factory, y)
    page = client_as(site, "clerk").post(f"{base}/dibao", data={
        "household_id": [str(households["003"]), "99999", "三号"]})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    ticks = page.text[page.text.index('id="f-dibao"'):page.text.index("</fieldset>", page.text.index('id="f-dibao"'))]
    assert "户须为整数：三号" in ticks and "所选低保户不是本村的户" in ticks
    assert f'value="{households["003"]}" checked' in ticks
    with site.db.read() as session:
        assert session.exec(select(Project)).one().dibao_households == []


def test_a_review_without_a_decision_or_an_opinion_names_both_beside_them(
        site_factory: Any, y: SimpleNamespace, client_as: Any) -> None:
    site = site_factory(enabled=["yishi"])
    with site.db.transaction() as session:
        y.populate(session, site)
        project = y.approved_project(session, site)
        services.fix_shares(session, site, y.CLERK, project)
        services.submit_for_review(session, site, y.CLERK, project)
    page = client_as(site, "township_official").post(f"/v/{V}/p/yishi/projects/{project.id}/review",
                                                     data={"decision": "maybe", "opinion": " "})
    assert page.status_code == 400 and "请改正以下 2 处" in page.text
    decision = page.text[page.text.index('id="f-decision"'):page.text.index("</fieldset>",
                                                                          page.text.index('id="f-decision"'))]
    assert "请选择审核意见：同意或退回" in decision and 'aria-invalid="true"' in decision
    assert "请填写审核意见" in field_shown(page.text, "opinion")
    assert 'href="#f-decision"' in page.text and 'href="#f-opinion"' in page.text
    with site.db.read() as session:
        assert session.exec(select(Project)).one().status == "submitted"
    assert _count(site, Review) == 0
