"""Notice board pages: the public board, one notice, feeds, print, verification, and the clerk's desk."""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any
from urllib.parse import quote

import anyio.to_thread
import segno
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.audit.models import AuditEntry
from cunwu.audit.services import entry_hash
from cunwu.errors import DomainError, Problem
from cunwu.i18n import _, gettext
from cunwu.notices import queries, services
from cunwu.notices.cache import cached_page
from cunwu.notices.markup import diff_versions, render_markdown
from cunwu.notices.models import STREAMS, Notice, NoticeAttachment, Objection
from cunwu.notices.services import FinanceInput, NoticeError, settings_of
from cunwu.notices.settings import STREAM_LABELS
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.confirm import confirm_page
from cunwu.web.forms import Form
from cunwu.web.jsonapi import Page
from cunwu.web.render import actor_of, public_base, render, site_of
from cunwu.web.store import count


def _filters(stream: str | None, category: str | None, month: str | None, q: str | None) -> queries.BoardFilter:
    return queries.BoardFilter(stream=stream if stream in STREAMS else None, category=category or None,
                               month=month if month and re.fullmatch(r"\d{4}-\d{2}", month) else None,
                               q=(q or "").strip()[:50] or None)


class StatusBadges:
    """`status_badge(notice, today)` for one page: the state a visitor sees — draft, withdrawn, window closed, or on
    the board. Not a macro, and its four badges translated and built once per page: it is drawn for every row of the
    busiest list (a translation and an escaped `Markup %` per row were 8 % of the uncached board). `of` takes the
    two columns it reads, for lists that hold rows rather than notices."""

    def __init__(self) -> None:
        self.draft = Markup('<span class="badge">%s</span>') % _("草稿")
        self.withdrawn = Markup('<span class="badge bad">%s</span>') % _("已撤回")
        self.ended = Markup('<span class="badge">%s</span>') % _("公示期已结束")
        self.live = Markup('<span class="badge ok">%s</span>') % _("公示中")

    def of(self, status: str, window_end: dt.date | None, today: dt.date) -> Markup:
        if status == "draft":
            return self.draft
        if status == "withdrawn":
            return self.withdrawn
        if window_end and window_end < today:
            return self.ended
        return self.live

    def __call__(self, notice: Notice, today: dt.date) -> Markup:
        return self.of(notice.status, notice.window_end, today)


class CategoryLabels(dict[str, Markup]):
    """`category_labels[category]` for one page: each category translated when first shown, as `_(category)` in a
    template would (safe Markup, `%` formatted), then looked up — the board's rows repeat a handful of categories,
    and a translation per row was the costliest line of its row macro left (docs/performance.md, round 4)."""

    def __missing__(self, category: str) -> Markup:
        text = Markup(gettext(category))
        label = self[category] = text % {} if "%" in text else text
        return label


class _PerPage(dict[Any, str]):
    """`made(key)` worked out the first time a page asks for `key`, then looked up: a list's rows repeat a few
    village codes and versions."""

    def __init__(self, made: Callable[[Any], str]) -> None:
        super().__init__()
        self.made = made

    def __missing__(self, key: Any) -> str:
        value = self[key] = self.made(key)
        return value


def notice_lists(site: Site, stream_labels: dict[str, str], category_labels: CategoryLabels,
                 status_badge: StatusBadges) -> Callable[..., Markup]:
    """`notice_list(rows, today, show_village=False)` for one page: a list of notices (`<ul class="nt-list">`: the
    board's two lists, the desk's archive) from rows of `queries.LIST_COLUMNS`, drawn in Python rather than by a
    Jinja macro. It runs for some 40 rows on every view of the busiest page, where each `{{ }}` of the macro was an
    attribute lookup through the environment, an escape and a new Markup — a quarter of the uncached board's CPU
    (docs/performance.md, round 7). Rows are unpacked, not read by name; labels, links and version notes are
    made once per page; only the title is escaped per row. The markup is the macro's, byte for byte
    (tests/core/notices/test_web.py)."""
    def place(code: str) -> str:
        village = site.village(code)
        return f"{escape(village.name if village else code)} · "

    streams = {key: escape(label) for key, label in stream_labels.items()}
    boards = _PerPage(lambda code: f"/v/{escape(code)}/notices/")
    places = _PerPage(place)
    versions = _PerPage(lambda version: " · " + _("第 %(v)s 版", v=version))

    def notice_list(rows: Iterable[Any], today: dt.date, show_village: bool = False) -> Markup:
        html = ['<ul class="nt-list">\n']
        for notice_id, code, title, stream, category, start, end, version, status in rows:
            html.append(
                f'  <li>\n    <a class="nt-title" href="{boards[code]}{notice_id}">{escape(title)}</a>\n'
                f'    <span class="small muted">\n{places[code] if show_village else ""}      '
                f'{streams.get(stream, "")} · {category_labels[category]} ·\n'
                f'{f"{start} — {end}" if start else ""}{versions[version] if version > 1 else ""}    </span>\n'
                f"    {status_badge.of(status, end, today)}\n  </li>\n")
        html.append("</ul>\n")
        return Markup("".join(html))

    return notice_list


