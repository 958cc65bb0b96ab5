"""Changes to the register. Every function takes `(session, site, actor, ...)`, checks, writes through the audit
service and never commits: the caller owns the transaction (one per user action).

Invariants held here (the database holds the rest, see `cunwu.registry.models`): no overlapping memberships of a
person, exactly one head per household on every date, no overlapping terms. On PostgreSQL the household and person
rows are locked (`SELECT ... FOR UPDATE`) before checking, so two clerks editing at once cannot both succeed; SQLite
write transactions are already exclusive (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.errors import DomainError, NotFound, Problem
from cunwu.i18n import _
from cunwu.privacy import mask
from cunwu.registry.fields import clean_person
from cunwu.registry.models import (
    BODIES,
    GONE,
    POSTS,
    RELATIONS,
    STATUSES,
    Group,
    Household,
    HouseholdLink,
    Membership,
    Office,
    Person,
    Representation,
    Representative,
    Village,
)

if TYPE_CHECKING:
    from cunwu.runtime import Site

T = TypeVar("T", bound=SQLModel)


def sync_villages(session: Session, site: Site) -> None:
    """Make `registry_village` match site.toml: add missing villages, update names; never delete."""
    actor = Actor.system("startup")
    existing = {v.code: v for v in session.exec(select(Village)).all()}
    for entry in site.config.villages:
        township_code = entry.code[:9]
        found = existing.get(entry.code)
        if found is None:
            audit.create(session, actor, Village(code=entry.code, name=entry.name, township_code=township_code,
                                                 township_name=entry.township), "registry.village.create")
            continue
        changes = {key: value for key, value in
                   (("name", entry.name), ("township_name", entry.township), ("township_code", township_code))
                   if getattr(found, key) != value}
        if changes:
            audit.update(session, actor, found, changes, "registry.village.update")


class RegistryError(DomainError):
    """A register rule refused the change; `problems` name the fields (or rows) at fault."""


def _refuse(message: str, field: str | None = None) -> RegistryError:
    return RegistryError(message, [Problem(message, field=field)])


def _is_pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def lock(session: Session, model: type[T], id_: Any) -> T:
    """Load a row fresh from the database, locked until the transaction ends on PostgreSQL (SELECT ... FOR UPDATE).

    Two clerks changing the same household or person then queue, and the second checks the rules against what the
    first committed. SQLite write transactions are already exclusive.
    """
    pk = model.code if model is Village else model.id  # type: ignore[attr-defined]
    stmt = select(model).where(pk == id_).execution_options(populate_existing=True)
    if _is_pg(session):
        stmt = stmt.with_for_update()
    found = session.exec(stmt).first()
    if found is None:
        raise NotFound(_("记录不存在"))
    return found


def _check_date(value: dt.date, field: str, label: str) -> None:
    if value > local_today():
        raise _refuse(_("%(label)s %(date)s 晚于今天", label=label, date=value.isoformat()), field)


def _write(session: Session, actor: Actor, obj: SQLModel, action: str,
           changes: dict[str, Any] | None = None) -> None:
    """Create (no `changes`) or update through the audit service; a database rule broken by a concurrent change
    becomes a message instead of an error page."""
    try:
        if changes is None:
            audit.create(session, actor, obj, action)
        else:
            audit.update(session, actor, obj, changes, action)
    except IntegrityError as exc:
        raise _conflict(exc) from exc


def _conflict(exc: IntegrityError) -> RegistryError:
    detail = str(exc.orig)
    if "resident_id" in detail:
        return _refuse(_("身份证号已登记给另一人"), "resident_id")
    if "membership_current_person" in detail or "registry_membership.person_id" in detail:
        return _refuse(_("此人已在另一户中（可能另一位工作人员刚刚作了修改），请刷新后重试"), "person_id")
    if "membership_current_head" in detail or "registry_membership.household_id" in detail:
        return _refuse(_("此户已有户主（可能另一位工作人员刚刚作了修改），请刷新后重试"), "relation")
    if "registry_household" in detail and "number" in detail:
        return _refuse(_("户号已存在"), "number")
    return _refuse(_("记录刚被另一位工作人员修改，请刷新后重试"))


# --- groups ---------------------------------------------------------------------------------------------------


def create_group(session: Session, site: Site, actor: Actor, *, village_code: str, number: int,
                 name: str = "") -> Group:
    """Add a villager group (村民小组), numbered 1–99 within the village."""
    if not 1 <= number <= 99:
        raise _refuse(_("村民小组编号应在 1 到 99 之间"), "number")
    if session.exec(select(Group).where(Group.village_code == village_code, Group.number == number)).first():
        raise _refuse(_("第 %(n)s 村民小组已存在", n=number), "number")
    group = Group(village_code=village_code, number=number, name=name.strip() or _("第%(n)s村民小组", n=number))
    _write(session, actor, group, "registry.group.create")
    return group


# --- persons --------------------------------------------------------------------------------------------------


def _check_problems(problems: list[Problem]) -> None:
    if problems:
        raise RegistryError(problems[0].message if len(problems) == 1 else _("请更正以下问题"), problems)


def _check_id_free(session: Session, resident_id: str, person_id: int | None) -> None:
    other = session.exec(select(Person).where(Person.resident_id == resident_id)).first()
    if other is not None and other.id != person_id:
        village = site_village_name(session, other.village_code)
        raise _refuse(_("身份证号 %(id)s 已登记给%(village)s的另一人", id=mask(resident_id), village=village),
                      "resident_id")


def site_village_name(session: Session, code: str) -> str:
    village = session.get(Village, code)
    return village.name if village else code


def create_person(session: Session, site: Site, actor: Actor, *, village_code: str, data: Mapping[str, Any]) -> Person:
    """Register a person from form or file values (see `cunwu.registry.fields.clean_person`)."""
    values, problems = clean_person(data)
    _check_problems(problems)
    return new_person(session, actor, village_code=village_code, values=values)


def new_person(session: Session, actor: Actor, *, village_code: str, values: Mapping[str, Any]) -> Person:
    """Insert a person from already-cleaned values (the importer checked them in its dry run)."""
    _check_id_free(session, values["resident_id"], None)
    person = Person(village_code=village_code, **values)
    _write(session, actor, person, "registry.person.create")
    return person


def update_person(session: Session, site: Site, actor: Actor, person: Person, data: Mapping[str, Any]) -> Person:
    """Change a person's details; only the keys in `data` are touched. Status changes go through `change_status`."""
    raw = dict(data)
    if ("sex" in raw or "birth_date" in raw) and "resident_id" not in raw:
        raw["resident_id"] = person.resident_id  # the stated sex and birth date are checked against the ID
    raw.pop("status", None)
    raw.pop("status_since", None)
    values, problems = clean_person(raw, partial=True)
    _check_problems(problems)
    person = lock(session, Person, person.id)
    if "resident_id" in values:
        _check_id_free(session, values["resident_id"], person.id)
    changes = {k: v for k, v in values.items() if getattr(person, k) != v}
    if changes:
        _write(session, actor, person, "registry.person.update", changes)
    return person


