"""Reading the board: current notices, the archive, filters, feeds, and the disclosure calendar."""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlmodel import Session

from cunwu.clock import LOCAL_TZ, local_date
from cunwu.i18n import _
from cunwu.notices import services
from cunwu.notices.models import BoardGeneration, FinanceStatement, Notice, Objection
from cunwu.notices.services import settings_of

if TYPE_CHECKING:
    from cunwu.runtime import Site


@dataclass(frozen=True)
class BoardFilter:
    stream: str | None = None
    category: str | None = None
    month: str | None = None  # "YYYY-MM": notices whose window started that month
    q: str | None = None


def _month_bounds(month: str) -> tuple[dt.date, dt.date] | None:
    try:
        start = dt.datetime.strptime(month, "%Y-%m").date()
    except ValueError:
        return None
    year, index = divmod(start.month, 12)
    return start, dt.date(start.year + year, index + 1, 1)


_N = Notice.__table__.c  # type: ignore[attr-defined]

#: For lists of notices, only what a list shows: plain rows, no ORM objects (the board is the busiest page).
LIST_COLUMNS = (_N.id, _N.village_code, _N.title, _N.stream, _N.category, _N.window_start, _N.window_end,
                _N.version, _N.status)


def listed(notice: Notice) -> tuple[Any, ...]:
    """A notice as a row of LIST_COLUMNS, for a list drawn from `Notice` objects (the clerk's desk)."""
    return tuple(getattr(notice, column.key) for column in LIST_COLUMNS)


_NEWEST_FIRST = (_N.published_at.desc(), _N.id.desc())
_LIKE_ESCAPE = "/"


def _where(by_village: bool, flt: BoardFilter) -> list[Any]:
    """Current versions that have been public at some time (published, or withdrawn after publication), narrowed
    by the filter's shape (`_shape`). Values are bind parameters (`_params`): one statement serves every village,
    filter value and day."""
    clauses = [_N.is_current, _N.published_at.is_not(None)]
    if by_village:
        clauses.append(_N.village_code == bindparam("village"))
    if flt.stream:
        clauses.append(_N.stream == bindparam("stream"))
    if flt.category:
        clauses.append(_N.category == bindparam("category"))
    if flt.month:
        clauses += [_N.window_start >= bindparam("month_start"), _N.window_start < bindparam("month_end")]
    if flt.q and flt.q.strip():
        clauses.append(or_(_N.title.like(bindparam("q"), escape=_LIKE_ESCAPE),
                           _N.body.like(bindparam("q"), escape=_LIKE_ESCAPE)))
    return clauses


def _params(village_code: str | None, flt: BoardFilter, today: dt.date) -> dict[str, Any]:
    params: dict[str, Any] = {"village": village_code, "today": today, "stream": flt.stream,
                              "category": flt.category}
    if flt.month and (bounds := _month_bounds(flt.month)):
        params["month_start"], params["month_end"] = bounds
    if flt.q and flt.q.strip():
        term = flt.q.strip()[:50]
        for char in (_LIKE_ESCAPE, "%", "_"):
            term = term.replace(char, _LIKE_ESCAPE + char)
        params["q"] = f"%{term}%"
    return params


def _shape(village_code: str | None, flt: BoardFilter) -> BoardFilter:
    """Which filters are set (not their values): the key of the statement cache."""
    return BoardFilter(stream="x" if flt.stream else None, category="x" if flt.category else None,
                       month="x" if flt.month and _month_bounds(flt.month) else None,
                       q="x" if flt.q and flt.q.strip() else None)


@functools.lru_cache(maxsize=256)
def _board_statements(by_village: bool, shape: BoardFilter, listing: bool, limit: int, per_page: int) -> Any:
    """The board's statements for one shape of filter, built once: on SQLite building a statement costs more
    than running it. Returns (current, archive count, archive page, months)."""
    where = _where(by_village, shape)
    current = (select(*LIST_COLUMNS) if listing else select(Notice)).where(
        *where, _N.status == "published", _N.window_start <= bindparam("today"),
        _N.window_end >= bindparam("today")).order_by(*_NEWEST_FIRST).limit(limit)
    archived = and_(*where, or_(_N.status == "withdrawn", _N.window_end < bindparam("today")))
    count = select(func.count()).select_from(Notice.__table__).where(archived)
    page = select(*LIST_COLUMNS).where(archived).order_by(*_NEWEST_FIRST).limit(per_page).offset(
        bindparam("offset"))
    months = select(_N.window_start).where(*where).distinct()
    return current, count, page, months


