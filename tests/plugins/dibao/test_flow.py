"""The case flow through the web: application → check → opinion → 7-day posting → objection → 民主评议 → posted
again → confirmation; permissions per role and across villages; bank accounts masked for roles without
dibao.payments; the plugin present in one site and absent in another."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry
from cunwu.clock import local_today
from cunwu.errors import DomainError
from cunwu.meetings import services as meetings
from cunwu.notices import services as notices
from cunwu.notices.models import Notice
from cunwu.registry import services as registry
from cunwu.testing import actor, login, site_client
from cunwu_plugins.dibao import amounts, services
from cunwu_plugins.dibao.models import Case

from .conftest import CLERK, OTHER_VILLAGE, VILLAGE, enrolled_case, household, person, standard

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ACCOUNT = "6222020200112233445"
SOON = local_today() + dt.timedelta(days=3)  # meetings are scheduled from today on


def _site(site_factory: Any, **kwargs: Any) -> Any:
    site = site_factory(enabled=["dibao"], extra_toml=kwargs.pop("extra_toml", ""), **kwargs)
    site.config.supervision_phone = "0317-5012345"
    standard(site, "580", dt.date(2025, 1, 1))
    standard(site, "600", dt.date(2026, 1, 1))
    return site


def _representatives(site: Any, n: int = 6) -> None:
    """n representatives in the village, so that a 民主评议 meeting has members."""
    with site.db.transaction() as session:
        for i in range(n):
            rep = person(session, site, f"代表{i}", dt.date(1970, 1, 1 + i))
            home = registry.create_household(session, site, CLERK, village_code=VILLAGE, number=f"R{i:03d}",
                                             head=rep, created_on=dt.date(2020, 1, 1))
            registry.set_representative(session, site, CLERK, village_code=VILLAGE, person=rep,
                                        household_ids=[home.id], on=dt.date(2024, 1, 1),
                                        term_start=dt.date(2024, 1, 1), term_end=dt.date(2029, 1, 1))


def _hold_review(site: Any, case_id: int, *, present: int, votes_for: int) -> None:
    """The 民主评议 meeting is held through the core meetings services (sign-in counts and a show of hands)."""
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        meeting = meetings.get_meeting(session, VILLAGE, case.meeting_id)  # type: ignore[arg-type]
        meetings.open_meeting(session, site, CLERK, meeting)
        meetings.record_counts(session, site, CLERK, meeting, persons=present)
        motion = meetings.put_motion(session, site, CLERK, meeting, title="同意纳入低保")
        meetings.record_vote_counts(session, site, CLERK, motion, votes_for=votes_for, against=present - votes_for,
                                    abstain=0)
        meetings.close_meeting(session, site, CLERK, meeting)


def _apply_through_the_web(client: Any, site: Any) -> tuple[int, list[Any]]:
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 3, 1), dt.date(1985, 6, 1), dt.date(2014, 9, 1)],
                                  disability={1: 1})
        number, ids = home.number, [m.id for m in members]
    page = client.get(f"/v/{VILLAGE}/p/dibao/new", params={"household": number})
    assert page.status_code == 200 and f'name="covered_{ids[1]}"' in page.text
    created = client.post(f"/v/{VILLAGE}/p/dibao/cases", data={
        "household_id": str(home.id), "applicant_id": str(ids[0]), **{f"covered_{i}": "1" for i in ids},
        "kind": "rural", "review_category": "stable", "bank_code": "RCC", "account_number": ACCOUNT,
        "account_holder": "户主"}, follow_redirects=False)
    assert created.status_code == 303, created.text
    case_id = int(created.headers["location"].rsplit("/", 1)[-1])
    url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
    assert client.post(f"{url}/incomes", data={"person_id": str(ids[1]), "kind": "wages",
                                               "monthly_amount": "600"}).status_code == 200
    assert client.post(f"{url}/incomes", data={"person_id": str(ids[0]), "kind": "pension",
                                               "monthly_amount": "150.30"}).status_code == 200
    rules = services.settings_of(site).property_checks
    assert client.post(f"{url}/property", data={f"check_{i}": "yes" for i in range(len(rules))}).status_code == 200
    assert client.post(f"{url}/visits", data={"visited_on": local_today().isoformat(), "visitors": "王文书、李委员",
                                              "findings": "房屋老旧，户主年老体弱"}).status_code == 200
    uploaded = client.post(f"{url}/evidence", data={"topic": "income"},
                           files={"file": ("工资条.png", PNG, "image/png")})
    assert uploaded.status_code == 200
    refused = client.post(f"{url}/evidence", data={"topic": "income"},
                          files={"file": ("x.png", b"MZ\x90\x00 not an image", "image/png")})
    assert refused.status_code == 400 and "只接受" in refused.text
    return case_id, members


def test_a_second_application_or_a_name_in_the_number_box_is_answered_beside_the_box(site_factory: Any) -> None:
    """No error page: a household with an open case gets a link to that case, a typed name gets the households of
    the people of that name, an unknown number is named; a refused application keeps what was typed."""
    site = _site(site_factory)
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1950, 3, 1), dt.date(1985, 6, 1)])
        number, head = home.number, members[0]
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        unknown = client.get(f"/v/{VILLAGE}/p/dibao/new", params={"household": "Z999"})
        assert unknown.status_code == 400 and "本村没有户号 Z999" in unknown.text
        named = client.get(f"/v/{VILLAGE}/p/dibao/new", params={"household": head.name})
        assert named.status_code == 400 and f"“{head.name}”不是户号" in named.text
        assert f'href="/v/{VILLAGE}/p/dibao/new?household={number}"' in named.text
        form = {"household_id": str(home.id), "applicant_id": str(head.id), f"covered_{head.id}": "1",
                "kind": "rural", "review_category": "unstable", "bank_code": "NOPE", "account_number": ACCOUNT,
                "account_holder": "户主"}
        bad_bank = client.post(f"/v/{VILLAGE}/p/dibao/cases", data=form)
        assert bad_bank.status_code == 400 and "未知的银行：NOPE" in bad_bank.text
        assert f'value="{ACCOUNT}"' in bad_bank.text and 'value="unstable" selected' in bad_bank.text
        first = client.post(f"/v/{VILLAGE}/p/dibao/cases", data={**form, "bank_code": "RCC"}, follow_redirects=False)
        assert first.status_code == 303
        case_id = int(first.headers["location"].rsplit("/", 1)[-1])
        again = client.get(f"/v/{VILLAGE}/p/dibao/new", params={"household": number})
        assert again.status_code == 400 and f"第 {case_id} 号" in again.text
        assert f'href="/v/{VILLAGE}/p/dibao/cases/{case_id}"' in again.text and 'name="applicant_id"' not in again.text
        posted = client.post(f"/v/{VILLAGE}/p/dibao/cases", data={**form, "bank_code": "RCC"})
        assert posted.status_code == 400 and f'href="/v/{VILLAGE}/p/dibao/cases/{case_id}"' in posted.text
    with site.db.read() as session:
        assert len(session.exec(select(Case)).all()) == 1


def test_hook_objection_raised_sends_the_case_to_democratic_review_and_the_result_is_posted_again(
        site_factory: Any) -> None:
    site = _site(site_factory)
    _representatives(site)
    with site_client(site) as clerk:
        login(clerk, site, "clerk", role="clerk", scope=VILLAGE)
        case_id, members = _apply_through_the_web(clerk, site)
        url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
        page = clerk.get(url)
        assert "工资条.png" in page.text and "房屋老旧" in page.text
        # the clerk cannot give the township's opinion
        assert clerk.post(f"{url}/opinion", data={"approve": "yes", "opinion": "同意"}).status_code == 403
    with site_client(site) as town:
        login(town, site, "town", role="township_official", scope=VILLAGE[:9])
        assert town.post(f"{url}/opinion", data={"approve": "yes", "opinion": "经审核符合条件"}).status_code == 200
        # confirmation is the county's unless delegated
        assert town.post(f"{url}/confirm").status_code == 403
    with site.db.read() as session:
        case = services.get_case(session, case_id)
    # (600 + 150.30) / 3 = 250.10 per person; 600 − 250.10 = 349.90 each (1049.70);
    # extras 10 % / 20 % of 600: elderly (76) +60, severe disability +120, minor (12) +60 → 1289.70
    assert case.status == "proposed" and case.proposed_amount == Decimal("1289.70")

    with site_client(site) as clerk:
        login(clerk, site, "clerk", create=False)
        assert clerk.post(f"{url}/post").status_code == 200
        with site.db.read() as session:
            case = services.get_case(session, case_id)
            notice = session.get(Notice, case.notice_id)
        assert case.status == "posting" and notice is not None
        assert notice.window_days == 7 and notice.window_end == local_today() + dt.timedelta(days=6)
        assert case.posting_ends_on == notice.window_end
        board = clerk.get(f"/v/{VILLAGE}/notices/{notice.id}")
        assert board.status_code == 200
        assert members[0].name in board.text and "1289.70" in board.text and "0317-5012345" in board.text
        assert members[0].resident_id not in board.text
        assert services.masked_id(site, members[0]) in board.text
        # the county cannot confirm while the posting runs
        with site_client(site) as county:
            login(county, site, "county", role="county_official")
            early = county.post(f"{url}/confirm")
            assert early.status_code == 400 and "公示期到" in early.text

    # a villager objects on the notice board: the objection_raised hook sends the case to 民主评议
    with site_client(site) as public:
        objected = public.post(f"/v/{VILLAGE}/notices/{notice.id}/objections",
                               data={"body": "该户子女在外打工收入较高，申请不实", "name": "张村民",
                                     "phone": "13812345678"}, follow_redirects=False)
        assert objected.status_code == 303
    with site.db.read() as session:
        assert services.get_case(session, case_id).status == "democratic_review"

    with site_client(site) as clerk:
        login(clerk, site, "clerk", create=False)
        page = clerk.get(url)
        assert "召开民主评议" in page.text and "2/3" in page.text
        scheduled = clerk.post(f"{url}/review-meeting",
                               data={"starts_at": f"{SOON:%Y-%m-%d}T09:00", "location": "村委会"})
        assert scheduled.status_code == 200, scheduled.text[-1500:]
        with site.db.read() as session:
            case = services.get_case(session, case_id)
            meeting = meetings.get_meeting(session, VILLAGE, case.meeting_id)  # type: ignore[arg-type]
        assert meeting.rule_override == {"quorum": "2/3", "quorum_inclusive": True, "majority": "2/3",
                                         "majority_inclusive": True}
        # 3 of 6 present is below the 2/3 quorum: the motion cannot even be put
        with site.db.transaction() as session:
            meetings.open_meeting(session, site, CLERK, meeting)
            meetings.record_counts(session, site, CLERK, meeting, persons=3)
            assert meetings.meeting_quorum(session, site, meeting).met is False
            meetings.record_counts(session, site, CLERK, meeting, persons=6)
            motion = meetings.put_motion(session, site, CLERK, meeting, title="同意纳入低保")
            meetings.record_vote_counts(session, site, CLERK, motion, votes_for=4, against=2, abstain=0)
            meetings.close_meeting(session, site, CLERK, meeting)
        page = clerk.get(url)
        assert "公示评议结果" in page.text
        assert clerk.post(f"{url}/review-result", data={"summary": "与会代表认为该户符合条件"}).status_code == 200
    with site.db.read() as session:
        case = services.get_case(session, case_id)
        reposted = session.get(Notice, case.notice_id)
        assert case.status == "posting" and case.review_result == "approved" and case.reviewed_democratically
        assert reposted is not None and reposted.id != notice.id and "民主评议结果" in reposted.title
        assert reposted.window_days == 7
    # a second objection, on the result notice, is on the record but does not start a second review
    with site.db.transaction() as session:
        notices.raise_objection(session, site, None, reposted.id, body="仍然认为不符合条件", name="张村民",  # type: ignore[arg-type]
                                phone="13812345678")
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        assert case.status == "posting"
        audit.update(session, CLERK, case, {"posting_ends_on": dt.date(2026, 1, 1)}, "test.backdate")
    with site_client(site) as county:
        login(county, site, "county", create=False)
        assert county.post(f"{url}/confirm").status_code == 200
        page = county.get(url)
        assert ACCOUNT in page.text  # dibao.payments sees the full account
    with site.db.read() as session:
        case = services.get_case(session, case_id)
        actions = [e.action for e in session.exec(select(AuditEntry).where(
            AuditEntry.object_type == "dibao_case", AuditEntry.object_id == str(case_id))).all()]
    assert case.status == "enrolled" and case.first_month == amounts.first_payment_month(local_today())
    assert actions == ["dibao.case.apply", "dibao.case.opinion", "dibao.case.post", "dibao.case.objection",
                       "dibao.case.review_meeting", "dibao.case.review_result", "test.backdate", "dibao.case.confirm"]


def test_hook_objection_raised_when_the_review_rejects_the_county_must_refuse(site_factory: Any) -> None:
    site = _site(site_factory)
    _representatives(site)
    case_id = enrolled_case_until_posting(site)
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        notices.raise_objection(session, site, None, case.notice_id, body="该户有小轿车一辆", name="李四",  # type: ignore[arg-type]
                                phone="13912345678")
        services.schedule_review(session, site, CLERK, case, starts_at=dt.datetime.combine(SOON, dt.time(9), dt.UTC))
    _hold_review(site, case_id, present=6, votes_for=3)  # 3 of 6 is below 2/3
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        services.conclude_review(session, site, CLERK, case, summary="核实有车辆")
        audit.update(session, CLERK, case, {"posting_ends_on": dt.date(2026, 1, 1)}, "test.backdate")
    url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
    with site_client(site) as county:
        login(county, site, "county", role="county_official")
        assert "未通过" in county.get(url).text
        assert county.post(f"{url}/confirm").status_code == 400
        assert county.post(f"{url}/refuse", data={"reasons": "短"}).status_code == 400
        assert county.post(f"{url}/refuse", data={"reasons": "民主评议未通过，家庭有机动车辆"}).status_code == 200
    with site.db.read() as session:
        case = services.get_case(session, case_id)
        assert case.status == "refused" and case.refusal_reasons == "民主评议未通过，家庭有机动车辆"


def test_hook_objection_raised_on_a_notice_of_someone_else_changes_nothing(site_factory: Any) -> None:
    site = _site(site_factory)
    case_id = enrolled_case_until_posting(site)
    with site.db.transaction() as session:
        other = notices.publish_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                       category="其他村务", title="修路公告", body="本周修路", window_days=7)
        notices.raise_objection(session, site, None, other.id, body="修路时间不合适", name="王五",  # type: ignore[arg-type]
                                phone="13712345678")
    with site.db.read() as session:
        assert services.get_case(session, case_id).status == "posting"


def enrolled_case_until_posting(site: Any) -> int:
    """A case posted (公示) today, not yet confirmed."""
    with site.db.transaction() as session:
        home, members = household(session, site, [dt.date(1980, 1, 1), dt.date(1982, 1, 1)])
        case = services.apply(session, site, CLERK, village_code=VILLAGE, household_id=home.id,
                              applicant_id=members[0].id, covered=[m.id for m in members], bank_code="RCC",
                              account_number=ACCOUNT, account_holder="户主")
        services.record_income(session, site, CLERK, case, person_id=members[0].id, kind="farming",
                               monthly_amount=Decimal("300"))
        services.record_property(session, site, CLERK, case,
                                 dict.fromkeys(services.settings_of(site).property_checks, True))
        services.record_visit(session, site, CLERK, case, visited_on=local_today(), visitors="甲、乙",
                              findings="家中无劳动力")
        from .conftest import TOWNSHIP_OFFICIAL

        services.give_opinion(session, site, TOWNSHIP_OFFICIAL, case, approve=True, opinion="同意")
        services.post_case(session, site, CLERK, case)
        return int(case.id)  # type: ignore[arg-type]


def test_roles_and_villages(site_factory: Any) -> None:
    site = _site(site_factory)
    case_id = enrolled_case(site, [dt.date(1980, 1, 1)], "100", confirmed_on=dt.date(2025, 11, 20))
    url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
    cases = {
        # username: (role, scope, case page, apply, site queue, cycles page)
        "clerk_a": ("clerk", VILLAGE, 200, 200, 200, 403),
        "clerk_b": ("clerk", OTHER_VILLAGE, 403, 403, 200, 403),
        "supervisor": ("supervisor", VILLAGE, 200, 403, 200, 403),
        "villager": ("villager", VILLAGE, 403, 403, 403, 403),
        "town_a": ("township_official", VILLAGE[:9], 200, 403, 200, 403),
        "town_b": ("township_official", "130926101", 403, 403, 200, 403),
        "county": ("county_official", "", 200, 403, 200, 200),
        "admin": ("site_admin", "", 200, 403, 200, 403),
    }
    for username, (role, scope, case_page, apply, queue, cycles) in cases.items():
        with site_client(site) as client:
            login(client, site, username, role=role, scope=scope)
            assert client.get(url).status_code == case_page, username
            assert client.get(f"/v/{VILLAGE}/p/dibao/new").status_code == apply, username
            assert client.get("/p/dibao/").status_code == queue, username
            assert client.get("/p/dibao/cycles").status_code == cycles, username
            assert client.get(f"/api/v1/p/dibao/villages/{VILLAGE}/cases").status_code == case_page, username
            assert client.get(f"/v/{VILLAGE}/p/dibao/recipients").status_code == 200, username
    with site_client(site) as anonymous:
        assert anonymous.get(url, follow_redirects=False).status_code in (302, 303, 307)
        assert anonymous.get(f"/v/{VILLAGE}/p/dibao/recipients").status_code == 200
        assert anonymous.get("/v/999999999999/p/dibao/recipients").status_code == 404
    # the county-level pages list only the villages the actor covers
    with site.db.transaction() as session:  # make the case show up in the overdue list
        case = services.get_case(session, case_id)
        audit.update(session, CLERK, case, {"next_review_on": dt.date(2026, 1, 1)}, "test.overdue")
    for username, sees in (("town_b", False), ("clerk_b", False), ("town_a", True), ("clerk_a", True)):
        with site_client(site) as client:
            login(client, site, username, create=False)
            assert (f"/cases/{case_id}" in client.get("/p/dibao/").text) is sees, username


def test_township_confirms_where_delegated(site_factory: Any) -> None:
    site = _site(site_factory, extra_toml="[plugins.dibao]\ntownship_confirms = true\n")
    case_id = enrolled_case_until_posting(site)
    with site.db.transaction() as session:
        case = services.get_case(session, case_id)
        audit.update(session, CLERK, case, {"posting_ends_on": dt.date(2026, 1, 1)}, "test.backdate")
    with site_client(site) as town:
        login(town, site, "town", role="township_official", scope=VILLAGE[:9])
        assert town.post(f"/v/{VILLAGE}/p/dibao/cases/{case_id}/confirm").status_code == 200
    with site.db.read() as session:
        assert services.get_case(session, case_id).status == "enrolled"
    # the county pages' list of villages agrees (低保's permission_villages answers for all at once)
    township = [code for code in site.villages if code.startswith(VILLAGE[:9])]
    assert site.villages_for(actor(site, "town"), "dibao.confirm") == township
    assert [c for c in site.villages if site.allowed(actor(site, "town"), "dibao.confirm", c)] == township


def test_bank_accounts_are_masked_without_dibao_payments(site_factory: Any) -> None:
    site = _site(site_factory)
    case_id = enrolled_case(site, [dt.date(1980, 1, 1)], "100", confirmed_on=dt.date(2025, 11, 20), account=ACCOUNT)
    url = f"/v/{VILLAGE}/p/dibao/cases/{case_id}"
    for username, role, scope in (("clerk", "clerk", VILLAGE), ("town", "township_official", VILLAGE[:9]),
                                  ("sup", "supervisor", VILLAGE)):
        with site_client(site) as client:
            login(client, site, username, role=role, scope=scope)
            page = client.get(url).text
            api = client.get(f"/api/v1/p/dibao/villages/{VILLAGE}/cases").json()
            assert ACCOUNT not in page and "622202*********3445" in page, username
            assert api["cases"][0]["account"] == "622202*********3445", username
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        assert ACCOUNT in client.get(url).text
        assert client.get(f"/api/v1/p/dibao/villages/{VILLAGE}/cases").json()["cases"][0]["account"] == ACCOUNT


def test_public_list_and_monthly_pages(site_factory: Any) -> None:
    site = _site(site_factory)
    enrolled_case(site, [dt.date(1980, 1, 1), dt.date(1981, 1, 1)], "200", confirmed_on=dt.date(2025, 11, 20))
    enrolled_case(site, [dt.date(1980, 1, 1)], "0", confirmed_on=dt.date(2025, 11, 20), village=OTHER_VILLAGE)
    with site_client(site) as county:
        login(county, site, "county", role="county_official")
        run = county.post("/p/dibao/cycles", data={"month": "2026-01"})
        # (600 − 100) × 2 = 1000.00 and 600 − 0 = 600.00
        assert run.status_code == 200 and "新增 2 户，金额 1600.00 元" in run.text
        again = county.post("/p/dibao/cycles", data={"month": "2026-01"})
        assert "新增 0 户，金额 0.00 元" in again.text
        # nothing is public before approval
        assert "本月没有公布的低保对象" in county.get(f"/v/{VILLAGE}/p/dibao/recipients?month=2026-01").text
        assert 'href="/p/dibao/cycles/2026-01/approve"' in county.get("/p/dibao/cycles/2026-01").text
        confirm = county.get("/p/dibao/cycles/2026-01/approve")  # the confirmation states the totals
        assert confirm.status_code == 200 and "应发 2 户，合计 1600.00 元。审批后本月名单和金额固定" in confirm.text
        assert '<form method="post" action="/p/dibao/cycles/2026-01/approve"' in confirm.text
        assert "本月没有公布的低保对象" in county.get(f"/v/{VILLAGE}/p/dibao/recipients?month=2026-01").text
        assert county.post("/p/dibao/cycles/2026-01/approve").status_code == 200
        cycle = county.get("/p/dibao/cycles/2026-01")
        assert "应发 2 户，合计 1600.00 元" in cycle.text and "待导出" in cycle.text
        batch_id = int(re.search(r'/p/dibao/batches/(\d+)"', cycle.text).group(1))  # type: ignore[union-attr]
        export = county.get(f"/p/dibao/batches/{batch_id}/export", params={"format": "xlsx"})
        assert export.status_code == 200 and "格式 XLSX" in export.text and "导出后批次冻结" in export.text
        assert '<input type="hidden" name="format" value="xlsx">' in export.text
        assert "待导出" in county.get(f"/p/dibao/batches/{batch_id}").text  # the confirmation changes nothing
        assert county.post(f"/p/dibao/batches/{batch_id}/export", data={"format": "csv"}).status_code == 200
        file = county.get(f"/p/dibao/batches/{batch_id}/file")
        assert file.status_code == 200 and file.headers["x-content-sha256"] in county.get(
            f"/p/dibao/batches/{batch_id}").text
        ok = county.post(f"/p/dibao/batches/{batch_id}/verify", files={"file": ("f.csv", file.content, "text/csv")})
        assert ok.status_code == 200 and "SHA-256 相同" in ok.text
        bad = county.post(f"/p/dibao/batches/{batch_id}/verify",
                          files={"file": ("f.csv", file.content.replace(b"1000.00", b"1900.00"), "text/csv")})
        assert bad.status_code == 409 and "被改动过" in bad.text
        api = county.get("/api/v1/p/dibao/cycles/2026-01").json()
        assert api["total"] == "1600.00" and api["batches"][0]["sha256"] == file.headers["x-content-sha256"]
        totals = county.get("/p/dibao/totals?month=2026-01")
        assert "东街村" in totals.text and "西街村" in totals.text and "1000.00" in totals.text
    with site_client(site) as public:
        page = public.get(f"/v/{VILLAGE}/p/dibao/recipients?month=2026-01")
        assert "1000.00" in page.text and "600.00" not in page.text and "6222" not in page.text
        api = public.get(f"/api/v1/p/dibao/villages/{VILLAGE}/recipients?month=2026-01").json()
        assert [r["amount"] for r in api["recipients"]] == ["1000.00"] and "*" in api["recipients"][0]["resident_id"]


def test_enabled_in_one_site_and_absent_in_another(site_factory: Any) -> None:
    on = site_factory(enabled=["dibao"])
    off = site_factory()
    with site_client(on) as client:
        login(client, on, "clerk", role="clerk", scope=VILLAGE)
        assert client.get(f"/v/{VILLAGE}/p/dibao/").status_code == 200
        assert f'href="/v/{VILLAGE}/p/dibao/"' in client.get(f"/v/{VILLAGE}/").text
        assert "dibao" in [p["name"] for p in client.get("/-/plugins.json").json()]
        client.get("/-/locale/en")
        english = client.get(f"/v/{VILLAGE}/p/dibao/recipients")
        assert "No recipients published for this month" in english.text and "Dibao recipients" in english.text
    with site_client(off) as client:
        login(client, off, "clerk", role="clerk", scope=VILLAGE)
        assert client.get(f"/v/{VILLAGE}/p/dibao/").status_code == 404
        assert client.get(f"/v/{VILLAGE}/p/dibao/recipients").status_code == 404
        assert "/p/dibao/" not in client.get(f"/v/{VILLAGE}/").text
    with off.db.read() as session:
        from sqlalchemy import inspect

        assert not [t for t in inspect(session.get_bind()).get_table_names() if t.startswith("dibao_")]
    assert Case.__tablename__ == "dibao_case"


@pytest.mark.parametrize("typed", ["٦٢٢٢٠٢٠٢٠٠١١٢٢٣٣٤٤٦", "⁶²²²⁰²⁰²⁰⁰¹¹²²³³⁴⁴⁶",
                                   "６２２２０２０２００１１２２３３４４６x"])
def test_an_account_number_in_other_digits_never_reaches_the_bank_file(site_factory: Any, typed: str) -> None:
    """`str.isdigit()` is true for Arabic-Indic and superscript digits; the bank file needs 0-9 (issue 13, item 8)."""
    site = _site(site_factory)
    case_id = enrolled_case(site, [dt.date(1980, 1, 1)], "100", confirmed_on=dt.date(2025, 11, 20), account=ACCOUNT)
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        refused = client.post(f"/v/{VILLAGE}/p/dibao/cases/{case_id}/account",
                              data={"bank_code": "RCC", "account_number": typed, "account_holder": "王建国"})
    assert refused.status_code == 400 and "银行账号只能由数字 0-9 组成" in refused.text
    with site.db.read() as session:
        assert services.get_case(session, case_id).account_number == ACCOUNT
    with pytest.raises(DomainError, match="银行账号只能由数字 0-9 组成"):
        services.bank_account(typed)


def test_a_full_width_account_number_is_read_as_its_digits(site_factory: Any) -> None:
    assert services.bank_account("６２２２ ０２０２ ００１１ ２２３３ ４４５") == ACCOUNT