def change_status(session: Session, site: Site, actor: Actor, person: Person, status: str, since: dt.date,
                  reason: str = "") -> Person:
    """Record that a person moved out, died, went away to work or came back, from `since`.

    Moving out or dying ends the person's membership on that date; a head must be replaced first unless they
    were the last member, in which case the household closes.
    """
    if status not in STATUSES:
        raise _refuse(_("未知状态 %(status)s", status=status), "status")
    _check_date(since, "status_since", _("状态日期"))
    person = lock(session, Person, person.id)
    if status in GONE:
        membership = _current_membership(session, person.id)  # type: ignore[arg-type]
        if membership is not None:
            if since < membership.start_date:
                raise _refuse(_("状态日期不能早于入户日期 %(date)s", date=membership.start_date.isoformat()),
                              "status_since")
            label = str(STATUSES[status])
            _leave(session, actor, membership, since, reason or label)
    _write(session, actor, person, f"registry.person.{status}", {"status": status, "status_since": since})
    return person


# --- households and memberships -------------------------------------------------------------------------------


def _current_membership(session: Session, person_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.person_id == person_id, col(Membership.end_date).is_(None))
    ).first()


def _overlaps(start: dt.date, end: dt.date | None, other: Membership) -> bool:
    return (other.end_date is None or other.end_date > start) and (end is None or end > other.start_date)


