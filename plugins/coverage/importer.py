"""Household groups (十户联防) from and to xlsx (docs/coverage.md, "Household groups").

One row per household: 小组编号, 小组名称 (optional), 户号, 组长 ("是" on the household whose head leads the group).
`preview()` checks every row and lists every problem by row and column, writing nothing; `commit()` writes a clean
preview in the caller's transaction (all rows or none): missing groups are created, leaders set, households placed
or moved. A household named twice, or a group with two leaders, is refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from cunwu.api import Actor, ImportFileError, Problem, Site, _, audit, cell_text, read_table, registry, safe_rows

from . import services

COLUMNS: dict[str, tuple[str, ...]] = {
    "group": ("小组编号", "联防小组", "组号"),
    "name": ("小组名称",),
    "household": ("户号",),
    "leader": ("组长",),
}
REQUIRED = ("group", "household")
YES = {"是", "组长", "1", "y", "yes", "√", "✓"}


@dataclass
class GroupPreview:
    rows: int
    problems: list[Problem]
    placements: dict[int, int] = field(default_factory=dict)  # household id → group number
    leaders: dict[int, int] = field(default_factory=dict)  # group number → person id
    names: dict[int, str] = field(default_factory=dict)  # group number → name
    new_groups: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows > 0

    @property
    def groups(self) -> int:
        return len(set(self.placements.values()))


def preview(session: Session, site: Site, village_code: str, data: bytes, filename: str = "") -> GroupPreview:
    """Check a file of household groups against the register; nothing is written."""
    table = read_table(data, filename)
    headers = [cell_text(h) for h in table.headers]
    where = {key: index for key, names in COLUMNS.items() for index, header in enumerate(headers) if header in names}
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in where]
    if missing:
        raise ImportFileError(_("%(file)s 缺少列：%(cols)s", file=filename or _("文件"), cols="、".join(missing)))
    limit = services.settings_of(site).import_max_rows
    if len(table.rows) > limit:
        raise ImportFileError(_("%(file)s 有 %(n)s 行，超过一次最多 %(max)s 行", file=filename or _("文件"),
                                n=len(table.rows), max=limit))
    homes = {h.household.number: h for h in registry.households(session, village_code)}
    existing = {g.number for g in services.groups_of(session, village_code)}
    result = GroupPreview(rows=0, problems=[])
    first_row: dict[int, int] = {}
    leader_row: dict[int, int] = {}
    for offset, raw in enumerate(table.rows):
        row = offset + 2
        cells = {k: cell_text(raw[i]) if i < len(raw) else "" for k, i in where.items()}
        if not any(cells.values()):
            continue
        result.rows += 1

        def bad(key: str, message: str, row: int = row) -> None:
            result.problems.append(Problem(message, row=row, column=COLUMNS[key][0], file=filename or None))

        try:
            number = int(cells["group"])
            if number < 1:
                raise ValueError
        except ValueError:
            bad("group", _("小组编号“%(v)s”应是正整数", v=cells["group"]))
            continue
        home = homes.get(cells["household"])
        if home is None:
            bad("household", _("户号 %(n)s 不是本村的在册农户", n=cells["household"] or "—"))
            continue
        household_id = int(home.household.id)
        if household_id in first_row:
            bad("household", _("户号 %(n)s 在第 %(first)s 行已分到第 %(g)s 小组：一户只能在一个小组",
                               n=cells["household"], first=first_row[household_id],
                               g=result.placements[household_id]))
            continue
        first_row[household_id] = row
        result.placements[household_id] = number
        if cells.get("name"):
            result.names.setdefault(number, cells["name"])
        if cells.get("leader", "").lower() in YES:
            if number in leader_row:
                bad("leader", _("第 %(g)s 小组在第 %(first)s 行已有组长：每组只设一名组长", g=number,
                                first=leader_row[number]))
                continue
            if home.head is None:
                bad("leader", _("户号 %(n)s 没有户主，不能作为组长户", n=cells["household"]))
                continue
            leader_row[number] = row
            result.leaders[number] = int(home.head.id)  # type: ignore[arg-type]
    result.new_groups = sorted({n for n in result.placements.values()} - existing)
    return result


def commit(session: Session, site: Site, actor: Actor, village_code: str, result: GroupPreview) -> int:
    """Write a clean preview (all rows or none, in the caller's transaction); returns households placed or moved."""
    if not result.ok:
        raise services.CoverageError(_("导入文件有问题，未写入任何数据"), result.problems)
    for number in result.new_groups:
        services.create_group(session, site, actor, village_code, number, result.names.get(number, ""),
                              result.leaders.get(number))
    groups = {g.number: g for g in services.groups_of(session, village_code)}
    for number, person_id in result.leaders.items():
        if number not in result.new_groups and groups[number].leader_person_id != person_id:
            services.set_leader(session, site, actor, groups[number], person_id)
    for number, name in result.names.items():
        if number not in result.new_groups and groups[number].name != name:
            audit.update(session, actor, groups[number], {"name": name[:50]}, "coverage.group.rename")
    written = services.assign(session, site, actor, village_code,
                              {h: int(groups[n].id) for h, n in result.placements.items()})  # type: ignore[arg-type]
    services.refresh_village(session, site, village_code)  # the dashboard follows the new groups
    return written


def export(session: Session, site: Site, village_code: str) -> bytes:
    """The village's household groups as xlsx, in the import's columns (re-importable), cells made safe."""
    from openpyxl import Workbook

    views, unassigned = services.group_views(session, site, village_code)
    book = Workbook()
    sheet = book.active
    sheet.title = _("十户联防")
    rows: list[list[Any]] = [[COLUMNS["group"][0], COLUMNS["name"][0], COLUMNS["household"][0], COLUMNS["leader"][0],
                              _("户主"), _("小组户数")]]
    for view in views:
        for home in view.households:
            head = home.head
            leads = head is not None and head.id == view.group.leader_person_id
            rows.append([view.group.number, view.group.name, home.household.number, _("是") if leads else "",
                         head.name if head else "", len(view.households)])
    for home in unassigned:
        rows.append(["", "", home.household.number, "", home.head.name if home.head else "", ""])
    for row in safe_rows(rows):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
