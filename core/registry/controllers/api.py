"""The register's JSON API: persons and households, paginated, masked by role.
"""


from collections.abc import Callable
from typing import Any

from litestar import Request, get
from sqlmodel import col

from cunwu.clock import local_today
from cunwu.registry import queries
from cunwu.registry.controllers.common import (
    API_PER_PAGE_MAX,
    PER_PAGE,
    masker,
    owned,
    register_search,
    viewer,
)
from cunwu.registry.fields import FLAG_FIELDS
from cunwu.registry.models import (
    Household,
    Membership,
    Person,
)
from cunwu.web.jsonapi import PAGE_MAX

# --- JSON API -------------------------------------------------------------------------------------------------


def _page_args(request: Request[Any, Any, Any]) -> tuple[int, int]:
    page = request.query_params.get("page", "1")
    per_page = request.query_params.get("per_page", str(PER_PAGE))  # "²".isdigit() is true: ASCII digits only
    return (min(PAGE_MAX, max(1, int(page))) if page.isascii() and page.isdigit() else 1,
            min(API_PER_PAGE_MAX, max(1, int(per_page))) if per_page.isascii() and per_page.isdigit() else PER_PAGE)


def _person_json(person: Person, ids: Callable[[str | None], str], phones: Callable[[str | None], str],
                 membership: Membership | None = None, household: Household | None = None, *,
                 full: bool) -> dict[str, Any]:
    return {
        "id": person.id, "name": person.name, "sex": person.sex,
        # Beside a masked ID the birth date would rebuild it: age only (cunwu.privacy.birth_shown).
        "birth_date": person.birth_date.isoformat() if full else None,
        "age": queries.age_on(person.birth_date, local_today()),
        "resident_id": ids(person.resident_id), "phone": phones(person.phone), "ethnicity": person.ethnicity,
        "status": person.status, "status_since": person.status_since.isoformat() if person.status_since else None,
        **{flag: getattr(person, flag) for flag in FLAG_FIELDS}, "disability_grade": person.disability_grade,
        "household": household.number if household else None, "household_id": household.id if household else None,
        "relation": membership.relation if membership else None,
    }


@get("/persons", opt={"permission": "registry.view"}, sync_to_thread=True)
def api_persons(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    """Persons of the village (search and filters as on the register page), paginated, masked by role."""
    site, _actor, full = viewer(request, village_code)
    page, per_page = _page_args(request)
    params = {k: request.query_params.get(k, "") for k in ("q", "group", "status", "flag")}
    ids, phones = masker(site, full)
    with site.db.read() as session:
        rows, total = queries.register_page(session, village_code, register_search(params), page=page,
                                            per_page=per_page)
    return {"page": page, "per_page": per_page, "total": total, "masked": not full,
            "items": [_person_json(p, ids, phones, m, h, full=full) for p, m, h in rows]}


@get("/persons/{person_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True)
def api_person(request: Request[Any, Any, Any], village_code: str, person_id: int) -> dict[str, Any]:
    site, _actor, full = viewer(request, village_code)
    ids, phones = masker(site, full)
    with site.db.read() as session:
        person = owned(session, Person, person_id, village_code)
        household = queries.household_of(session, person.id)  # type: ignore[arg-type]
        membership = queries.current_membership(session, person.id)  # type: ignore[arg-type]
    return _person_json(person, ids, phones, membership, household, full=full)


@get("/households", opt={"permission": "registry.view"}, sync_to_thread=True)
def api_households(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    """Current households with their members, by 户号, paginated, masked by role."""
    site, _actor, full = viewer(request, village_code)
    page, per_page = _page_args(request)
    ids, phones = masker(site, full)
    with site.db.read() as session:
        base = queries.open_households(village_code)
        total = queries.count(session, base)
        found = session.exec(base.order_by(col(Household.number)).offset((page - 1) * per_page)
                             .limit(per_page)).all()
        members = queries.members_of(session, [h.id for h in found if h.id is not None])
        groups = {g.id: g for g in queries.groups(session, village_code)}
    return {"page": page, "per_page": per_page, "total": total, "masked": not full, "items": [
        {"id": h.id, "number": h.number, "address": h.address, "created_on": h.created_on.isoformat(),
         "group": groups[h.group_id].number if h.group_id in groups else None,
         "members": [_person_json(m.person, ids, phones, m.membership, h, full=full)
                     for m in members.get(h.id or 0, [])]}
        for h in found]}


ROUTES = [
    api_persons, api_person, api_households,
]