def _check_person_free(session: Session, person: Person, start: dt.date) -> None:
    """A person is in at most one household on any date: no membership of theirs may reach `start` or later."""
    for other in session.exec(select(Membership).where(Membership.person_id == person.id)).all():
        if _overlaps(start, None, other):
            household = session.get(Household, other.household_id)
            raise _refuse(_("%(name)s 在 %(date)s 时仍是 %(number)s 户的成员，一人同一时间只能属于一户",
                            name=person.name, date=start.isoformat(), number=household.number if household else "?"),
                          "person_id")


def _check_head_free(session: Session, household: Household, start: dt.date) -> None:
    """A household has one head on any date: no head membership may reach `start` or later."""
    heads = session.exec(select(Membership).where(Membership.household_id == household.id,
                                                  Membership.relation == "head")).all()
    if any(_overlaps(start, None, h) for h in heads):
        raise _refuse(_("%(number)s 户在 %(date)s 已有户主；请用“变更户主”", number=household.number,
                        date=start.isoformat()), "relation")


def _current_members(session: Session, household_id: int) -> list[Membership]:
    return list(session.exec(select(Membership).where(Membership.household_id == household_id,
                                                      col(Membership.end_date).is_(None))).all())


def _join(session: Session, actor: Actor, household: Household, person: Person, relation: str,
          start: dt.date) -> Membership:
    if relation not in RELATIONS:
        raise _refuse(_("未知的与户主关系 %(relation)s", relation=relation), "relation")
    if household.closed_on is not None:
        raise _refuse(_("%(number)s 户已注销", number=household.number), "household_id")
    if start < household.created_on:
        raise _refuse(_("入户日期不能早于立户日期 %(date)s", date=household.created_on.isoformat()), "start_date")
    if person.village_code != household.village_code:
        raise _refuse(_("不能把外村人员加入本村户；请先在本村登记"), "person_id")
    if person.status in GONE:
        raise _refuse(_("%(name)s 已迁出或已故", name=person.name), "person_id")
    _check_person_free(session, person, start)
    if relation == "head":
        _check_head_free(session, household, start)
    membership = Membership(village_code=household.village_code, household_id=household.id,  # type: ignore[arg-type]
                            person_id=person.id, relation=relation, start_date=start)  # type: ignore[arg-type]
    _write(session, actor, membership, "registry.membership.create")
    return membership


def _end(session: Session, actor: Actor, membership: Membership, end: dt.date, reason: str) -> None:
    if end < membership.start_date:
        raise _refuse(_("结束日期不能早于入户日期 %(date)s", date=membership.start_date.isoformat()), "end_date")
    _write(session, actor, membership, "registry.membership.end", {"end_date": end, "end_reason": reason[:200]})


def _leave(session: Session, actor: Actor, membership: Membership, end: dt.date, reason: str) -> None:
    """End a membership; a head may leave only as the last member (the household then closes)."""
    household = lock(session, Household, membership.household_id)
    if membership.relation == "head":
        others = [m for m in _current_members(session, household.id) if m.id != membership.id]  # type: ignore[arg-type]
        if others:
            raise _refuse(_("此人是 %(number)s 户的户主，请先变更户主", number=household.number), "relation")
        _end(session, actor, membership, end, reason)
        _write(session, actor, household, "registry.household.close", {"closed_on": end, "close_reason": reason[:200]})
        return
    _end(session, actor, membership, end, reason)


def _relate(session: Session, actor: Actor, membership: Membership, relation: str, on: dt.date) -> Membership:
    """Change the relation from `on`: a correction on the first day edits the row, later it ends and restarts it."""
    if on < membership.start_date:
        raise _refuse(_("变更日期不能早于入户日期 %(date)s", date=membership.start_date.isoformat()), "on")
    if on == membership.start_date:
        _write(session, actor, membership, "registry.membership.relation", {"relation": relation})
        return membership
    _end(session, actor, membership, on, _("与户主关系变更"))
    successor = Membership(village_code=membership.village_code, household_id=membership.household_id,
                           person_id=membership.person_id, relation=relation, start_date=on)
    _write(session, actor, successor, "registry.membership.create")
    return successor


