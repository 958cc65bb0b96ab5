"""Register pages for clerks and officials, the import and export, the JSON API and the public village-home slot.

Every handler declares its permission; the guard checks it against the village in the path, and every record loaded
by id is checked to belong to that village (another village's id is a 404). IDs and phones are masked unless the
actor holds `registry.view_personal`.
"""

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Annotated, Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from cunwu.accounts.actor import Actor
from cunwu.audit.services import history
from cunwu.errors import DomainError, Problem
from cunwu.i18n import _
from cunwu.privacy import birth_shown, mask, mask_phone
from cunwu.registry import exporter, queries, services
from cunwu.registry.fields import FLAG_FIELDS, parse_date, text
from cunwu.registry.importer import ImportPreview, commit, preview, read_table, template_xlsx
from cunwu.registry.models import (
    BODIES,
    LINK_KINDS,
    POSTS,
    RELATIONS,
    SEXES,
    STATUSES,
    Household,
    HouseholdLink,
    Membership,
    Office,
    Person,
    Representative,
)
from cunwu.web.render import actor_of, render, site_of

PER_PAGE = 50
API_PER_PAGE_MAX = 200
UPLOAD_SECONDS = 3600
FLAG_FILTERS = (*FLAG_FIELDS, "disabled")
FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
MultipartData = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


# --- helpers ---------------------------------------------------------------------------------------------------


def _viewer(request: Request[Any, Any, Any], village_code: str) -> tuple[Any, Any, bool]:
    """(site, actor, may see IDs and phones in full)."""
    site = site_of(request)
    actor = actor_of(request)
    return site, actor, site.allowed(actor, "registry.view_personal", village_code)


def _masker(site: Any, full: bool) -> tuple[Callable[[str | None], str], Callable[[str | None], str]]:
    settings = site.settings("registry").mask
    if full:
        return (lambda v: v or ""), (lambda v: v or "")
    return (lambda v: mask(v, settings)), (lambda v: mask_phone(v, settings))


def _owned(session: Session, model: Any, id_: int, village_code: str) -> Any:
    """A record of this village, or 404 (another village's record is as good as absent)."""
    found = session.get(model, id_)
    if found is None or found.village_code != village_code:
        raise NotFoundException(_("记录不存在"))
    return found


def _date(data: dict[str, str], key: str, label: str, default: dt.date | None = None) -> dt.date:
    value = text(data.get(key))
    if not value:
        if default is not None:
            return default
        raise services.RegistryError(_("请填写%(label)s", label=label), [Problem(_("请填写%(label)s", label=label),
                                                                                field=key)])
    try:
        return parse_date(value)
    except ValueError:
        message = _("%(label)s“%(value)s”不是有效日期（例如 2024-03-01）", label=label, value=value)
        raise services.RegistryError(message, [Problem(message, field=key)]) from None


def _int(data: dict[str, str], key: str) -> int | None:
    value = text(data.get(key))
    return int(value) if value.isdigit() else None


def _person_by_id_number(session: Session, village_code: str, number: str) -> Person:
    from cunwu.registry.resident_id import ResidentIdError, parse_resident_id

    try:
        normal = parse_resident_id(number).number
    except ResidentIdError as exc:
        raise services.RegistryError(exc.message, [Problem(exc.message, field="resident_id")]) from None
    person = session.exec(select(Person).where(Person.resident_id == normal,
                                               Person.village_code == village_code)).first()
    if person is None:
        message = _("本村登记中没有身份证号为 %(id)s 的人；请先登记此人", id=mask(normal))
        raise services.RegistryError(message, [Problem(message, field="resident_id")])
    return person


def _household_by_number(session: Session, village_code: str, number: str) -> Household:
    household = session.exec(select(Household).where(Household.village_code == village_code,
                                                     Household.number == text(number),
                                                     col(Household.closed_on).is_(None))).first()
    if household is None:
        message = _("本村没有户号为 %(number)s 的现有户", number=text(number))
        raise services.RegistryError(message, [Problem(message, field="number")])
    return household


