"""Import of plots and contracts from a county's 确权 export (xlsx or csv, one row per plot, Chinese headers).

Like the register import: every row is checked first and a dry run reports each problem by row and column; with
`commit` everything is written in one transaction or nothing is; importing the same file again changes nothing
(rows whose plot is already registered with the same data count as unchanged). New rows are written with the bulk
audited insert, so a county's 100,000 plots import in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import compress
from operator import itemgetter, ne
from typing import Any

from sqlmodel import Session, col, select

from cunwu.api import Actor, ImportFileError, Problem, Site, _, among, audit, paused_gc, read_table, registry

from . import codes, services
from .models import LAND_TYPES, Contract, Contractor, Issuer, Plot, to_mu


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    required: bool
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("地块编码", "code", True, ("地块代码", "宗地编码")),
    Column("地块名称", "name", True, ("名称",)),
    Column("面积（亩）", "area", True, ("面积", "实测面积（亩）", "确权面积（亩）", "合同面积（亩）")),
    Column("土地类型", "land_type", False, ("地类", "土地利用类型")),
    Column("地力等级", "grade", False, ("等级", "耕地等级")),
    Column("东至", "east", False), Column("南至", "south", False), Column("西至", "west", False),
    Column("北至", "north", False),
    Column("户号", "household", True, ("承包方户号",)),
    Column("合同编号", "contract", True, ("承包合同编号", "经营权证编号", "权证编号")),
    Column("承包期开始", "start_on", True, ("承包起始日期", "承包期起")),
    Column("承包期结束", "end_on", True, ("承包结束日期", "承包期止")),
    Column("延包至", "extended_to", False, ("延包结束日期",)),
)
_TYPE_BY_LABEL = {services.land_type_label(c): c for c in LAND_TYPES}


@dataclass
class ImportReport:
    rows: int = 0
    new_plots: int = 0
    new_contracts: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass(slots=True)
class _Rows:
    """The rows that passed every check, column by column: index i of every list is the same row of the file."""
    number: list[int]
    village_code: list[str]
    code: list[str]
    name: list[str]
    area: list[Decimal]
    land_type: list[str]
    grade: list[int | None]
    east: list[str]
    south: list[str]
    west: list[str]
    north: list[str]
    household: list[str]
    contract: list[str]
    start_on: list[dt.date]
    end_on: list[dt.date]
    extended_to: list[dt.date | None]


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()  # the usual case, first: an import reads 14 cells a row
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()


def _headers(headers: list[str], filename: str) -> tuple[dict[str, int], list[Problem]]:
    found: dict[str, int] = {}
    for column in COLUMNS:
        names = (column.header, column.header.replace("（亩）", ""), *column.aliases)
        for index, header in enumerate(headers):
            if header in names or header.replace("(", "（").replace(")", "）") in names:
                found[column.key] = index
                break
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    problems = [Problem(_("缺少必填列“%(column)s”", column=m), file=filename, column=m) for m in missing]
    return found, problems


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    text = text.replace("/", "-").replace(".", "-").replace("年", "-").replace("月", "-").rstrip("日")
    try:
        year, month, day = (int(p) for p in text.split("-"))
        return dt.date(year, month, day)
    except ValueError:
        return None


_HEADER_OF = {c.key: c.header for c in COLUMNS}
#: The parts of a plot or contract code: its village (12 digits), its 发包方 (14) and 承包方 (18); a side (四至) is
#: kept to 100 characters.
_VILLAGE_PART, _ISSUER_PART, _CONTRACTOR_PART = itemgetter(slice(12)), itemgetter(slice(14)), itemgetter(slice(18))
_SIDE = itemgetter(slice(100))

#: What a row's land type, grade and contract dates come to: (land type code, grade, start, end, extended to, the
#: problems of the type and grade columns, the problems of the date columns), each problem as (column key, message).
_Terms = tuple[str, int | None, dt.date | None, dt.date | None, dt.date | None, tuple[tuple[str, str], ...],
               tuple[tuple[str, str], ...]]


class _Parser:
    """Checks the rows of one file. A county's export repeats the same few areas, land types, grades and contract
    dates on every row, and every plot of a contract repeats its number: each distinct area, date, combination of
    land type, grade and dates, and contract number is checked once per file (the per-row work was twice the whole
    raw insert of the same rows: docs/performance.md, "Land import")."""

    def __init__(self, site: Site, index: dict[str, int], filename: str, problems: list[Problem],
                 only_village: str | None) -> None:
        self.site, self.filename, self.problems, self.only_village = site, filename, problems, only_village
        self.width = max(index.values()) + 1
        missing = len(index) < len(COLUMNS)
        # The columns the file lacks read the "" padded onto each row at `width`; a row is padded only when short.
        self.needed = self.width + missing
        self.at = {column.key: index.get(column.key, self.width) for column in COLUMNS}
        self.cells = itemgetter(*(self.at[column.key] for column in COLUMNS))
        self.terms: dict[tuple[Any, ...], _Terms] = {}
        self.dates: dict[Any, dt.date | None] = {}
        self.areas: dict[str, Decimal | None] = {}
        self.villages: dict[str, bool] = {}
        self.contracts: dict[str, str | None] = {}

    def fail(self, number: int, key: str, message: str) -> None:
        self.problems.append(Problem(message, file=self.filename, row=number, column=_HEADER_OF[key]))

    def date(self, value: Any) -> dt.date | None:
        try:
            return self.dates[value]
        except KeyError:
            parsed = self.dates[value] = _date(value)
            return parsed
        except TypeError:  # not hashable: parse it every time
            return _date(value)

    def area(self, text: str) -> Decimal | None:
        """The area in 亩 as stored, or None unless the cell is a number > 0."""
        if text not in self.areas:
            try:
                area = Decimal(text.replace(",", ""))
            except InvalidOperation:
                area = Decimal("NaN")
            self.areas[text] = to_mu(area) if area.is_finite() and area > 0 else None
        return self.areas[text]

    def terms_of(self, key: tuple[Any, ...]) -> _Terms:
        """`terms` of (land type, grade, start cell, end cell, extended-to cell, extended-to text), once per file."""
        try:
            return self.terms[key]
        except KeyError:
            terms = self.terms[key] = self.check_terms(*key)
            return terms
        except TypeError:  # a cell that is not hashable: checked every time
            return self.check_terms(*key)

    def check_terms(self, land_type: str, grade_text: str, start_cell: Any, end_cell: Any, extended_cell: Any,
                    extended_text: str) -> _Terms:
        """A row's land type, grade and contract dates checked (see `_Terms`)."""
        early: list[tuple[str, str]] = []
        late: list[tuple[str, str]] = []
        land_type = land_type or "013"
        land_type = _TYPE_BY_LABEL.get(land_type, land_type)
        if land_type not in LAND_TYPES:
            unknown = _("土地类型“%(v)s”无法识别（水田、水浇地、旱地、果园、林地、草地、其他农用地）", v=land_type)
            early.append(("land_type", unknown))
        grade = int(grade_text) if grade_text.isdecimal() and 1 <= int(grade_text) <= 10 else None
        if grade_text and grade is None:
            early.append(("grade", _("地力等级必须是 1 到 10 的整数")))
        start_on, end_on = self.date(start_cell), self.date(end_cell)
        extended_to = self.date(extended_cell) if extended_text else None
        if start_on is None:
            late.append(("start_on", _("日期格式不正确（例如 1998-01-01）")))
        if end_on is None or (start_on is not None and end_on <= start_on):
            late.append(("end_on", _("承包期结束日必须是晚于开始日的日期")))
        if extended_text and (extended_to is None or (end_on is not None and extended_to <= end_on)):
            late.append(("extended_to", _("延包结束日必须晚于原承包期结束日")))
        return land_type, grade, start_on, end_on, extended_to, tuple(early), tuple(late)

    def contract_problem(self, contract: str) -> str | None:
        if contract not in self.contracts:
            self.contracts[contract] = codes.check_contract_code(contract, contract[:18])
        return self.contracts[contract]

    def known_village(self, village_code: str) -> bool:
        known = self.villages.get(village_code)
        if known is None:
            known = self.villages[village_code] = self.site.village(village_code) is not None
        return known

    def check(self, body: list[list[Any]]) -> tuple[int, _Rows]:
        """How many rows of the file are not blank, and those without problems as columns; the others' problems are
        added to `problems`.

        Column by column: each check is one C-level pass over a column (`map`, `set`, `str.join`) or one call per
        distinct value, and only the rows a check finds suspect are checked again one by one (`row_fails`), in file
        order together with the repeated plot codes, so the problems are the ones, in the order, that checking every
        row alone gave. The checks cost what they did row by row; what is saved is an object per row that the
        rules and the insert then took apart again (docs/performance.md, "Land import, round 5")."""
        try:  # a row is blank when every cell is: in a csv whose rows all have a plot code, none is
            coded = all(map(str.strip, map(itemgetter(self.at["code"]), body)))
        except (TypeError, IndexError):  # a spreadsheet's numbers, dates and empty cells; a short row
            coded = False
        numbers = list(range(2, len(body) + 2)) if coded else [
            number for number, raw in enumerate(body, 2) if any(map(_text, raw))]
        rows = body if len(numbers) == len(body) else [body[number - 2] for number in numbers]
        if rows and min(map(len, rows)) < self.needed:
            rows = [raw if len(raw) >= self.needed else [*raw, *[""] * (self.needed - len(raw))] for raw in rows]
        count = len(rows)
        suspect: set[int] = set()
        texts: dict[str, list[str]] = {}
        dates: dict[str, list[Any]] = {}
        # The columns every row has (rows are padded to `needed`; cells past the last one every row has are not read).
        by_index = list(zip(*rows, strict=False)) if rows else [()] * self.needed
        for column in COLUMNS:
            cells = by_index[self.at[column.key]]
            try:
                texts[column.key] = dates[column.key] = list(map(str.strip, cells))
            except TypeError:
                texts[column.key], dates[column.key] = list(map(_text, cells)), list(cells)
                if column.key in ("code", "contract"):  # a number's last digits may be lost: `row_fails` says so
                    suspect.update(i for i, cell in enumerate(cells) if isinstance(cell, float))

        def flag(bad: Any) -> None:
            suspect.update(compress(range(count), bad))

        code = texts["code"]
        village = list(map(_VILLAGE_PART, code))
        wrong_villages = {v for v in set(village) if not self.known_village(v)
                          or (self.only_village is not None and v != self.only_village)}
        if wrong_villages:
            flag([v in wrong_villages for v in village])
        if not codes.all_plot_codes(code):
            flag([codes.check_plot_code(c, c[:12]) is not None for c in code])
        name = texts["name"]
        if name and ("" in set(name) or max(map(len, name)) > 50):
            flag([not n or len(n) > 50 for n in name])
        area_text = texts["area"]
        area_of = {text: self.area(text) for text in set(area_text)}
        area = list(map(area_of.__getitem__, area_text))
        if None in area_of.values():
            flag([a is None for a in area])
        keys = list(zip(texts["land_type"], texts["grade"], dates["start_on"], dates["end_on"], dates["extended_to"],
                        texts["extended_to"], strict=True))
        try:
            distinct = {key: self.terms_of(key) for key in set(keys)}
        except TypeError:  # a cell that is not hashable: checked row by row
            distinct = {}
            terms = list(map(self.terms_of, keys))
        else:
            terms = list(map(distinct.__getitem__, keys))
        if not distinct or any(t[5] or t[6] for t in distinct.values()):
            flag([bool(t[5] or t[6]) for t in terms])
        household = texts["household"]
        if "" in set(household):
            flag([not h for h in household])
        contract = list(map(str.upper, texts["contract"]))
        if not codes.all_contract_codes(contract):
            flag([self.contract_problem(c) is not None for c in contract])
        other_issuer = list(map(ne, map(_ISSUER_PART, contract), map(_ISSUER_PART, code)))
        if any(other_issuer):
            flag(other_issuer)
        repeated: list[int] = []
        if len(set(code)) < count:
            twice = {c for c, times in Counter(code).items() if times > 1}
            repeated = [i for i, c in enumerate(code) if c in twice]
        ok = [True] * count
        if suspect or repeated:
            seen: dict[str, int] = {}
            for i in sorted(suspect.union(repeated)):
                if i in suspect and self.row_fails(rows[i], numbers[i]):
                    ok[i] = False
                elif code[i] in seen:
                    repeats = _("地块编码 %(code)s 与第 %(n)s 行重复", code=code[i], n=seen[code[i]])
                    self.problems.append(Problem(repeats, file=self.filename, row=numbers[i], column="地块编码"))
                    ok[i] = False
                else:
                    seen[code[i]] = numbers[i]
        failed = not all(ok)

        def kept(column: list[Any]) -> list[Any]:
            return column if not failed else list(compress(column, ok))

        land_type, grade, start_on, end_on, extended_to = (list(map(itemgetter(i), terms)) for i in range(5))
        return count, _Rows(
            number=kept(numbers), village_code=kept(village), code=kept(code), name=kept(name), area=kept(area),
            land_type=kept(land_type), grade=kept(grade), east=kept(list(map(_SIDE, texts["east"]))),
            south=kept(list(map(_SIDE, texts["south"]))), west=kept(list(map(_SIDE, texts["west"]))),
            north=kept(list(map(_SIDE, texts["north"]))), household=kept(household), contract=kept(contract),
            start_on=kept(start_on), end_on=kept(end_on), extended_to=kept(extended_to))

    def row_fails(self, raw: list[Any], number: int) -> bool:
        """Whether the row has problems, after adding them (each naming the row and the column) in the order of
        its columns: the check of a row that `check` found suspect, so its problems read as they always have."""
        fail, problems = self.fail, self.problems
        if len(raw) < self.needed:
            raw = [*raw, *[""] * (self.needed - len(raw))]
        cells = self.cells(raw)  # in the order of COLUMNS
        try:  # a csv's cells are all text: stripped by one C-level map
            texts = list(map(str.strip, cells))
            dates = texts[11:14]
        except TypeError:  # a spreadsheet's numbers, dates and empty cells
            floats = [key for key, cell in (("code", cells[0]), ("contract", cells[10])) if isinstance(cell, float)]
            for key in floats:
                fail(number, key, _("编码被表格存成了数字，末几位可能已丢失：请把这一列设为“文本”格式后重新导出"))
            if floats:
                return True
            texts = list(map(_text, cells))
            dates = cells[11:14]
        code, name, area_text, land_type, grade_text, *_sides, household, contract, _start, _end, extended_text = texts
        before = len(problems)
        village_code = code[:12]
        if not self.known_village(village_code):
            fail(number, "code", _("地块编码“%(code)s”的前 12 位不是本县的村代码", code=code))
        elif self.only_village is not None and village_code != self.only_village:
            fail(number, "code", _("地块编码“%(code)s”属于另一个村（%(other)s），不能导入本村", code=code,
                                   other=village_code))
        elif (wrong := codes.check_plot_code(code, village_code)) is not None:
            fail(number, "code", wrong)
        code_ok = len(problems) == before
        if not name or len(name) > 50:
            fail(number, "name", _("请填写地块名称（不超过 50 个字）"))
        if self.area(area_text) is None:
            fail(number, "area", _("面积必须是大于 0 的数字（亩），收到“%(v)s”", v=area_text))
        *_terms, early, late = self.terms_of((land_type, grade_text, dates[0], dates[1], dates[2], extended_text))
        for key, message in early:
            fail(number, key, message)
        if not household:
            fail(number, "household", _("请填写户号"))
        contract = contract.upper()
        if (wrong := self.contract_problem(contract)) is not None:
            fail(number, "contract", wrong)
        elif code_ok and contract[:14] != code[:14]:
            fail(number, "contract",
                 _("合同编号 %(c)s 与地块编码的发包方（前 14 位 %(i)s）不一致", c=contract, i=code[:14]))
        for key, message in late:
            fail(number, key, message)
        return len(problems) > before