def create_household(session: Session, site: Site, actor: Actor, *, village_code: str, number: str, head: Person,
                     created_on: dt.date, address: str = "", group_id: int | None = None) -> Household:
    """Open a household (立户) with its head."""
    number = number.strip()
    if not number:
        raise _refuse(_("户号不能为空"), "number")
    if len(number) > 30:
        raise _refuse(_("户号过长（最多 30 个字符）"), "number")
    _check_date(created_on, "created_on", _("立户日期"))
    if session.exec(select(Household).where(Household.village_code == village_code,
                                            Household.number == number)).first():
        raise _refuse(_("户号 %(number)s 已存在", number=number), "number")
    if group_id is not None:
        group = session.get(Group, group_id)
        if group is None or group.village_code != village_code:
            raise _refuse(_("没有这个村民小组"), "group_id")
    head = lock(session, Person, head.id)
    household = Household(village_code=village_code, number=number, address=address.strip()[:200],
                          group_id=group_id, created_on=created_on)
    _write(session, actor, household, "registry.household.create")
    _join(session, actor, household, head, "head", created_on)
    return household


def update_household(session: Session, site: Site, actor: Actor, household: Household, *, address: str,
                     group_id: int | None) -> Household:
    """Change a household's address or villager group."""
    household = lock(session, Household, household.id)
    if group_id is not None:
        group = session.get(Group, group_id)
        if group is None or group.village_code != household.village_code:
            raise _refuse(_("没有这个村民小组"), "group_id")
    changes = {k: v for k, v in (("address", address.strip()[:200]), ("group_id", group_id))
               if getattr(household, k) != v}
    if changes:
        _write(session, actor, household, "registry.household.update", changes)
    return household


def add_member(session: Session, site: Site, actor: Actor, household: Household, person: Person, relation: str,
               start_date: dt.date) -> Membership:
    """Add a person to a household (not as head: use `change_head`)."""
    if relation == "head":
        raise _refuse(_("户主只能通过“变更户主”设置"), "relation")
    _check_date(start_date, "start_date", _("入户日期"))
    household = lock(session, Household, household.id)
    person = lock(session, Person, person.id)
    return _join(session, actor, household, person, relation, start_date)


def end_membership(session: Session, site: Site, actor: Actor, membership: Membership, end_date: dt.date,
                   reason: str) -> None:
    """A person leaves a household (the record stays, with its end date and reason)."""
    _check_date(end_date, "end_date", _("结束日期"))
    if not reason.strip():
        raise _refuse(_("请填写原因"), "reason")
    lock(session, Person, membership.person_id)
    membership = lock(session, Membership, membership.id)
    if membership.end_date is not None:
        raise _refuse(_("此成员关系已结束"), "end_date")
    _leave(session, actor, membership, end_date, reason.strip())


def change_head(session: Session, site: Site, actor: Actor, household: Household, new_head: Person, on: dt.date,
                former_head_relation: str = "other") -> None:
    """Make another current member the head from `on`; the former head stays with `former_head_relation`."""
    _check_date(on, "on", _("变更日期"))
    if former_head_relation not in RELATIONS or former_head_relation == "head":
        raise _refuse(_("请选择原户主与新户主的关系"), "former_head_relation")
    household = lock(session, Household, household.id)
    members = _current_members(session, household.id)  # type: ignore[arg-type]
    old = next((m for m in members if m.relation == "head"), None)
    new = next((m for m in members if m.person_id == new_head.id), None)
    if new is None:
        raise _refuse(_("新户主必须是本户现有成员"), "person_id")
    if new.relation == "head":
        raise _refuse(_("此人已是户主"), "person_id")
    if old is not None:
        _relate(session, actor, old, former_head_relation, on)
    _relate(session, actor, new, "head", on)


def move_person(session: Session, site: Site, actor: Actor, person: Person, target: Household, relation: str,
                on: dt.date, reason: str = "") -> Membership:
    """Move a person into another household of the village from `on` (the old membership ends that day)."""
    if relation == "head":
        raise _refuse(_("户主只能通过“变更户主”设置"), "relation")
    _check_date(on, "on", _("迁移日期"))
    person = lock(session, Person, person.id)
    target = lock(session, Household, target.id)
    current = _current_membership(session, person.id)  # type: ignore[arg-type]
    if current is not None:
        if current.household_id == target.id:
            raise _refuse(_("此人已在该户"), "household_id")
        _leave(session, actor, current, on, reason or _("迁入 %(number)s 户", number=target.number))
    return _join(session, actor, target, person, relation, on)


