"""The notice board's rules, through its services: publishing API, windows, versions, objections, finance."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry
from cunwu.notices import queries, services
from cunwu.notices.markup import diff_versions, render_markdown
from cunwu.notices.models import BoardGeneration, FinanceLine, Notice, Objection, ObjectionContact
from cunwu.testing import unique_violation

from .conftest import CLERK, OTHER, VILLAGE, ProbePlugin, Today, finance, publish


def test_hook_notice_published_hears_the_publishing_api_with_origin_table_and_hash(site_factory: Any, dialect: str,
                                                               probe: ProbePlugin) -> None:
    site = site_factory(dialect=dialect, enabled=["probe"], available={"probe": probe})
    table = services.NoticeTable(["户主", "身份证号", "月保障金（元）"], [["张*华", "130926********123X", "620.00"]],
                                 "2025年第二批低保对象")
    notice = publish(site, window_days=7, origin=services.NoticeOrigin("probe", "case-17", "/p/probe/17"),
                     table=table)
    assert probe.published == [(notice.id, "probe", "case-17")]
    with site.db.read() as session:
        stored = session.get(Notice, notice.id)
        assert stored is not None
        assert stored.status == "published" and stored.window_days == 7
        assert stored.window_end - stored.window_start == dt.timedelta(days=6)  # 7 calendar days, both included
        assert stored.data_table == table.as_json()
        assert stored.content_hash == services.content_hash(services.version_form(session, stored))
        entries = audit.history(session, "notices_notice", str(notice.id))
    assert [e.action for e in entries] == ["notices.notice.publish"]
    assert entries[0].after["content_hash"] == stored.content_hash


def test_publish_refuses_unknown_village_stream_and_clerk_category(site: Any) -> None:
    with pytest.raises(services.NotFound, match="没有这个村：130926999999"):
        publish(site, village="130926999999")
    with pytest.raises(services.NoticeError, match="党务、村务或财务"):
        publish(site, stream="sports")
    with pytest.raises(services.NoticeError, match="不在本县村务公开的分类中"):
        publish(site, category="随便写的分类")
    # A plugin may bring its own category (its origin says who wrote it).
    assert publish(site, category="低保复核", origin=services.NoticeOrigin("dibao", "9")).category == "低保复核"


def test_draft_is_private_until_published_and_window_starts_on_publication(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 4, 1))
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="party",
                                      category="党费收缴", title="2025年一季度党费收缴情况", body="全体党员已按时缴纳")
    with site.db.read() as session:
        assert queries.current_board(session, VILLAGE) == []
    today.set(dt.date(2025, 4, 3))
    with site.db.transaction() as session:
        published = services.publish_draft(session, site, CLERK, draft.id, village_code=VILLAGE)
        assert (published.window_start, published.window_end) == (dt.date(2025, 4, 3), dt.date(2025, 4, 12))
        with pytest.raises(services.NoticeError, match="已经发布"):
            services.update_draft(session, site, CLERK, draft.id, category="党费收缴", title="改", body="改")
    with site.db.read() as session:
        assert [n.id for n in queries.current_board(session, VILLAGE)] == [draft.id]


def test_expired_notice_leaves_the_board_but_stays_in_the_archive(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 5, 1))
    notice = publish(site, window_days=7)
    publish(site, village=OTHER, title="西街村公示")
    with site.db.read() as session:
        assert [n.id for n in queries.current_board(session, VILLAGE, today=dt.date(2025, 5, 7))] == [notice.id]
        assert queries.current_board(session, VILLAGE, today=dt.date(2025, 5, 8)) == []
        archived, total = queries.archive(session, VILLAGE, today=dt.date(2025, 5, 8))
        assert [n.id for n in archived] == [notice.id] and total == 1
        assert queries.archive(session, VILLAGE, today=dt.date(2025, 5, 7)) == ([], 0)


def test_no_objection_after_the_window(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 5, 1))
    notice = publish(site, window_days=7)
    today.set(dt.date(2025, 5, 7))  # last day: still open
    with site.db.transaction() as session:
        services.raise_objection(session, site, None, notice.id, body="第三组王某家有经营车辆", name="李四",
                                 phone="13812345678")
    today.set(dt.date(2025, 5, 8))
    with site.db.transaction() as session, pytest.raises(services.NoticeError, match="公示期已于 2025-05-07 结束"):
        services.raise_objection(session, site, None, notice.id, body="太晚了但我有意见", name="李四",
                                 phone="13812345678")


def test_hook_objection_raised_fires_keeps_contact_private_and_answers_publicly(site_factory: Any, dialect: str,
                                                                             probe: ProbePlugin) -> None:
    site = site_factory(dialect=dialect, enabled=["probe"], available={"probe": probe})
    notice = publish(site, window_days=7)
    with site.db.transaction() as session:
        with pytest.raises(services.NoticeError, match="联系电话"):
            services.raise_objection(session, site, None, notice.id, body="没有留电话的异议", name="李四")
        objection = services.raise_objection(session, site, None, notice.id, body="王某家新建楼房，不符合条件",
                                             name="李四", phone="138 1234 5678")
    assert probe.objections == [(objection.id, notice.id, "王某家新建楼房，不符合条件")]
    with site.db.read() as session:
        contact = session.get(ObjectionContact, objection.id)
        assert (contact.name, contact.phone) == ("李四", "13812345678")
        raised = audit.history(session, "notices_objection", str(objection.id))[0]
        assert "13812345678" not in str(raised.after) and "李四" not in str(raised.after)
    with site.db.transaction() as session:
        services.answer_objection(session, site, CLERK, objection.id, "经入户核查，该楼房为其子女所建，户口已分立。",
                                  village_code=VILLAGE)
        with pytest.raises(services.NoticeError, match="已经答复"):
            services.answer_objection(session, site, CLERK, objection.id, "再答一次", village_code=VILLAGE)
    with site.db.read() as session:
        stored = session.get(Objection, objection.id)
        assert stored.status == "answered" and stored.answer.startswith("经入户核查")


def test_hook_objection_raised_runs_in_the_same_transaction(site_factory: Any, probe: ProbePlugin) -> None:
    site = site_factory(enabled=["probe"], available={"probe": probe})
    notice = publish(site, window_days=7)
    probe.refuse = True
    with pytest.raises(RuntimeError, match="probe refuses"), site.db.transaction() as session:
        services.raise_objection(session, site, None, notice.id, body="这条异议会被回滚", name="李四",
                                 phone="13812345678")
    with site.db.read() as session:
        assert session.scalars(select(Objection)).all() == []


def test_correction_makes_a_new_linked_version_with_diff(site: Any, dialect: str) -> None:
    notice = publish(site, title="2025年春季植树安排", body="时间：3月12日\n地点：村东河堤\n每户出工一人")
    with site.db.transaction() as session:
        new = services.correct_notice(session, site, CLERK, notice.id, title="2025年春季植树安排",
                                      body="时间：3月15日\n地点：村东河堤\n每户出工一人", note="日期有误")
    with site.db.read() as session:
        old = session.get(Notice, notice.id)
        assert (old.is_current, new.is_current, new.version, new.supersedes_id) == (False, True, 2, notice.id)
        assert old.body.startswith("时间：3月12日")  # the published text never changes
        assert [v.version for v in services.versions(session, notice.series)] == [1, 2]
        assert services.version_form(session, new)["previous"] == old.content_hash
        assert [n.id for n in queries.current_board(session, VILLAGE)] == [new.id]
    diff = diff_versions(old.body, new.body)
    assert ("del", "时间：3月12日") in [(d.kind, d.text) for d in diff]
    assert ("add", "时间：3月15日") in [(d.kind, d.text) for d in diff]
    with site.db.transaction() as session, pytest.raises(services.NoticeError, match="相同"):
        services.correct_notice(session, site, CLERK, new.id, title=new.title, body=new.body, note="无变化")


def test_database_allows_one_current_version_per_series(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    notice = publish(site)
    with pytest.raises(IntegrityError, match=unique_violation("notices_notice")), site.db.transaction() as session:
        twin = Notice(**{**session.get(Notice, notice.id).model_dump(), "id": None, "version": 2})
        audit.create(session, CLERK, twin)


def test_withdrawn_notice_leaves_board_refuses_objections_and_keeps_reason(site: Any) -> None:
    notice = publish(site)
    with site.db.transaction() as session:
        with pytest.raises(services.NoticeError, match="撤回原因"):
            services.withdraw_notice(session, site, CLERK, notice.id, " ")
        services.withdraw_notice(session, site, CLERK, notice.id, "名单有误，核实后重新公示", village_code=VILLAGE)
    with site.db.read() as session:
        assert queries.current_board(session, VILLAGE) == []
        archived, _total = queries.archive(session, VILLAGE)
        assert archived[0].status == "withdrawn"
        assert session.get(Notice, archived[0].id).withdrawn_reason == "名单有误，核实后重新公示"
    with site.db.transaction() as session, pytest.raises(services.NoticeError, match="已撤回"):
        services.raise_objection(session, site, None, notice.id, body="还能提吗？不能。", name="李四",
                                 phone="13812345678")


def test_notice_of_another_village_is_not_found(site: Any) -> None:
    notice = publish(site)
    with site.db.transaction() as session, pytest.raises(services.NotFound, match="没有这条公开信息"):
        services.withdraw_notice(session, site, CLERK, notice.id, "跨村操作", village_code=OTHER)


def test_finance_statement_reconciles_and_is_stored_exactly(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    figures = finance(opening="12345.67", income=(("上级转移支付", "8000.00"), ("土地承包费", "1500.50")),
                      expenditure=(("路灯电费", "860.17"), ("保洁员工资", "2400.00")), closing="18586.00",
                      income_total="9500.50")
    notice = publish(site, stream="finance", category="月度收支", title="东街村2025年3月财务收支公开", body="",
                     finance=figures)
    with site.db.read() as session:
        statement, lines = services.finance_of(session, notice)
        assert (statement.income_total, statement.expenditure_total) == (services.to_money("9500.50"),
                                                                          services.to_money("3260.17"))
        assert statement.period_end == dt.date(2025, 3, 31)
        assert [ln.item for ln in lines if ln.direction == "expenditure"] == ["路灯电费", "保洁员工资"]
        assert session.get(Notice, notice.id).content_hash == services.content_hash(
            services.version_form(session, notice))


def test_finance_that_does_not_reconcile_is_refused_naming_the_difference(site: Any) -> None:
    with pytest.raises(services.NoticeError, match=r"相差 10\.00 元") as refused:
        publish(site, stream="finance", category="月度收支", title="3月", body="",
                finance=finance(closing="1290.00"))
    assert "收支不平" in refused.value.message and "相差 10.00 元" in refused.value.message
    assert refused.value.problems[0].field == "closing"
    with pytest.raises(services.NoticeError,
                       match=r"收入合计填写为 600\.00 元，但各行相加为 500\.00 元，相差 100\.00 元"):
        publish(site, stream="finance", category="月度收支", title="3月", body="", finance=finance(income_total="600"))
    with site.db.read() as session:
        assert session.scalars(select(Notice)).all() == []
        assert session.scalars(select(FinanceLine)).all() == []


def test_finance_correction_carries_the_statement(site: Any) -> None:
    notice = publish(site, stream="finance", category="月度收支", title="3月收支", body="", finance=finance())
    with site.db.transaction() as session:
        new = services.correct_notice(session, site, CLERK, notice.id, title="3月收支（更正）", body="补充说明",
                                      note="补充说明")
    with site.db.read() as session:
        statement, lines = services.finance_of(session, new)
        assert statement is not None and statement.closing == services.to_money("1300") and len(lines) == 2


def test_attachments_are_sniffed_limited_and_only_on_drafts(site: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    with site.db.transaction() as session:
        draft = services.draft_notice(session, site, CLERK, village_code=VILLAGE, stream="village",
                                      category="工程项目", title="村道硬化工程验收", body="见附件")
        saved = services.add_attachment(session, site, CLERK, draft.id, filename="../../验收照片.exe", data=png)
        assert (saved.content_type, saved.filename) == ("image/png", "验收照片.png")
        with pytest.raises(services.NoticeError, match="只能上传图片"):
            services.add_attachment(session, site, CLERK, draft.id, filename="x.pdf", data=b"<svg onload=alert(1)>")
        with pytest.raises(services.NoticeError, match="文件太大"):
            services.add_attachment(session, site, CLERK, draft.id, filename="big.pdf",
                                    data=b"%PDF-" + b"0" * (5 * 1024 * 1024))
        services.publish_draft(session, site, CLERK, draft.id)
        with pytest.raises(services.NoticeError, match="已经发布"):
            services.add_attachment(session, site, CLERK, draft.id, filename="late.png", data=png)
    with site.db.read() as session:
        form = services.version_form(session, session.get(Notice, draft.id))
        assert form["attachments"][0]["sha256"] == saved.sha256


def test_markdown_is_sanitised() -> None:
    html = str(render_markdown("# 通知\n\n<script>alert(1)</script>\n\n[链接](javascript:alert(1)) **重要** [政策](https://www.gov.cn/)"))
    assert "<script" not in html and "&lt;script&gt;" in html and 'href="javascript' not in html
    assert '<a href="https://www.gov.cn/" rel="noopener noreferrer nofollow">政策</a>' in html
    assert "<h2>通知</h2>" in html and "<strong>重要</strong>" in html


def test_disclosure_calendar_finds_overdue_villages(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 4, 20))
    publish(site, stream="finance", category="月度收支", title="2月", body="",
            finance=finance(start=dt.date(2025, 2, 1)))
    publish(site, title="一季度村务公开", category="其他村务")
    publish(site, village=OTHER, stream="finance", category="月度收支", title="3月", body="",
            finance=finance(start=dt.date(2025, 3, 1)))
    with site.db.read() as session:
        # 20 April: March's statement was due on 10 April (10 days' grace).
        late = {(o.village_code, o.stream): o for o in queries.overdue(session, site, today=dt.date(2025, 4, 20))}
        assert late[(VILLAGE, "finance")].days_late == 10 and late[(VILLAGE, "finance")].missing_periods == 1
        assert (OTHER, "finance") not in late
        assert (VILLAGE, "village") not in late  # published today
        assert late[(OTHER, "village")].last is None  # never published any 村务 notice
        # Three months and a day later the 村务 notice of 20 April is overdue too.
        later = {(o.village_code, o.stream): o for o in queries.overdue(session, site, today=dt.date(2025, 7, 21))}
        assert later[(VILLAGE, "village")].days_late == 1
        assert later[(VILLAGE, "finance")].missing_periods == 4  # March, April, May, June
        assert "逾期" in later[(VILLAGE, "finance")].describe()


def test_calendar_quarterly_finance_setting(site_factory: Any) -> None:
    site = site_factory(extra_toml="[core.notices]\nfinance_period = \"quarter\"\nfinance_grace_days = 15\n")
    publish(site, stream="finance", category="季度收支", title="一季度", body="",
            finance=finance(start=dt.date(2025, 1, 1), kind="quarter"))
    with site.db.read() as session:
        assert not [o for o in queries.overdue(session, site, [VILLAGE], today=dt.date(2025, 7, 15))
                    if o.stream == "finance"]
        late = [o for o in queries.overdue(session, site, [VILLAGE], today=dt.date(2025, 7, 20))
                if o.stream == "finance"]
        assert late[0].days_late == 5


def test_settings_are_validated(site_factory: Any) -> None:
    from cunwu.sites import SiteConfigError

    with pytest.raises(SiteConfigError, match="notices"):
        site_factory(extra_toml="[core.notices]\nunknown_key = 1\n", migrate=False)
    with pytest.raises(SiteConfigError, match="window days"):
        site_factory(extra_toml='[core.notices]\ncategory_window_days = { "低保" = 0 }\n', migrate=False)


def test_every_published_version_hash_is_in_the_chain(site: Any) -> None:
    notice = publish(site)
    with site.db.transaction() as session:
        new = services.correct_notice(session, site, CLERK, notice.id, title="更正后的标题", body="正文", note="标题")
    with site.db.read() as session:
        hashes = {e.after.get("content_hash") for e in session.scalars(select(AuditEntry)) if e.after}
        checked, problem = audit.verify_chain(session)
    assert {notice.content_hash, new.content_hash} <= hashes
    assert problem is None and checked >= 3


def _batch_notices() -> list[services.NewNotice]:
    table = services.NoticeTable(["成员", "金额（元）"], [["张*华", "12.30"], ["李*明", "0.01"]], "分配表")
    return [
        services.NewNotice(VILLAGE, "finance", "合作社盈余分配", "甲社分配公示", "正文甲", window_days=10,
                           origin=services.NoticeOrigin("probe", "1:2024:1", "/p/probe/1"), table=table),
        services.NewNotice(OTHER, "village", "低保", "关于低保对象的公示", "正文乙"),
        services.NewNotice(VILLAGE, "finance", "月度收支", "三月财务公开", "正文丙", finance=finance()),
        services.NewNotice(VILLAGE, "party", "党费收缴", "党费收缴情况", "正文丁", window_end=dt.date(2025, 5, 30)),
    ]


def _published_state(site: Any) -> dict[str, Any]:
    """What publishing left: notice rows and audit entries without ids, series, times and hashes (which differ from
    one site to the other), the board per village, the board generations, and whether the chain verifies."""

    def plain(data: dict[str, Any] | None) -> dict[str, Any]:
        return {k: v for k, v in (data or {}).items()
                if not (k == "id" or k.endswith("_id") or k.endswith("_at") or k in ("series", "content_hash"))}

    with site.db.read() as session:
        notices = list(session.scalars(select(Notice).order_by(Notice.id)))
        for notice in notices:
            assert notice.content_hash == services.content_hash(services.version_form(session, notice))
        entries = sorted((e.action, e.object_type, e.village_code, sorted(plain(e.after).items()))
                         for e in session.scalars(select(AuditEntry)))
        checked, problem = audit.verify_chain(session)
        boards = {v: sorted(n.title for n in queries.current_board(session, v)) for v in (VILLAGE, OTHER)}
        generations = dict(session.execute(select(BoardGeneration.village_code, BoardGeneration.counter)).all())
        lines = sorted((ln.direction, ln.position, ln.item, ln.amount) for ln in session.scalars(select(FinanceLine)))
    return {"notices": [plain(n.model_dump()) for n in notices], "entries": entries, "chain": (checked, problem),
            "boards": boards, "generations": generations, "finance_lines": lines}


def test_publishing_many_at_once_equals_publishing_them_one_by_one(site_factory: Any, dialect: str,
                                                                    today: Today) -> None:
    today.set(dt.date(2025, 4, 1))
    probes = ProbePlugin(), ProbePlugin()
    one_by_one, batched = (site_factory(dialect=dialect, enabled=["probe"], available={"probe": p}) for p in probes)
    with one_by_one.db.transaction() as session:
        singles = [services.publish_notice(session, one_by_one, CLERK, village_code=n.village_code, stream=n.stream,
                                           category=n.category, title=n.title, body=n.body,
                                           window_days=n.window_days, window_end=n.window_end, origin=n.origin,
                                           table=n.table, finance=n.finance) for n in _batch_notices()]
    with batched.db.transaction() as session:
        many = services.publish_notices(session, batched, CLERK, _batch_notices())
    assert [n.title for n in many] == [n.title for n in singles]
    assert [(kind, ref) for _id, kind, ref in probes[1].published] == \
        [(kind, ref) for _id, kind, ref in probes[0].published]
    assert [notice_id for notice_id, _kind, _ref in probes[1].published] == [n.id for n in many]
    expected, got = _published_state(one_by_one), _published_state(batched)
    assert got == expected
    checked, problem = got["chain"]
    assert problem is None and checked >= 5  # four notices and one finance statement, after the site's own entries
    assert got["boards"][VILLAGE] == ["三月财务公开", "党费收缴情况", "甲社分配公示"]
    assert got["generations"] == {VILLAGE: 1, OTHER: 1}


def test_publishing_many_writes_nothing_when_one_is_refused(site: Any, today: Today) -> None:
    today.set(dt.date(2025, 4, 1))
    notices = [*_batch_notices(), services.NewNotice(VILLAGE, "sports", "低保", "标题", "正文")]
    with pytest.raises(services.NoticeError, match="党务、村务或财务"), site.db.transaction() as session:
        services.publish_notices(session, site, CLERK, notices)
    with site.db.read() as session:
        assert session.scalars(select(Notice)).all() == []
