"""The rules of 网格化管理. Functions take (session, site, actor, ...), check, write through `audit` and never commit:
the caller owns the transaction. Incident rows are locked before a state change, so two people acting at once on
PostgreSQL cannot both move the same incident."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from cunwu.api import Actor, DomainError, NotFound, Problem, Site, _, audit, local_today, registry

from .models import Grid, GridHousehold, Incident, Visit, Worker
from .settings import WanggeSettings

NOTES_MAX = 2000


def settings_of(site: Site) -> WanggeSettings:
    return site.settings("wangge")  # type: ignore[no-any-return]


def refuse(message: str, field: str | None = None) -> DomainError:
    return DomainError(message, [Problem(message, field=field)])


def _date(value: str, field: str) -> dt.date:
    try:
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise refuse(_("请填写有效的日期（如 2025-06-01）"), field) from None
    if parsed > local_today():
        raise refuse(_("日期不能晚于今天"), field)
    return parsed


def grid_of(session: Session, village_code: str, grid_id: int) -> Grid:
    """The grid, if it belongs to the village in the path (a clerk of one village never reaches another's)."""
    grid = session.get(Grid, grid_id)
    if grid is None or grid.village_code != village_code:
        raise NotFound(_("没有这个网格"))
    return grid


def incident_of(session: Session, village_code: str, incident_id: int, *, lock: bool = False) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    incident = session.exec(query.with_for_update() if lock else query).first()
    if incident is None:
        raise NotFound(_("没有这个事件"))
    grid_of(session, village_code, incident.grid_id)
    return incident


def is_worker(session: Session, person_id: int, village_code: str, on: dt.date | None = None) -> bool:
    """Is the person serving as a grid worker in the village on `on` (default today)?"""
    on = on or local_today()
    return session.exec(
        select(func.count()).select_from(Worker).join(Grid, col(Grid.id) == Worker.grid_id)
        .where(Worker.person_id == person_id, Grid.village_code == village_code, Worker.start_date <= on,
               (col(Worker.end_date).is_(None)) | (col(Worker.end_date) > on))
    ).one() > 0


# --- grids ---------------------------------------------------------------------------------------------------------


def divide(session: Session, site: Site, actor: Actor, village_code: str) -> int:
    """Put every current household of the village that is in no grid into grids of `households_per_grid`, by
    villager group and household number: the last grid is filled first, then new grids are opened. Returns how many
    households were placed."""
    size = settings_of(site).households_per_grid
    grids = list(session.exec(select(Grid).where(Grid.village_code == village_code).order_by(col(Grid.number))))
    counts = Counter(session.exec(select(GridHousehold.grid_id).where(
        col(GridHousehold.grid_id).in_([g.id for g in grids]))).all()) if grids else Counter()
    placed = set(session.exec(select(GridHousehold.household_id).join(Grid, col(Grid.id) == GridHousehold.grid_id)
                              .where(Grid.village_code == village_code)).all())
    waiting = sorted((h.household for h in registry.households(session, village_code, on=local_today())
                      if h.household.id not in placed), key=lambda h: (h.group_id or 0, h.number))
    if not waiting:
        raise refuse(_("本村所有户都已划入网格"))
    current = grids[-1] if grids and counts[grids[-1].id] < size else None
    for household in waiting:
        if current is None or counts[current.id] >= size:
            number = (grids[-1].number if grids else 0) + 1
            current = Grid(village_code=village_code, number=number, name=_("第%(n)s网格", n=number))
            audit.create(session, actor, current, "wangge.grid.create")
            grids.append(current)
        audit.create(session, actor, GridHousehold(grid_id=current.id, household_id=household.id),
                     "wangge.grid.assign")
        counts[current.id] += 1
    return len(waiting)


def appoint(session: Session, site: Site, actor: Actor, grid: Grid, form: Mapping[str, str]) -> Worker:
    """Make a register person of the grid's village a grid worker from the given date."""
    try:
        person_id = int(form.get("person_id", ""))
    except ValueError:
        raise refuse(_("请选择网格员"), "person_id") from None
    person = registry.person(session, person_id)
    if person is None or person.village_code != grid.village_code:
        raise refuse(_("网格员必须是本村登记的村民"), "person_id")
    start = _date(form.get("start_date", ""), "start_date")
    serving = session.exec(select(Worker).where(Worker.grid_id == grid.id, Worker.person_id == person_id,
                                                col(Worker.end_date).is_(None))).first()
    if serving is not None:
        raise refuse(_("%(name)s 已是本网格的网格员", name=person.name), "person_id")
    worker = Worker(grid_id=grid.id, person_id=person_id, start_date=start)  # type: ignore[arg-type]
    audit.create(session, actor, worker, "wangge.worker.appoint")
    return worker


# --- visits and incidents ------------------------------------------------------------------------------------------


def record_visit(session: Session, site: Site, actor: Actor, grid: Grid, form: Mapping[str, str]) -> Visit:
    try:
        household_id = int(form.get("household_id", ""))
    except ValueError:
        raise refuse(_("请选择走访的户"), "household_id") from None
    if session.exec(select(GridHousehold).where(GridHousehold.grid_id == grid.id,
                                                GridHousehold.household_id == household_id)).first() is None:
        raise refuse(_("这一户不在本网格"), "household_id")
    visited_on = _date(form.get("visited_on", ""), "visited_on")
    notes = form.get("notes", "").strip()
    if len(notes) > NOTES_MAX:
        raise refuse(_("走访情况过长（最多 %(n)s 字）", n=NOTES_MAX), "notes")
    visit = Visit(grid_id=grid.id, household_id=household_id, visited_on=visited_on, notes=notes,  # type: ignore[arg-type]
                  recorded_by=actor.display_name)
    audit.create(session, actor, visit, "wangge.visit.create")
    return visit


def report(session: Session, site: Site, actor: Actor, grid: Grid, form: Mapping[str, str]) -> Incident:
    problems = []
    category = form.get("category", "")
    if category not in settings_of(site).categories:
        problems.append(Problem(_("请选择事件类别"), field="category"))
    title = form.get("title", "").strip()
    if not title:
        problems.append(Problem(_("请简要写明事件"), field="title"))
    elif len(title) > 200:
        problems.append(Problem(_("事件描述过长（最多 200 字）"), field="title"))
    try:
        reported_on = _date(form.get("reported_on", ""), "reported_on")
    except DomainError as error:
        problems += error.problems
    if problems:
        raise DomainError(_("请更正标出的内容"), problems)
    incident = Incident(grid_id=grid.id, category=category, title=title, reported_on=reported_on)  # type: ignore[arg-type]
    audit.create(session, actor, incident, "wangge.incident.report")
    return incident


def handle(session: Session, site: Site, actor: Actor, incident: Incident, form: Mapping[str, str]) -> Incident:
    """open → handled, saying what was done."""
    if incident.status != "open":
        raise refuse(_("这个事件已经处理过了"))
    handling = form.get("handling", "").strip()
    if not handling:
        raise refuse(_("请写明处理情况"), "handling")
    if len(handling) > NOTES_MAX:
        raise refuse(_("处理情况过长（最多 %(n)s 字）", n=NOTES_MAX), "handling")
    audit.update(session, actor, incident, {"status": "handled", "handling": handling, "handled_on": local_today()},
                 "wangge.incident.handle")
    return incident


def close(session: Session, site: Site, actor: Actor, incident: Incident) -> Incident:
    """handled → closed (the clerk checks the handling first)."""
    if incident.status != "handled":
        raise refuse(_("只有已处理的事件才能办结") if incident.status == "open" else _("这个事件已经办结"))
    audit.update(session, actor, incident, {"status": "closed", "closed_on": local_today()}, "wangge.incident.close")
    return incident


# --- pages' data ---------------------------------------------------------------------------------------------------


@dataclass
class GridRow:
    grid: Grid
    households: int = 0
    workers: list[str] = field(default_factory=list)
    open_incidents: int = 0


def overview(session: Session, village_code: str) -> list[GridRow]:
    rows = {g.id: GridRow(g) for g in session.exec(select(Grid).where(Grid.village_code == village_code)
                                                    .order_by(col(Grid.number)))}
    if not rows:
        return []
    for grid_id, count in session.exec(select(GridHousehold.grid_id, func.count()).where(
            col(GridHousehold.grid_id).in_(rows)).group_by(col(GridHousehold.grid_id))).all():
        rows[grid_id].households = count
    for worker in session.exec(select(Worker).where(col(Worker.grid_id).in_(rows), col(Worker.end_date).is_(None))):
        person = registry.person(session, worker.person_id)
        rows[worker.grid_id].workers.append(person.name if person else "")
    for grid_id, count in session.exec(select(Incident.grid_id, func.count()).where(
            col(Incident.grid_id).in_(rows), Incident.status != "closed").group_by(col(Incident.grid_id))).all():
        rows[grid_id].open_incidents = count
    return list(rows.values())


def grid_households(session: Session, grid: Grid) -> list[tuple[int, str, str]]:
    """(household id, number, head's name) of the grid's current households, by number."""
    ids = set(session.exec(select(GridHousehold.household_id).where(GridHousehold.grid_id == grid.id)).all())
    return [(h.household.id, h.household.number, h.head.name if h.head else "")  # type: ignore[misc]
            for h in registry.households(session, grid.village_code, on=local_today()) if h.household.id in ids]


def incidents(session: Session, grid: Grid) -> list[Incident]:
    return list(session.exec(select(Incident).where(Incident.grid_id == grid.id)
                             .order_by(col(Incident.status) == "closed", col(Incident.reported_on).desc())))


def recent_visits(session: Session, grid: Grid, limit: int = 20) -> list[Visit]:
    return list(session.exec(select(Visit).where(Visit.grid_id == grid.id)
                             .order_by(col(Visit.visited_on).desc(), col(Visit.id).desc()).limit(limit)))


# --- the public summary ----------------------------------------------------------------------------------------------


def shown(count: int, minimum: int) -> int | None:
    """A count safe to publish, or None when it is from 1 to minimum-1 (few enough to point at a household)."""
    return None if 0 < count < minimum else count


@dataclass
class Summary:
    grids: int
    households: int | None
    visits: int | None
    by_category: list[tuple[str, int | None, int | None]]  # (category title, open or handled, closed)


def summary(session: Session, site: Site, village_code: str, days: int = 30) -> Summary:
    """The village's public figures: grids, households in grids, visits in the last `days` days, and incidents by
    category this year — every count from 1 to public_minimum-1 suppressed. No totals are shown next to suppressed
    cells, so a hidden count cannot be worked out by subtraction."""
    settings = settings_of(site)
    minimum = settings.public_minimum
    grid_ids = list(session.exec(select(Grid.id).where(Grid.village_code == village_code)).all())
    households = session.exec(select(func.count()).select_from(GridHousehold)
                              .where(col(GridHousehold.grid_id).in_(grid_ids))).one() if grid_ids else 0
    since = local_today() - dt.timedelta(days=days)
    visits = session.exec(select(func.count()).select_from(Visit).where(
        col(Visit.grid_id).in_(grid_ids), Visit.visited_on > since)).one() if grid_ids else 0
    year_start = local_today().replace(month=1, day=1)
    tally: Counter[tuple[str, bool]] = Counter()
    if grid_ids:
        for category, status in session.exec(select(Incident.category, Incident.status).where(
                col(Incident.grid_id).in_(grid_ids), Incident.reported_on >= year_start)).all():
            tally[(category, status == "closed")] += 1
    rows = [(_(title), shown(tally[(code, False)], minimum), shown(tally[(code, True)], minimum))
            for code, title in settings.categories.items()]
    return Summary(len(grid_ids), shown(households, minimum), shown(visits, minimum), rows)
