"""The notice board as JSON (`/api/v1/`): the board of the county or of one village, and one notice with its
versions, files, finance statement and objection counts. Public like the board; a draft is seen only by those who
may see the village's drafts (as on its page). Objectors' names and phones are never in the API.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cunwu.i18n import _
from cunwu.notices import services
from cunwu.notices.models import STREAMS, Notice, Objection
from cunwu.web.jsonapi import PER_PAGE, Page, PerPage, offset
from cunwu.web.render import actor_of, site_of

_LIKE_ESCAPE = "/"


@dataclass(frozen=True)
class NoticeSummary:
    id: int
    village_code: str
    title: str
    stream: str
    category: str
    version: int
    status: str  # published | withdrawn
    on_display: bool  # published and in its display window today
    window_start: dt.date | None
    window_end: dt.date | None
    published_at: dt.datetime | None
    url: str


@dataclass(frozen=True)
class NoticePage:
    page: int
    per_page: int
    total: int
    items: list[NoticeSummary]


@dataclass(frozen=True)
class NoticeVersion:
    id: int
    version: int
    title: str
    status: str
    published_at: dt.datetime | None
    correction_note: str | None
    content_hash: str | None
    url: str


@dataclass(frozen=True)
class Attachment:
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str


@dataclass(frozen=True)
class FinanceLineItem:
    direction: str  # income | expenditure
    item: str
    amount: Decimal


@dataclass(frozen=True)
class Finance:
    period_kind: str
    period_start: dt.date
    period_end: dt.date
    opening: Decimal
    income_total: Decimal
    expenditure_total: Decimal
    closing: Decimal
    lines: list[FinanceLineItem]


@dataclass(frozen=True)
class ObjectionCounts:
    total: int
    open: int
    answered: int


@dataclass(frozen=True)
class NoticeDetail:
    id: int
    series: str
    village_code: str
    title: str
    body: str
    table: dict[str, Any] | None
    stream: str
    category: str
    kind: str
    version: int
    is_current: bool
    status: str  # draft | published | withdrawn
    on_display: bool
    window_start: dt.date | None
    window_end: dt.date | None
    published_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None
    correction_note: str | None
    content_hash: str | None
    origin_kind: str
    url: str
    versions: list[NoticeVersion]
    attachments: list[Attachment]
    finance: Finance | None
    objections: ObjectionCounts


def _page_url(notice: Notice) -> str:
    return f"/v/{notice.village_code}/notices/{notice.id}"


def _board(session: Session, village_code: str | None, stream: str | None, category: str | None,
           month: str | None, q: str | None, page: int, per_page: int) -> NoticePage:
    """Current versions that have been public (on display, expired or withdrawn), newest first: the board and its
    archive in one list, each saying whether it is on display today."""
    where = [col(Notice.is_current), col(Notice.published_at).is_not(None)]
    if village_code is not None:
        where.append(Notice.village_code == village_code)
    if stream in STREAMS:
        where.append(Notice.stream == stream)
    if category:
        where.append(Notice.category == category)
    if month and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        start = dt.date.fromisoformat(f"{month}-01")
        end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
        where += [col(Notice.window_start) >= start, col(Notice.window_start) < end]
    if q and q.strip():
        term = q.strip()[:50]
        for char in (_LIKE_ESCAPE, "%", "_"):
            term = term.replace(char, _LIKE_ESCAPE + char)
        where.append(or_(col(Notice.title).like(f"%{term}%", escape=_LIKE_ESCAPE),
                         col(Notice.body).like(f"%{term}%", escape=_LIKE_ESCAPE)))
    total = session.exec(select(func.count()).select_from(Notice).where(*where)).one()
    rows = session.exec(select(Notice).where(*where)
                        .order_by(col(Notice.published_at).desc(), col(Notice.id).desc())
                        .offset(offset(page, per_page)).limit(per_page)).all()
    today = services.local_today()
    return NoticePage(page=page, per_page=per_page, total=total, items=[NoticeSummary(
        id=n.id or 0, village_code=n.village_code, title=n.title, stream=n.stream, category=n.category,
        version=n.version, status=n.status, on_display=services.window_open(n, today), window_start=n.window_start,
        window_end=n.window_end, published_at=n.published_at, url=_page_url(n)) for n in rows])


@get("/api/v1/notices", opt={"public": True}, sync_to_thread=True)
def api_county_board(request: Request[Any, Any, Any], stream: str | None = None, category: str | None = None,
                     month: str | None = None, q: str | None = None, page: Page = 1,
                     per_page: PerPage = PER_PAGE) -> NoticePage:
    """Every village's public notices, newest first (filters as on the county board: stream, category, the month
    the window started as YYYY-MM, words in title or body), paginated."""
    site = site_of(request)
    with site.db.read() as session:
        return _board(session, None, stream, category, month, q, page, per_page)


@get("/api/v1/v/{village_code:str}/notices", opt={"public": True}, sync_to_thread=True)
def api_village_board(request: Request[Any, Any, Any], village_code: str, stream: str | None = None,
                      category: str | None = None, month: str | None = None, q: str | None = None,
                      page: Page = 1, per_page: PerPage = PER_PAGE) -> NoticePage:
    """The village's public notices, newest first (filters as on its board), paginated."""
    site = site_of(request)
    with site.db.read() as session:
        return _board(session, village_code, stream, category, month, q, page, per_page)