def current_board(session: Session, village_code: str | None, flt: BoardFilter = BoardFilter(),
                  today: dt.date | None = None, limit: int = 200, listing: bool = False) -> list[Any]:
    """Notices in their window today, newest first: `Notice` objects, or with `listing` rows of LIST_COLUMNS."""
    stmt = _board_statements(village_code is not None, _shape(village_code, flt), listing, limit, 20)[0]
    params = _params(village_code, flt, today or services.local_today())
    if listing:
        return list(session.connection().execute(stmt, params).all())
    return list(session.scalars(stmt, params))


def archive(session: Session, village_code: str | None, flt: BoardFilter = BoardFilter(),
            today: dt.date | None = None, page: int = 1, per_page: int = 20) -> tuple[list[Any], int]:
    """Expired and withdrawn notices (the archive), newest first, one page of LIST_COLUMNS rows; also the count."""
    _, count, rows, _ = _board_statements(village_code is not None, _shape(village_code, flt), True, 200, per_page)
    params = _params(village_code, flt, today or services.local_today())
    connection = session.connection()
    total = connection.execute(count, params).scalar() or 0
    listed = connection.execute(rows, {**params, "offset": (max(page, 1) - 1) * per_page}).all()
    return list(listed), int(total)


def feed_items(session: Session, village_code: str | None, limit: int = 50) -> list[Notice]:
    """The newest published versions (corrections included, so a feed reader sees them), newest first."""
    clauses = [Notice.published_at.is_not(None)]  # type: ignore[union-attr]
    if village_code is not None:
        clauses.append(Notice.village_code == village_code)
    stmt = select(Notice).where(*clauses).order_by(Notice.published_at.desc(), Notice.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list(session.scalars(stmt))


def months_with_notices(session: Session, village_code: str | None) -> list[str]:
    """"YYYY-MM" values for the month filter, newest first."""
    stmt = _board_statements(village_code is not None, BoardFilter(), True, 200, 20)[3]
    starts = session.connection().execute(stmt, {"village": village_code}).scalars()
    months = {(d.year, d.month) for d in starts if d is not None}  # strftime per notice was 2 % of the board
    return [f"{year:04d}-{month:02d}" for year, month in sorted(months, reverse=True)[:36]]


def open_objection_count(session: Session, village_code: str) -> int:
    return int(session.scalar(select(func.count()).select_from(Objection).where(
        Objection.village_code == village_code, Objection.status == "open")) or 0)


def generation(session: Session, village_code: str | None) -> tuple[int, dt.datetime | None]:
    """The change counter (and last change time) of a village, or of the whole site (the sum) for None."""
    if village_code is not None:
        row = session.execute(select(BoardGeneration.counter, BoardGeneration.changed_at)
                              .where(BoardGeneration.village_code == village_code)).first()
        return (int(row[0]), row[1]) if row else (0, None)
    row = session.execute(select(func.sum(BoardGeneration.counter), func.max(BoardGeneration.changed_at))).first()
    if row is None or row[0] is None:
        return 0, None
    changed = row[1]
    if isinstance(changed, str):  # SQLite's max() of a DATETIME column comes back as text
        changed = dt.datetime.fromisoformat(changed).replace(tzinfo=dt.UTC)
    elif changed is not None and changed.tzinfo is None:
        changed = changed.replace(tzinfo=dt.UTC)
    return int(row[0]), changed


# --- disclosure calendar ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overdue:
    """A disclosure that should have been published and was not."""

    village_code: str
    stream: str  # "finance" | "village"
    due: dt.date
    days_late: int
    last: dt.date | None  # end of the last finance period covered, or the last 村务 publication
    missing_periods: int = 0

    def describe(self) -> str:
        if self.stream == "finance":
            if self.last is None:
                return _("从未公开财务收支，应于 %(due)s 前公开，已逾期 %(days)s 天", due=self.due, days=self.days_late)
            return _("财务公开只到 %(last)s，缺 %(n)s 期，应于 %(due)s 前公开，已逾期 %(days)s 天",
                     last=self.last, n=self.missing_periods, due=self.due, days=self.days_late)
        if self.last is None:
            return _("从未公开村务事项，已逾期 %(days)s 天", days=self.days_late)
        return _("上次公开村务事项在 %(last)s，应于 %(due)s 前再次公开，已逾期 %(days)s 天",
                 last=self.last, due=self.due, days=self.days_late)


def _add_months(day: dt.date, months: int) -> dt.date:
    year, index = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, index + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _last_complete_period_end(today: dt.date, period: str, grace: int) -> dt.date:
    """The end of the latest period whose disclosure deadline (end + grace days) has passed by `today`."""
    months = 1 if period == "month" else 3
    start = dt.date(today.year, today.month if months == 1 else (today.month - 1) // 3 * 3 + 1, 1)
    while True:
        end = start - dt.timedelta(days=1)
        if end + dt.timedelta(days=grace) < today:
            return end
        start = _add_months(start, -months)


@functools.cache
def _overdue_statements(every: bool) -> tuple[Any, Any]:
    """The calendar's two reads, built once (the county overview runs them on every view): per village the end of
    the latest published finance period, and the start of the latest published 村务 notice. For `every` village of
    the site (the overview) they name no villages: an expanding `IN` list is rendered into the SQL again on every
    run (a third of the overview's statement time at 3 villages) and bound value by value at 300; a village the
    site no longer lists is read and never looked at."""
    live = and_(Notice.is_current, Notice.status == "published")
    finance = (select(FinanceStatement.village_code, func.max(FinanceStatement.period_end))
               .join(Notice, Notice.id == FinanceStatement.notice_id)
               .where(live).group_by(FinanceStatement.village_code))  # type: ignore[attr-defined]
    village = (select(Notice.village_code, func.max(Notice.window_start))
               .where(live, Notice.stream == "village").group_by(Notice.village_code))
    if not every:
        codes = bindparam("codes", expanding=True)
        finance = finance.where(FinanceStatement.village_code.in_(codes))  # type: ignore[attr-defined]
        village = village.where(Notice.village_code.in_(codes))  # type: ignore[attr-defined]
    return finance, village


def overdue(session: Session, site: Site, village_codes: list[str] | None = None,
            today: dt.date | None = None) -> list[Overdue]:
    """Per village: is the finance statement of every closed period out, and has a 村务 notice been published
    within the interval? (Finance monthly and ordinary items at least quarterly by default: docs/domain.md §3.)"""
    today = today or services.local_today()
    cfg = settings_of(site)
    codes = village_codes or [v.code for v in site.config.villages]
    finance_latest, village_latest = _overdue_statements(not village_codes)
    params = {} if not village_codes else {"codes": codes}
    finance_rows = dict(session.execute(finance_latest, params).all())
    village_rows = dict(session.execute(village_latest, params).all())
    expected_end = _last_complete_period_end(today, cfg.finance_period, cfg.finance_grace_days)
    months = 1 if cfg.finance_period == "month" else 3
    late: list[Overdue] = []
    for code in codes:
        covered = _as_date(finance_rows.get(code))
        if covered is None or covered < expected_end:
            if covered is None:
                first_missing_end, missing = expected_end, 1
            else:
                first_missing_end = _add_months(covered + dt.timedelta(days=1), months) - dt.timedelta(days=1)
                missing = ((expected_end.year - covered.year) * 12 + expected_end.month - covered.month) // months
            due = first_missing_end + dt.timedelta(days=cfg.finance_grace_days)
            late.append(Overdue(code, "finance", due, (today - due).days, covered, missing))
        last = _as_date(village_rows.get(code))
        if last is None:
            # Never published: late since the last calendar quarter ended without a single 村务 notice.
            quarter_end = _last_complete_period_end(today, "quarter", 0)
            late.append(Overdue(code, "village", quarter_end, (today - quarter_end).days, None))
        elif (due_village := _add_months(last, cfg.village_interval_months)) < today:
            late.append(Overdue(code, "village", due_village, (today - due_village).days, last))
    return sorted(late, key=lambda o: (-o.days_late, o.village_code, o.stream))


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


# --- disclosure compliance (the county overview) ------------------------------------------------------------------

#: The outcomes of one village's disclosure of one stream for its latest closed period, in the order shown.
COMPLIANCE = ("on_time", "late", "missing")


@dataclass(frozen=True)
class DuePeriod:
    """The latest closed period of a stream: a disclosure first published from `start` to `due` is on time, one
    published after `due` late (docs/domain.md §3, "Compliance")."""

    stream: str
    start: dt.date
    end: dt.date
    due: dt.date


def _interval_period(today: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The latest period of `months` months (counted from January, the last one of a year cut at December) that
    ended before `today`."""
    end = dt.date(today.year, (today.month - 1) // months * months + 1, 1) - dt.timedelta(days=1)
    return dt.date(end.year, (end.month - 1) // months * months + 1, 1), end


def due_periods(site: Site, today: dt.date | None = None) -> dict[str, DuePeriod]:
    """Per stream, the latest period whose disclosure deadline has passed by `today`: finance the month (or
    quarter) whose grace days are over; 村务 and 党务 the last closed interval (`village_interval_months`,
    `party_interval_months`), due by its last day."""
    today = today or services.local_today()
    cfg = settings_of(site)
    end = _last_complete_period_end(today, cfg.finance_period, cfg.finance_grace_days)
    start = _add_months(end + dt.timedelta(days=1), -(1 if cfg.finance_period == "month" else 3))
    periods = {"finance": DuePeriod("finance", start, end, end + dt.timedelta(days=cfg.finance_grace_days))}
    for stream, months in (("village", cfg.village_interval_months), ("party", cfg.party_interval_months)):
        start, end = _interval_period(today, months)
        periods[stream] = DuePeriod(stream, start, end, end)
    return periods


def compliance(session: Session, site: Site, village_codes: list[str], today: dt.date | None = None,
               ) -> tuple[dict[str, DuePeriod], dict[str, dict[str, str]]]:
    """Did each village disclose each stream for its latest closed period (`due_periods`): "on_time", "late" or
    "missing", per village and stream. What counts is a notice still published (not withdrawn) and the day its
    series was first published (a correction keeps the original's day): for finance a statement covering the
    period's last day, for 村务 and 党务 any notice of the stream first published since the period began."""
    periods = due_periods(site, today)
    first = (select(Notice.series, func.min(Notice.published_at).label("first"))
             .where(Notice.published_at.is_not(None), Notice.village_code.in_(village_codes))  # type: ignore[union-attr,attr-defined]
             .group_by(Notice.series).subquery())
    live = and_(Notice.is_current, Notice.status == "published", Notice.village_code.in_(village_codes))  # type: ignore[attr-defined]
    earliest: dict[tuple[str, str], dt.date] = {}
    fin = periods["finance"]
    for code, moment in session.execute(
            select(FinanceStatement.village_code, func.min(first.c.first))
            .join(Notice, Notice.id == FinanceStatement.notice_id).join(first, first.c.series == Notice.series)
            .where(live, FinanceStatement.period_start <= fin.end, FinanceStatement.period_end >= fin.end)
            .group_by(FinanceStatement.village_code)).all():
        earliest[(code, "finance")] = _local_day(moment)
    since = or_(*(and_(Notice.stream == stream, first.c.first >= _local_midnight(periods[stream].start))
                  for stream in ("village", "party")))
    for code, stream, moment in session.execute(
            select(Notice.village_code, Notice.stream, func.min(first.c.first))
            .join(first, first.c.series == Notice.series).where(live, since)
            .group_by(Notice.village_code, Notice.stream)).all():
        earliest[(code, stream)] = _local_day(moment)
    found: dict[str, dict[str, str]] = {}
    for code in village_codes:
        found[code] = {}
        for stream, period in periods.items():
            day = earliest.get((code, stream))
            found[code][stream] = "missing" if day is None else "on_time" if day <= period.due else "late"
    return periods, found


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LOCAL_TZ).astimezone(dt.UTC)


def _local_day(moment: Any) -> dt.date:
    """A UTC moment read back from min() (SQLite returns text, without a zone) as the local calendar day."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return local_date(moment)


# --- counts for 我的待办 ------------------------------------------------------------------------------------------


def draft_counts(session: Session, village_codes: list[str]) -> dict[str, int]:
    """Unpublished drafts per village (the drafts on the notice desk)."""
    rows = session.execute(select(Notice.village_code, func.count()).where(
        Notice.village_code.in_(village_codes), Notice.is_current, Notice.status == "draft")  # type: ignore[attr-defined]
        .group_by(Notice.village_code)).all()
    return {code: int(n) for code, n in rows}


def open_objection_counts(session: Session, village_codes: list[str]) -> dict[str, int]:
    """Objections awaiting an answer, per village."""
    rows = session.execute(select(Objection.village_code, func.count()).where(
        Objection.village_code.in_(village_codes), Objection.status == "open")  # type: ignore[attr-defined]
        .group_by(Objection.village_code)).all()
    return {code: int(n) for code, n in rows}
