"""Floor B: the village notice board written by hand — Litestar, the DB-API driver (sqlite3 or psycopg), Jinja2.

It runs the same queries for the same rows as the real board (`cunwu.notices.queries.current_board`, `archive`
page 1 with its count, `months_with_notices`) and renders them with a template of the same shape
(templates/floor_b.html), with no ORM, no plugin hooks, no session or CSRF middleware and no cache. Configured by
environment: BENCH_DB_URL (an SQLAlchemy-style URL), BENCH_VILLAGE, BENCH_VILLAGE_NAME, BENCH_TOWNSHIP,
BENCH_COUNTY_NAME, BENCH_PAGE_SIZE.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar, Response, get
from litestar.config.compression import CompressionConfig

from cunwu.db.types import LOCAL_TZ

STREAM_LABELS = {"party": "党务", "village": "村务", "finance": "财务"}
COLUMNS = "id, village_code, title, stream, category, window_start, window_end, version, status"
PUBLIC = "village_code = ? AND is_current AND published_at IS NOT NULL"
CURRENT = (f"SELECT {COLUMNS} FROM notices_notice WHERE {PUBLIC} AND status = 'published' AND window_start <= ? "
           "AND window_end >= ? ORDER BY published_at DESC, id DESC LIMIT 200")
ARCHIVE_WHERE = f"{PUBLIC} AND (status = 'withdrawn' OR window_end < ?)"
ARCHIVE_COUNT = f"SELECT count(*) FROM notices_notice WHERE {ARCHIVE_WHERE}"
ARCHIVE_PAGE = (f"SELECT {COLUMNS} FROM notices_notice WHERE {ARCHIVE_WHERE} ORDER BY published_at DESC, id DESC "
                "LIMIT ? OFFSET 0")
MONTHS = f"SELECT DISTINCT window_start FROM notices_notice WHERE {PUBLIC}"

_local = threading.local()
_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class Connection:
    """One DB-API connection per worker thread; `?` placeholders on both drivers."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.sqlite = parts.scheme.startswith("sqlite")
        if self.sqlite:
            self.raw: Any = sqlite3.connect(parts.path[1:] if parts.path.startswith("//") else parts.path,
                                            check_same_thread=False)
            self.raw.execute("PRAGMA query_only = 1")
        else:
            import psycopg

            self.raw = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        if self.sqlite:  # the ORM stores dates as ISO text on SQLite
            params = tuple(p.isoformat() if isinstance(p, dt.date) else p for p in params)
        else:
            sql = sql.replace("?", "%s")
        cursor = self.raw.execute(sql, params)
        return list(cursor.fetchall())


def _connection() -> Connection:
    connection = getattr(_local, "connection", None)
    if connection is None:
        connection = _local.connection = Connection(os.environ["BENCH_DB_URL"])
    return connection


def _notices(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    keys = [c.strip() for c in COLUMNS.split(",")]
    return [dict(zip(keys, row, strict=True)) for row in rows]


@get("/v/{village_code:str}/notices/", sync_to_thread=True)
def board(village_code: str) -> Response[str]:
    today = dt.datetime.now(LOCAL_TZ).date()
    per_page = int(os.environ.get("BENCH_PAGE_SIZE", "20"))
    db = _connection()
    current = _notices(db.rows(CURRENT, (village_code, today, today)))
    total = db.rows(ARCHIVE_COUNT, (village_code, today))[0][0]
    archived = _notices(db.rows(ARCHIVE_PAGE, (village_code, today, per_page)))
    months = sorted({str(row[0])[:7] for row in db.rows(MONTHS, (village_code,)) if row[0]}, reverse=True)[:36]
    html = _templates.get_template("floor_b.html").render(
        county=os.environ.get("BENCH_COUNTY_NAME", ""), village_code=village_code,
        village_name=os.environ.get("BENCH_VILLAGE_NAME", ""), township=os.environ.get("BENCH_TOWNSHIP", ""),
        current=current, archived=archived, total=total, pages=max(1, -(-total // per_page)), months=months,
        today=str(today), stream_labels=STREAM_LABELS)
    return Response(html, media_type="text/html")


# The same compression as the product (a village phone asks for gzip), so both sides do that work.
app = Litestar(route_handlers=[board], compression_config=CompressionConfig(backend="gzip", minimum_size=800))