def _labels() -> dict[str, Any]:
    return {"RELATIONS": RELATIONS, "STATUSES": STATUSES, "SEXES": SEXES, "BODIES": BODIES, "POSTS": POSTS,
            "LINK_KINDS": LINK_KINDS, "FLAG_FILTERS": FLAG_FILTERS, "age_on": queries.age_on,
            "birth_shown": birth_shown, "today": dt.date.today()}


def _act(request: Request[Any, Any, Any], village_code: str, action: Callable[[Session, Any, Actor], Any],
         success: str, page: Callable[[dict[str, Any]], Response[str]]) -> Response[Any]:
    """Run one user action in one transaction: redirect on success, show the page again with the problems if a
    rule refused it (nothing written)."""
    site = site_of(request)
    actor = actor_of(request)
    try:
        with site.db.transaction() as session:
            target = action(session, site, actor)
    except DomainError as exc:
        problems = exc.problems or [Problem(exc.message)]
        return page({"errors": problems, "status_code": exc.status_code})
    return Redirect(target if isinstance(target, str) else success, status_code=303)


# --- register list --------------------------------------------------------------------------------------------


def _register_query(village_code: str, params: dict[str, str]) -> Any:
    today = dt.date.today()
    current = (col(Membership.end_date).is_(None)) | (col(Membership.end_date) > today)
    query = (
        select(Person, Membership, Household)
        .join(Membership, (col(Membership.person_id) == Person.id) & current, isouter=True)
        .join(Household, col(Household.id) == Membership.household_id, isouter=True)
        .where(Person.village_code == village_code)
    )
    q = params.get("q", "").strip()
    if q:
        conditions = [col(Person.name).contains(q), Household.number == q]
        if q.isalnum() and q.isascii():
            conditions.append(col(Person.resident_id).endswith(q.upper()))
        query = query.where(or_(*conditions))
    group = params.get("group", "")
    if group.isdigit():
        query = query.where(Household.group_id == int(group))
    status = params.get("status", "")
    if status in STATUSES:
        query = query.where(Person.status == status)
    elif status != "all":
        query = query.where(col(Person.status).in_(["resident", "away"]))
    flag = params.get("flag", "")
    if flag in FLAG_FIELDS:
        query = query.where(getattr(Person, flag).is_(True))
    elif flag == "disabled":
        query = query.where(col(Person.disability_grade).is_not(None))
    return query


@get("/v/{village_code:str}/registry/", opt={"permission": "registry.view"}, sync_to_thread=True,
     name="registry_list")
def register_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site, _actor, full = _viewer(request, village_code)
    params = {k: request.query_params.get(k, "") for k in ("q", "group", "status", "flag", "page")}
    page = max(1, int(params["page"])) if params["page"].isdigit() else 1
    with site.db.read() as session:
        query = _register_query(village_code, params)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(col(Household.number), col(Person.birth_date), col(Person.id))
                            .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
        groups = queries.groups(session, village_code)
    ids, phones = _masker(site, full)
    query_string = "&".join(f"{k}={v}" for k, v in params.items() if v and k != "page")
    return render(request, "registry/list.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE)), "params": params,
        "groups": {g.id: g for g in groups}, "show_id": ids, "show_phone": phones, "query_string": query_string,
        **_labels(),
    })


# --- household page -------------------------------------------------------------------------------------------


def _household_page(request: Request[Any, Any, Any], village_code: str, household_id: int,
                    extra: dict[str, Any] | None = None) -> Response[str]:
    site, _actor, full = _viewer(request, village_code)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        household = _owned(session, Household, household_id, village_code)
        rows = session.exec(select(Membership, Person).join(Person, col(Person.id) == Membership.person_id)
                            .where(Membership.household_id == household.id)
                            .order_by(col(Membership.end_date).is_not(None), col(Membership.start_date),
                                      col(Membership.id))).all()
        links = session.exec(select(HouseholdLink).where(
            (HouseholdLink.source_id == household.id) | (HouseholdLink.target_id == household.id))).all()
        linked = {h.id: h for h in session.exec(select(Household).where(col(Household.id).in_(
            [link.source_id for link in links] + [link.target_id for link in links]))).all()}
        groups = queries.groups(session, village_code)
        entries = history(session, "registry_household", str(household.id))
    ids, phones = _masker(site, full)
    current = [(m, p) for m, p in rows if m.end_date is None]
    return render(request, "registry/household.html", {
        "household": household, "current": current, "past": [(m, p) for m, p in rows if m.end_date is not None],
        "links": links, "linked": linked, "groups": groups, "group": next(
            (g for g in groups if g.id == household.group_id), None),
        "entries": [(e, _entry_changes(e, set(), True)) for e in entries], "show_id": ids, "show_phone": phones,
        "personal": full, "errors": [], **_labels(), **extra,
    }, status_code=status_code)


