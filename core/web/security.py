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
from pydantic import BaseModel, ConfigDict, Field, field_validator

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class WebSettings(BaseModel):
    """`[core.web]` in site.toml."""

    model_config = ConfigDict(extra="forbid")

    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (e.g. 127.0.0.1, 10.0.0.0/8) of reverse proxies whose "
                    "X-Forwarded-Proto is believed; cookies are then marked Secure when it says https")
    frame_ancestors: list[str] = Field(
        default_factory=list,
        description="Other origins allowed to show this site's pages in a frame (e.g. a county portal, "
                    "https://www.example.gov.cn); by default only the site itself may")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError:
                raise ValueError(f"not an IP address or network: {value!r}") from None
        return values

    @field_validator("frame_ancestors")
    @classmethod
    def _origins(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.startswith(("https://", "http://")) or any(c in value for c in " ;,'\""):
                raise ValueError(f"not an origin such as https://portal.example.gov.cn: {value!r}")
        return values


def _networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def _trusted(client: Any, networks: tuple[Network, ...]) -> bool:
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
        self.networks = _networks(settings.trusted_proxies)
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
        if _trusted(scope.get("client"), self.networks):
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
