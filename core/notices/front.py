"""The front cache: anonymous GETs of public board pages answered before the web framework, from worker memory.

Why: a warm page through the framework still cost two database reads, two thread hops, a JSON parse, the session,
CSRF, locale and gzip middleware — most of a village phone's wait on a busy county server. Here a repeat view is a
dictionary lookup, a generation check and a few byte copies.

What keeps it exact:
- An entry is what `cache.cached_page` served for the same request (same scheme, host, path, query, language cookie and
  htmx header), tagged with the village's board generation and the local date — the same facts the shared cache
  key holds. Before answering, the generation is checked against the database through a `GenerationWatch`:
  SQLite reads `PRAGMA data_version` (it changes when any other connection, in any process, commits) and re-reads
  the small generation table only then; PostgreSQL listens for the NOTIFY that `services._touch` sends in the same
  transaction as the change (delivered at commit) and answers "unknown" until it has re-read the table.
- Anything it cannot be sure of goes to the framework: a session cookie (the visitor may be logged in), other
  methods, an unknown generation, another day, an expired entry.
- The CSRF token differs per visitor, so entries keep the body split at the token's placeholder; gzip is
  precompressed per part (raw deflate segments ending on a byte boundary) and the token is spliced in as a stored
  deflate block, so a hit never compresses anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import sqlite3
import struct
import time
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from litestar.middleware.csrf import generate_csrf_hash, generate_csrf_token
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy.engine import make_url

from cunwu.notices import services
from cunwu.notices.cache import CSRF_PLACEHOLDER, CSRF_TOKEN_FORMAT, SCOPE_KEY, VARY
from cunwu.web.sessions import CSRF_COOKIE, SESSION_COOKIE

if TYPE_CHECKING:
    from cunwu.runtime import Site

log = logging.getLogger(__name__)

_SESSION_MARK = f"{SESSION_COOKIE}=".encode()
_CSRF_NAME = CSRF_COOKIE.encode()
GZIP_MINIMUM = 800  # the same threshold as the app's CompressionConfig
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"


class GenerationWatch(Protocol):
    def current(self, village_code: str | None) -> int | None:
        """The board generation of a village (None: the whole site's sum); None when not known for sure."""


class SqliteWatch:
    """Generations read through one read-only connection, re-read only when the database changed."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.connection: sqlite3.Connection | None = None  # opened on first use: the file may not exist yet
        self.version: int | None = None
        self.counters: dict[str, int] = {}
        self.total = 0

    def current(self, village_code: str | None) -> int | None:
        try:
            if self.connection is None:
                self.connection = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False,
                                                  isolation_level=None, timeout=1)
            version = self.connection.execute("PRAGMA data_version").fetchone()[0]
            if version != self.version:
                rows = self.connection.execute("SELECT village_code, counter FROM notices_generation").fetchall()
                self.counters = {code: int(counter) for code, counter in rows}
                self.total = sum(self.counters.values())
                self.version = version
        except sqlite3.Error:
            self.version = None
            return None
        return self.total if village_code is None else self.counters.get(village_code, 0)


class PostgresWatch:
    """Generations kept current by LISTEN/NOTIFY; unknown (None) until loaded and while a reload is due."""

    def __init__(self, url: str) -> None:
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.counters: dict[str, int] = {}
        self.total = 0
        self.fresh = False
        self.task: asyncio.Task[None] | None = None

    def current(self, village_code: str | None) -> int | None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._listen())
        if not self.fresh:
            return None
        return self.total if village_code is None else self.counters.get(village_code, 0)

    async def _load(self, connection: Any) -> None:
        cursor = await connection.execute("SELECT village_code, counter FROM notices_generation")
        self.counters = {code: int(counter) for code, counter in await cursor.fetchall()}
        self.total = sum(self.counters.values())

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as listener, \
                        await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True) as reader:
                    await listener.execute(f"LISTEN {services.GENERATION_CHANNEL}")
                    await self._load(reader)
                    self.fresh = True
                    async for _ in listener.notifies():
                        self.fresh = False
                        await self._load(reader)
                        self.fresh = True
            except asyncio.CancelledError:
                self.fresh = False
                raise
            except Exception:  # the database went away: serve through the app until it is back
                self.fresh = False
                log.warning("front cache: lost the generation listener; retrying", exc_info=True)
                await asyncio.sleep(1)


def make_watch(database_url: str) -> GenerationWatch | None:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresWatch(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return SqliteWatch(url.database)
    return None


def _deflate(part: bytes, last: bool) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(part) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def _stored_block(data: bytes) -> bytes:
    """A non-final stored deflate block (the stream is byte-aligned after a sync flush)."""
    return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data


@dataclass
class Entry:
    village_code: str | None
    generation: int
    day: Any
    expires: float
    etag: str
    headers: list[tuple[bytes, bytes]]  # everything but length, encoding and cookies
    parts: list[bytes]  # the body split at the CSRF placeholder
    deflated: list[bytes] | None  # each part as raw deflate; None when the body is too short to compress

    @property
    def size(self) -> int:
        return sum(map(len, self.parts)) + sum(map(len, self.deflated or []))

    def body(self, token: bytes) -> bytes:
        return token.join(self.parts)

    def gzip_body(self, token: bytes) -> bytes:
        assert self.deflated is not None
        crc = 0
        chunks = [_GZIP_HEADER]
        for index, (part, deflated) in enumerate(zip(self.parts, self.deflated, strict=True)):
            if index:
                chunks.append(_stored_block(token))
                crc = zlib.crc32(token, crc)
            chunks.append(deflated)
            crc = zlib.crc32(part, crc)
        size = sum(map(len, self.parts)) + len(token) * (len(self.parts) - 1)
        chunks.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
        return b"".join(chunks)


def build_entry(served: dict[str, Any], content_type: bytes, seconds: int) -> Entry:
    """Turn what `cached_page` served into an entry (body split and precompressed once)."""
    parts = [part.encode("utf-8") for part in served["body"].split(CSRF_PLACEHOLDER)]
    headers = [(b"content-type", content_type), (b"etag", served["etag"].encode()),
               (b"cache-control", b"public, no-cache"), (b"x-cache", b"hit")]
    if served["last_modified"]:
        headers.append((b"last-modified", served["last_modified"].encode()))
    compressible = sum(map(len, parts)) >= GZIP_MINIMUM
    headers.append((b"vary", (VARY + (",Accept-Encoding" if compressible else "")).encode()))
    deflated = [_deflate(part, index == len(parts) - 1) for index, part in enumerate(parts)] if compressible else None
    return Entry(served["village_code"], served["generation"], served["day"], time.monotonic() + seconds,
                 served["etag"], headers, parts, deflated)


class FrontCache:
    """The ASGI layer (see the module docstring); one per site and worker, at most `limit_bytes` of entries."""

    def __init__(self, app: ASGIApp, watch: GenerationWatch, *, csrf_secret: str, seconds: int,
                 limit_bytes: int) -> None:
        self.app = app
        self.watch = watch
        self.csrf_secret = csrf_secret
        self.seconds = seconds
        self.limit_bytes = limit_bytes
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.used_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        host = hx = cookie = accept = match = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"cookie":
                cookie = value
            elif name == b"hx-request":
                hx = value
            elif name == b"accept-encoding":
                accept = value
            elif name == b"if-none-match":
                match = value
        if _SESSION_MARK in cookie:  # perhaps logged in: the app decides
            await self.app(scope, receive, send)
            return
        key = (scope["scheme"], host, scope["path"], scope["query_string"], b"cunwu_lang=en" in cookie, hx == b"true")
        entry = self.entries.get(key)
        if entry is not None and self._valid(key, entry):
            self.entries.move_to_end(key)
            await self._answer(send, entry, cookie, accept, match)
            return
        await self._fill(key, scope, receive, send)

    def _valid(self, key: tuple[Any, ...], entry: Entry) -> bool:
        if entry.expires > time.monotonic() and entry.day == services.local_today():
            current = self.watch.current(entry.village_code)
            if current == entry.generation:
                return True
            if current is None:
                return False
        self._drop(key)
        return False

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is not None:
            self.used_bytes -= entry.size

    def _token(self, cookie: bytes) -> tuple[str, bool]:
        """The visitor's CSRF token (checked like the CSRF middleware does), or a new one to set as a cookie."""
        for item in cookie.split(b";"):
            name, _, value = item.strip().partition(b"=")
            if name == _CSRF_NAME:
                token = value.decode("latin-1")
                if CSRF_TOKEN_FORMAT.match(token) and hmac.compare_digest(
                        token[64:], generate_csrf_hash(token=token[:64], secret=self.csrf_secret)):
                    return token, False
        return generate_csrf_token(self.csrf_secret), True

    async def _answer(self, send: Send, entry: Entry, cookie: bytes, accept: bytes,
                      match: bytes) -> None:
        headers = list(entry.headers)
        token, new = self._token(cookie) if len(entry.parts) > 1 else ("", False)
        if new:  # what the CSRF middleware sets (litestar's Cookie.to_header, written out: it is slow)
            headers.append((b"set-cookie", f"{CSRF_COOKIE}={token}; Path=/; SameSite=lax".encode("latin-1")))
        wanted = [tag.strip() for tag in match.decode("latin-1").split(",") if tag.strip()]
        if entry.etag in wanted or "*" in wanted:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        raw = token.encode("latin-1")
        if entry.deflated is not None and b"gzip" in accept:
            body = entry.gzip_body(raw)
            headers.append((b"content-encoding", b"gzip"))
        else:
            body = entry.body(raw)
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _fill(self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send) -> None:
        """Let the app answer; keep what `cached_page` served for this request."""
        served: dict[str, Any] = {}
        scope[SCOPE_KEY] = served  # type: ignore[literal-required]
        content_type = b""

        async def capture(message: Message) -> None:
            nonlocal content_type
            if message["type"] == "http.response.start" and message["status"] == 200:
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
            await send(message)

        await self.app(scope, receive, capture)
        if served and content_type:
            with contextlib.suppress(Exception):  # never let keeping a copy break the page just sent
                self._keep(key, build_entry(served, content_type, self.seconds))

    def _keep(self, key: tuple[Any, ...], entry: Entry) -> None:
        if entry.size > self.limit_bytes // 4:
            return
        self._drop(key)
        self.entries[key] = entry
        self.used_bytes += entry.size
        while self.used_bytes > self.limit_bytes:
            _, oldest = self.entries.popitem(last=False)
            self.used_bytes -= oldest.size


def front_cache(site: Site, app: ASGIApp) -> ASGIApp:
    """Wrap `app` in the front cache when the site caches pages and its database can be watched."""
    settings = services.settings_of(site)
    watch = make_watch(site.config.database_url) if settings.cache_seconds and settings.front_cache_mib else None
    if watch is None:
        return app
    return FrontCache(app, watch, csrf_secret=site.secret(), seconds=settings.cache_seconds,
                      limit_bytes=settings.front_cache_mib * 1024 * 1024)
