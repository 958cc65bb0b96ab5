"""Villager representatives (each with the households they represent) and the posts of the village bodies.
"""


from typing import Any

from litestar import Request, Response, get, post
from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.clock import local_today
from cunwu.errors import Problem
from cunwu.i18n import _
from cunwu.registry import queries, services
from cunwu.registry.controllers.common import (
    act,
    form_date,
    household_by_number,
    labels,
    owned,
    person_by_id_number,
)
from cunwu.registry.models import (
    BODIES,
    Office,
    Representative,
)
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.forms import Form
from cunwu.web.render import render, site_of

# --- representatives and offices ------------------------------------------------------------------------------


def representative_warnings(site: Site, terms: list[queries.RepresentativeTerm], open_households: int,
                            represented: int) -> list[str]:
    """What the register page warns about (docs/domain.md §1.1, art. 25)."""
    settings = site.settings("registry")
    warnings = []
    if terms:
        women = sum(1 for t in terms if t.person.sex == "F")
        if women * 3 < len(terms):
            warnings.append(_("妇女代表 %(women)s 人，少于代表总数 %(n)s 人的三分之一（村民委员会组织法第二十五条）",
                              women=women, n=len(terms)))
    unrepresented = open_households - represented
    if unrepresented > 0:
        warnings.append(_("有 %(n)s 户没有联系代表", n=unrepresented))
    low, high = settings.representative_households_min, settings.representative_households_max
    for term in terms:
        n = len(term.households)
        if n < low or n > high:
            warnings.append(_("代表 %(name)s 联系 %(n)s 户，不在每位代表联系 %(low)s–%(high)s 户的范围内",
                              name=term.person.name, n=n, low=low, high=high))
    return warnings


def representatives_view(request: Request[Any, Any, Any], village_code: str,
                          extra: dict[str, Any] | None = None) -> Response[str]:
    site = site_of(request)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        terms = queries.representatives(session, village_code)
        open_households = queries.open_household_count(session, village_code)
        represented = sum(len(t.households) for t in terms)
        bodies = {body: queries.office_holders(session, village_code, body) for body in BODIES}
        groups = queries.groups(session, village_code)
    return render(request, "registry/representatives.html", {
        "terms": terms, "bodies": bodies, "groups": groups, "open_households": open_households,
        "warnings": representative_warnings(site, terms, open_households, represented), "errors": [], "form": {},
        **labels(), **extra,
    }, status_code=status_code)


@get("/representatives", opt={"permission": "registry.view"}, sync_to_thread=True,
     name="registry_representatives")
def representatives_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return representatives_view(request, village_code)


def _numbers(value: str) -> list[str]:
    return [n for n in value.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if n]


def _household_id(session: Session, village_code: str, number: str) -> int | None:
    """A linked household by its number; a refusal is the "households" box's, where the numbers were typed."""
    try:
        return household_by_number(session, village_code, number).id
    except services.RegistryError as exc:
        raise services.RegistryError(exc.message, [Problem(exc.message, field="households")]) from None


@post("/representatives", opt={"permission": "registry.edit"}, sync_to_thread=True)
def representative_set(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        check = forms.Checks()  # the person, every unknown household number and the dates, all at once
        person = check(person_by_id_number, session, village_code, data.get("resident_id", ""))
        households = [check(_household_id, session, village_code, n) for n in _numbers(data.get("households", ""))]
        on = check(form_date, data, "on", _("生效日期"), local_today())
        term_start = check(form_date, data, "term_start", _("任期开始"), on or local_today())
        check.done(services.RegistryError)
        services.set_representative(session, site, actor, village_code=village_code, person=person,
                                    household_ids=households, on=on, term_start=term_start)  # type: ignore[arg-type]
    return act(request, village_code, action, f"/v/{village_code}/registry/representatives",
                lambda extra: representatives_view(request, village_code,
                                                   {"form": {**data, "_form": "representative"}, **extra}))


@post("/representatives/{representative_id:int}/end",
      opt={"permission": "registry.edit"}, sync_to_thread=True)
def representative_end(request: Request[Any, Any, Any], village_code: str, representative_id: int,
                       data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        services.end_representative(session, site, actor,
                                    owned(session, Representative, representative_id, village_code),
                                    form_date(data, "on", _("结束日期"), local_today()), data.get("reason", ""))
    return act(request, village_code, action, f"/v/{village_code}/registry/representatives",
                lambda extra: representatives_view(request, village_code, extra))


@post("/offices", opt={"permission": "registry.edit"}, sync_to_thread=True)
def office_set(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        person = person_by_id_number(session, village_code, data.get("resident_id", ""))
        services.set_office(session, site, actor, village_code=village_code, person=person,
                            body=data.get("body", ""), post=data.get("post", ""),
                            term_start=form_date(data, "term_start", _("任期开始"), local_today()))
    return act(request, village_code, action, f"/v/{village_code}/registry/representatives#offices",
                lambda extra: representatives_view(request, village_code, extra))


@post("/offices/{office_id:int}/end", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def office_end(request: Request[Any, Any, Any], village_code: str, office_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        services.end_office(session, site, actor, owned(session, Office, office_id, village_code),
                            form_date(data, "on", _("结束日期"), local_today()), data.get("reason", ""))
    return act(request, village_code, action, f"/v/{village_code}/registry/representatives#offices",
                lambda extra: representatives_view(request, village_code, extra))


ROUTES = [
    representatives_page, representative_set, representative_end, office_set, office_end,
]
