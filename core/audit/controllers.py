"""The public head of the audit chain, `/-/audit/head.json` (the county overview's card is in `slots.py`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get

from cunwu.audit.checkpoints import head
from cunwu.web.render import site_of


@get("/-/audit/head.json", opt={"public": True}, sync_to_thread=True, name="audit_head")
def head_json(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """The newest entry's id and hash and the entry count: fetch and keep it to anchor the chain."""
    site = site_of(request)
    with site.db.read() as session:
        now = head(session, site.slug)
    return {"site": now.site, "entry_id": now.entry_id, "entries": now.entries, "hash": now.hash, "at": now.at}


ROUTES = [head_json]
