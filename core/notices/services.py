"""Notice board services: draft, publish, correct, withdraw, objections, financial statements.

Every function works in the caller's transaction and never commits. Permissions are checked by the routes (the
guard) — plugins and meetings call `publish_notice` with the actor on whose behalf they act. Every public change
bumps the village's `BoardGeneration` in the same transaction, which invalidates the shared page cache.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, literal, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from cunwu import clock
from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.db.types import LOCAL_TZ, to_money, utcnow
from cunwu.errors import DomainError, NotFound, Problem
from cunwu.i18n import _
from cunwu.notices.models import (
    STREAMS,
    BoardGeneration,
    FinanceLine,
    FinanceStatement,
    Notice,
    NoticeAttachment,
    Objection,
    ObjectionContact,
)
from cunwu.notices.settings import NoticeSettings

if TYPE_CHECKING:
    from cunwu.runtime import Site

MAX_BODY = 50_000
MAX_TABLE_ROWS = 5_000
_TOUCHED_KEY = "cunwu_notices_touched"
#: The PostgreSQL channel a board change is announced on (listened to by cunwu.notices.front).
GENERATION_CHANNEL = "cunwu_notices_generation"
_PHONE = re.compile(r"^(?:\+?86)?1\d{10}$|^0\d{2,3}-?\d{7,8}$")


_AS_OF: ContextVar[dt.date | None] = ContextVar("cunwu_notices_as_of", default=None)


def local_today() -> dt.date:
    """Today in China: windows open and close on local calendar days."""
    return _AS_OF.get() or clock.local_today()


def _now() -> dt.datetime:
    """The publication time: now, or 09:00 local on the `as_of` day (demo history)."""
    day = _AS_OF.get()
    if day is None:
        return utcnow()
    return dt.datetime.combine(day, dt.time(9, 0), LOCAL_TZ).astimezone(dt.UTC)


@contextmanager
def as_of(day: dt.date) -> Iterator[None]:
    """Build history (the demo's year of notices) as if it were `day`; never used by the web pages."""
    token = _AS_OF.set(day)
    try:
        yield
    finally:
        _AS_OF.reset(token)


def settings_of(site: Site) -> NoticeSettings:
    return site.settings("notices")  # type: ignore[no-any-return]


class NoticeError(DomainError):
    """A notice rule refused the change; the message says what and, where it applies, by how much."""


class NoticeConflict(NoticeError):
    """Somebody else changed the notice (or answered the objection) first: HTTP 409, with what happened."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=409)


def _lock_series(session: Session, notice: Notice) -> Notice:
    """Take the notice's series for this transaction and re-read the notice as it now is.

    Publishing, withdrawing and correcting read the state, then write: two clerks at once both read "draft" and
    both published (6 parallel publishes gave 5 entries). PostgreSQL: a transaction-scoped advisory lock on the
    series, then every version is read again (READ COMMITTED: after the lock, what the winner committed). SQLite:
    write transactions already exclude each other (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cunwu.notice:{notice.series}"})
        session.expire_all()
    return notice


@dataclass(frozen=True)
class NoticeOrigin:
    """Who wrote the notice: "clerk", "meeting", "matter" or a plugin name; `ref` its id there, `url` a link back."""

    kind: str = "clerk"
    ref: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class NoticeTable:
    """A table of already-masked cells shown with the notice (e.g. a 低保 公示 list)."""

    columns: list[str]
    rows: list[list[str]]
    caption: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows], "caption": self.caption}