def import_file(site: Site, actor: Actor, filename: str, data: bytes, *, commit: bool,
                progress: Callable[[int, int], None] | None = None, village_code: str | None = None
                ) -> ImportReport:
    """Check every row of the file and, with `commit`, write plots, contractors and contracts in one transaction.

    The county's CLI imports any village of the site; the village desk's upload page passes `village_code`, and a
    row of another village is then a problem of that row."""
    with paused_gc():
        return _import(site, actor, filename, data, commit=commit, progress=progress, village_code=village_code)


def _import(site: Site, actor: Actor, filename: str, data: bytes, *, commit: bool,
            progress: Callable[[int, int], None] | None, village_code: str | None) -> ImportReport:
    report = ImportReport()
    try:
        table = read_table(data, filename)
    except ImportFileError as exc:
        report.problems.append(Problem(exc.message, file=filename))
        return report
    index, report.problems = _headers(table.headers, filename)
    if report.problems:
        return report
    report.rows, rows = _Parser(site, index, filename, report.problems, village_code).check(table.rows)
    with site.db.transaction() as session:
        with _write_cache(session, commit):
            _write(session, site, actor, rows, report, filename, commit, progress, table.sha256)
        if report.problems or not commit:
            session.rollback()
    return report


#: SQLite page cache (KiB) of the importing connection while it writes a file.
IMPORT_CACHE_KIB = 65_536


