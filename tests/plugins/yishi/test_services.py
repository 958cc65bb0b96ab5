"""The 一事一议 services on both databases: hand-computed shares with exemptions, reductions and 低保; the yearly caps
across projects; joint proposals counted against the register; review and return; collections held by the
database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from cunwu.audit import services as audit
from cunwu.notices.models import Notice
from cunwu.testing import check_violation, unique_violation
from cunwu_plugins.yishi import services
from cunwu_plugins.yishi.models import Collection, Project, Share
from cunwu_plugins.yishi.services import YishiError


def _shares(session: Any, project: Any) -> dict[str, tuple[str, str, list[str]]]:
    return {s.household_number: (str(s.money), str(s.workdays), s.exemptions)
            for s in services.current_shares(session, project)}


def test_hand_computed_shares_with_exemptions_reduction_and_dibao(yishi_site: Any, y: SimpleNamespace) -> None:
    site, village = yishi_site
    with site.db.transaction() as session:
        project = y.approved_project(session, site)
        services.set_dibao_households(session, site, y.CLERK, project, [village.households["003"]])
        services.set_reduction(session, site, y.CLERK, project, household_id=village.households["004"],
                               money=Decimal("5"), workdays=Decimal("0"), reason="孤寡老人，代表会议表决减半")
        services.fix_shares(session, site, y.CLERK, project)
    with site.db.read() as session:
        project = session.get(Project, project.id)
        assert project.status == "shares_fixed" and project.share_round == 1
        assert _shares(session, project) == {
            "001": ("30.00", "4.00", ["王小：全日制在校学生，免劳"]),
            "002": ("20.00", "0.00", ["张军：现役军人，免资免劳", "赵芳：孕期或产后一年内，免劳"]),
            "003": ("0.00", "8.00", ["刘一：低保户，免资", "刘二：低保户，免资"]),
            "004": ("5.00", "0.00", []),
            "005": ("20.00", "8.00", []),
        }
        reduced = next(s for s in services.current_shares(session, project) if s.household_number == "004")
        assert reduced.reduction_money == Decimal("5.00") and reduced.money_due == Decimal("5.00")


def test_caps_bind_across_projects_of_one_year(yishi_site: Any, y: SimpleNamespace) -> None:
    site, village = yishi_site
    with site.db.transaction() as session:
        first = y.approved_project(session, site)
        services.set_dibao_households(session, site, y.CLERK, first, [village.households["003"]])
        services.set_reduction(session, site, y.CLERK, first, household_id=village.households["004"],
                               money=Decimal("5"), workdays=Decimal("0"), reason="孤寡老人")
        services.fix_shares(session, site, y.CLERK, first)
        # 10 + 5 yuan per person = the cap of 15 exactly; 4 + 6 workdays = the cap of 10 exactly: allowed.
        second = y.approved_project(session, site, title="修水渠", kind="irrigation",
                                    money_per_person=Decimal("5"), workdays_per_labourer=Decimal("6"))
        services.fix_shares(session, site, y.CLERK, second)
    # The third plan is refused while it is drafted, before any vote (not first at 核定分摊).
    with (
        pytest.raises(YishiError, match=r"户号001：本年度一事一议筹资将达每人16\.00元") as refused,
        site.db.transaction() as session,
    ):
        services.propose(session, site, y.CLERK, village_code=y.VILLAGE,
                         data=y.proposal(title="村口植树", kind="trees", money_per_person=Decimal("1"),
                                         workdays_per_labourer=Decimal("0")))
    messages = [(p.message, p.field) for p in refused.value.problems]
    # 003 (低保 in the first project: 0 + 5 + 1) and 004 (reduced to 5: 5 + 5 + 1) stay under the cap.
    assert messages == [
        ("户号001：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限", "money_per_person"),
        ("户号002：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限", "money_per_person"),
        ("户号005：本年度一事一议筹资将达每人16.00元，超过每人每年15元的上限", "money_per_person"),
    ]
    with site.db.read() as session:
        assert len(session.exec(select(Project)).all()) == 2
    # A project of another year does not count against 2025's caps.
    with site.db.transaction() as session:
        next_year = y.approved_project(session, site, title="村口植树", kind="trees", year=2026,
                                       reference_date=dt.date(2026, 3, 1), money_per_person=Decimal("15"))
        assert len(services.fix_shares(session, site, y.CLERK, next_year)) == 5


def test_a_rate_over_the_cap_is_refused_at_proposal(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with pytest.raises(YishiError, match=r"本方案每人筹资16\.00元，超过每人每年15元的上限"), \
            site.db.transaction() as session:
        services.propose(session, site, y.CLERK, village_code=y.VILLAGE,
                         data=y.proposal(money_per_person=Decimal("16")))


def test_ineligible_kind_is_refused_with_the_reason(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with pytest.raises(YishiError, match="企业债务不得通过一事一议向村民筹资筹劳偿还"), \
            site.db.transaction() as session:
        services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal(kind="enterprise_debt"))
    with site.db.read() as session:
        assert session.exec(select(Project)).all() == []


def test_joint_proposal_counts_requesters_against_the_register(yishi_site: Any, y: SimpleNamespace) -> None:
    site, village = yishi_site
    people = village.people
    # 11 villagers aged 18+ on the proposal date: 1 is less than 1/10, 2 is enough.
    with pytest.raises(YishiError, match="联名提议人 1 人，不足 11 人的十分之一（至少需要 2 人）"), \
            site.db.transaction() as session:
        services.propose(session, site, y.CLERK, village_code=y.VILLAGE,
                         data=y.proposal(origin="villagers", requester_ids=[people["王大"]]))
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal(
            origin="villagers", requester_ids=[people["王大"], people["赵芳"]]))
        assert project.requesters_base == 11
        assert [p.name for p in services.requesters_of(session, project)] == ["王大", "赵芳"]
    # 李梅 is not a representative; 1 of the 5 representatives is exactly 1/5.
    with pytest.raises(YishiError, match="不是本村在任村民代表：李梅"), site.db.transaction() as session:
        services.propose(session, site, y.CLERK, village_code=y.VILLAGE,
                         data=y.proposal(origin="representatives", requester_ids=[people["李梅"]]))
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal(
            origin="representatives", requester_ids=[people["陈老"]]))
        assert project.requesters_base == 5


def test_plan_is_published_on_the_board_before_the_vote(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        with pytest.raises(YishiError, match="不能进行此操作"):
            services.record_result(session, site, y.CLERK, project, source="ballot", held_on=y.REFERENCE,
                                   members=11, present=10, votes_for=9, against=1, abstain=0)
        services.publish_plan(session, site, y.CLERK, project)
    with site.db.read() as session:
        notice = session.get(Notice, project.plan_notice_id)
        assert notice.origin_kind == "yishi" and notice.origin_ref == str(project.id)
        assert notice.category == "一事一议" and "每人 10.00 元" in notice.body


def test_review_return_and_resubmission(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = y.approved_project(session, site)
        services.fix_shares(session, site, y.CLERK, project)
        services.submit_for_review(session, site, y.CLERK, project)
        with pytest.raises(YishiError, match="退回必须写明理由"):
            services.review(session, site, y.TOWNSHIP, project, decision="returned", opinion=" ", on=y.REFERENCE)
        services.review(session, site, y.TOWNSHIP, project, decision="returned", opinion="预算缺少材料明细",
                        on=y.REFERENCE)
    with site.db.transaction() as session:
        project = session.get(Project, project.id)
        assert project.status == "returned"
        # Back in the village: the shares are redone as a new round, the old one stays on the record.
        services.fix_shares(session, site, y.CLERK, project)
        services.submit_for_review(session, site, y.CLERK, project)
        services.review(session, site, y.TOWNSHIP, project, decision="approved", opinion="同意", on=y.REFERENCE)
        services.file_plan(session, site, y.COUNTY, project, decision="filed", opinion="", on=y.REFERENCE)
    with site.db.read() as session:
        project = session.get(Project, project.id)
        assert project.status == "filed" and project.share_round == 2
        assert len(session.exec(select(Share).where(Share.project_id == project.id)).all()) == 10
        assert [(r.stage, r.decision, r.reviewer, r.opinion) for r in services.reviews_of(session, project)] == [
            ("township", "returned", "乡镇干部 (town)", "预算缺少材料明细"),
            ("township", "approved", "乡镇干部 (town)", "同意"),
            ("county", "filed", "县干部 (county)", "准予备案"),
        ]


def test_collections_never_exceed_what_is_owed(yishi_site: Any, y: SimpleNamespace) -> None:
    site, village = yishi_site
    household = village.households["001"]  # owes 30.00
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        services.record_collection(session, site, y.CLERK, project, household_id=household, amount=Decimal("20"),
                                   on=y.REFERENCE)
        with pytest.raises(YishiError, match=r"应缴 30\.00 元，已缴 20\.00 元，本次最多还能收 10\.00 元"):
            services.record_collection(session, site, y.CLERK, project, household_id=household,
                                       amount=Decimal("20"), on=y.REFERENCE)
        services.record_collection(session, site, y.CLERK, project, household_id=household, amount=Decimal("10"),
                                   on=y.REFERENCE)
    with site.db.read() as session:
        share = next(s for s in services.current_shares(session, project) if s.household_id == household)
        assert share.money_paid == Decimal("30.00")
        assert [c.paid_after for c in session.exec(select(Collection).order_by(Collection.id)).all()] == [
            Decimal("20.00"), Decimal("30.00")]


def test_database_refuses_a_payment_beyond_the_due_and_a_duplicate(yishi_site: Any, y: SimpleNamespace) -> None:
    """Even code that skips the service cannot store more than is owed, nor the same running total twice."""
    site, village = yishi_site
    household = village.households["001"]
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        share_id = next(s.id for s in services.current_shares(session, project) if s.household_id == household)
    with (
        pytest.raises(IntegrityError, match=check_violation("ck_yishi_share_paid_within_due")),
        site.db.transaction() as session,
    ):
        share = session.get(Share, share_id)
        audit.update(session, y.CLERK, share, {"money_paid": Decimal("30.01")}, "test.overpay")
    with site.db.transaction() as session:
        services.record_collection(session, site, y.CLERK, project, household_id=household, amount=Decimal("5"),
                                   on=y.REFERENCE)
    with pytest.raises(IntegrityError, match=unique_violation("yishi_collection")), site.db.transaction() as session:
        audit.create(session, y.CLERK, Collection(village_code=y.VILLAGE, project_id=project.id, share_id=share_id,
                                                  household_id=household, amount=Decimal("5"),
                                                  paid_after=Decimal("5"), received_on=y.REFERENCE))


def test_labour_conversion_at_the_county_rate_and_account(yishi_site: Any, y: SimpleNamespace) -> None:
    site, village = yishi_site
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        # 005 owes 20 yuan and 8 workdays; it chooses to pay 3 workdays at 60 yuan a day instead.
        services.convert_labour(session, site, y.CLERK, project, household_id=village.households["005"],
                                workdays=Decimal("3"))
        share = next(s for s in services.current_shares(session, project) if s.household_number == "005")
        assert (share.money_due, share.workdays_due) == (Decimal("200.00"), Decimal("5.00"))
        with pytest.raises(YishiError, match=r"应出工 5\.00 个工日"):
            services.record_labour(session, site, y.CLERK, project, household_id=village.households["005"],
                                   workdays=Decimal("6"), on=y.REFERENCE)
        services.record_labour(session, site, y.CLERK, project, household_id=village.households["005"],
                               workdays=Decimal("5"), on=y.REFERENCE)
        # 5 households owe money; 3 paying in full is 60% < 70%: no award yet.
        for number, amount in (("001", "30"), ("004", "10"), ("005", "200")):
            services.record_collection(session, site, y.CLERK, project, household_id=village.households[number],
                                       amount=Decimal(amount), on=y.REFERENCE)
        services.add_spending(session, site, y.CLERK, project, item="水泥 20 吨", amount=Decimal("300"),
                              on=y.REFERENCE)
        account = services.account_of(session, site, project)
        assert (account.raised, account.award, account.paid_households, account.liable_households) == (
            Decimal("240.00"), Decimal("0.00"), 3, 5)
        # 003 pays too: 4 of 5 = 80% ≥ 70%, so the award is 1 × raised.
        services.record_collection(session, site, y.CLERK, project, household_id=village.households["003"],
                                   amount=Decimal("20"), on=y.REFERENCE)
        account = services.account_of(session, site, project)
        assert (account.raised, account.award, account.spent, account.balance) == (
            Decimal("260.00"), Decimal("260.00"), Decimal("300.00"), Decimal("220.00"))
        assert account.workdays_done == Decimal("5.00")
        notice = services.publish_account(session, site, y.CLERK, project)
        assert notice.stream == "finance" and notice.category == "专项资金"
        assert ["收入", "村民筹资", "260.00"] in notice.data_table["rows"]
        assert session.get(Project, project.id).status == "completed"


def test_burden_list_is_published_with_masked_ids(yishi_site: Any, y: SimpleNamespace) -> None:
    site, _village = yishi_site
    with site.db.transaction() as session:
        project = y.filed_project(session, site, y.TOWNSHIP, y.COUNTY)
        notice = services.publish_burden_list(session, site, y.CLERK, project)
        with pytest.raises(YishiError, match="负担清单已经公示"):
            services.publish_burden_list(session, site, y.CLERK, project)
    rows = notice.data_table["rows"]
    assert [row[0] for row in rows] == ["001", "002", "003", "004", "005"]
    assert rows[0][1] == "王大" and rows[0][4] == "30.00"
    assert rows[0][2].startswith("130926") and "********" in rows[0][2]
    assert all(len(row[2]) == 18 and row[2][6:14] == "********" for row in rows)
