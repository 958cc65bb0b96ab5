"""What the register's pages share: who sees what in full, the record of this village or a 404, form
fields, the action runner and the register search.
"""


import datetime as dt
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import NotFoundException
from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.clock import local_today
from cunwu.errors import Problem
from cunwu.i18n import _
from cunwu.privacy import birth_shown, mask, mask_phone
from cunwu.registry import queries, services
from cunwu.registry.fields import FLAG_FIELDS, text
from cunwu.registry.models import (
    BODIES,
    LINK_KINDS,
    POSTS,
    RELATIONS,
    SEXES,
    STATUSES,
    Household,
    Person,
)
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.render import actor_of, site_of

PER_PAGE = 50
API_PER_PAGE_MAX = 200
UPLOAD_SECONDS = 3600
FLAG_FILTERS = (*FLAG_FIELDS, "disabled")


# --- helpers ---------------------------------------------------------------------------------------------------


def viewer(request: Request[Any, Any, Any], village_code: str) -> tuple[Any, Any, bool]:
    """(site, actor, may see IDs and phones in full)."""
    site = site_of(request)
    actor = actor_of(request)
    return site, actor, site.allowed(actor, "registry.view_personal", village_code)


def masker(site: Site, full: bool) -> tuple[Callable[[str | None], str], Callable[[str | None], str]]:
    settings = site.settings("registry").mask
    if full:
        return (lambda v: v or ""), (lambda v: v or "")
    return (lambda v: mask(v, settings)), (lambda v: mask_phone(v, settings))


def owned(session: Session, model: Any, id_: int, village_code: str) -> Any:
    """A record of this village, or 404 (another village's record is as good as absent)."""
    found = session.get(model, id_)
    if found is None or found.village_code != village_code:
        raise NotFoundException(_("记录不存在"))
    return found


def form_date(data: dict[str, str], key: str, label: str, default: dt.date | None = None) -> dt.date:
    return forms.date(data.get(key), key, label, default=default)  # type: ignore[no-any-return]


def form_int(data: dict[str, str], key: str, label: str) -> int | None:
    return forms.integer(data.get(key), key, label, required=False, minimum=0)  # type: ignore[no-any-return]


def person_by_id_number(session: Session, village_code: str, number: str) -> Person:
    from cunwu.registry.resident_id import ResidentIdError, parse_resident_id

    try:
        normal = parse_resident_id(number).number
    except ResidentIdError as exc:
        raise services.RegistryError(exc.message, [Problem(exc.message, field="resident_id")]) from None
    person = queries.person_by_resident_id(session, village_code, normal)
    if person is None:
        message = _("本村登记中没有身份证号为 %(id)s 的人；请先登记此人", id=mask(normal))
        raise services.RegistryError(message, [Problem(message, field="resident_id")])
    return person


def household_by_number(session: Session, village_code: str, number: str, field: str = "number") -> Household:
    """`field`: the form's name for the number, where the refusal is shown."""
    household = queries.open_household_by_number(session, village_code, text(number))
    if household is None:
        message = _("本村没有户号为 %(number)s 的现有户", number=text(number))
        raise services.RegistryError(message, [Problem(message, field=field)])
    return household


def labels() -> dict[str, Any]:
    return {"RELATIONS": RELATIONS, "STATUSES": STATUSES, "SEXES": SEXES, "BODIES": BODIES, "POSTS": POSTS,
            "LINK_KINDS": LINK_KINDS, "FLAG_FILTERS": FLAG_FILTERS, "age_on": queries.age_on,
            "birth_shown": birth_shown, "today": local_today()}


def act(request: Request[Any, Any, Any], village_code: str, action: Callable[[Session, Any, Actor], Any],
         success: str, page: Callable[[dict[str, Any]], Response[str]]) -> Response[Any]:
    """Run one user action in one transaction: redirect on success, show the page again with the problems if a
    rule refused it (nothing written)."""
    return forms.run(request, action, then=lambda target: target if isinstance(target, str) else success,
                     refused=lambda exc: page({"errors": forms.problems(exc),
                                               "status_code": exc.status_code}))


def register_search(params: dict[str, str]) -> queries.RegisterSearch:
    """The register search the page's and the API's query parameters ask for."""
    return queries.RegisterSearch(q=params.get("q", ""), group=params.get("group", ""),
                                  status=params.get("status", ""), flag=params.get("flag", ""),
                                  statuses=tuple(STATUSES), flags=tuple(FLAG_FIELDS))