@dataclass(frozen=True)
class FinanceInput:
    """The figures of a 财务 disclosure for one month or quarter (amounts in yuan, exact)."""

    period_kind: str  # "month" | "quarter"
    period_start: dt.date
    opening: Decimal
    income: list[tuple[str, Decimal]] = field(default_factory=list)
    expenditure: list[tuple[str, Decimal]] = field(default_factory=list)
    closing: Decimal = Decimal("0")
    income_total: Decimal | None = None
    expenditure_total: Decimal | None = None

    @property
    def period_end(self) -> dt.date:
        months = 1 if self.period_kind == "month" else 3
        year, month = divmod(self.period_start.month - 1 + months, 12)
        return dt.date(self.period_start.year + year, month + 1, 1) - dt.timedelta(days=1)

    def period_label(self) -> str:
        if self.period_kind == "month":
            return _("%(y)s年%(m)s月", y=self.period_start.year, m=self.period_start.month)
        return _("%(y)s年第%(q)s季度", y=self.period_start.year, q=(self.period_start.month - 1) // 3 + 1)


def _money(value: Any) -> Decimal:
    return to_money(value)


def check_finance(data: FinanceInput) -> tuple[Decimal, Decimal]:
    """Refuse figures that do not add up; return (income total, expenditure total)."""
    if data.period_kind not in ("month", "quarter"):
        raise NoticeError(_("公开期间只能按月或按季度"), [Problem(_("公开期间只能按月或按季度"), field="period_kind")])
    if data.period_start.day != 1 or (data.period_kind == "quarter" and (data.period_start.month - 1) % 3):
        raise NoticeError(_("期间必须从月初（季度从季初）开始"))
    problems = []
    for direction, lines in (("income", data.income), ("expenditure", data.expenditure)):
        for number, (item, amount) in enumerate(lines, start=1):
            if not item.strip():
                problems.append(Problem(_("第 %(n)s 行缺少项目名称", n=number), field=direction, row=number))
            if _money(amount) < 0:
                problems.append(Problem(_("第 %(n)s 行金额不能为负数", n=number), field=direction, row=number))
    if problems:
        raise NoticeError(problems[0].message, problems)
    income = sum((_money(a) for _i, a in data.income), Decimal("0.00"))
    spent = sum((_money(a) for _i, a in data.expenditure), Decimal("0.00"))
    for stated, actual, label, name in ((data.income_total, income, _("收入合计"), "income_total"),
                                        (data.expenditure_total, spent, _("支出合计"), "expenditure_total")):
        if stated is not None and _money(stated) != actual:
            message = _("%(label)s填写为 %(stated)s 元，但各行相加为 %(actual)s 元，相差 %(diff)s 元",
                        label=label, stated=_money(stated), actual=actual, diff=abs(_money(stated) - actual))
            raise NoticeError(message, [Problem(message, field=name)])
    expected = _money(data.opening) + income - spent
    if expected != _money(data.closing):
        message = _("收支不平：期初余额 %(opening)s + 收入合计 %(income)s − 支出合计 %(spent)s = %(expected)s 元，"
                    "与填写的期末余额 %(closing)s 元相差 %(diff)s 元",
                    opening=_money(data.opening), income=income, spent=spent, expected=expected,
                    closing=_money(data.closing), diff=abs(expected - _money(data.closing)))
        raise NoticeError(message, [Problem(message, field="closing")])
    return income, spent


# --- validation -------------------------------------------------------------------------------------------------


def _check_fields(site: Site, *, village_code: str, stream: str, category: str, title: str, body: str,
                  origin: NoticeOrigin, table: NoticeTable | None, check_category: bool | None = None) -> None:
    problems: list[Problem] = []
    if site.village(village_code) is None:
        raise NotFound(_("没有这个村：%(code)s", code=village_code))
    if stream not in STREAMS:
        problems.append(Problem(_("公开类别必须是党务、村务或财务"), field="stream"))
    category = category.strip()
    if not category or len(category) > 40:
        problems.append(Problem(_("请填写分类（不超过 40 个字）"), field="category"))
    elif (origin.kind == "clerk" if check_category is None else check_category) and stream in STREAMS \
            and category not in settings_of(site).categories[stream]:
        problems.append(Problem(_("分类“%(c)s”不在本县%(s)s公开的分类中", c=category, s=stream_label(stream)),
                                field="category"))
    if not title.strip() or len(title) > 200:
        problems.append(Problem(_("请填写标题（不超过 200 个字）"), field="title"))
    if len(body) > MAX_BODY:
        problems.append(Problem(_("正文过长（不超过 %(n)s 个字）", n=MAX_BODY), field="body"))
    if not origin.kind or len(origin.kind) > 40:
        problems.append(Problem(_("来源无效"), field="origin"))
    if table is not None:
        if not table.columns or any(len(row) != len(table.columns) for row in table.rows):
            problems.append(Problem(_("附表每一行的列数必须与表头相同"), field="table"))
        elif len(table.rows) > MAX_TABLE_ROWS:
            problems.append(Problem(_("附表最多 %(n)s 行", n=MAX_TABLE_ROWS), field="table"))
        elif not all(isinstance(c, str) for row in [table.columns, *table.rows] for c in row):
            problems.append(Problem(_("附表的单元格必须是文字"), field="table"))
    if problems:
        raise NoticeError(problems[0].message, problems)


def stream_label(stream: str) -> str:
    from cunwu.notices.settings import STREAM_LABELS

    return str(STREAM_LABELS.get(stream, stream))


def _window(site: Site, start: dt.date, days: int | None, end: dt.date | None, stream: str,
            category: str) -> tuple[int, dt.date]:
    limit = settings_of(site).max_window_days
    if end is not None:
        if end < start:
            raise NoticeError(_("公示期结束日 %(end)s 早于开始日 %(start)s", end=end, start=start))
        days = (end - start).days + 1
    days = days if days is not None else settings_of(site).window_days_for(stream, category)
    if days < 1 or days > limit:
        raise NoticeError(_("公示天数必须在 1 到 %(n)s 天之间", n=limit),
                          [Problem(_("公示天数必须在 1 到 %(n)s 天之间", n=limit), field="window_days")])
    return days, start + dt.timedelta(days=days - 1)


# --- hashing ----------------------------------------------------------------------------------------------------


def canonical_form(notice: Notice, attachments: list[NoticeAttachment], finance: dict[str, Any] | None,
                   previous_hash: str | None) -> dict[str, Any]:
    """What a version's hash covers: its content, window, origin, files (by SHA-256) and the previous version."""
    return {
        "series": notice.series, "version": notice.version, "previous": previous_hash,
        "village_code": notice.village_code, "stream": notice.stream, "category": notice.category,
        "kind": notice.kind, "title": notice.title, "body": notice.body, "table": notice.data_table,
        "window_start": notice.window_start.isoformat() if notice.window_start else None,
        "window_end": notice.window_end.isoformat() if notice.window_end else None,
        "origin": {"kind": notice.origin_kind, "ref": notice.origin_ref, "url": notice.origin_url},
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256}
                        for a in sorted(attachments, key=lambda a: (a.sha256, a.filename))],
        "finance": finance,
    }


