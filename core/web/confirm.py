"""The confirmation step before an irreversible act (publish, close, approve, export).

A plain HTML page, no JavaScript: the button that starts the act is a link to a GET page that states the
consequence in words and holds the real form (POST, CSRF token) plus a way back. The act's POST route stays as it
is, so a script or a test can still post directly; a person always passes the page first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from litestar import Request, Response

from cunwu.web.render import render


def confirm_page(request: Request[Any, Any, Any], *, title: str, consequences: Sequence[str], action: str,
                 button: str, back: str, fields: Mapping[str, str] | None = None) -> Response[str]:
    """A page asking to confirm `title`: each consequence on its own line, a POST form to `action` carrying
    `fields` as hidden inputs, and a link back to `back` (where the person came from) that changes nothing."""
    return render(request, "site/confirm.html", {
        "confirm_title": title, "consequences": list(consequences), "action": action, "button": button,
        "back": back, "fields": dict(fields or {})})
