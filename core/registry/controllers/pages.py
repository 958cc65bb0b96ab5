"""The register pages: the list with search, a household, a person, the forms that change them, groups.
"""


from collections.abc import Callable
from dataclasses import replace
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.exceptions import NotFoundException
from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.audit.services import history
from cunwu.clock import local_today
from cunwu.errors import Problem
from cunwu.i18n import _
from cunwu.privacy import mask
from cunwu.registry import queries, services
from cunwu.registry.controllers.common import (
    PER_PAGE,
    act,
    form_date,
    form_int,
    household_by_number,
    labels,
    masker,
    owned,
    person_by_id_number,
    register_search,
    viewer,
)
from cunwu.registry.controllers.representatives import representatives_view
from cunwu.registry.fields import FLAG_FIELDS, text
from cunwu.registry.models import (
    Household,
    Membership,
    Person,
)
from cunwu.runtime import Site
from cunwu.web import forms
from cunwu.web.forms import Form
from cunwu.web.jsonapi import PAGE_MAX
from cunwu.web.render import render, site_of

# --- register list --------------------------------------------------------------------------------------------


@get("/", opt={"permission": "registry.view"}, sync_to_thread=True,
     name="registry_list")
def register_list(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    site, _actor, full = viewer(request, village_code)
    params = {k: request.query_params.get(k, "") for k in ("q", "group", "status", "flag", "page")}
    wanted = params["page"]  # "²".isdigit() is true: only ASCII digits make a page number
    page = min(max(1, int(wanted)), PAGE_MAX) if wanted.isascii() and wanted.isdigit() else 1
    with site.db.read() as session:
        rows, total = queries.register_list(session, village_code, register_search(params), page=page,
                                            per_page=PER_PAGE)
        groups = queries.groups(session, village_code)
    ids, phones = masker(site, full)
    query_string = "&".join(f"{k}={v}" for k, v in params.items() if v and k != "page")
    return render(request, "registry/list.html", {
        "rows": rows, "total": total, "page": page, "pages": max(1, -(-total // PER_PAGE)), "params": params,
        "groups": {g.id: g for g in groups}, "show_id": ids, "show_phone": phones, "query_string": query_string,
        **labels(),
    })


# --- household page -------------------------------------------------------------------------------------------


def _household_page(request: Request[Any, Any, Any], village_code: str, household_id: int,
                    extra: dict[str, Any] | None = None) -> Response[str]:
    site, _actor, full = viewer(request, village_code)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        household = owned(session, Household, household_id, village_code)
        rows = queries.household_memberships(session, household.id)
        links, linked = queries.household_links(session, household.id)
        groups = queries.groups(session, village_code)
        entries = history(session, "registry_household", str(household.id))
    ids, phones = masker(site, full)
    current = [(m, p) for m, p in rows if m.end_date is None]
    return render(request, "registry/household.html", {
        "household": household, "current": current, "past": [(m, p) for m, p in rows if m.end_date is not None],
        "links": links, "linked": linked, "groups": groups, "group": next(
            (g for g in groups if g.id == household.group_id), None),
        "entries": [(e, _entry_changes(e, set(), True)) for e in entries], "show_id": ids, "show_phone": phones,
        "personal": full, "errors": [], "form": {}, **labels(), **extra,
    }, status_code=status_code)


@get("/households/{household_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True, name="registry_household")
def household_page(request: Request[Any, Any, Any], village_code: str, household_id: int) -> Response[str]:
    return _household_page(request, village_code, household_id)


def _household_action(request: Request[Any, Any, Any], village_code: str, household_id: int,
                      action: Callable[[Session, Any, Actor, Household], Any],
                      typed: dict[str, str] | None = None) -> Response[Any]:
    """`typed`: the posted form, named by its "_form" field, shown again with the problems beside its fields."""
    url = f"/v/{village_code}/registry/households/{household_id}"

    def run(session: Session, site: Site, actor: Actor) -> Any:
        return action(session, site, actor, owned(session, Household, household_id, village_code))

    return act(request, village_code, run, url,
                lambda extra: _household_page(request, village_code, household_id, {"form": typed or {}, **extra}))


@post("/households/{household_id:int}/edit", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_edit(request: Request[Any, Any, Any], village_code: str, household_id: int,
                   data: Form) -> Response[Any]:
    return _household_action(request, village_code, household_id, lambda s, site, a, h: services.update_household(
        s, site, a, h, address=data.get("address", ""), group_id=form_int(data, "group_id", _("村民小组"))),
        {**data, "_form": "edit"})


@post("/households/{household_id:int}/members", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_add_member(request: Request[Any, Any, Any], village_code: str, household_id: int,
                         data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, household: Household) -> None:
        check = forms.Checks()  # the person and the date at once, each beside its field
        person = check(person_by_id_number, session, village_code, data.get("resident_id", ""))
        start = check(form_date, data, "start_date", _("入户日期"), local_today())
        check.done(services.RegistryError)
        assert person is not None and start is not None
        services.add_member(session, site, actor, household, person, data.get("relation", ""), start)
    return _household_action(request, village_code, household_id, action, {**data, "_form": "member"})


@post("/households/{household_id:int}/members/{membership_id:int}/end",
      opt={"permission": "registry.edit"}, sync_to_thread=True)
def household_end_member(request: Request[Any, Any, Any], village_code: str, household_id: int,
                         membership_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, household: Household) -> None:
        membership = owned(session, Membership, membership_id, village_code)
        if membership.household_id != household.id:
            raise NotFoundException(_("记录不存在"))
        check = forms.Checks()  # the date and the reason at once
        end = check(form_date, data, "end_date", _("结束日期"), local_today())
        check(services.end_membership, session, site, actor, membership, end or local_today(), data.get("reason", ""))
        check.done(services.RegistryError)
    return _household_action(request, village_code, household_id, action, {**data, "_form": f"end-{membership_id}"})


@post("/households/{household_id:int}/head", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_change_head(request: Request[Any, Any, Any], village_code: str, household_id: int,
                          data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, household: Household) -> None:
        check = forms.Checks()  # the date and the relation at once; the service's writes roll back when refused
        person = owned(session, Person, form_int(data, "person_id", _("成员")) or 0, village_code)
        on = check(form_date, data, "on", _("变更日期"), local_today())
        check(services.change_head, session, site, actor, household, person, on or local_today(),
              data.get("former_head_relation", "other"))
        check.done(services.RegistryError)
    return _household_action(request, village_code, household_id, action, {**data, "_form": "head"})


@post("/households/{household_id:int}/split", opt={"permission": "registry.edit"})
async def household_split(request: Request[Any, Any, Any], village_code: str, household_id: int) -> Response[Any]:
    form = await request.form()
    chosen = [str(v) for v in form.getall("person_ids")] if "person_ids" in form else []
    person_ids = [int(v) for v in chosen if v.isascii() and v.isdigit() and len(v) < 19]  # ids, not ² or 10**30
    data = {k: str(v) for k, v in form.items()}

    def action(session: Session, site: Site, actor: Actor, household: Household) -> str:
        check = forms.Checks()  # the date, the head and the new number at once
        head = check(form_int, data, "new_head_id", _("新户户主"))
        on = check(form_date, data, "on", _("分户日期"), local_today())
        new = check(services.split_household, session, site, actor, household, person_ids=person_ids,
                    new_head_id=head or 0, new_number=data.get("new_number", ""), on=on or local_today(),
                    address=data.get("address", ""))
        named(check, {"number": "new_number", "created_on": "on"})
        check.done(services.RegistryError)
        assert new is not None
        return f"/v/{village_code}/registry/households/{new.id}"
    typed = {**data, "person_ids": chosen, "_form": "split"}
    return await anyio.to_thread.run_sync(_household_action, request, village_code, household_id, action, typed)


@post("/households/{household_id:int}/merge", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def household_merge(request: Request[Any, Any, Any], village_code: str, household_id: int,
                    data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, household: Household) -> str:
        check = forms.Checks()  # the household merged into and the date at once
        target = check(household_by_number, session, village_code, data.get("target_number", ""), "target_number")
        on = check(form_date, data, "on", _("合户日期"), local_today())
        if target is not None:
            check(services.merge_households, session, site, actor, household, target, on or local_today())
        named(check, {"target_id": "target_number"})
        check.done(services.RegistryError)
        assert target is not None
        return f"/v/{village_code}/registry/households/{target.id}"
    return _household_action(request, village_code, household_id, action, {**data, "_form": "merge"})


# --- person pages ---------------------------------------------------------------------------------------------


def _person_page(request: Request[Any, Any, Any], village_code: str, person_id: int,
                 extra: dict[str, Any] | None = None) -> Response[str]:
    site, _actor, full = viewer(request, village_code)
    extra = dict(extra or {})
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        person = owned(session, Person, person_id, village_code)
        memberships = queries.person_memberships(session, person.id)
        offices = queries.person_offices(session, person.id)
        terms = queries.person_terms(session, person.id)
        entries = history(session, "registry_person", str(person.id))
    ids, phones = masker(site, full)
    personal_keys = {"resident_id", "phone", "birth_date"}
    return render(request, "registry/person.html", {
        "person": person, "memberships": memberships, "offices": offices, "terms": terms,
        "entries": [(e, _entry_changes(e, personal_keys, full)) for e in entries],
        "show_id": ids, "show_phone": phones, "personal": full, "errors": [], "form": {}, **labels(), **extra,
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


@get("/persons/{person_id:int}", opt={"permission": "registry.view"},
     sync_to_thread=True, name="registry_person")
def person_page(request: Request[Any, Any, Any], village_code: str, person_id: int) -> Response[str]:
    return _person_page(request, village_code, person_id)


def _person_form_page(request: Request[Any, Any, Any], village_code: str, extra: dict[str, Any]) -> Response[str]:
    site = site_of(request)
    extra = dict(extra)
    status_code = extra.pop("status_code", 200)
    with site.db.read() as session:
        groups = queries.groups(session, village_code)
    return render(request, "registry/person_new.html", {"groups": groups, "form": {}, "errors": [], **labels(),
                                                        **extra}, status_code=status_code)


@get("/persons/new", opt={"permission": "registry.edit"}, sync_to_thread=True)
def person_new(request: Request[Any, Any, Any], village_code: str) -> Response[str]:
    return _person_form_page(request, village_code, {})


@post("/persons/new", opt={"permission": "registry.edit"}, sync_to_thread=True)
def person_create(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> str:
        check = forms.Checks()  # the person's fields and the household's, all named at once
        start = check(form_date, data, "start_date", _("入户日期"), local_today())
        group_id = check(form_int, data, "group_id", _("村民小组"))
        person = check(services.create_person, session, site, actor, village_code=village_code, data=data)
        check.done(services.RegistryError)
        assert person is not None and start is not None
        number = text(data.get("household_number"))
        relation = data.get("relation", "head")
        if number:
            existing = queries.open_household_by_number(session, village_code, number)
            try:
                if existing is None:
                    if relation != "head":
                        message = _("户号 %(number)s 还不存在；新立户时此人须为户主", number=number)
                        raise services.RegistryError(message, [Problem(message, field="relation")])
                    services.create_household(session, site, actor, village_code=village_code, number=number,
                                              head=person, created_on=start, address=data.get("address", ""),
                                              group_id=group_id)
                else:
                    services.add_member(session, site, actor, existing, person, relation, start)
            except services.RegistryError as exc:  # the household's "number" is this form's "household_number"
                exc.problems = [replace(p, field="household_number") if p.field == "number" else p
                                for p in exc.problems]
                raise
        return f"/v/{village_code}/registry/persons/{person.id}"
    return act(request, village_code, action, "",
                lambda extra: _person_form_page(request, village_code, {"form": data, **extra}))


def named(check: forms.Checks, names: dict[str, str]) -> None:
    """A service's name for a field as this form's (a new household's "number" is the split form's "new_number"), so
    its refusal is shown beside the right control."""
    check.problems = [replace(p, field=names.get(p.field, p.field)) if p.field else p for p in check.problems]


def _person_action(request: Request[Any, Any, Any], village_code: str, person_id: int,
                   action: Callable[[Session, Any, Actor, Person], Any],
                   typed: dict[str, str] | None = None) -> Response[Any]:
    """`typed`: the posted form, named by its "_form" field, shown again with the problems beside its fields."""
    def run(session: Session, site: Site, actor: Actor) -> Any:
        return action(session, site, actor, owned(session, Person, person_id, village_code))

    return act(request, village_code, run, f"/v/{village_code}/registry/persons/{person_id}",
                lambda extra: _person_page(request, village_code, person_id, {"form": typed or {}, **extra}))


@post("/persons/{person_id:int}/edit", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_edit(request: Request[Any, Any, Any], village_code: str, person_id: int, data: Form) -> Response[Any]:
    keys = ("name", "sex", "birth_date", "resident_id", "phone", "ethnicity", "disability_grade", "gave_birth_on")
    values: dict[str, Any] = {k: data[k] for k in keys if k in data}
    values.update({flag: "是" if data.get(flag) else "否" for flag in FLAG_FIELDS})
    return _person_action(request, village_code, person_id,
                          lambda s, site, a, p: services.update_person(s, site, a, p, values),
                          {**data, "_form": "edit"})


@post("/persons/{person_id:int}/status", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_status(request: Request[Any, Any, Any], village_code: str, person_id: int,
                  data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, person: Person) -> None:
        check = forms.Checks()  # the status and its date at once
        since = check(form_date, data, "since", _("状态日期"), local_today())
        check(services.change_status, session, site, actor, person, data.get("status", ""), since or local_today(),
              data.get("reason", ""))
        named(check, {"status_since": "since"})
        check.done(services.RegistryError)
    return _person_action(request, village_code, person_id, action, {**data, "_form": "status"})


@post("/persons/{person_id:int}/move", opt={"permission": "registry.edit"},
      sync_to_thread=True)
def person_move(request: Request[Any, Any, Any], village_code: str, person_id: int, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor, person: Person) -> None:
        check = forms.Checks()  # the household moved into, the relation and the date at once
        target = check(household_by_number, session, village_code, data.get("target_number", ""), "target_number")
        on = check(form_date, data, "on", _("迁移日期"), local_today())
        if target is not None:
            check(services.move_person, session, site, actor, person, target, data.get("relation", "other"),
                  on or local_today(), data.get("reason", ""))
        named(check, {"household_id": "target_number"})
        check.done(services.RegistryError)
    return _person_action(request, village_code, person_id, action, {**data, "_form": "move"})


@post("/groups", opt={"permission": "registry.edit"}, sync_to_thread=True)
def group_create(request: Request[Any, Any, Any], village_code: str, data: Form) -> Response[Any]:
    def action(session: Session, site: Site, actor: Actor) -> None:
        services.create_group(session, site, actor, village_code=village_code,
                              number=form_int(data, "number", _("组号")) or 0, name=data.get("name", ""))

    def page(extra: dict[str, Any]) -> Response[str]:
        return representatives_view(request, village_code, {"form": {**data, "_form": "group"}, **extra})
    return act(request, village_code, action, f"/v/{village_code}/registry/representatives#groups", page)


ROUTES = [
    register_list, household_page, household_edit, household_add_member, household_end_member,
    household_change_head, household_split, household_merge, person_page, person_new, person_create, person_edit,
    person_status, person_move, group_create,
]
