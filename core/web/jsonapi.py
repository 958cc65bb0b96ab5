"""The JSON API's shared shape, and its villages and townships: `/api/v1/...`, read-only, for county systems.

Every list is paginated the same way (`page`, `per_page` ≤ 200; the answer carries `page`, `per_page`, `total`,
`items`), every route declares its permission like a page, and what a route shows is what the matching page shows
to the same person (same masking). Each area keeps its endpoints next to its pages (`cunwu.notices.api`,
`cunwu.meetings.api`, the register's in its controllers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter
from sqlmodel import col, func, select

from cunwu import clock
from cunwu.i18n import _
from cunwu.web.render import site_of

PER_PAGE = 50
PER_PAGE_MAX = 200

#: Beyond this no listing has pages; a larger number (or one past 2**63) would only overflow the OFFSET.
PAGE_MAX = 100_000
Page = Annotated[int, Parameter(ge=1, le=PAGE_MAX, description="page number, from 1")]
PerPage = Annotated[int, Parameter(ge=1, le=PER_PAGE_MAX, description=f"items per page (at most {PER_PAGE_MAX})")]


def offset(page: int, per_page: int) -> int:
    return (page - 1) * per_page


@dataclass(frozen=True)
class VillageSummary:
    code: str
    name: str
    township: str
    url: str


@dataclass(frozen=True)
class VillagePage:
    page: int
    per_page: int
    total: int
    items: list[VillageSummary]


@dataclass(frozen=True)
class VillageDetail:
    """What the village home page shows anyone: the register's public counts and the representatives' names."""

    code: str
    name: str
    township: str
    url: str
    households: int
    persons: int
    representatives: list[str]


@dataclass(frozen=True)
class Township:
    name: str
    villages: list[VillageSummary]


@dataclass(frozen=True)
class TownshipPage:
    page: int
    per_page: int
    total: int
    items: list[Township]


def _summary(entry: Any) -> VillageSummary:
    return VillageSummary(code=entry.code, name=entry.name, township=entry.township, url=f"/v/{entry.code}/")


@get("/api/v1/villages", opt={"public": True}, sync_to_thread=False)
def api_villages(request: Request[Any, Any, Any], township: str | None = None, page: Page = 1,
                 per_page: PerPage = PER_PAGE) -> VillagePage:
    """The site's villages in site.toml order (optionally of one township), paginated."""
    entries = [v for v in site_of(request).config.villages if township is None or v.township == township]
    chosen = entries[offset(page, per_page): offset(page, per_page) + per_page]
    return VillagePage(page=page, per_page=per_page, total=len(entries), items=[_summary(v) for v in chosen])


@get("/api/v1/villages/{village_code:str}", opt={"public": True}, sync_to_thread=True)
def api_village(request: Request[Any, Any, Any], village_code: str) -> VillageDetail:
    """One village with the public facts of its home page (households, persons, representatives' names)."""
    from cunwu.registry import queries
    from cunwu.registry.models import Household, Membership

    site = site_of(request)
    entry = site.village(village_code)
    if entry is None:
        raise NotFoundException(_("没有这个村：%(code)s", code=village_code))
    with site.db.read() as session:
        households = session.exec(select(func.count()).select_from(Household).where(
            Household.village_code == village_code, col(Household.closed_on).is_(None))).one()
        persons = session.exec(select(func.count()).select_from(Membership).where(
            Membership.village_code == village_code, col(Membership.end_date).is_(None))).one()
        names = queries.representative_names(session, village_code, clock.local_today())
    return VillageDetail(code=entry.code, name=entry.name, township=entry.township, url=f"/v/{entry.code}/",
                         households=households, persons=persons, representatives=names)


@get("/api/v1/townships", opt={"public": True}, sync_to_thread=False)
def api_townships(request: Request[Any, Any, Any], page: Page = 1, per_page: PerPage = PER_PAGE) -> TownshipPage:
    """The site's townships with their villages, in site.toml order, paginated by township."""
    grouped = list(site_of(request).townships().items())
    chosen = grouped[offset(page, per_page): offset(page, per_page) + per_page]
    items = [Township(name=name, villages=[_summary(v) for v in villages]) for name, villages in chosen]
    return TownshipPage(page=page, per_page=per_page, total=len(grouped), items=items)


ROUTES = [api_villages, api_village, api_townships]