def split_household(session: Session, site: Site, actor: Actor, source: Household, *, person_ids: list[int],
                    new_head_id: int, new_number: str, on: dt.date, address: str = "",
                    group_id: int | None = None, relations: Mapping[int, str] | None = None) -> Household:
    """分户: some members leave `source` on `on` and form a new household with `new_head_id` as head."""
    _check_date(on, "on", _("分户日期"))
    source = lock(session, Household, source.id)
    members = {m.person_id: m for m in _current_members(session, source.id)}  # type: ignore[arg-type]
    if new_head_id not in person_ids:
        raise _refuse(_("新户主必须在分出的成员中"), "new_head_id")
    leaving = [members.get(pid) for pid in person_ids]
    if any(m is None for m in leaving):
        raise _refuse(_("分出的人必须是本户现有成员"), "person_ids")
    if any(m.relation == "head" for m in leaving if m):
        raise _refuse(_("原户主不能分出；请先变更户主"), "person_ids")
    persons = {pid: lock(session, Person, pid) for pid in person_ids}
    for membership in leaving:
        assert membership is not None
        _end(session, actor, membership, on, _("分户"))
    household = create_household(session, site, actor, village_code=source.village_code, number=new_number,
                                 head=persons[new_head_id], created_on=on, address=address or source.address,
                                 group_id=group_id if group_id is not None else source.group_id)
    for pid in person_ids:
        if pid != new_head_id:
            _join(session, actor, household, persons[pid], (relations or {}).get(pid, "other"), on)
    _write(session, actor, HouseholdLink(village_code=source.village_code, kind="split", source_id=source.id,
                                         target_id=household.id, on_date=on), "registry.household.split")
    return household


def merge_households(session: Session, site: Site, actor: Actor, source: Household, target: Household,
                     on: dt.date, relations: Mapping[int, str] | None = None) -> None:
    """合户: every member of `source` joins `target` on `on` (its head with relation `other` unless given), and
    `source` closes."""
    _check_date(on, "on", _("合户日期"))
    if source.id == target.id:
        raise _refuse(_("不能与本户合并"), "target_id")
    source = lock(session, Household, source.id)
    target = lock(session, Household, target.id)
    if source.village_code != target.village_code:
        raise _refuse(_("只能合并本村的户"), "target_id")
    if target.closed_on is not None:
        raise _refuse(_("%(number)s 户已注销", number=target.number), "target_id")
    members = sorted(_current_members(session, source.id), key=lambda m: m.relation == "head")  # type: ignore[arg-type]
    for membership in members:
        relation = (relations or {}).get(membership.person_id, "other")
        if relation == "head":
            raise _refuse(_("合户后户主不变；请合户后再变更户主"), "relations")
        person = lock(session, Person, membership.person_id)
        _end(session, actor, membership, on, _("合户"))
        _join(session, actor, target, person, relation, on)
    _write(session, actor, source, "registry.household.close",
           {"closed_on": on, "close_reason": _("并入 %(number)s 户", number=target.number)})
    _write(session, actor, HouseholdLink(village_code=source.village_code, kind="merge", source_id=source.id,
                                         target_id=target.id, on_date=on), "registry.household.merge")


# --- representatives and offices -------------------------------------------------------------------------------


def _term_overlaps(start: dt.date, end: dt.date, row: Any) -> bool:
    row_end = min(row.term_end, row.end_date) if row.end_date else row.term_end
    return start < row_end and row.term_start < end


def _check_term(term_start: dt.date, term_end: dt.date) -> None:
    if term_end <= term_start:
        raise _refuse(_("任期结束日期必须晚于开始日期"), "term_end")


