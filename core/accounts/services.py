"""Account services: create users, grant roles, check passwords, load the actor, decide permissions."""

from __future__ import annotations

import base64
import functools
from typing import TYPE_CHECKING, Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import ARGON2_VERSION
from sqlalchemy import bindparam
from sqlmodel import Session, select

from cunwu.accounts.actor import Actor, Grant
from cunwu.accounts.models import RoleGrant, User
from cunwu.accounts.roles import ROLE_SCOPES, ROLES
from cunwu.audit import services as audit
from cunwu.i18n import _

if TYPE_CHECKING:
    from cunwu.runtime import Site

_hasher = PasswordHasher()


def _unmatchable_hash(hasher: PasswordHasher) -> str:
    """An encoded hash with the hasher's own parameters that no password matches (its digest is all zeros).

    Verifying against it keeps the time of a login for an unknown user the same as for a known one, and, unlike
    hashing a dummy password here, costs nothing at import (argon2 took ~0.3–0.6 s of every worker's start).
    """

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode("ascii").rstrip("=")

    return (f"$argon2{hasher.type.name.lower()}$v={ARGON2_VERSION}"
            f"$m={hasher.memory_cost},t={hasher.time_cost},p={hasher.parallelism}"
            f"${b64(b'cunwu-no-user!!!')}${b64(bytes(hasher.hash_len))}")


_DUMMY_HASH = _unmatchable_hash(_hasher)


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError(_("密码至少需要 8 个字符"))
    return _hasher.hash(password)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    return user


def create_user(
    session: Session, actor: Actor, *, username: str, display_name: str, password: str,
    phone: str | None = None, person_id: int | None = None,
) -> User:
    if session.exec(select(User).where(User.username == username)).first():
        raise AccountError(_("用户名 %(username)s 已存在", username=username))
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                phone=phone, person_id=person_id)
    audit.create(session, actor, user, "accounts.user.create")
    return user


def find_person(session: Session, reference: str) -> Any:
    """A register person by record id or by resident ID number (what an administrator has at hand)."""
    from cunwu.registry.models import Person

    reference = reference.strip().upper()
    if len(reference) == 18:
        found = session.exec(select(Person).where(Person.resident_id == reference)).first()
    elif reference.isdigit():
        found = session.get(Person, int(reference))
    else:
        found = None
    if found is None:
        raise AccountError(_("登记簿中没有这个人：%(ref)s（请填写人员编号或 18 位身份证号）", ref=reference))
    return found


def link_person(session: Session, actor: Actor, user: User, person_id: int | None) -> User:
    """Link an account to a register person (grid workers, representatives, co-op members act as that person), or
    unlink it with None. One account per person; the change is audited."""
    from cunwu.registry.models import Person

    if person_id is not None:
        if session.get(Person, person_id) is None:
            raise AccountError(_("登记簿中没有这个人：%(ref)s", ref=person_id))
        other = session.exec(select(User).where(User.person_id == person_id, User.id != user.id)).first()
        if other is not None:
            raise AccountError(_("这个人已关联账户 %(username)s", username=other.username))
    if user.person_id != person_id:
        action = "accounts.user.link_person" if person_id is not None else "accounts.user.unlink_person"
        audit.update(session, actor, user, {"person_id": person_id}, action)
    return user


def scope_kind_of(scope_code: str) -> str:
    return {0: "site", 9: "township", 12: "village"}.get(len(scope_code), "invalid")


def grant_role(session: Session, actor: Actor, user: User, role: str, scope_code: str = "") -> RoleGrant:
    if role not in ROLES:
        raise AccountError(_("未知角色 %(role)s", role=role))
    kind = scope_kind_of(scope_code)
    if kind not in ROLE_SCOPES[role]:
        raise AccountError(_("角色 %(role)s 不能授予在范围 %(scope)s 上", role=role, scope=scope_code or "site"))
    grant = RoleGrant(user_id=user.id, role=role, scope_kind=kind, scope_code=scope_code)  # type: ignore[arg-type]
    audit.create(session, actor, grant, "accounts.role.grant")
    return grant