def _common(site: Site) -> dict[str, Any]:
    """Context every notices page shares; labels are translated once per page, not once per row."""
    stream_labels = {k: str(v) for k, v in STREAM_LABELS.items()}
    category_labels = CategoryLabels()
    status_badge = StatusBadges()
    return {"streams": STREAMS, "stream_labels": stream_labels, "category_labels": category_labels,
            "categories": settings_of(site).categories, "md": render_markdown, "status_badge": status_badge,
            "notice_list": notice_lists(site, stream_labels, category_labels, status_badge)}


# --- public board -----------------------------------------------------------------------------------------------


def _board_page(request: Request[Any, Any, Any], village_code: str | None, flt: queries.BoardFilter, page: int,
                extra: dict[str, Any]) -> Response[str]:
    site = site_of(request)
    per_page = settings_of(site).board_page_size
    with site.db.read() as session:
        current = queries.current_board(session, village_code, flt, listing=True)
        archived, total = queries.archive(session, village_code, flt, page=page, per_page=per_page)
        months = queries.months_with_notices(session, village_code)
    return render(request, "notices/board.html", {
        **_common(site), "current": current, "archived": archived, "total": total, "page": page,
        "pages": max(1, -(-total // per_page)), "flt": flt, "months": months, "today": services.local_today(),
        "county": village_code is None, **extra})


@get("/v/{village_code:str}/notices/", opt={"public": True}, name="notices_board")
async def village_board(request: Request[Any, Any, Any], village_code: str, stream: str | None = None,
                        category: str | None = None, month: str | None = None, q: str | None = None,
                        page: Page = 1) -> Response[Any]:
    flt = _filters(stream, category, month, q)
    return await cached_page(request, village_code, lambda extra: _board_page(request, village_code, flt, page, extra))


@get("/notices/", opt={"public": True}, name="notices_county_board")
async def county_board(request: Request[Any, Any, Any], stream: str | None = None, category: str | None = None,
                       month: str | None = None, q: str | None = None, page: Page = 1) -> Response[Any]:
    flt = _filters(stream, category, month, q)
    return await cached_page(request, None, lambda extra: _board_page(request, None, flt, page, extra))


# --- one notice -------------------------------------------------------------------------------------------------


def _chain_entry(session: Session, notice: Notice) -> AuditEntry | None:
    """The audit entry that recorded this version's publication (it carries the content hash)."""
    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.object_type == "notices_notice", AuditEntry.object_id == str(notice.id),
        AuditEntry.action.in_(("notices.notice.publish", "notices.notice.correct")))  # type: ignore[attr-defined]
        .order_by(AuditEntry.id))  # type: ignore[arg-type]
    return next((e for e in entries if (e.after or {}).get("content_hash") == notice.content_hash), None)


def _visible(request: Request[Any, Any, Any], notice: Notice) -> None:
    """Drafts are seen only by those who may see drafts of that village."""
    if notice.published_at is None:
        actor = actor_of(request)
        if actor is None or not site_of(request).allowed(actor, "notices.view_drafts", notice.village_code):
            raise NotFoundException(_("没有这条公开信息"))


def notice_context(request: Request[Any, Any, Any], session: Session, notice: Notice) -> dict[str, Any]:
    site = site_of(request)
    actor = actor_of(request)
    _visible(request, notice)
    current = services.current_version(session, notice.series)
    history = services.versions(session, notice.series)
    diffs = {}
    for older, newer in pairwise(history):
        diffs[newer.id] = diff_versions(f"{older.title}\n\n{older.body}", f"{newer.title}\n\n{newer.body}")
    statement, lines = services.finance_of(session, notice)
    objections = services.objections_of(session, notice.series)
    see_objector = actor is not None and site.allowed(actor, "notices.view_objector", notice.village_code)
    contacts = {o.id: services.contact_of(session, o) for o in objections} if see_objector else {}
    return {
        **_common(site), "notice": notice, "current": current, "history": history, "diffs": diffs,
        "attachments": services.attachments_of(session, notice), "statement": statement,
        "income": [ln for ln in lines if ln.direction == "income"],
        "expenditure": [ln for ln in lines if ln.direction == "expenditure"],
        "objections": objections, "contacts": contacts, "open": services.window_open(current),
        "entry": _chain_entry(session, notice) if notice.content_hash else None,
        "today": services.local_today(), "form": {}, "errors": [],
    }


def _notice_page(request: Request[Any, Any, Any], village_code: str, notice_id: int, extra: dict[str, Any],
                 status_code: int = 200) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
        context = notice_context(request, session, notice)
    context.update(extra)
    return render(request, "notices/notice.html", context, status_code=status_code)


