"""Site administration of accounts: the list of accounts, and linking an account to a register person.

A grid worker, a representative or a co-op member acts in a plugin as a register person; the site administrator
links the account to that person here (or with `cunwu users create --person`). The picker searches one village's
register at a time; resident IDs are masked as on every page for someone without `registry.view_personal`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotFoundException
from litestar.params import Body
from litestar.response import Redirect
from sqlalchemy import or_
from sqlmodel import Session, col, select

from cunwu.accounts.models import RoleGrant, User
from cunwu.accounts.roles import ROLES
from cunwu.accounts.services import AccountError, link_person
from cunwu.errors import Problem
from cunwu.i18n import _
from cunwu.privacy import mask
from cunwu.registry.models import STATUSES, Person
from cunwu.web.render import actor_of, render, site_of

if TYPE_CHECKING:
    from cunwu.runtime import Site

FormData = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
PICKER_LIMIT = 20
MANAGE = {"permission": "accounts.manage"}


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundException(_("没有这个账户"))
    return user


def _roles_of(session: Session, site: Site, user_ids: list[int]) -> dict[int, list[str]]:
    """Each account's live roles as people read them: 村文书/书记 · 东街村."""
    grants = session.exec(select(RoleGrant).where(col(RoleGrant.user_id).in_(user_ids),
                                                  col(RoleGrant.revoked_at).is_(None))).all()
    townships = {v.code[:9]: v.township for v in site.config.villages}
    roles: dict[int, list[str]] = {}
    for grant in grants:
        if grant.scope_kind == "village":
            village = site.village(grant.scope_code)
            where = village.name if village else grant.scope_code
        elif grant.scope_kind == "township":
            where = townships.get(grant.scope_code, grant.scope_code)
        else:
            where = _("全县")
        roles.setdefault(grant.user_id, []).append(f"{ROLES.get(grant.role, grant.role)} · {where}")
    return roles


@get("/admin/users", opt=MANAGE, sync_to_thread=True, name="accounts_users")
def users_page(request: Request[Any, Any, Any]) -> Response[str]:
    site = site_of(request)
    with site.db.read() as session:
        users = session.exec(select(User).order_by(col(User.username))).all()
        person_ids = [u.person_id for u in users if u.person_id is not None]
        persons = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(person_ids))).all()}
        roles = _roles_of(session, site, [u.id for u in users if u.id is not None])
    return render(request, "accounts/users.html", {"users": users, "persons": persons, "roles": roles})


def _picker(site: Site, session: Session, village_code: str, q: str) -> list[Person]:
    """Up to PICKER_LIMIT people of one village whose name holds `q`, or whose resident ID ends with it."""
    if site.village(village_code) is None:
        return []
    query = select(Person).where(Person.village_code == village_code)
    if q:
        conditions = [col(Person.name).contains(q)]
        if q.isalnum() and q.isascii():
            conditions.append(col(Person.resident_id).endswith(q.upper()))
        query = query.where(or_(*conditions))
    return list(session.exec(query.order_by(col(Person.name), col(Person.id)).limit(PICKER_LIMIT)).all())


def _person_page(request: Request[Any, Any, Any], user_id: int, *, error: str | None = None,
                 status_code: int = 200, form: dict[str, str] | None = None) -> Response[str]:
    """The link page; `form` (a refused POST) keeps the village and search the administrator had, and `error` (why
    the chosen person cannot be linked) is shown beside the search box, where a person is found and chosen."""
    site = site_of(request)
    given = form if form is not None else request.query_params
    with site.db.read() as session:
        user = _user(session, user_id)
        linked = session.get(Person, user.person_id) if user.person_id is not None else None
        grant_villages = [g.scope_code for g in session.exec(
            select(RoleGrant).where(RoleGrant.user_id == user_id, col(RoleGrant.revoked_at).is_(None),
                                    RoleGrant.scope_kind == "village")).all()]
        default = linked.village_code if linked else next(iter(grant_villages), "")
        village_code = given.get("village") or default
        q = (given.get("q") or "").strip()
        found = _picker(site, session, village_code, q) if village_code else []
        taken = {u.person_id: u.username for u in session.exec(
            select(User).where(col(User.person_id).in_([p.id for p in found]), User.id != user_id)).all()}
    settings = site.settings("registry").mask
    return render(request, "accounts/person.html", {
        "user": user, "linked": linked, "found": found, "taken": taken, "params": {"village": village_code, "q": q},
        "show_id": lambda value: mask(value, settings), "STATUSES": STATUSES,
        "errors": [Problem(error, field="q")] if error else [],
        "limit": PICKER_LIMIT,
    }, status_code=status_code)


@get("/admin/users/{user_id:int}/person", opt=MANAGE, sync_to_thread=True, name="accounts_user_person")
def person_page(request: Request[Any, Any, Any], user_id: int) -> Response[str]:
    return _person_page(request, user_id)


def _change_link(request: Request[Any, Any, Any], user_id: int, person_id: int | None,
                 form: dict[str, str]) -> Response[Any]:
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            link_person(session, actor_of(request), _user(session, user_id), person_id)
    except AccountError as exc:
        return _person_page(request, user_id, error=str(exc), status_code=400, form=form)
    return Redirect(f"/admin/users/{user_id}/person", status_code=303)


@post("/admin/users/{user_id:int}/person", opt=MANAGE, sync_to_thread=True)
def link(request: Request[Any, Any, Any], user_id: int, data: FormData) -> Response[Any]:
    value = data.get("person_id", "").strip()
    if not value.isdigit():
        return _person_page(request, user_id, error=_("请先在下面的名单中选择一位村民"), status_code=400, form=data)
    return _change_link(request, user_id, int(value), data)


@post("/admin/users/{user_id:int}/person/unlink", opt=MANAGE, sync_to_thread=True)
def unlink(request: Request[Any, Any, Any], user_id: int) -> Response[Any]:
    return _change_link(request, user_id, None, {})


ROUTES = [users_page, person_page, link, unlink]