@contextmanager
def _write_cache(session: Session, commit: bool) -> Iterator[None]:
    """On SQLite, give the importing connection a 64 MiB page cache for the transaction, then restore its own.

    The cause of most of a large import's time (pyinstrument, 50,000 plots): with the default 2 MiB cache, the
    inserts into random-key indexes (plot codes, and the audit chain's `hash`/`prev_hash`) evict dirty pages, which
    SQLite spills to the WAL in the middle of the transaction and rewrites later — 44 s against 24 s with the larger
    cache, for the same CPU time (docs/performance.md, "Land import"). Only this connection, only while it imports:
    the pool's other connections keep their small caches."""
    connection = session.connection()
    if not commit or connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def _write(session: Session, site: Site, actor: Actor, rows: _Rows, report: ImportReport, filename: str,
           commit: bool, progress: Callable[[int, int], None] | None, source_sha256: str | None) -> None:
    """Resolve households and existing records, report conflicts, then insert what is new (in bulk)."""
    plots: dict[str, Plot] = {}
    for condition in among(session, col(Plot.code), rows.code):
        plots.update({p.code: p for p in session.exec(select(Plot).where(condition)).all()})
    contracts: dict[str, Contract] = {}
    for condition in among(session, col(Contract.code), sorted(set(rows.contract))):
        contracts.update({c.code: c for c in session.exec(select(Contract).where(condition))})
    contractors: dict[str, Contractor] = {}
    for condition in among(session, col(Contractor.code), sorted(set(map(_CONTRACTOR_PART, rows.contract)))):
        contractors.update({c.code: c for c in session.exec(select(Contractor).where(condition))})
    households = {village_code: registry.household_numbers(session, village_code)
                  for village_code in sorted(set(rows.village_code))}
    registered = {(c.issuer_id, c.household_id): c.code for c in contractors.values()}
    taken_household = dict(registered)
    issuers: dict[str, Issuer] = {}
    new_contractors: dict[str, dict[str, Any]] = {}
    new_contracts: dict[str, dict[str, Any]] = {}

    def fail(i: int, column: str, message: str) -> None:
        report.problems.append(Problem(message, file=filename, row=rows.number[i], column=column))

    def admit(i: int) -> bool:
        """Whether row i is a new plot, after the rules against the register, the records and the rows before it
        (a problem of the row is added to the report; a plot already registered with the same data is counted as
        unchanged)."""
        household_id = households[rows.village_code[i]].get(rows.household[i])
        if household_id is None:
            fail(i, "户号", _("本村户籍登记中没有户号 %(n)s", n=rows.household[i]))
            return False
        code, contract_code = rows.code[i], rows.contract[i]
        contractor_code = contract_code[:18]
        contractor = contractors.get(contractor_code)
        if contractor is not None and contractor.household_id != household_id:
            fail(i, "合同编号", _("承包方 %(c)s 已登记为另一户", c=contractor_code))
            return False
        pending = new_contractors.get(contractor_code)
        if pending is not None and pending["household_id"] != household_id:
            fail(i, "合同编号", _("承包方 %(c)s 在本文件中对应了两个户号", c=contractor_code))
            return False
        contract = contracts.get(contract_code)
        if contract is not None and (contract.start_on, contract.end_on, contract.extended_to) != (
                rows.start_on[i], rows.end_on[i], rows.extended_to[i]):
            fail(i, "承包期开始", _("合同 %(c)s 已登记，承包期与本行不同", c=contract_code))
            return False
        existing = plots.get(code)
        if existing is not None:
            same = (existing.name, existing.area_mu, existing.land_type, existing.grade,
                    (existing.east, existing.south, existing.west, existing.north)) == (
                rows.name[i], rows.area[i], rows.land_type[i], rows.grade[i],
                (rows.east[i], rows.south[i], rows.west[i], rows.north[i]))
            linked = contract is not None and existing.contract_id == contract.id
            if not (same and linked):
                fail(i, "地块编码", _("地块 %(c)s 已登记，且名称、面积、四至或合同与本行不同；请核对后在页面上修改",
                                     c=code))
            else:
                report.unchanged += 1
            return False
        if contractor is None and pending is None:
            issuer = issuers.get(code[:14])
            if issuer is None:
                issuer = issuers[code[:14]] = services.issuer_for(session, site, actor, rows.village_code[i],
                                                                  int(code[12:14]))
            if (issuer.id, household_id) in taken_household:
                fail(i, "合同编号", _("这一户已是承包方 %(c)s", c=taken_household[(issuer.id, household_id)]))
                return False
            taken_household[(issuer.id, household_id)] = contractor_code
            new_contractors[contractor_code] = {"code": contractor_code, "issuer_id": issuer.id,
                                                "village_code": rows.village_code[i], "household_id": household_id}
        if contract is None and contract_code not in new_contracts:
            new_contracts[contract_code] = {"code": contract_code, "village_code": rows.village_code[i],
                                            "start_on": rows.start_on[i], "end_on": rows.end_on[i],
                                            "extended_to": rows.extended_to[i], "status": "active"}
        return True

    count = len(rows.code)
    new_plots: range | list[int] = range(count)
    # A row admitted once admits every later row of the same household, contract and dates (no plot of the file is
    # registered yet, the usual case): the rules run for the first row of each such key, in file order, and row by
    # row only when one of them fails or plots exist.
    keys = list(zip(rows.household, rows.contract, rows.start_on, rows.end_on, rows.extended_to, strict=True))
    first_rows = sorted(dict(zip(reversed(keys), range(count - 1, -1, -1), strict=True)).values())
    before = len(report.problems)
    if plots or not all(map(admit, first_rows)):
        del report.problems[before:]
        for pending in (new_contractors, new_contracts, taken_household):
            pending.clear()
        taken_household.update(registered)
        new_plots = list(compress(range(count), map(admit, range(count))))
    report.new_plots = len(new_plots)
    report.new_contracts = len(new_contracts)
    if report.problems or not commit:
        return
    _insert(session, actor, rows, new_plots, new_contractors, new_contracts, contractors, contracts, progress,
            source_sha256)