@functools.cache
def _actor_statement() -> Any:
    """A user's account and live grants in one statement, built once: every signed-in request loads its actor."""
    user, grant = User.__table__.c, RoleGrant.__table__.c  # type: ignore[attr-defined]
    return (select(user.id, user.username, user.display_name, user.person_id, user.is_active,
                   grant.role, grant.scope_kind, grant.scope_code)
            .select_from(User.__table__.outerjoin(  # type: ignore[attr-defined]
                RoleGrant.__table__, (grant.user_id == user.id) & grant.revoked_at.is_(None)))  # type: ignore[attr-defined]
            .where(user.id == bindparam("user_id")).order_by(grant.id))


def load_actor(session: Session, user_id: int) -> Actor | None:
    rows = session.execute(_actor_statement(), {"user_id": user_id}).all()
    if not rows or not rows[0].is_active:
        return None
    first = rows[0]
    return Actor(
        user_id=first.id, username=first.username, display_name=first.display_name,
        grants=tuple(Grant(r.role, r.scope_kind, r.scope_code) for r in rows if r.role is not None),
        person_id=first.person_id,
    )


def is_allowed(site: Site, actor: Actor | None, action: str, scope_code: str | None) -> bool:
    """Ask every plugin: any False denies, at least one True is needed (deny wins, default deny)."""
    if action not in site.plugins.permissions:
        raise KeyError(f"unknown permission {action!r}: no manifest defines it")
    answers = site.call("permission_allowed", actor=actor, action=action, village_code=scope_code, site=site)
    if any(a is False for a in answers):
        return False
    return any(a is True for a in answers)


def allowed_villages(site: Site, actor: Actor | None, action: str, village_codes: list[str]) -> dict[str, bool]:
    """`is_allowed` for each of `village_codes`, with the same answers, but each plugin asked once where it can:
    through `permission_villages` when it implements that, village by village otherwise."""
    from cunwu.plugins import call_hook

    if action not in site.plugins.permissions:
        raise KeyError(f"unknown permission {action!r}: no manifest defines it")
    pm = site.plugins.pm
    batched = {impl.plugin for impl in pm.hook.permission_villages.get_hookimpls()}
    denied: set[str] = set()
    granted: set[str] = set()
    for impl in pm.hook.permission_allowed.get_hookimpls():
        if impl.plugin in batched:
            answers = dict(call_hook(pm, "permission_villages", only=impl.plugin, actor=actor, action=action,
                                     village_codes=village_codes, site=site)[0][1] or {})
        else:
            answers = {code: call_hook(pm, "permission_allowed", only=impl.plugin, actor=actor, action=action,
                                       village_code=code, site=site)[0][1] for code in village_codes}
        denied.update(code for code, answer in answers.items() if answer is False)
        granted.update(code for code, answer in answers.items() if answer is True)
    return {code: code in granted and code not in denied for code in village_codes}


def default_permission(site: Site, actor: Actor | None, action: str, scope_code: str | None) -> bool | None:
    """The core's own answer: a role the actor holds over the scope is among the permission's roles."""
    if actor is None:
        return None
    permission = site.plugins.permissions.get(action)
    if permission is None:
        return None
    return True if actor.roles_for(scope_code) & permission.roles else None


def default_permission_villages(site: Site, actor: Actor | None, action: str, village_codes: list[str],
                                ) -> dict[str, bool | None]:
    """`default_permission` for many villages: the villages the actor's grants reach with a role of the
    permission (a site grant reaches them all)."""
    permission = site.plugins.permissions.get(action)
    if actor is None or permission is None:
        return {}
    grants = [g for g in actor.grants if g.role in permission.roles]
    if any(g.scope_kind == "site" for g in grants):
        return dict.fromkeys(village_codes, True)
    return {code: True for code in village_codes if any(g.covers(code) for g in grants)}