@get("/v/{village_code:str}/notices/{notice_id:int}", opt={"public": True}, name="notices_notice")
async def notice_page(request: Request[Any, Any, Any], village_code: str, notice_id: int,
                      sent: int = 0) -> Response[Any]:
    return await cached_page(request, village_code,
                             lambda extra: _notice_page(request, village_code, notice_id, {**extra, "sent": sent}))


def _submit_objection(request: Request[Any, Any, Any], village_code: str, notice_id: int,
                      data: dict[str, str]) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: services.raise_objection(
            s, site, a, notice_id, body=data.get("body", ""), name=data.get("name", ""),
            phone=data.get("phone", ""), village_code=village_code),
        then=f"/v/{village_code}/notices/{notice_id}?sent=1#objections",
        refused=lambda exc: _notice_page(request, village_code, notice_id, {
            "errors": forms.problems(exc), "error": exc.message, "form": data}, status_code=400))


@post("/v/{village_code:str}/notices/{notice_id:int}/objections", opt={"public": True})
async def post_objection(request: Request[Any, Any, Any], village_code: str, notice_id: int,
                         data: Form) -> Response[Any]:
    """Anyone may object while the window is open; without an account, name and phone are required (never shown).

    Anonymous objections are counted per client in the shared store (`anonymous_objections_per_hour`), so a flood
    from one address is refused on every worker; logged-in villagers are not limited.
    """
    site = site_of(request)
    if actor_of(request) is not None:
        return await anyio.to_thread.run_sync(_submit_objection, request, village_code, notice_id, data)
    # The place is taken atomically before the objection is stored and given back when none was.
    limiter = site.store.with_namespace("ratelimit")
    key = f"objection:{request.client.host if request.client else '-'}"
    if await count(limiter, key, window_seconds=3600) > settings_of(site).anonymous_objections_per_hour:
        await count(limiter, key, amount=-1, window_seconds=3600)
        message = _("提交异议过于频繁，请一小时后再试，或登录后提交")
        return await anyio.to_thread.run_sync(lambda: _notice_page(
            request, village_code, notice_id, {"errors": [Problem(message)], "error": message, "form": data},
            status_code=429))
    response = await anyio.to_thread.run_sync(_submit_objection, request, village_code, notice_id, data)
    if response.status_code != 303:
        await count(limiter, key, amount=-1, window_seconds=3600)
    return response