def canonical_bytes(form: dict[str, Any]) -> bytes:
    return json.dumps(form, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def content_hash(form: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_bytes(form)).hexdigest()


def finance_form(statement: FinanceStatement | None, lines: list[FinanceLine]) -> dict[str, Any] | None:
    if statement is None:
        return None
    return {
        "period_kind": statement.period_kind, "period_start": statement.period_start.isoformat(),
        "period_end": statement.period_end.isoformat(), "opening": str(_money(statement.opening)),
        "income_total": str(_money(statement.income_total)),
        "expenditure_total": str(_money(statement.expenditure_total)), "closing": str(_money(statement.closing)),
        "lines": [{"direction": ln.direction, "position": ln.position, "item": ln.item,
                   "amount": str(_money(ln.amount))}
                  for ln in sorted(lines, key=lambda ln: (ln.direction, ln.position))],
    }


def version_form(session: Session, notice: Notice) -> dict[str, Any]:
    """Rebuild a stored version's canonical form from the database (for verification)."""
    statement, lines = finance_of(session, notice)
    previous = session.get(Notice, notice.supersedes_id) if notice.supersedes_id else None
    return canonical_form(notice, attachments_of(session, notice), finance_form(statement, lines),
                          previous.content_hash if previous else None)


# --- reading helpers --------------------------------------------------------------------------------------------


def attachments_of(session: Session, notice: Notice) -> list[NoticeAttachment]:
    """Attachment metadata only (the bytes are loaded when served)."""
    from sqlalchemy.orm import defer

    return list(session.scalars(select(NoticeAttachment).options(defer(NoticeAttachment.data))  # type: ignore[arg-type]
                                .where(NoticeAttachment.notice_id == notice.id).order_by(NoticeAttachment.id)))


def finance_of(session: Session, notice: Notice) -> tuple[FinanceStatement | None, list[FinanceLine]]:
    if notice.kind != "finance":
        return None, []
    statement = session.scalars(select(FinanceStatement).where(FinanceStatement.notice_id == notice.id)).first()
    if statement is None:
        return None, []
    lines = list(session.scalars(select(FinanceLine).where(FinanceLine.statement_id == statement.id)
                                 .order_by(FinanceLine.direction, FinanceLine.position)))
    return statement, lines


def get_notice(session: Session, notice_id: int, village_code: str | None = None) -> Notice:
    """A notice version by id, refused (404) when it belongs to another village than the page's."""
    notice = session.get(Notice, notice_id)
    if notice is None or (village_code is not None and notice.village_code != village_code):
        raise NotFound(_("没有这条公开信息"))
    return notice


def current_version(session: Session, series: str) -> Notice:
    return session.scalars(select(Notice).where(Notice.series == series, Notice.is_current)).one()


def versions(session: Session, series: str) -> list[Notice]:
    return list(session.scalars(select(Notice).where(Notice.series == series, Notice.published_at.is_not(None))  # type: ignore[union-attr]
                                .order_by(Notice.version)))


# --- writing ----------------------------------------------------------------------------------------------------


def _touch(session: Session, village_code: str) -> None:
    """Bump the village's board generation in this transaction: every cached page of it becomes stale at commit.

    Once per village and transaction is enough (the commit publishes every change at once), which keeps batch
    publishing (demo data, plugins posting many notices) from rewriting the same row again and again."""
    transaction = session.get_transaction()
    marker = session.info.get(_TOUCHED_KEY)
    if marker is None or marker[0] is not transaction:
        marker = session.info[_TOUCHED_KEY] = (transaction, set())
    if village_code in marker[1]:
        return
    marker[1].add(village_code)
    dialect = session.get_bind().dialect.name
    maker = pg_insert if dialect == "postgresql" else sqlite_insert
    now = utcnow()
    stmt = maker(BoardGeneration).values(village_code=village_code, counter=1, changed_at=now)
    stmt = stmt.on_conflict_do_update(index_elements=["village_code"],
                                      set_={"counter": BoardGeneration.counter + 1, "changed_at": now})
    session.execute(stmt)
    if dialect == "postgresql":  # delivered at commit to every worker's front cache (cunwu.notices.front)
        session.execute(text("SELECT pg_notify(:channel, :village)"),
                        {"channel": GENERATION_CHANNEL, "village": village_code})


def _write_finance(session: Session, actor: Actor, notice: Notice, data: FinanceInput) -> dict[str, Any]:
    income, spent = check_finance(data)
    statement = FinanceStatement(
        notice_id=notice.id, village_code=notice.village_code, period_kind=data.period_kind,  # type: ignore[arg-type]
        period_start=data.period_start, period_end=data.period_end, opening=_money(data.opening),
        income_total=income, expenditure_total=spent, closing=_money(data.closing))
    audit.create(session, actor, statement, "notices.finance.create")
    rows = [{"statement_id": statement.id, "direction": direction, "position": position, "item": item.strip()[:200],
             "amount": _money(amount)}
            for direction, lines in (("income", data.income), ("expenditure", data.expenditure))
            for position, (item, amount) in enumerate(lines, start=1)]
    if rows:
        session.execute(insert(FinanceLine), rows)
    return finance_form(statement, [FinanceLine(**row) for row in rows])  # type: ignore[return-value]


def _fire_published(session: Session, site: Site, notice: Notice) -> None:
    site.call("notice_published", session=session, notice=notice, site=site)


def _stamp_published(actor: Actor, notice: Notice, *, finance: FinanceInput | None,
                     attachments: list[NoticeAttachment], previous: Notice | None,
                     finance_copy: tuple[FinanceStatement, list[FinanceLine]] | None = None) -> None:
    """Mark a new version published and hash it from its content, before the insert."""
    if finance is not None:
        check_finance(finance)
    notice.status = "published"
    notice.published_at = _now()
    notice.published_by = actor.label
    # The finance figures and attachments are written after the row; the hash covers them as they will be stored.
    finance_data: dict[str, Any] | None = None
    if finance is not None:
        income = sum((_money(a) for _i, a in finance.income), Decimal("0.00"))
        spent = sum((_money(a) for _i, a in finance.expenditure), Decimal("0.00"))
        probe = FinanceStatement(notice_id=0, village_code=notice.village_code, period_kind=finance.period_kind,
                                 period_start=finance.period_start, period_end=finance.period_end,
                                 opening=_money(finance.opening), income_total=income, expenditure_total=spent,
                                 closing=_money(finance.closing))
        probe_lines = [FinanceLine(statement_id=0, direction=d, position=p, item=i.strip()[:200], amount=_money(a))
                       for d, lines in (("income", finance.income), ("expenditure", finance.expenditure))
                       for p, (i, a) in enumerate(lines, start=1)]
        finance_data = finance_form(probe, probe_lines)
    elif finance_copy is not None:
        finance_data = finance_form(*finance_copy)
    notice.content_hash = content_hash(canonical_form(notice, attachments, finance_data,
                                                      previous.content_hash if previous else None))


def _insert_published(session: Session, site: Site, actor: Actor, notice: Notice, *,
                      finance: FinanceInput | None, attachments: list[NoticeAttachment],
                      previous: Notice | None, finance_copy: tuple[FinanceStatement, list[FinanceLine]] | None = None,
                      action: str = "notices.notice.publish") -> Notice:
    """Insert a version that is published at once: the hash is computed from the content before the insert."""
    _stamp_published(actor, notice, finance=finance, attachments=attachments, previous=previous,
                     finance_copy=finance_copy)
    audit.create(session, actor, notice, action)
    if finance is not None:
        _write_finance(session, actor, notice, finance)
    elif finance_copy is not None:
        old, lines = finance_copy
        statement = FinanceStatement(**{k: getattr(old, k) for k in (
            "village_code", "period_kind", "period_start", "period_end", "opening", "income_total",
            "expenditure_total", "closing")}, notice_id=notice.id)
        audit.create(session, actor, statement, "notices.finance.create")
        if lines:
            session.execute(insert(FinanceLine), [
                {"statement_id": statement.id, "direction": ln.direction, "position": ln.position, "item": ln.item,
                 "amount": ln.amount} for ln in lines])
    _touch(session, notice.village_code)
    _fire_published(session, site, notice)
    return notice


@dataclass(frozen=True)
class NewNotice:
    """One notice for `publish_notices`: the arguments `publish_notice` takes, as one value."""

    village_code: str
    stream: str
    category: str
    title: str
    body: str
    window_days: int | None = None
    window_end: dt.date | None = None
    origin: NoticeOrigin = field(default_factory=NoticeOrigin)
    table: NoticeTable | None = None
    finance: FinanceInput | None = None


def _new_notice(site: Site, actor: Actor, new: NewNotice) -> Notice:
    """The first version of a new series as `new` asks for it, checked (refusals raise), not yet written."""
    _check_fields(site, village_code=new.village_code, stream=new.stream, category=new.category, title=new.title,
                  body=new.body, origin=new.origin, table=new.table)
    start = local_today()
    days, end = _window(site, start, new.window_days, new.window_end, new.stream, new.category)
    return Notice(
        series=uuid.uuid4().hex, version=1, is_current=True, village_code=new.village_code, stream=new.stream,
        category=new.category.strip(), kind="finance" if new.finance is not None else "text",
        title=new.title.strip(), body=new.body, data_table=new.table.as_json() if new.table else None,
        window_days=days, window_start=start, window_end=end, origin_kind=new.origin.kind,
        origin_ref=new.origin.ref, origin_url=new.origin.url, created_by=actor.label,
    )


def publish_notice(
    session: Session, site: Site, actor: Actor, *, village_code: str, stream: str, category: str, title: str,
    body: str, window_days: int | None = None, window_end: dt.date | None = None,
    origin: NoticeOrigin = NoticeOrigin(), table: NoticeTable | None = None,
    finance: FinanceInput | None = None,
) -> Notice:
    """Publish a notice at once (meetings and plugins use this). Fires `notice_published` in this transaction."""
    notice = _new_notice(site, actor, NewNotice(village_code, stream, category, title, body, window_days, window_end,
                                                origin, table, finance))
    return _insert_published(session, site, actor, notice, finance=finance, attachments=[], previous=None)


def publish_notices(session: Session, site: Site, actor: Actor, notices: Sequence[NewNotice]) -> list[Notice]:
    """Publish many notices at once (a county's co-op closes post one each), in the order given.

    Each notice gets what `publish_notice` gives it — its row, its own audit entry, its finance statement, the
    board's generation bumped, `notice_published` fired — but the rows go in with one flush and the entries with
    one chain append, instead of a few statements per notice (docs/performance.md, "Co-op close, round 3"). All or
    nothing: every notice is checked before any is written. In the chain the notices' entries come first, then
    the finance statements' (one by one they alternate); the hooks fire after all are written."""
    built = [_new_notice(site, actor, new) for new in notices]
    for notice, new in zip(built, notices, strict=True):
        _stamp_published(actor, notice, finance=new.finance, attachments=[], previous=None)
    audit.create_many(session, actor, built, "notices.notice.publish")  # type: ignore[arg-type]
    for notice, new in zip(built, notices, strict=True):
        if new.finance is not None:
            _write_finance(session, actor, notice, new.finance)
    for village_code in dict.fromkeys(notice.village_code for notice in built):
        _touch(session, village_code)
    for notice in built:
        _fire_published(session, site, notice)
    return built


def draft_notice(
    session: Session, site: Site, actor: Actor, *, village_code: str, stream: str, category: str, title: str,
    body: str, window_days: int | None = None, origin: NoticeOrigin = NoticeOrigin(),
    table: NoticeTable | None = None, finance: FinanceInput | None = None,
) -> Notice:
    """Save a draft: nothing is public until `publish_draft`. The window starts on the day it is published."""
    _check_fields(site, village_code=village_code, stream=stream, category=category, title=title, body=body,
                  origin=origin, table=table)
    days, _end = _window(site, local_today(), window_days, None, stream, category)
    if finance is not None:
        check_finance(finance)
    notice = Notice(
        series=uuid.uuid4().hex, version=1, is_current=True, village_code=village_code, stream=stream,
        category=category.strip(), kind="finance" if finance is not None else "text", title=title.strip(),
        body=body, data_table=table.as_json() if table else None, window_days=days, status="draft",
        origin_kind=origin.kind, origin_ref=origin.ref, origin_url=origin.url, created_by=actor.label,
    )
    audit.create(session, actor, notice, "notices.notice.draft")
    if finance is not None:
        _write_finance(session, actor, notice, finance)
    return notice


def _draft(session: Session, notice_id: int, village_code: str | None) -> Notice:
    notice = _lock_series(session, get_notice(session, notice_id, village_code))
    if notice.status == "withdrawn":
        raise NoticeConflict(_("这份草稿已经撤回，不能再修改或发布"))
    if notice.status != "draft":
        raise NoticeConflict(_("这条公开信息已经发布，不能再修改；请用“更正”发布新版本"))
    return notice


def update_draft(
    session: Session, site: Site, actor: Actor, notice_id: int, *, village_code: str | None = None,
    category: str, title: str, body: str, window_days: int | None = None, finance: FinanceInput | None = None,
) -> Notice:
    """Change a draft (stream and village stay). A finance draft's figures are replaced and checked again."""
    notice = _draft(session, notice_id, village_code)
    origin = NoticeOrigin(notice.origin_kind, notice.origin_ref, notice.origin_url)
    _check_fields(site, village_code=notice.village_code, stream=notice.stream, category=category, title=title,
                  body=body, origin=origin, table=None)
    days, _end = _window(site, local_today(), window_days, None, notice.stream, category)
    if notice.kind == "finance" and finance is not None:
        income, spent = check_finance(finance)
        statement, _lines = finance_of(session, notice)
        assert statement is not None
        audit.update(session, actor, statement, {
            "period_kind": finance.period_kind, "period_start": finance.period_start,
            "period_end": finance.period_end, "opening": _money(finance.opening), "income_total": income,
            "expenditure_total": spent, "closing": _money(finance.closing)}, "notices.finance.update")
        for line in session.scalars(select(FinanceLine).where(FinanceLine.statement_id == statement.id)):
            session.delete(line)
        session.flush()
        rows = [{"statement_id": statement.id, "direction": d, "position": p, "item": i.strip()[:200],
                 "amount": _money(a)}
                for d, lines in (("income", finance.income), ("expenditure", finance.expenditure))
                for p, (i, a) in enumerate(lines, start=1)]
        if rows:
            session.execute(insert(FinanceLine), rows)
    audit.update(session, actor, notice, {"category": category.strip(), "title": title.strip(), "body": body,
                                          "window_days": days}, "notices.notice.edit")
    return notice


def publish_draft(session: Session, site: Site, actor: Actor, notice_id: int, *,
                  village_code: str | None = None) -> Notice:
    """Publish a draft: its window starts today; its content hash goes into the audit chain."""
    notice = _draft(session, notice_id, village_code)
    start = local_today()
    end = start + dt.timedelta(days=notice.window_days - 1)
    statement, lines = finance_of(session, notice)
    probe = Notice(**{**notice.model_dump(), "window_start": start, "window_end": end})
    digest = content_hash(canonical_form(probe, attachments_of(session, notice), finance_form(statement, lines), None))
    audit.update(session, actor, notice, {
        "status": "published", "window_start": start, "window_end": end, "published_at": _now(),
        "published_by": actor.label, "content_hash": digest}, "notices.notice.publish")
    _touch(session, notice.village_code)
    _fire_published(session, site, notice)
    return notice


_UNCHANGED: Any = object()


def correct_notice(
    session: Session, site: Site, actor: Actor, notice_id: int, *, title: str, body: str, note: str,
    village_code: str | None = None, table: NoticeTable | None = _UNCHANGED, finance: FinanceInput | None = None,
    restart_window: bool = False,
) -> Notice:
    """Publish a corrected version linked to the current one; the old version stays readable in the history."""
    old = _lock_series(session, get_notice(session, notice_id, village_code))
    current = current_version(session, old.series)
    if current.status == "withdrawn":
        raise NoticeConflict(_("这条公开信息已经撤回，不能再更正"))
    if current.status != "published":
        raise NoticeError(_("只有已发布且未撤回的公开信息可以更正"))
    if current.id != old.id:  # compare-and-set: the correction was written against the version it names
        raise NoticeConflict(_("这条公开信息刚刚已被更正为第 %(n)s 版；请在新版本上重新更正", n=current.version))
    old = current
    note = note.strip()
    new_table = old.data_table if table is _UNCHANGED else (table.as_json() if table else None)
    origin = NoticeOrigin(old.origin_kind, old.origin_ref, old.origin_url)
    problems: list[Problem] = []  # every wrong field at once: the content's and the reason's
    try:
        _check_fields(site, village_code=old.village_code, stream=old.stream, category=old.category, title=title,
                      body=body, origin=origin, table=NoticeTable(**new_table) if new_table else None,
                      check_category=False)
    except NoticeError as exc:
        problems.extend(exc.problems)
    if len(note) < 2 or len(note) > 500:
        problems.append(Problem(_("请说明更正的原因（2 到 500 个字）"), field="note"))
    if problems:
        raise NoticeError(problems[0].message, problems)
    if old.title == title.strip() and old.body == body and new_table == old.data_table and finance is None:
        raise NoticeError(_("更正后的内容与当前版本相同"))
    start, end = old.window_start, old.window_end
    if restart_window:
        start = local_today()
        end = start + dt.timedelta(days=old.window_days - 1)
    attachments = attachments_of(session, old)
    finance_copy = finance_of(session, old) if old.kind == "finance" and finance is None else None
    audit.update(session, actor, old, {"is_current": False}, "notices.notice.supersede")
    new = Notice(
        series=old.series, version=old.version + 1, is_current=True, supersedes_id=old.id,
        village_code=old.village_code, stream=old.stream, category=old.category, kind=old.kind, title=title.strip(),
        body=body, data_table=new_table, window_days=old.window_days, window_start=start, window_end=end,
        origin_kind=old.origin_kind, origin_ref=old.origin_ref, origin_url=old.origin_url, correction_note=note,
        created_by=actor.label,
    )
    _insert_published(session, site, actor, new, finance=finance, attachments=attachments, previous=old,
                      finance_copy=finance_copy if finance_copy and finance_copy[0] else None,
                      action="notices.notice.correct")
    if attachments:
        session.execute(insert(NoticeAttachment).from_select(
            ["notice_id", "filename", "content_type", "size", "sha256", "data", "created_at"],
            select(literal(new.id), NoticeAttachment.filename,
                   NoticeAttachment.content_type, NoticeAttachment.size, NoticeAttachment.sha256,
                   NoticeAttachment.data, NoticeAttachment.created_at)
            .where(NoticeAttachment.notice_id == old.id)))
    return new


def withdraw_notice(session: Session, site: Site, actor: Actor, notice_id: int, reason: str, *,
                    village_code: str | None = None) -> Notice:
    """Take a notice off the board, with the reason on the record; it stays in the archive, marked withdrawn."""
    notice = _lock_series(session, get_notice(session, notice_id, village_code))
    notice = current_version(session, notice.series)
    if notice.status == "withdrawn":
        raise NoticeConflict(_("这条公开信息已经撤回"))
    reason = reason.strip()
    if len(reason) < 2 or len(reason) > 500:
        raise NoticeError(_("请填写撤回原因（2 到 500 个字）"), [Problem(_("请填写撤回原因"), field="reason")])
    was_public = notice.status == "published"
    audit.update(session, actor, notice, {"status": "withdrawn", "withdrawn_at": utcnow(), "withdrawn_by": actor.label,
                                          "withdrawn_reason": reason}, "notices.notice.withdraw")
    if was_public:
        _touch(session, notice.village_code)
    return notice


# --- attachments ------------------------------------------------------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"%PDF-", 0, "application/pdf"),
)