def set_representative(session: Session, site: Site, actor: Actor, *, village_code: str, person: Person,
                       household_ids: list[int], on: dt.date, term_start: dt.date | None = None,
                       term_end: dt.date | None = None) -> Representative:
    """Make `person` a representative (if not serving on `on`, a new term from `term_start`) and set, from `on`, the
    households they represent. A household represented by someone else moves to this representative."""
    person = lock(session, Person, person.id)
    if person.village_code != village_code:
        raise _refuse(_("代表必须是本村村民"), "person_id")
    serving = next((r for r in session.exec(select(Representative).where(
        Representative.person_id == person.id, Representative.village_code == village_code)).all()
        if r.term_start <= on and on < (min(r.term_end, r.end_date) if r.end_date else r.term_end)), None)
    if serving is None:
        start = term_start or on
        end = term_end or _years_later(start, 5)
        _check_term(start, end)
        for row in session.exec(select(Representative).where(Representative.person_id == person.id)).all():
            if _term_overlaps(start, end, row):
                raise _refuse(_("%(name)s 在该期间已是村民代表", name=person.name), "person_id")
        serving = Representative(village_code=village_code, person_id=person.id,  # type: ignore[arg-type]
                                 term_start=start, term_end=end)
        _write(session, actor, serving, "registry.representative.create")
    wanted = set(household_ids)
    for hid in wanted:
        household = session.get(Household, hid)
        if household is None or household.village_code != village_code or household.closed_on is not None:
            raise _refuse(_("联系户必须是本村现有的户"), "household_ids")
    current = session.exec(select(Representation).where(col(Representation.household_id).in_(wanted),
                                                        col(Representation.end_date).is_(None))).all() if wanted else []
    mine = session.exec(select(Representation).where(Representation.representative_id == serving.id,
                                                     col(Representation.end_date).is_(None))).all()
    for link in [*mine, *current]:
        if link.household_id in wanted and link.representative_id == serving.id:
            continue
        if link.end_date is None:
            _write(session, actor, link, "registry.representation.end", {"end_date": max(on, link.start_date)})
    kept = {link.household_id for link in mine if link.household_id in wanted}
    for hid in sorted(wanted - kept):
        _write(session, actor, Representation(village_code=village_code, representative_id=serving.id,  # type: ignore[arg-type]
                                              household_id=hid, start_date=on), "registry.representation.create")
    return serving


def end_representative(session: Session, site: Site, actor: Actor, representative: Representative, on: dt.date,
                       reason: str) -> None:
    """A representative leaves office early; the households they represented become unrepresented."""
    representative = lock(session, Representative, representative.id)
    if on < representative.term_start:
        raise _refuse(_("结束日期不能早于任期开始日期"), "end_date")
    for link in session.exec(select(Representation).where(Representation.representative_id == representative.id,
                                                          col(Representation.end_date).is_(None))).all():
        _write(session, actor, link, "registry.representation.end", {"end_date": max(on, link.start_date)})
    _write(session, actor, representative, "registry.representative.end",
           {"end_date": on, "end_reason": reason.strip()[:200] or None})


def set_office(session: Session, site: Site, actor: Actor, *, village_code: str, person: Person, body: str,
               post: str, term_start: dt.date, term_end: dt.date | None = None) -> Office:
    """Record that `person` holds `post` in `body` for a term (five years unless `term_end` is given)."""
    if body not in BODIES:
        raise _refuse(_("未知机构 %(body)s", body=body), "body")
    if post not in POSTS:
        raise _refuse(_("未知职务 %(post)s", post=post), "post")
    end = term_end or _years_later(term_start, 5)
    _check_term(term_start, end)
    person = lock(session, Person, person.id)
    if person.village_code != village_code:
        raise _refuse(_("任职人员必须是本村村民"), "person_id")
    for row in session.exec(select(Office).where(Office.person_id == person.id, Office.body == body)).all():
        if _term_overlaps(term_start, end, row):
            raise _refuse(_("%(name)s 在该期间已在%(body)s任职", name=person.name, body=str(BODIES[body])), "person_id")
    office = Office(village_code=village_code, person_id=person.id, body=body, post=post,  # type: ignore[arg-type]
                    term_start=term_start, term_end=end)
    _write(session, actor, office, "registry.office.create")
    return office


def end_office(session: Session, site: Site, actor: Actor, office: Office, on: dt.date, reason: str) -> None:
    """Someone leaves a post early (resignation, removal, death)."""
    office = lock(session, Office, office.id)
    if on < office.term_start:
        raise _refuse(_("结束日期不能早于任期开始日期"), "end_date")
    _write(session, actor, office, "registry.office.end", {"end_date": on, "end_reason": reason.strip()[:200] or None})


def _years_later(start: dt.date, years: int) -> dt.date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return dt.date(start.year + years, 3, 1)