@get("/v/{village_code:str}/registry/households/{household_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True, name="registry_household")
def household_page(request: Request[Any, Any, Any], village_code: str, household_id: int) -> Response[str]:
    return _household_page(request, village_code, household_id)


def _household_action(request: Request[Any, Any, Any], village_code: str, household_id: int,
                      action: Callable[[Session, Any, Actor, Household], Any]) -> Response[Any]:
    url = f"/v/{village_code}/registry/households/{household_id}"

    def run(session: Session, site: Any, actor: Actor) -> Any:
        return action(session, site, actor, _owned(session, Household, household_id, village_code))

    return _act(request, village_code, run, url,
                lambda extra: _household_page(request, village_code, household_id, extra))


@post("/v/{village_code:str}/registry/households/{household_id:int}/edit", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_edit(request: Request[Any, Any, Any], village_code: str, household_id: int,
                   data: FormData) -> Response[Any]:
    return _household_action(request, village_code, household_id, lambda s, site, a, h: services.update_household(
        s, site, a, h, address=data.get("address", ""), group_id=_int(data, "group_id")))


@post("/v/{village_code:str}/registry/households/{household_id:int}/members", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_add_member(request: Request[Any, Any, Any], village_code: str, household_id: int,
                         data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor, household: Household) -> None:
        person = _person_by_id_number(session, village_code, data.get("resident_id", ""))
        services.add_member(session, site, actor, household, person, data.get("relation", ""),
                            _date(data, "start_date", _("入户日期"), dt.date.today()))
    return _household_action(request, village_code, household_id, action)


@post("/v/{village_code:str}/registry/households/{household_id:int}/members/{membership_id:int}/end",
      opt={"permission": "registry.edit"}, sync_to_thread=True)
def household_end_member(request: Request[Any, Any, Any], village_code: str, household_id: int,
                         membership_id: int, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor, household: Household) -> None:
        membership = _owned(session, Membership, membership_id, village_code)
        if membership.household_id != household.id:
            raise NotFoundException(_("记录不存在"))
        services.end_membership(session, site, actor, membership,
                                _date(data, "end_date", _("结束日期"), dt.date.today()), data.get("reason", ""))
    return _household_action(request, village_code, household_id, action)


@post("/v/{village_code:str}/registry/households/{household_id:int}/head", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_change_head(request: Request[Any, Any, Any], village_code: str, household_id: int,
                          data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor, household: Household) -> None:
        person = _owned(session, Person, _int(data, "person_id") or 0, village_code)
        services.change_head(session, site, actor, household, person,
                             _date(data, "on", _("变更日期"), dt.date.today()),
                             data.get("former_head_relation", "other"))
    return _household_action(request, village_code, household_id, action)


@post("/v/{village_code:str}/registry/households/{household_id:int}/split", opt={"permission": "registry.edit"})
async def household_split(request: Request[Any, Any, Any], village_code: str, household_id: int) -> Response[Any]:
    form = await request.form()
    person_ids = [int(v) for v in form.getall("person_ids") if str(v).isdigit()] if "person_ids" in form else []
    data = {k: str(v) for k, v in form.items()}

    def action(session: Session, site: Any, actor: Actor, household: Household) -> str:
        new = services.split_household(session, site, actor, household, person_ids=person_ids,
                                       new_head_id=_int(data, "new_head_id") or 0,
                                       new_number=data.get("new_number", ""),
                                       on=_date(data, "on", _("分户日期"), dt.date.today()),
                                       address=data.get("address", ""))
        return f"/v/{village_code}/registry/households/{new.id}"
    return await anyio.to_thread.run_sync(_household_action, request, village_code, household_id, action)


@post("/v/{village_code:str}/registry/households/{household_id:int}/merge", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_merge(request: Request[Any, Any, Any], village_code: str, household_id: int,
                    data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor, household: Household) -> str:
        target = _household_by_number(session, village_code, data.get("target_number", ""))
        services.merge_households(session, site, actor, household, target,
                                  _date(data, "on", _("合户日期"), dt.date.today()))
        return f"/v/{village_code}/registry/households/{target.id}"
    return _household_action(request, village_code, household_id, action)


# --- person pages ---------------------------------------------------------------------------------------------


def _person_page(request: Request[Any, Any, Any], village_code: str, person_id: int,
                 extra: dict[str, Any] | None = None) -> Response[str]:
    site, _actor, full = _viewer(request, village_code)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        person = _owned(session, Person, person_id, village_code)
        memberships = session.exec(select(Membership, Household).join(
            Household, col(Household.id) == Membership.household_id).where(Membership.person_id == person.id)
            .order_by(col(Membership.start_date), col(Membership.id))).all()
        offices = session.exec(select(Office).where(Office.person_id == person.id)).all()
        terms = session.exec(select(Representative).where(Representative.person_id == person.id)).all()
        entries = history(session, "registry_person", str(person.id))
    ids, phones = _masker(site, full)
    personal_keys = {"resident_id", "phone", "birth_date"}
    return render(request, "registry/person.html", {
        "person": person, "memberships": memberships, "offices": offices, "terms": terms,
        "entries": [(e, _entry_changes(e, personal_keys, full)) for e in entries],
        "show_id": ids, "show_phone": phones, "personal": full, "errors": [], **_labels(), **extra,
    }, status_code=status_code)


def _entry_changes(entry: Any, personal: set[str], full: bool) -> list[tuple[str, str, str]]:
    """(field, before, after) of one audit entry, personal values masked for those who may not see them."""
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for key in sorted(set(before) | set(after)):
        if key == "id" or before.get(key) == after.get(key):
            continue
        old, new = before.get(key), after.get(key)
        if key == "birth_date" and key in personal and not full:  # beside a masked ID: no date (privacy.birth_shown)
            old, new = ("****-**-**" if v else v for v in (old, new))
        elif key in personal and not full:
            old, new = mask(str(old)) if old else old, mask(str(new)) if new else new
        changes.append((key, "" if old is None else str(old), "" if new is None else str(new)))
    return changes


@get("/v/{village_code:str}/registry/persons/{person_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True, name="registry_person")
def person_page(request: Request[Any, Any, Any], village_code: str, person_id: int) -> Response[str]:
    return _person_page(request, village_code, person_id)


def _person_form_page(request: Request[Any, Any, Any], village_code: str, extra: dict[str, Any]) -> Response[str]:
    site = site_of(request)
    extra = dict(extra)
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        groups = queries.groups(session, village_code)
    return render(request, "registry/person_new.html", {"groups": groups, "form": {}, "errors": [], **_labels(),
                                                        **extra}, status_code=status_code)


@get("/v/{village_code:str}/registry/persons/new", opt={"permission": "registry.edit"}, sync_to_thread=True)
def person_new(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _person_form_page(request, village_code, {})


@post("/v/{village_code:str}/registry/persons/new", opt={"permission": "registry.edit"}, sync_to_thread=True)
def person_create(request: Request[Any, Any, Any], village_code: str, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> str:
        person = services.create_person(session, site, actor, village_code=village_code, data=data)
        number = text(data.get("household_number"))
        start = _date(data, "start_date", _("入户日期"), dt.date.today())
        relation = data.get("relation", "head")
        if number:
            existing = session.exec(select(Household).where(Household.village_code == village_code,
                                                            Household.number == number,
                                                            col(Household.closed_on).is_(None))).first()
            if existing is None:
                if relation != "head":
                    message = _("户号 %(number)s 还不存在；新立户时此人须为户主", number=number)
                    raise services.RegistryError(message, [Problem(message, field="relation")])
                services.create_household(session, site, actor, village_code=village_code, number=number,
                                          head=person, created_on=start, address=data.get("address", ""),
                                          group_id=_int(data, "group_id"))
            else:
                services.add_member(session, site, actor, existing, person, relation, start)
        return f"/v/{village_code}/registry/persons/{person.id}"
    return _act(request, village_code, action, "",
                lambda extra: _person_form_page(request, village_code, {"form": data, **extra}))


def _person_action(request: Request[Any, Any, Any], village_code: str, person_id: int,
                   action: Callable[[Session, Any, Actor, Person], Any]) -> Response[Any]:
    def run(session: Session, site: Any, actor: Actor) -> Any:
        return action(session, site, actor, _owned(session, Person, person_id, village_code))

    return _act(request, village_code, run, f"/v/{village_code}/registry/persons/{person_id}",
                lambda extra: _person_page(request, village_code, person_id, extra))


@post("/v/{village_code:str}/registry/persons/{person_id:int}/edit", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_edit(request: Request[Any, Any, Any], village_code: str, person_id: int, data: FormData) -> Response[Any]:
    keys = ("name", "sex", "birth_date", "resident_id", "phone", "ethnicity", "disability_grade", "gave_birth_on")
    values: dict[str, Any] = {k: data[k] for k in keys if k in data}
    values.update({flag: "是" if data.get(flag) else "否" for flag in FLAG_FIELDS})
    return _person_action(request, village_code, person_id,
                          lambda s, site, a, p: services.update_person(s, site, a, p, values))


@post("/v/{village_code:str}/registry/persons/{person_id:int}/status", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_status(request: Request[Any, Any, Any], village_code: str, person_id: int,
                  data: FormData) -> Response[Any]:
    return _person_action(request, village_code, person_id, lambda s, site, a, p: services.change_status(
        s, site, a, p, data.get("status", ""), _date(data, "since", _("状态日期"), dt.date.today()),
        data.get("reason", "")))


@post("/v/{village_code:str}/registry/persons/{person_id:int}/move", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_move(request: Request[Any, Any, Any], village_code: str, person_id: int, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor, person: Person) -> None:
        target = _household_by_number(session, village_code, data.get("target_number", ""))
        services.move_person(session, site, actor, person, target, data.get("relation", "other"),
                             _date(data, "on", _("迁移日期"), dt.date.today()), data.get("reason", ""))
    return _person_action(request, village_code, person_id, action)


@post("/v/{village_code:str}/registry/groups", opt={"permission": "registry.edit"}, sync_to_thread=True)
def group_create(request: Request[Any, Any, Any], village_code: str, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> None:
        services.create_group(session, site, actor, village_code=village_code, number=_int(data, "number") or 0,
                              name=data.get("name", ""))

    def page(extra: dict[str, Any]) -> Response[str]:
        return _representatives_page(request, village_code, extra)
    return _act(request, village_code, action, f"/v/{village_code}/registry/representatives#groups", page)


# --- representatives and offices ------------------------------------------------------------------------------


def representative_warnings(site: Any, terms: list[queries.RepresentativeTerm], open_households: int,
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


def _representatives_page(request: Request[Any, Any, Any], village_code: str,
                          extra: dict[str, Any] | None = None) -> Response[str]:
    site = site_of(request)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        terms = queries.representatives(session, village_code)
        open_households = session.exec(select(func.count()).select_from(Household).where(
            Household.village_code == village_code, col(Household.closed_on).is_(None))).one()
        represented = sum(len(t.households) for t in terms)
        bodies = {body: queries.office_holders(session, village_code, body) for body in BODIES}
        groups = queries.groups(session, village_code)
    return render(request, "registry/representatives.html", {
        "terms": terms, "bodies": bodies, "groups": groups, "open_households": open_households,
        "warnings": representative_warnings(site, terms, open_households, represented), "errors": [],
        **_labels(), **extra,
    }, status_code=status_code)


@get("/v/{village_code:str}/registry/representatives", opt={"permission": "registry.view"}, sync_to_thread=True,
     name="registry_representatives")
def representatives_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _representatives_page(request, village_code)


def _numbers(value: str) -> list[str]:
    return [n for n in value.replace("，", ",").replace("、", ",").replace(" ", ",").split(",") if n]


@post("/v/{village_code:str}/registry/representatives", opt={"permission": "registry.edit"}, sync_to_thread=True)
def representative_set(request: Request[Any, Any, Any], village_code: str, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> None:
        person = _person_by_id_number(session, village_code, data.get("resident_id", ""))
        households = [_household_by_number(session, village_code, n).id
                      for n in _numbers(data.get("households", ""))]
        on = _date(data, "on", _("生效日期"), dt.date.today())
        services.set_representative(session, site, actor, village_code=village_code, person=person,
                                    household_ids=households, on=on,  # type: ignore[arg-type]
                                    term_start=_date(data, "term_start", _("任期开始"), on))
    return _act(request, village_code, action, f"/v/{village_code}/registry/representatives",
                lambda extra: _representatives_page(request, village_code, extra))


@post("/v/{village_code:str}/registry/representatives/{representative_id:int}/end",
      opt={"permission": "registry.edit"}, sync_to_thread=True)
def representative_end(request: Request[Any, Any, Any], village_code: str, representative_id: int,
                       data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> None:
        services.end_representative(session, site, actor,
                                    _owned(session, Representative, representative_id, village_code),
                                    _date(data, "on", _("结束日期"), dt.date.today()), data.get("reason", ""))
    return _act(request, village_code, action, f"/v/{village_code}/registry/representatives",
                lambda extra: _representatives_page(request, village_code, extra))


@post("/v/{village_code:str}/registry/offices", opt={"permission": "registry.edit"}, sync_to_thread=True)
def office_set(request: Request[Any, Any, Any], village_code: str, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> None:
        person = _person_by_id_number(session, village_code, data.get("resident_id", ""))
        services.set_office(session, site, actor, village_code=village_code, person=person,
                            body=data.get("body", ""), post=data.get("post", ""),
                            term_start=_date(data, "term_start", _("任期开始"), dt.date.today()))
    return _act(request, village_code, action, f"/v/{village_code}/registry/representatives#offices",
                lambda extra: _representatives_page(request, village_code, extra))


@post("/v/{village_code:str}/registry/offices/{office_id:int}/end", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def office_end(request: Request[Any, Any, Any], village_code: str, office_id: int, data: FormData) -> Response[Any]:
    def action(session: Session, site: Any, actor: Actor) -> None:
        services.end_office(session, site, actor, _owned(session, Office, office_id, village_code),
                            _date(data, "on", _("结束日期"), dt.date.today()), data.get("reason", ""))
    return _act(request, village_code, action, f"/v/{village_code}/registry/representatives#offices",
                lambda extra: _representatives_page(request, village_code, extra))


# --- import ---------------------------------------------------------------------------------------------------


@get("/v/{village_code:str}/registry/import", opt={"permission": "registry.import"}, sync_to_thread=True,
     name="registry_import")
def import_page(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return render(request, "registry/import.html", {"errors": []})


@get("/v/{village_code:str}/registry/import/template.xlsx", opt={"permission": "registry.import"},
     sync_to_thread=True)
def import_template(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return Response(template_xlsx(), media_type=exporter.XLSX_TYPE,
                    headers={"Content-Disposition": exporter.attachment("户籍表导入模板.xlsx")})


def _run_preview(site: Any, village_code: str, data: bytes, filename: str) -> ImportPreview:
    settings = site.settings("registry")
    table = read_table(data, filename, max_rows=settings.import_max_rows,
                       max_columns=settings.import_max_columns)
    with site.db.read() as session:
        return preview(session, village_code, table, max_rows=settings.import_max_rows)


def _pack(meta: dict[str, Any], data: bytes) -> bytes:
    return json.dumps(meta, ensure_ascii=False).encode() + b"\n" + data


def _unpack(blob: bytes) -> tuple[dict[str, Any], bytes]:
    head, _sep, data = blob.partition(b"\n")
    return json.loads(head), data


@post("/v/{village_code:str}/registry/import", opt={"permission": "registry.import"},
      request_max_body_size=256 * 1024 * 1024)
async def import_upload(request: Request[Any, Any, Any], village_code: str, data: MultipartData) -> Response[Any]:
    """Keep the upload in the shared store under a random token (any worker can confirm it), then show the preview."""
    site = site_of(request)
    actor = actor_of(request)
    upload = data.get("file")
    if not isinstance(upload, UploadFile):
        return render(request, "registry/import.html", {"errors": [Problem(_("请选择要上传的文件"))]}, status_code=400)
    content = await upload.read()
    limit = site.settings("registry").upload_max_bytes
    if len(content) > limit:
        message = _("文件过大（%(size)s MB），上限为 %(max)s MB", size=round(len(content) / 2**20, 1),
                    max=round(limit / 2**20, 1))
        return render(request, "registry/import.html", {"errors": [Problem(message)]}, status_code=400)
    try:
        result = await anyio.to_thread.run_sync(_run_preview, site, village_code, content, upload.filename)
    except DomainError as exc:
        return render(request, "registry/import.html", {"errors": exc.problems or [Problem(exc.message)],
                                                        "filename": upload.filename}, status_code=400)
    token = secrets.token_urlsafe(24)
    if result.ok and not result.nothing_changes:
        meta = {"village": village_code, "user": actor.user_id, "filename": upload.filename}
        await site.store.with_namespace("uploads").set(token, _pack(meta, content), expires_in=UPLOAD_SECONDS)
    return render(request, "registry/import_preview.html", {"result": result, "token": token,
                                                            "filename": upload.filename},
                  status_code=200 if result.ok else 422)


@post("/v/{village_code:str}/registry/import/{token:str}/confirm", opt={"permission": "registry.import"})
async def import_confirm(request: Request[Any, Any, Any], village_code: str, token: str) -> Response[Any]:
    """Check the kept file again (the register may have changed since the preview) and import it in one go."""
    site = site_of(request)
    actor = actor_of(request)
    store = site.store.with_namespace("uploads")
    blob = await store.get(token)
    if blob is None:
        return render(request, "registry/import.html", {"errors": [Problem(_("上传的文件已过期或已导入，请重新上传"))]},
                      status_code=410)
    meta, content = _unpack(blob)
    if meta.get("village") != village_code or meta.get("user") != actor.user_id:
        raise NotFoundException(_("记录不存在"))

    def run() -> ImportPreview:
        settings = site.settings("registry")
        table = read_table(content, meta["filename"], max_rows=settings.import_max_rows,
                           max_columns=settings.import_max_columns)
        with site.db.transaction() as session:
            result = preview(session, village_code, table, max_rows=settings.import_max_rows)
            if result.ok:
                commit(session, actor, result)
            return result

    try:
        result = await anyio.to_thread.run_sync(run)
    except DomainError as exc:
        return render(request, "registry/import.html", {"errors": exc.problems or [Problem(exc.message)]},
                      status_code=400)
    if not result.ok:
        return render(request, "registry/import_preview.html", {"result": result, "token": token,
                                                                "filename": meta["filename"]}, status_code=422)
    await store.delete(token)
    return render(request, "registry/import_done.html", {"result": result, "filename": meta["filename"]})


# --- export ---------------------------------------------------------------------------------------------------


def _export(request: Request[Any, Any, Any], village_code: str, fmt: str) -> Response[bytes]:
    site, _actor, full = _viewer(request, village_code)
    with site.db.read() as session:
        rows = exporter.rows(session, village_code, full=full, mask_settings=site.settings("registry").mask)
    village = site.village(village_code)
    name = f"{village.name}户籍表_{dt.date.today():%Y%m%d}.{fmt}"
    if fmt == "xlsx":
        return Response(exporter.to_xlsx(rows), media_type=exporter.XLSX_TYPE,
                        headers={"Content-Disposition": exporter.attachment(name)})
    return Response(exporter.to_csv(rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": exporter.attachment(name)})


@get("/v/{village_code:str}/registry/export.xlsx", opt={"permission": "registry.export"}, sync_to_thread=True)
def export_xlsx(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return _export(request, village_code, "xlsx")


@get("/v/{village_code:str}/registry/export.csv", opt={"permission": "registry.export"}, sync_to_thread=True)
def export_csv(request: Request[Any, Any, Any], village_code: str) -> Response[bytes]:
    return _export(request, village_code, "csv")


# --- JSON API -------------------------------------------------------------------------------------------------


def _page_args(request: Request[Any, Any, Any]) -> tuple[int, int]:
    page = request.query_params.get("page", "1")
    per_page = request.query_params.get("per_page", str(PER_PAGE))
    return (max(1, int(page)) if page.isdigit() else 1,
            min(API_PER_PAGE_MAX, max(1, int(per_page))) if per_page.isdigit() else PER_PAGE)


def _person_json(person: Person, ids: Callable[[str | None], str], phones: Callable[[str | None], str],
                 membership: Membership | None = None, household: Household | None = None, *,
                 full: bool) -> dict[str, Any]:
    return {
        "id": person.id, "name": person.name, "sex": person.sex,
        # Beside a masked ID the birth date would rebuild it: age only (cunwu.privacy.birth_shown).
        "birth_date": person.birth_date.isoformat() if full else None,
        "age": queries.age_on(person.birth_date, dt.date.today()),
        "resident_id": ids(person.resident_id), "phone": phones(person.phone), "ethnicity": person.ethnicity,
        "status": person.status, "status_since": person.status_since.isoformat() if person.status_since else None,
        **{flag: getattr(person, flag) for flag in FLAG_FIELDS}, "disability_grade": person.disability_grade,
        "household": household.number if household else None, "household_id": household.id if household else None,
        "relation": membership.relation if membership else None,
    }


@get("/api/v1/v/{village_code:str}/registry/persons", opt={"permission": "registry.view"}, sync_to_thread=True)
def api_persons(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    """Persons of the village (search and filters as on the register page), paginated, masked by role."""
    site, _actor, full = _viewer(request, village_code)
    page, per_page = _page_args(request)
    params = {k: request.query_params.get(k, "") for k in ("q", "group", "status", "flag")}
    ids, phones = _masker(site, full)
    with site.db.read() as session:
        query = _register_query(village_code, params)
        total = session.exec(select(func.count()).select_from(query.subquery())).one()
        rows = session.exec(query.order_by(col(Household.number), col(Person.birth_date), col(Person.id))
                            .offset((page - 1) * per_page).limit(per_page)).all()
    return {"page": page, "per_page": per_page, "total": total, "masked": not full,
            "items": [_person_json(p, ids, phones, m, h, full=full) for p, m, h in rows]}


@get("/api/v1/v/{village_code:str}/registry/persons/{person_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True)
def api_person(request: Request[Any, Any, Any], village_code: str, person_id: int) -> dict[str, Any]:
    site, _actor, full = _viewer(request, village_code)
    ids, phones = _masker(site, full)
    with site.db.read() as session:
        person = _owned(session, Person, person_id, village_code)
        household = queries.household_of(session, person.id)  # type: ignore[arg-type]
        membership = session.exec(select(Membership).where(Membership.person_id == person.id,
                                                           col(Membership.end_date).is_(None))).first()
    return _person_json(person, ids, phones, membership, household, full=full)


@get("/api/v1/v/{village_code:str}/registry/households", opt={"permission": "registry.view"}, sync_to_thread=True)
def api_households(request: Request[Any, Any, Any], village_code: str) -> dict[str, Any]:
    """Current households with their members, by 户号, paginated, masked by role."""
    site, _actor, full = _viewer(request, village_code)
    page, per_page = _page_args(request)
    ids, phones = _masker(site, full)
    with site.db.read() as session:
        base = select(Household).where(Household.village_code == village_code, col(Household.closed_on).is_(None))
        total = session.exec(select(func.count()).select_from(base.subquery())).one()
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
    register_list, household_page, household_edit, household_add_member, household_end_member,
    household_change_head, household_split, household_merge, person_page, person_new, person_create, person_edit,
    person_status, person_move, group_create, representatives_page, representative_set, representative_end,
    office_set, office_end, import_page, import_template, import_upload, import_confirm, export_xlsx, export_csv,
    api_persons, api_person, api_households,
]