def sniff_type(data: bytes) -> str | None:
    """The file's real type from its first bytes; the name and the browser's claim are not trusted."""
    for magic, offset, kind in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic:
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def clean_filename(name: str, kind: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", base).strip(" .") or "file"
    extension = {"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif", "image/webp": ".webp",
                 "application/pdf": ".pdf"}[kind]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return stem[:120] + extension


def add_attachment(session: Session, site: Site, actor: Actor, notice_id: int, *, filename: str, data: bytes,
                   village_code: str | None = None) -> NoticeAttachment:
    """Attach an image or PDF to a draft, within the site's size, count and type limits."""
    notice = _draft(session, notice_id, village_code)
    limits = settings_of(site)
    if not data:
        raise NoticeError(_("上传的文件是空的"))
    if len(data) > limits.max_attachment_bytes:
        raise NoticeError(_("文件太大：%(size)s KB，最大 %(max)s KB", size=len(data) // 1024,
                            max=limits.max_attachment_bytes // 1024))
    kind = sniff_type(data)
    if kind is None or kind not in limits.attachment_types:
        raise NoticeError(_("只能上传图片（JPEG、PNG、GIF、WebP）或 PDF 文件"))
    if len(attachments_of(session, notice)) >= limits.max_attachments:
        raise NoticeError(_("每条公开信息最多 %(n)s 个附件", n=limits.max_attachments))
    attachment = NoticeAttachment(notice_id=notice.id, filename=clean_filename(filename, kind),  # type: ignore[arg-type]
                                  content_type=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                  data=data)
    session.add(attachment)
    session.flush()
    audit.record(session, actor, "notices.attachment.add", object_type="notices_attachment",
                 object_id=str(attachment.id), before=None, village_code=notice.village_code,
                 after={"notice_id": notice.id, "filename": attachment.filename, "content_type": kind,
                        "size": attachment.size, "sha256": attachment.sha256})
    return attachment


def remove_attachment(session: Session, site: Site, actor: Actor, notice_id: int, attachment_id: int, *,
                      village_code: str | None = None) -> None:
    """Drafts only: a published version's files are part of its hash and never change."""
    notice = _draft(session, notice_id, village_code)
    attachment = session.get(NoticeAttachment, attachment_id)
    if attachment is None or attachment.notice_id != notice.id:
        raise NotFound(_("没有这个附件"))
    audit.record(session, actor, "notices.attachment.remove", object_type="notices_attachment",
                 object_id=str(attachment.id), village_code=notice.village_code, after=None,
                 before={"notice_id": notice.id, "filename": attachment.filename, "sha256": attachment.sha256})
    session.delete(attachment)
    session.flush()


# --- objections -------------------------------------------------------------------------------------------------


def window_open(notice: Notice, today: dt.date | None = None) -> bool:
    today = today or local_today()
    return (notice.status == "published" and notice.is_current and notice.window_start is not None
            and notice.window_end is not None and notice.window_start <= today <= notice.window_end)


def raise_objection(session: Session, site: Site, actor: Actor | None, notice_id: int, *, body: str,
                    name: str = "", phone: str = "", village_code: str | None = None) -> Objection:
    """Record a villager's objection while the window is open; fires `objection_raised` in this transaction."""
    notice = get_notice(session, notice_id, village_code)
    notice = current_version(session, notice.series)
    if notice.status != "published":
        raise NoticeError(_("这条公开信息已撤回，不能再提出异议"))
    if not window_open(notice):
        complaint = site.config.supervision_phone
        message = _("公示期已于 %(end)s 结束，不能再在网上提出异议。", end=notice.window_end)
        if complaint:
            message += _("如认为公开内容不实，可向乡镇反映（监督电话 %(phone)s）。", phone=complaint)
        else:
            message += _("如认为公开内容不实，可向乡镇反映。")
        raise NoticeError(message)
    body = body.strip()
    problems = []
    if len(body) < 5 or len(body) > 2000:
        problems.append(Problem(_("请写明异议内容（5 到 2000 个字）"), field="body"))
    user_id = actor.user_id if actor is not None else None
    if actor is not None and actor.user_id is not None:
        name = name.strip() or actor.display_name
    name, phone = name.strip(), re.sub(r"[\s\-]", "", phone) if phone else ""
    if not name or len(name) > 100:
        problems.append(Problem(_("请填写您的姓名"), field="name"))
    if user_id is None and not _PHONE.match(phone):
        problems.append(Problem(_("请填写正确的联系电话（手机 11 位或带区号的座机）"), field="phone"))
    elif phone and not _PHONE.match(phone):
        problems.append(Problem(_("联系电话格式不正确"), field="phone"))
    if problems:
        raise NoticeError(problems[0].message, problems)
    objection = Objection(notice_id=notice.id, series=notice.series, village_code=notice.village_code,  # type: ignore[arg-type]
                          body=body, user_id=user_id, created_at=_now())
    audit.create(session, actor or Actor(user_id=None, username="public", display_name=_("村民（未登录）")),
                 objection, "notices.objection.raise")
    session.add(ObjectionContact(objection_id=objection.id, name=name, phone=phone))  # type: ignore[arg-type]
    session.flush()
    _touch(session, notice.village_code)
    site.call("objection_raised", session=session, objection=objection, notice=notice, site=site)
    return objection


def answer_objection(session: Session, site: Site, actor: Actor, objection_id: int, answer: str, *,
                     village_code: str | None = None) -> Objection:
    """The clerk's answer, on the record and public (without the objector's name or phone)."""
    # Locked as it is read: of two clerks answering at once, the second sees the first's answer (409).
    objection = session.execute(select(Objection).where(Objection.id == objection_id).with_for_update()
                                .execution_options(populate_existing=True)).scalar_one_or_none()
    if objection is None or (village_code is not None and objection.village_code != village_code):
        raise NotFound(_("没有这条异议"))
    if objection.status == "answered":
        raise NoticeConflict(_("这条异议已经答复过了"))
    answer = answer.strip()
    if len(answer) < 2 or len(answer) > 4000:
        raise NoticeError(_("请填写答复（2 到 4000 个字）"), [Problem(_("请填写答复"), field="answer")])
    audit.update(session, actor, objection, {"status": "answered", "answer": answer, "answered_at": _now(),
                                             "answered_by": actor.label}, "notices.objection.answer")
    _touch(session, objection.village_code)
    return objection


def objections_of(session: Session, series: str) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.series == series).order_by(Objection.id)))


def contact_of(session: Session, objection: Objection) -> ObjectionContact | None:
    return session.get(ObjectionContact, objection.id)