def _insert(session: Session, actor: Actor, rows: _Rows, new_plots: range | list[int],
            new_contractors: dict[str, dict[str, Any]], new_contracts: dict[str, dict[str, Any]],
            contractors: dict[str, Contractor], contracts: dict[str, Contract],
            progress: Callable[[int, int], None] | None, source_sha256: str | None) -> None:
    heads = registry.first_members(session, [r["household_id"] for r in new_contractors.values()])
    for values in new_contractors.values():
        head = heads.get(values["household_id"])
        values.update(representative_id=head[0] if head else None, name=head[1] if head else "")
    contractor_ids = dict(zip(new_contractors, audit.insert_batch(session, actor, Contractor,
                                                                 list(new_contractors.values()), "land.import",
                                                                 source_sha256=source_sha256),
                              strict=True))
    contractor_ids.update({code: c.id for code, c in contractors.items()})  # type: ignore[misc]
    for values in new_contracts.values():
        values["contractor_id"] = contractor_ids[values["code"][:18]]
    contract_ids = dict(zip(new_contracts, audit.insert_batch(session, actor, Contract, list(new_contracts.values()),
                                                             "land.import", source_sha256=source_sha256), strict=True))
    contract_ids.update({code: c.id for code, c in contracts.items()})  # type: ignore[misc]

    def new(column: list[Any]) -> list[Any]:
        return column if len(new_plots) == len(column) else list(map(column.__getitem__, new_plots))

    code = new(rows.code)
    issuer_ids = {i.code: i.id for i in session.exec(select(Issuer).where(
        col(Issuer.code).in_(sorted(set(map(_ISSUER_PART, code)))))).all()}
    columns = {"code": code, "issuer_id": list(map(issuer_ids.__getitem__, map(_ISSUER_PART, code))),
               "village_code": new(rows.village_code),
               "contract_id": list(map(contract_ids.__getitem__, new(rows.contract))), "name": new(rows.name),
               "area_mu": new(rows.area), "land_type": new(rows.land_type), "grade": new(rows.grade),
               "east": new(rows.east), "south": new(rows.south), "west": new(rows.west), "north": new(rows.north)}
    total = len(code)
    for start in range(0, total, 5000):
        part = {key: column[start:start + 5000] for key, column in columns.items()}
        audit.insert_batch_columns(session, actor, Plot, part, "land.import", source_sha256=source_sha256)
        if progress:
            progress(len(part["code"]), total)