@get("/v/{village_code:str}/notices/{notice_id:int}/verify", opt={"public": True}, name="notices_verify")
async def verify_page(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[Any]:
    def build(extra: dict[str, Any]) -> Response[str]:
        site = site_of(request)
        with site.db.read() as session:
            notice = services.get_notice(session, notice_id, village_code)
            _visible(request, notice)
            if notice.content_hash is None:
                raise NotFoundException(_("草稿没有内容哈希"))
            form = services.version_form(session, notice)
            entry = _chain_entry(session, notice)
            previous = (session.get(AuditEntry, entry.id - 1) if entry and entry.id else None)
        recomputed = services.content_hash(form)
        return render(request, "notices/verify.html", {
            **extra, "notice": notice, "canonical": services.canonical_bytes(form).decode("utf-8"),
            "recomputed": recomputed, "matches": recomputed == notice.content_hash, "entry": entry,
            "entry_ok": entry is not None and entry_hash(entry) == entry.hash,
            "linked": entry is not None and (previous.hash if previous else "0" * 64) == entry.prev_hash})
    return await cached_page(request, village_code, build)


@get("/v/{village_code:str}/notices/{notice_id:int}/canonical.json", opt={"public": True}, sync_to_thread=True)
def canonical_json(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[bytes]:
    """The exact bytes whose SHA-256 is the version's hash, so anyone can check it with their own tools."""
    site = site_of(request)
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
        _visible(request, notice)
        body = services.canonical_bytes(services.version_form(session, notice))
    return Response(body, media_type="application/json; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="notice-{notice_id}.json"',
                             "X-Content-Type-Options": "nosniff"})


@get("/v/{village_code:str}/notices/{notice_id:int}/files/{attachment_id:int}", opt={"public": True},
     sync_to_thread=True, name="notices_attachment")
def attachment(request: Request[Any, Any, Any], village_code: str, notice_id: int,
               attachment_id: int) -> Response[bytes]:
    """Served with its sniffed type; a published version's files never change, so browsers may keep them."""
    site = site_of(request)
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
        _visible(request, notice)
        file = session.get(NoticeAttachment, attachment_id)
        if file is None or file.notice_id != notice.id:
            raise NotFoundException(_("没有这个附件"))
    etag = f'"{file.sha256}"'
    public = notice.published_at is not None
    headers = {
        "Content-Disposition": f"inline; filename*=UTF-8''{quote(file.filename)}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=31536000, immutable" if public else "private, no-store",
        "ETag": etag,
        "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=304, headers=headers)
    return Response(file.data, media_type=file.content_type, headers=headers)


# --- feeds ------------------------------------------------------------------------------------------------------


def _feed(request: Request[Any, Any, Any], village_code: str | None, extra: dict[str, Any]) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        items = queries.feed_items(session, village_code)
    base = public_base(request)
    village = site.village(village_code) if village_code else None
    updated = max((n.published_at for n in items if n.published_at), default=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    response = render(request, "notices/feed.xml", {
        **extra, "items": items, "base": base, "feed_village": village, "updated": updated, "md": render_markdown,
        "stream_labels": STREAM_LABELS, "self_url": base + request.url.path})
    response.media_type = "application/atom+xml; charset=utf-8"
    return response


@get("/v/{village_code:str}/notices/feed.atom", opt={"public": True}, name="notices_feed")
async def village_feed(request: Request[Any, Any, Any], village_code: str) -> Response[Any]:
    return await cached_page(request, village_code, lambda extra: _feed(request, village_code, extra))


@get("/notices/feed.atom", opt={"public": True}, name="notices_county_feed")
async def county_feed(request: Request[Any, Any, Any]) -> Response[Any]:
    return await cached_page(request, None, lambda extra: _feed(request, None, extra))


def _subscribe(request: Request[Any, Any, Any], village_code: str | None, extra: dict[str, Any]) -> Response[str]:
    """The page a person reaches from "订阅更新": the feed's entries, readable, and how to follow them."""
    site = site_of(request)
    with site.db.read() as session:
        items = queries.feed_items(session, village_code)
    base = public_base(request)
    path = f"/v/{village_code}/notices/" if village_code else "/notices/"
    return render(request, "notices/subscribe.html", {
        **_common(site), **extra, "items": items, "feed_url": f"{base}{path}feed.atom", "board": path,
        "county": village_code is None, "villages": {v.code: v.name for v in site.config.villages}})


@get("/v/{village_code:str}/notices/subscribe", opt={"public": True}, name="notices_subscribe")
async def village_subscribe(request: Request[Any, Any, Any], village_code: str) -> Response[Any]:
    return await cached_page(request, village_code, lambda extra: _subscribe(request, village_code, extra))


@get("/notices/subscribe", opt={"public": True}, name="notices_county_subscribe")
async def county_subscribe(request: Request[Any, Any, Any]) -> Response[Any]:
    return await cached_page(request, None, lambda extra: _subscribe(request, None, extra))


# --- print ------------------------------------------------------------------------------------------------------


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (no image request; prints sharp at any size)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=4, omitsize=True, title=url, border=2))


@get("/v/{village_code:str}/notices/{notice_id:int}/print", opt={"public": True}, name="notices_print")
async def print_notice(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[Any]:
    def build(extra: dict[str, Any]) -> Response[str]:
        site = site_of(request)
        with site.db.read() as session:
            notice = services.get_notice(session, notice_id, village_code)
            context = notice_context(request, session, notice)
        url = f"{public_base(request)}/v/{village_code}/notices/{notice.id}"
        return render(request, "notices/print.html", {**context, **extra, "qr": qr_svg(url), "url": url})
    return await cached_page(request, village_code, build)


@get("/v/{village_code:str}/notices/print", opt={"public": True}, name="notices_print_board")
async def print_board(request: Request[Any, Any, Any], village_code: str) -> Response[Any]:
    def build(extra: dict[str, Any]) -> Response[str]:
        site = site_of(request)
        base = public_base(request)
        with site.db.read() as session:
            current = queries.current_board(session, village_code)
            posters = []
            for notice in current:
                context = notice_context(request, session, notice)
                url = f"{base}/v/{village_code}/notices/{notice.id}"
                posters.append({**context, "qr": qr_svg(url), "url": url})
        board_url = f"{base}/v/{village_code}/notices/"
        return render(request, "notices/print_board.html", {
            **_common(site), **extra, "posters": posters, "board_qr": qr_svg(board_url), "board_url": board_url,
            "today": services.local_today()})
    return await cached_page(request, village_code, build)


# --- the clerk's desk -------------------------------------------------------------------------------------------


def _desk(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site = site_of(request)
    today = services.local_today()
    with site.db.read() as session:
        rows = list(session.scalars(select(Notice).where(Notice.village_code == village_code, Notice.is_current)
                                    .order_by(Notice.id.desc()).limit(200)))  # type: ignore[union-attr]
        objections = list(session.scalars(select(Objection).where(
            Objection.village_code == village_code, Objection.status == "open").order_by(Objection.id)))
        late = queries.overdue(session, site, [village_code])
    return render(request, "notices/manage/index.html", {
        **_common(site), "drafts": [n for n in rows if n.status == "draft"],
        "live": [n for n in rows if n.status == "published" and n.window_end and n.window_end >= today],
        "past": [queries.listed(n) for n in rows
                 if n.published_at and (n.status == "withdrawn" or (n.window_end or today) < today)],
        "objections": objections, "late": late, "today": today})


@get("/v/{village_code:str}/notices/manage/", opt={"permission": "notices.view_drafts"}, sync_to_thread=True,
     name="notices_desk")
def desk(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _desk(request, village_code)


def _edit_page(request: Request[Any, Any, Any], village_code: str, notice: Notice | None, form: dict[str, Any],
               errors: list[Problem], status_code: int = 200, preview: str | None = None) -> Response[str]:
    site = site_of(request)
    attachments: list[NoticeAttachment] = []
    if notice is not None:
        with site.db.read() as session:
            attachments = services.attachments_of(session, notice)
    return render(request, "notices/manage/edit.html", {
        **_common(site), "notice": notice, "form": form, "errors": errors, "attachments": attachments,
        "preview": render_markdown(preview) if preview is not None else None,
        "limits": settings_of(site)}, status_code=status_code)


def _window_days(value: str | None) -> int | None:
    return forms.integer(value, "window_days", _("公示天数"), required=False, minimum=1)  # type: ignore[no-any-return]


@get("/v/{village_code:str}/notices/manage/new", opt={"permission": "notices.draft"}, sync_to_thread=True)
def new_draft(request: Request[Any, Any, Any], village_code: str, stream: str = "village") -> Response[str]:
    return _edit_page(request, village_code, None, {"stream": stream if stream in STREAMS else "village"}, [])


@post("/v/{village_code:str}/notices/manage/new", opt={"permission": "notices.draft"}, sync_to_thread=True)
def create_draft(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    if data.get("action") == "preview":
        return _edit_page(request, village_code, None, data, [], preview=data.get("body", ""))
    def change(session: Session, site: Site, actor: Actor) -> Notice | None:
        check = forms.Checks()  # a bad number of days and a missing title are named together
        days = check(_window_days, data.get("window_days"))
        notice = check(services.draft_notice, session, site, actor, village_code=village_code,
                       stream=data.get("stream", ""), category=data.get("category", ""),
                       title=data.get("title", ""), body=data.get("body", ""), window_days=days)
        check.done(NoticeError)
        return notice

    return forms.run(
        request, change,
        then=lambda notice: f"/v/{village_code}/notices/manage/{notice.id}/edit",
        refused=lambda exc: _edit_page(request, village_code, None, data, forms.problems(exc), 400))


def _load_draft(site: Site, village_code: str, notice_id: int) -> Notice:
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
    if notice.status != "draft":
        raise NotFoundException(_("只有草稿可以修改"))
    return notice


@get("/v/{village_code:str}/notices/manage/{notice_id:int}/edit", opt={"permission": "notices.draft"},
     sync_to_thread=True)
def edit_draft(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[str]:
    notice = _load_draft(site_of(request), village_code, notice_id)
    if notice.kind == "finance":
        return _finance_page(request, village_code, notice, _finance_form_of(site_of(request), notice), [])
    form = {"stream": notice.stream, "category": notice.category, "title": notice.title, "body": notice.body,
            "window_days": str(notice.window_days)}
    return _edit_page(request, village_code, notice, form, [])


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/edit", opt={"permission": "notices.draft"},
      sync_to_thread=True)
def save_draft(request: Request[Any, Any, Any], village_code: str, notice_id: int, data: Form) -> Response[Any]:
    site = site_of(request)
    notice = _load_draft(site, village_code, notice_id)
    if data.get("action") == "preview":
        return _edit_page(request, village_code, notice, {**data, "stream": notice.stream}, [],
                          preview=data.get("body", ""))
    def change(session: Session, site: Site, actor: Actor) -> None:
        check = forms.Checks()
        days = check(_window_days, data.get("window_days"))
        check(services.update_draft, session, site, actor, notice_id, village_code=village_code,
              category=data.get("category", ""), title=data.get("title", ""), body=data.get("body", ""),
              window_days=days)
        check.done(NoticeError)

    return forms.run(
        request, change,
        then=f"/v/{village_code}/notices/manage/{notice_id}/edit?saved=1",
        refused=lambda exc: _edit_page(request, village_code, notice, {**data, "stream": notice.stream},
                                       forms.problems(exc), 400))


@post("/v/{village_code:str}/notices/manage/preview", opt={"permission": "notices.draft"}, sync_to_thread=True)
def preview(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[str]:
    """The htmx live preview of the Markdown body (the same sanitiser as the public page)."""
    return render(request, "notices/manage/_preview.html", {"preview": render_markdown(data.get("body", ""))})


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/files", opt={"permission": "notices.draft"})
async def upload(request: Request[Any, Any, Any], village_code: str, notice_id: int,
                 data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]) -> Response[Any]:
    site = site_of(request)
    file = data.get("file")
    content = await file.read() if isinstance(file, UploadFile) else b""
    filename = file.filename if isinstance(file, UploadFile) else ""

    def save() -> Response[Any]:
        notice = _load_draft(site, village_code, notice_id)
        try:
            with site.db.transaction() as session:
                services.add_attachment(session, site, actor_of(request), notice_id, filename=filename,
                                        data=content, village_code=village_code)
        except NoticeError as exc:
            form = {"stream": notice.stream, "category": notice.category, "title": notice.title,
                    "body": notice.body, "window_days": str(notice.window_days)}
            return _edit_page(request, village_code, notice, form, [Problem(exc.message, field="file")], 400)
        return Redirect(f"/v/{village_code}/notices/manage/{notice_id}/edit", status_code=303)

    return await anyio.to_thread.run_sync(save)


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/files/{attachment_id:int}/remove",
      opt={"permission": "notices.draft"}, sync_to_thread=True)
def remove_file(request: Request[Any, Any, Any], village_code: str, notice_id: int,
                attachment_id: int) -> Response[Any]:
    site = site_of(request)
    with site.db.transaction() as session:
        services.remove_attachment(session, site, actor_of(request), notice_id, attachment_id,
                                   village_code=village_code)
    return Redirect(f"/v/{village_code}/notices/manage/{notice_id}/edit", status_code=303)


@get("/v/{village_code:str}/notices/manage/{notice_id:int}/publish", opt={"permission": "notices.publish"},
     sync_to_thread=True)
def publish_confirm(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[str]:
    """Publishing cannot be undone (only corrected or withdrawn on the record): say so before it happens."""
    notice = _load_draft(site_of(request), village_code, notice_id)
    return confirm_page(
        request, title=_("发布“%(title)s”", title=notice.title),
        consequences=[_("发布后任何人都能在公开栏看到，内容不能再修改，只能更正（发布新版本，旧版本保留可查）。"),
                      _("公示期从今天开始，共 %(n)s 天；期间村民可以提出异议。", n=notice.window_days),
                      _("发布记录写入审计链，附带内容哈希。")],
        action=f"/v/{village_code}/notices/manage/{notice_id}/publish", button=_("确认发布"),
        back=f"/v/{village_code}/notices/manage/{notice_id}/edit")


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/publish", opt={"permission": "notices.publish"},
      sync_to_thread=True)
def publish(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[Any]:
    # A refusal (somebody published or withdrew it first: 409) goes to the shared error page.
    return forms.run(
        request, lambda s, site, a: services.publish_draft(s, site, a, notice_id, village_code=village_code),
        then=f"/v/{village_code}/notices/{notice_id}")


def _action_page(request: Request[Any, Any, Any], village_code: str, notice_id: int, template: str,
                 form: dict[str, Any], errors: list[Problem], status_code: int = 200) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        notice = services.get_notice(session, notice_id, village_code)
        notice = services.current_version(session, notice.series)
    return render(request, template, {**_common(site), "notice": notice, "form": form, "errors": errors},
                  status_code=status_code)


@get("/v/{village_code:str}/notices/manage/{notice_id:int}/correct", opt={"permission": "notices.publish"},
     sync_to_thread=True)
def correct_form(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        notice = services.current_version(session, services.get_notice(session, notice_id, village_code).series)
    return _action_page(request, village_code, notice_id, "notices/manage/correct.html",
                        {"title": notice.title, "body": notice.body}, [])


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/correct", opt={"permission": "notices.publish"},
      sync_to_thread=True)
def correct(request: Request[Any, Any, Any], village_code: str, notice_id: int, data: Form) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: services.correct_notice(
            s, site, a, notice_id, title=data.get("title", ""), body=data.get("body", ""), note=data.get("note", ""),
            village_code=village_code, restart_window=data.get("restart") == "1"),
        then=lambda new: f"/v/{village_code}/notices/{new.id}",
        refused=lambda exc: _action_page(request, village_code, notice_id, "notices/manage/correct.html", data,
                                         forms.problems(exc), exc.status_code))


@get("/v/{village_code:str}/notices/manage/{notice_id:int}/withdraw", opt={"permission": "notices.withdraw"},
     sync_to_thread=True)
def withdraw_form(request: Request[Any, Any, Any], village_code: str, notice_id: int) -> Response[str]:
    return _action_page(request, village_code, notice_id, "notices/manage/withdraw.html", {}, [])


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/withdraw", opt={"permission": "notices.withdraw"},
      sync_to_thread=True)
def withdraw(request: Request[Any, Any, Any], village_code: str, notice_id: int, data: Form) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: services.withdraw_notice(s, site, a, notice_id, data.get("reason", ""),
                                                             village_code=village_code),
        then=lambda notice: f"/v/{village_code}/notices/{notice.id}" if notice.published_at
        else f"/v/{village_code}/notices/manage/",
        refused=lambda exc: _action_page(request, village_code, notice_id, "notices/manage/withdraw.html", data,
                                         forms.problems(exc), exc.status_code))


@get("/v/{village_code:str}/notices/manage/objections", opt={"permission": "notices.answer"}, sync_to_thread=True)
def objections_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _objections(request, village_code)


def _objections(request: Request[Any, Any, Any], village_code: str, form: dict[str, str] | None = None,
                error: DomainError | None = None, status_code: int = 200) -> Response[str]:
    """The objections; after a refused answer, `form` is what was typed (its "_form" the objection's id, so only
    that objection's form shows it) and `error` the refusal (its problems beside the answer box)."""
    site = site_of(request)
    actor = actor_of(request)
    with site.db.read() as session:
        rows = list(session.scalars(select(Objection).where(Objection.village_code == village_code)
                                    .order_by(Objection.status.desc(), Objection.id.desc()).limit(200)))  # type: ignore[attr-defined]
        notices = {n.id: n for n in session.scalars(select(Notice).where(Notice.id.in_({o.notice_id for o in rows})))}  # type: ignore[union-attr]
        see = site.allowed(actor, "notices.view_objector", village_code)
        contacts = {o.id: services.contact_of(session, o) for o in rows} if see else {}
    return render(request, "notices/manage/objections.html", {
        "rows": rows, "notices": notices, "contacts": contacts, "form": form or {},
        "errors": forms.problems(error), "error": error.message if error else ""}, status_code=status_code)


@post("/v/{village_code:str}/notices/manage/objections/{objection_id:int}/answer",
      opt={"permission": "notices.answer"}, sync_to_thread=True)
def answer(request: Request[Any, Any, Any], village_code: str, objection_id: int, data: Form) -> Response[Any]:
    return forms.run(
        request, lambda s, site, a: services.answer_objection(s, site, a, objection_id, data.get("answer", ""),
                                                              village_code=village_code),
        then=f"/v/{village_code}/notices/manage/objections#o{objection_id}",
        refused=lambda exc: _objections(request, village_code, {**data, "_form": str(objection_id)}, exc,
                                        exc.status_code))


# --- financial disclosure ---------------------------------------------------------------------------------------

_LINE = re.compile(r"^(?P<item>.*?)[\s,，:：]+(?P<amount>-?[\d,]+(?:\.\d{1,2})?)\s*元?$")


def parse_amount(value: str, label: str, field: str) -> Decimal:
    """An amount in yuan to the fen; a balance may be below zero."""
    return forms.money(value, field, label, minimum=None)  # type: ignore[no-any-return]


def parse_lines(text: str, field: str, label: str) -> list[tuple[str, Decimal]]:
    """One line per item: "项目名称 金额", e.g. "上级转移支付 12000.00". Every wrong line is named at once."""
    lines: list[tuple[str, Decimal]] = []
    problems: list[Problem] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        match = _LINE.match(raw.strip())
        if not match or not match.group("item").strip():
            message = _("%(label)s第 %(n)s 行应为“项目名称 金额”：%(line)s", label=label, n=number, line=raw.strip())
            problems.append(Problem(message, field=field, row=number))
            continue
        try:
            lines.append((match.group("item").strip(), parse_amount(match.group("amount"), label, field)))
        except DomainError as exc:  # a NoticeError or the form toolkit's FormError
            problems += [Problem(p.message, field=field, row=number) for p in exc.problems or [Problem(exc.message)]]
    if problems:
        raise NoticeError(problems[0].message, problems)
    return lines


def parse_period(value: str) -> tuple[str, dt.date]:
    value = (value or "").strip().upper()
    if match := re.fullmatch(r"(\d{4})-(\d{2})", value):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return "month", dt.date(year, month, 1)
    if match := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
        return "quarter", dt.date(int(match.group(1)), (int(match.group(2)) - 1) * 3 + 1, 1)
    message = _("期间应写作 2025-03（月）或 2025-Q1（季度）")
    raise NoticeError(message, [Problem(message, field="period")])


def finance_input(data: dict[str, str]) -> FinanceInput:
    """The statement typed in the form; every field that is wrong is reported at once (one NoticeError)."""
    attempt = forms.Checks()
    period = attempt(parse_period, data.get("period", ""))
    opening = attempt(parse_amount, data.get("opening", ""), _("期初余额"), "opening")
    income = attempt(parse_lines, data.get("income", ""), "income", _("收入"))
    expenditure = attempt(parse_lines, data.get("expenditure", ""), "expenditure", _("支出"))
    closing = attempt(parse_amount, data.get("closing", ""), _("期末余额"), "closing")
    totals = {}
    for name, label in (("income_total", _("收入合计")), ("expenditure_total", _("支出合计"))):
        totals[name] = attempt(parse_amount, data[name], label, name) if data.get(name, "").strip() else None
    attempt.done(NoticeError)
    assert period is not None
    kind, start = period
    return FinanceInput(period_kind=kind, period_start=start, opening=opening, income=income,
                        expenditure=expenditure, closing=closing, **totals)


def _finance_form_of(site: Site, notice: Notice) -> dict[str, str]:
    with site.db.read() as session:
        statement, lines = services.finance_of(session, notice)
    assert statement is not None
    period = (statement.period_start.strftime("%Y-%m") if statement.period_kind == "month"
              else f"{statement.period_start.year}-Q{(statement.period_start.month - 1) // 3 + 1}")
    return {"category": notice.category, "title": notice.title, "body": notice.body, "period": period,
            "opening": str(statement.opening), "closing": str(statement.closing),
            "income": "\n".join(f"{ln.item} {ln.amount}" for ln in lines if ln.direction == "income"),
            "expenditure": "\n".join(f"{ln.item} {ln.amount}" for ln in lines if ln.direction == "expenditure"),
            "window_days": str(notice.window_days)}


def _finance_page(request: Request[Any, Any, Any], village_code: str, notice: Notice | None, form: dict[str, Any],
                  errors: list[Problem], status_code: int = 200) -> Response[str]:
    site = site_of(request)
    attachments: list[NoticeAttachment] = []
    if notice is not None:
        with site.db.read() as session:
            attachments = services.attachments_of(session, notice)
    return render(request, "notices/manage/finance.html", {
        **_common(site), "notice": notice, "form": form, "errors": errors, "attachments": attachments,
        "limits": settings_of(site)}, status_code=status_code)


@get("/v/{village_code:str}/notices/manage/finance", opt={"permission": "notices.draft"}, sync_to_thread=True)
def new_finance(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    last_month = services.local_today().replace(day=1) - dt.timedelta(days=1)
    return _finance_page(request, village_code, None, {"period": last_month.strftime("%Y-%m")}, [])


@post("/v/{village_code:str}/notices/manage/finance", opt={"permission": "notices.draft"}, sync_to_thread=True)
def create_finance(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    site = site_of(request)
    try:
        figures = finance_input(data)
        village = site.village(village_code)
        title = data.get("title", "").strip() or _("%(village)s%(period)s财务收支公开", village=village.name,
                                                       period=figures.period_label())
        category = data.get("category") or ("月度收支" if figures.period_kind == "month" else "季度收支")
        with site.db.transaction() as session:
            notice = services.draft_notice(
                session, site, actor_of(request), village_code=village_code, stream="finance", category=category,
                title=title, body=data.get("body", ""), window_days=_window_days(data.get("window_days")),
                finance=figures)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return _finance_page(request, village_code, None, data, forms.problems(exc), 400)
    return Redirect(f"/v/{village_code}/notices/manage/{notice.id}/edit", status_code=303)


@post("/v/{village_code:str}/notices/manage/finance/check", opt={"permission": "notices.draft"}, sync_to_thread=True)
def finance_check(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[str]:
    """The live check under the statement (htmx, while the clerk types): the totals of the lines typed so far, the
    closing balance they give, and whether the statement reconciles. Nothing is saved; saving checks it all again.
    Only fields already filled in are judged, so a half-typed form is not a wall of "please fill in"."""
    check = forms.Checks()
    filled = {name: (data.get(name) or "").strip() for name in ("opening", "closing", "income", "expenditure")}
    opening = check(parse_amount, filled["opening"], _("期初余额"), "opening") if filled["opening"] else None
    closing = check(parse_amount, filled["closing"], _("期末余额"), "closing") if filled["closing"] else None
    income = check(parse_lines, filled["income"], "income", _("收入")) or []
    spent = check(parse_lines, filled["expenditure"], "expenditure", _("支出")) or []
    totals = {"income": sum((a for _i, a in income), Decimal("0.00")),
              "expenditure": sum((a for _i, a in spent), Decimal("0.00"))}
    expected = None if opening is None else opening + totals["income"] - totals["expenditure"]
    verdict: str | None = None
    if not check.problems and opening is not None and closing is not None:
        try:
            services.check_finance(finance_input(data))
        except DomainError as exc:
            check.problems.extend(exc.problems or [Problem(exc.message)])
        else:
            verdict = _("收支平衡：期初 %(opening)s + 收入 %(income)s − 支出 %(spent)s = 期末 %(closing)s 元",
                        opening=opening, income=totals["income"], spent=totals["expenditure"], closing=closing)
    return render(request, "notices/manage/_finance_check.html", {
        "problems": check.problems, "totals": totals, "expected": expected, "verdict": verdict})


@post("/v/{village_code:str}/notices/manage/{notice_id:int}/finance", opt={"permission": "notices.draft"},
      sync_to_thread=True)
def save_finance(request: Request[Any, Any, Any], village_code: str, notice_id: int, data: Form) -> Response[Any]:
    site = site_of(request)
    notice = _load_draft(site, village_code, notice_id)
    try:
        figures = finance_input(data)
        with site.db.transaction() as session:
            services.update_draft(session, site, actor_of(request), notice_id, village_code=village_code,
                                  category=data.get("category", notice.category),
                                  title=data.get("title", "") or notice.title, body=data.get("body", ""),
                                  window_days=_window_days(data.get("window_days")), finance=figures)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return _finance_page(request, village_code, notice, data, forms.problems(exc), 400)
    return Redirect(f"/v/{village_code}/notices/manage/{notice_id}/edit?saved=1", status_code=303)


ROUTES = [
    village_board, county_board, notice_page, post_objection, verify_page, canonical_json, attachment, village_feed,
    county_feed, village_subscribe, county_subscribe, print_notice, print_board, desk, new_draft, create_draft,
    edit_draft, save_draft, preview, upload, remove_file, publish_confirm, publish, correct_form, correct,
    withdraw_form, withdraw, objections_page, answer, new_finance, create_finance, finance_check, save_finance,
]
