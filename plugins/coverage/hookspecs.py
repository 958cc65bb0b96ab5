"""Hooks the coverage plugin offers to other plugins (docs/hooks.md, "Hooks offered by plugins"; docs/coverage.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from cunwu.api import Site, hookspec


@hookspec
def coverage_economic_organisations(session: Session, site: Site, village_codes: list[str], since: dt.date,
                                    on: dt.date) -> list[dict[str, Any]]:
    """The economic co-operation organisations seated in `village_codes` on `on` (docs/domain.md §8, type 3).

    Return a list of dicts, one per organisation: village_code, name, source (a short zh-CN name of where it is
    kept, e.g. "农民专业合作社"), founded_on (date or None), members (int, active on `on`), person_ids (register
    person ids of the members, for the enrolment share), meetings (int: member assemblies held from `since` to
    `on`), leader (str, "" when unknown) and url (a link to its page, or "")."""
