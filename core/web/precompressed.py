"""Pages around a large part compressed once: the part's raw deflate stream is kept, and each answer compresses only
the page around it and splices the three into one gzip stream (the notice board's front cache does the same).

A 2,000-plot land map is ≈ 600 KB of HTML; gzip at the app's level took ≈ 90 % of a request whose map was already
rendered (docs/performance.md "Land pages"). A route that answers this way carries `opt={OPT_KEY: True}`, so the
app's compression middleware leaves its answer alone.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from markupsafe import Markup

#: The route option that takes a handler's answers out of the app's compression middleware.
OPT_KEY = "precompressed"
#: Where the kept part goes in the page (a comment nobody types into a page).
MARKER = "<!--cunwu:precompressed-part-->"
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_LEVEL = 6


@dataclass(frozen=True)
class Part:
    """A piece of HTML with its raw deflate stream (sync-flushed, not final: it can sit anywhere in a stream)."""

    html: Markup
    raw: bytes
    deflated: bytes


def part(html: Markup) -> Part:
    """`html` with its deflate stream, compressed once (to be kept, then served many times by `spliced`)."""
    raw = str(html).encode("utf-8")
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return Part(html, raw, compressor.compress(raw) + compressor.flush(zlib.Z_SYNC_FLUSH))


def _deflate(data: bytes, last: bool) -> bytes:
    compressor = zlib.compressobj(_LEVEL, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def spliced(page: Response[Any], kept: Part, request: Request[Any, Any, Any]) -> Response[Any]:
    """`page` (a rendered page holding `MARKER` once) with `kept` in the marker's place: gzip-compressed when the
    client takes gzip (only the page around the part is compressed now), plain text otherwise."""
    before, found, after = str(page.content).partition(MARKER)
    headers = dict(page.headers)
    headers["Vary"] = ", ".join(filter(None, [headers.get("Vary", ""), "Accept-Encoding"]))
    if not found:  # a page without the marker (an error page): nothing to splice
        return Response(str(page.content), status_code=page.status_code, media_type=page.media_type, headers=headers)
    head, tail = before.encode("utf-8"), after.encode("utf-8")
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(head + kept.raw + tail, status_code=page.status_code, media_type=page.media_type,
                        headers=headers)
    crc = zlib.crc32(tail, zlib.crc32(kept.raw, zlib.crc32(head)))
    size = len(head) + len(kept.raw) + len(tail)
    body = b"".join((_GZIP_HEADER, _deflate(head, False), kept.deflated, _deflate(tail, True),
                     struct.pack("<II", crc, size & 0xFFFFFFFF)))
    headers["Content-Encoding"] = "gzip"
    return Response(body, status_code=page.status_code, media_type=page.media_type, headers=headers)