def _objection_counts(session: Session, series: str) -> ObjectionCounts:
    rows = session.exec(select(Objection.status, func.count()).where(Objection.series == series)
                        .group_by(Objection.status)).all()
    counts = {status: int(n) for status, n in rows}
    return ObjectionCounts(total=sum(counts.values()), open=counts.get("open", 0),
                           answered=counts.get("answered", 0))


@get("/api/v1/v/{village_code:str}/notices/{notice_id:int}", opt={"public": True}, sync_to_thread=True)
def api_notice(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> NoticeDetail:
    """One notice version with every version of its series, its files, its finance statement and how many
    objections it drew (open / answered). A draft answers 404 unless the caller may see the village's drafts."""
    site = site_of(request)
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
        if notice.published_at is None and not site.allowed(actor_of(request), "notices.view_drafts",
                                                            notice.village_code):
            raise NotFoundException(_("没有这条公开信息"))
        history = [v for v in services.versions(session, notice.series) if v.published_at is not None]
        files = services.attachments_of(session, notice)
        statement, lines = services.finance_of(session, notice)
        finance = None if statement is None else Finance(
            period_kind=statement.period_kind, period_start=statement.period_start,
            period_end=statement.period_end, opening=statement.opening, income_total=statement.income_total,
            expenditure_total=statement.expenditure_total, closing=statement.closing,
            lines=[FinanceLineItem(direction=ln.direction, item=ln.item, amount=ln.amount)
                   for ln in sorted(lines, key=lambda ln: (ln.direction != "income", ln.position))])
        return NoticeDetail(
            id=notice.id or 0, series=notice.series, village_code=notice.village_code, title=notice.title,
            body=notice.body, table=notice.data_table, stream=notice.stream, category=notice.category,
            kind=notice.kind, version=notice.version, is_current=notice.is_current, status=notice.status,
            on_display=services.window_open(notice), window_start=notice.window_start, window_end=notice.window_end,
            published_at=notice.published_at, withdrawn_at=notice.withdrawn_at,
            withdrawn_reason=notice.withdrawn_reason, correction_note=notice.correction_note,
            content_hash=notice.content_hash, origin_kind=notice.origin_kind, url=_page_url(notice),
            versions=[NoticeVersion(id=v.id or 0, version=v.version, title=v.title, status=v.status,
                                    published_at=v.published_at, correction_note=v.correction_note,
                                    content_hash=v.content_hash, url=_page_url(v)) for v in history],
            attachments=[Attachment(id=a.id or 0, filename=a.filename, content_type=a.content_type, size=a.size,
                                    sha256=a.sha256, url=f"{_page_url(notice)}/files/{a.id}") for a in files],
            finance=finance, objections=_objection_counts(session, notice.series))


ROUTES = [api_county_board, api_village_board, api_notice]
