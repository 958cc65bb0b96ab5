"""The outermost layer of every site app: the request's real scheme behind a trusted proxy, `Secure` cookies over
https, and no framing of HTML pages by other sites.

Why outermost (outside the plugins' `asgi_wrapper` layers such as the notices front cache): a page answered from a
worker's memory must carry the same headers and cookie flags as one the framework built, and the cache must see the
scheme it keys on (an https page has https links in its feeds).

The scheme is taken from `X-Forwarded-Proto` only when the connection comes from an address listed in
`[core.web] trusted_proxies` — anybody can send that header, so from anywhere else it is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from cunwu.web.settings import WebSettings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def from_trusted_proxy(client: Any, networks: tuple[Network, ...]) -> bool:
    if not networks or not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(address in network for network in networks)


def _is_html(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/html") for name, value in headers)


def _secure_cookie(value: bytes) -> bytes:
    return value if b"; secure" in value.lower() else value + b"; Secure"


class SecurityLayer:
    """Sets the scheme from a trusted proxy, marks cookies Secure over https, forbids framing of HTML, refuses
    a path with a NUL byte."""

    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.networks = proxy_networks(settings.trusted_proxies)
        origins = " ".join(settings.frame_ancestors)
        self.frame_headers = [(b"content-security-policy", f"frame-ancestors 'self' {origins}".strip().encode())]
        if not settings.frame_ancestors:  # X-Frame-Options has no way to name other origins
            self.frame_headers.append((b"x-frame-options", b"SAMEORIGIN"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"]:  # names no page or file (the file system refuses it with a ValueError): 404
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body", "body": b"Not Found"})
            return
        if from_trusted_proxy(scope.get("client"), self.networks):
            for name, value in scope["headers"]:
                if name == b"x-forwarded-proto":
                    proto = value.decode("latin-1").split(",")[0].strip().lower()
                    if proto in ("http", "https"):
                        scope = {**scope, "scheme": proto}  # type: ignore[misc]
                    break
        https = scope.get("scheme") == "https"

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if https:
                    headers = [(n, _secure_cookie(v) if n.lower() == b"set-cookie" else v) for n, v in headers]
                if _is_html(headers):
                    headers += self.frame_headers
                message = {**message, "headers": headers}  # type: ignore[misc]
            await send(message)

        await self.app(scope, receive, wrapped)
