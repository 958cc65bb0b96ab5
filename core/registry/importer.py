"""Import of the household register as clerks keep it: xlsx or csv, one row per person, Chinese column headers.

Always two steps. `preview()` reads the file and checks every row against the rules and the database, listing every
problem by row and column, and what would change (people added, updated field by field, unchanged) — it writes
nothing. `commit()` applies a clean preview in the caller's transaction: all rows or none. People are matched by
resident ID, so importing an updated file updates them and importing the same file twice changes nothing.

Files: xlsx (read with python-calamine; the template is written with openpyxl), old xls, and csv in UTF-8 (with or
without BOM) or GBK/GB18030 (what Excel saves on a Chinese Windows).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import is_, itemgetter, not_
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.clock import local_today
from cunwu.db.bulk import among, paused_gc
from cunwu.errors import DomainError, Problem
from cunwu.i18n import _, current_locale
from cunwu.registry.fields import FLAG_FIELDS, clean_people, cleaned_column, parse_date, relation_code, text
from cunwu.registry.models import GONE, RELATIONS, SEXES, STATUSES, Group, Household, Membership, Person
from cunwu.spreadsheet import SheetTooLarge, check_xlsx_extent, unescape_cell

__all__ = ["COLUMNS", "ImportFileError", "ImportPreview", "commit", "preview", "read_table", "template_xlsx"]


@dataclass(frozen=True)
class ImportColumn:
    header: str
    key: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""


#: The columns of the import template and of the export, in order. Required ones must be present and filled.
COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("户号", "household", True, ("户编号", "户口号"), "0001"),
    ImportColumn("与户主关系", "relation", True, ("户主关系", "关系", "与户主的关系"), "户主"),
    ImportColumn("姓名", "name", True, ("名字",), "王建国"),
    ImportColumn("性别", "sex", False, (), "男"),
    ImportColumn("出生日期", "birth_date", False, ("出生年月日", "生日"), "1970-05-04"),
    ImportColumn("身份证号", "resident_id", True, ("身份证号码", "公民身份号码", "身份证"), "130926197005040110"),
    ImportColumn("联系电话", "phone", False, ("电话", "手机", "手机号", "手机号码"), "13812345678"),
    ImportColumn("民族", "ethnicity", False, (), "汉族"),
    ImportColumn("村民小组", "group", False, ("小组", "组", "组别"), "1"),
    ImportColumn("住址", "address", False, ("地址", "家庭住址"), "东街村一组 12 号"),
    ImportColumn("状态", "status", False, ("人员状态",), "在村"),
    ImportColumn("状态日期", "status_since", False, ("状态变更日期",), ""),
    ImportColumn("党员", "party_member", False, ("是否党员",), "否"),
    ImportColumn("现役军人", "active_soldier", False, ("是否现役军人",), "否"),
    ImportColumn("伤残军人", "disabled_veteran", False, ("是否伤残军人",), "否"),
    ImportColumn("在校学生", "student", False, ("是否在校学生", "学生"), "否"),
    ImportColumn("残疾等级", "disability_grade", False, ("残疾",), ""),
    ImportColumn("生育日期", "gave_birth_on", False, (), ""),
    ImportColumn("入户日期", "start_date", False, ("迁入日期",), ""),
)
HEADER_OF = {c.key: c.header for c in COLUMNS}
PERSON_KEYS = ("name", "sex", "birth_date", "resident_id", "phone", "ethnicity", "status", "status_since",
               *FLAG_FIELDS, "disability_grade", "gave_birth_on")
#: Fields shown in "what changed" (resident_id matches, so it never differs).
DIFF_FIELDS = ("name", "sex", "birth_date", "phone", "ethnicity", "status", "status_since", *FLAG_FIELDS,
               "disability_grade", "gave_birth_on")

#: The status of a new person when the file has no 状态 column (the model's default).
_NEW_STATUS = Person.model_fields["status"].default

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


class ImportFileError(DomainError):
    """The file cannot be read as a register (not a spreadsheet, empty, encrypted, missing columns)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows; row i is spreadsheet row i + 2 (row 1 holds the headers)
    sha256: str | None = None  # of the file read, which the import's audit entries name


def _decode_csv(data: bytes, filename: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:  # marked UTF-8 but saved in another encoding (GBK behind a BOM)
            message = _("%(file)s 开头标明是 UTF-8 编码，但内容不是 UTF-8：请重新保存为 UTF-8 或 GBK 编码的 CSV",
                        file=filename or "CSV")
            raise ImportFileError(message, [Problem(message, file=filename or None)]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK and GB2312
    except UnicodeDecodeError:
        raise ImportFileError(_("无法识别文件的文字编码：请保存为 UTF-8 或 GBK 编码的 CSV，或 xlsx 文件")) from None


def read_table(data: bytes, filename: str = "", *, max_rows: int = 200_000, max_columns: int = 60) -> Table:
    """Read the first sheet (xlsx/xls) or the csv text into headers and rows; ImportFileError with a clear reason.

    An xlsx is measured before it is read (`check_xlsx_extent`: `[core.registry] import_max_rows` and
    `import_max_columns`), so one far-away cell cannot make the reader allocate gigabytes.
    """
    if not data.strip():
        raise ImportFileError(_("文件是空的"))
    if data.startswith(_OLE2) and _ENCRYPTED_MARK in data:
        raise ImportFileError(_("文件设有密码保护，无法读取：请在 Excel 中取消密码后另存为 xlsx 再上传"))
    if data.startswith((_ZIP, _OLE2)):
        from python_calamine import CalamineWorkbook

        try:
            check_xlsx_extent(data, max_rows=max_rows + 50, max_columns=max_columns)  # + blank/title rows
        except SheetTooLarge as exc:
            raise ImportFileError(str(exc)) from None
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except Exception:
            raise ImportFileError(_("无法读取此文件：它不是有效的 Excel 表格（xlsx/xls）")) from None
        rows = [[unescape_cell(v) for v in r] for r in sheet]
    else:
        if b"\x00" in data[:4096]:
            raise ImportFileError(_("无法读取此文件：请上传 Excel 表格（xlsx）或 CSV 文件"))
        content = _decode_csv(data, filename)
        try:
            dialect = csv.Sniffer().sniff(content[:4096], delimiters=",\t;，")
        except csv.Error:
            dialect = csv.excel  # type: ignore[assignment]
        rows = list(csv.reader(io.StringIO(content), dialect))
        if "'" in content:  # only a file with an apostrophe somewhere can hold a cell `safe_cell` escaped
            rows = [[unescape_cell(v) for v in row] for row in rows]
    while rows and not any(text(v) for v in rows[0]):
        rows.pop(0)  # blank lines above the headers
    if not rows:
        raise ImportFileError(_("文件是空的"))
    headers = [text(h).replace(" ", "").replace("*", "").replace("\n", "") for h in rows[0]]
    body = rows[1:]
    while body and not any(text(v) for v in body[-1]):
        body.pop()
    return Table(headers, body, hashlib.sha256(data).hexdigest())


def _column_map(headers: list[str]) -> dict[str, int]:
    """Column key → index; ImportFileError when a required column is missing."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        for column in COLUMNS:
            if header == column.header or header in column.aliases:
                found.setdefault(column.key, index)
    missing = [c.header for c in COLUMNS if c.required and c.key not in found]
    if missing:
        raise ImportFileError(
            _("缺少必需的列：%(missing)s。第一行应为列名，请使用导入模板", missing="、".join(missing)),
            [Problem(_("缺少必需的列：%(column)s", column=m), column=m, row=1) for m in missing],
        )
    return found


@dataclass
class Change:
    """What importing one row does to the register."""

    row: int
    name: str
    resident_id: str
    kind: str  # "added" | "updated" | "unchanged"
    diffs: list[tuple[str, str, str]] = field(default_factory=list)  # (column header, before, after)


@dataclass
class _Row:
    row: int
    values: dict[str, Any]
    household: str
    relation: str
    group_id: int | None
    address: str
    start_date: dt.date | None


@dataclass
class ImportPreview:
    """The dry run: every problem, and what a commit would change. `ok` when there is nothing to fix."""

    village_code: str
    rows: int
    problems: list[Problem]
    changes: list[Change]
    households_added: list[str]
    households_changed: list[str]
    moves: int
    _plan: list[_Row] = field(default_factory=list, repr=False)  # shared with `_CLEANED`: never changed
    _matched: dict[int, Person] = field(default_factory=dict, repr=False)  # by row: the register's person
    _columns: frozenset[str] = frozenset()
    source_sha256: str | None = None  # the file's, for the audit entries

    @property
    def ok(self) -> bool:
        return not self.problems and self.rows > 0

    def count(self, kind: str) -> int:
        return sum(1 for c in self.changes if c.kind == kind)

    @property
    def nothing_changes(self) -> bool:
        return self.ok and not self.households_added and not self.households_changed and not self.moves and all(
            c.kind == "unchanged" for c in self.changes)


def _display(key: str, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if key == "sex":
        return str(SEXES.get(value, value))
    if key == "status":
        return str(STATUSES.get(value, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _group_lookup(groups: Iterable[tuple[int, int, str]]) -> Callable[[str], int | bool | None]:
    """A finder for the village's groups, given as (id, number, name)."""
    by_word: dict[str, int] = {}
    for group_id, number, name in groups:
        for word in (str(number), f"{number:02d}", name, f"{number}组", f"第{number}组", f"第{number}村民小组",
                     f"{number:02d}组"):
            by_word[word] = group_id

    def find(word: str) -> int | bool | None:
        """Group id, None for an empty cell, False when unknown."""
        if not word:
            return None
        return by_word.get(word.replace(" ", ""), False)

    return find


@dataclass(frozen=True)
class _Cleaned:
    """Every row of a file parsed and checked on its own (no database but the village's groups): the part of a
    preview that depends only on the file, which is most of its cost."""

    plan: list[_Row]
    problems: list[Problem]
    seen_ids: dict[str, int]


#: The newest files' cleaned rows, by (file SHA-256, column map, groups, day, language): the commit re-runs `preview`
#: under the write lock (the register may have changed since the dry run), and the same file's rows need not be parsed
#: again.
_CLEANED: OrderedDict[tuple[Any, ...], _Cleaned] = OrderedDict()
_CLEANED_FILES = 2
_CLEANED_LOCK = threading.Lock()


def _start_date(cell: Any, today: dt.date) -> tuple[dt.date | None, str | None]:
    """A membership's 入户日期 (None when empty or refused) and the problem's message."""
    word = text(cell)
    if not word:
        return None, None
    try:
        start = parse_date(cell)
    except ValueError:
        return None, _("入户日期“%(value)s”不是有效日期", value=word)
    if start > today:
        return None, _("入户日期 %(date)s 晚于今天", date=start.isoformat())
    return start, None


def _clean_rows(table: Table, columns: dict[str, int], groups: tuple[tuple[Any, int, str], ...],
                today: dt.date) -> _Cleaned:
    """Parse and check each row on its own, column by column: each check runs once per distinct cell of its column
    (`clean_people`, `cleaned_column`), and the problems come out row by row as before. Cached for a file read from
    bytes (see `_CLEANED`)."""
    cache_key = ((table.sha256, tuple(sorted(columns.items())), groups, today, current_locale.get())
                 if table.sha256 else None)  # the problems are worded in the reader's language
    if cache_key is not None:
        with _CLEANED_LOCK:
            found = _CLEANED.get(cache_key)
            if found is not None:
                _CLEANED.move_to_end(cache_key)
                return found
    kept = [(offset + 2, cells) for offset, cells in enumerate(table.rows) if any(map(text, cells))]  # no blank lines
    rows_at = [row for row, _cells in kept]
    count = len(kept)
    # Cells by column: each row is cut or padded to the columns read; a column the file lacks is all None.
    width = max(columns.values()) + 1
    lines = [cells if len(cells) >= width else [*cells, *[None] * (width - len(cells))] for _row, cells in kept]

    def cells_of(key: str) -> list[Any]:
        index = columns.get(key)
        return [None] * count if index is None else list(map(itemgetter(index), lines))

    # Found problems as (row index, step, order within the step, column key, message): sorted, they come out row by
    # row in the order of the checks below, as when each row was checked on its own.
    found: list[tuple[int, int, int, str, str]] = []
    words = {key: list(map(text, cells_of(key))) for key in ("household", "relation", "group", "address")}
    for c in COLUMNS:
        if c.required and c.key in words:
            message = _("“%(column)s”不能为空", column=c.header)
            found += ((i, 0, 0, c.key, message) for i in itertools.compress(range(count), map(not_, words[c.key])))
    values, person_problems = clean_people({key: cells_of(key) for key in PERSON_KEYS if key in columns}, count,
                                           today=today)
    found += ((i, 1, order, key, message) for order, (i, key, message) in enumerate(person_problems))
    relations = cleaned_column(relation_code, words["relation"])
    for i in itertools.compress(range(count), map(is_, relations, itertools.repeat(None))):
        if word := words["relation"][i]:
            found.append((i, 2, 0, "relation",
                          _("无法识别与户主关系“%(value)s”，应为户主、配偶、子女、父母、孙子女或其他", value=word)))
    group_ids = cleaned_column(_group_lookup(groups), words["group"])
    for i in itertools.compress(range(count), map(is_, group_ids, itertools.repeat(False))):
        found.append((i, 3, 0, "group", _("本村没有村民小组“%(value)s”；请先在登记页添加村民小组",
                                          value=words["group"][i])))
    starts = cleaned_column(lambda cell: _start_date(cell, today), cells_of("start_date"))
    for i, (_start, message) in enumerate(starts):
        if message:
            found.append((i, 4, 0, "start_date", message))
    numbers = list(map(dict.get, values, itertools.repeat("resident_id")))
    seen_ids = dict(itertools.compress(zip(numbers, rows_at, strict=True), numbers))
    if len(seen_ids) < sum(map(bool, numbers)):  # a number repeated: each repeat names its first row
        seen_ids = {}
        for i, number in enumerate(numbers):
            if number in seen_ids:
                found.append((i, 5, 0, "resident_id", _("身份证号与第 %(other)s 行重复", other=seen_ids[number])))
            elif number:
                seen_ids[number] = rows_at[i]
    statuses = map(dict.get, values, itertools.repeat("status"))
    for i in itertools.compress(range(count), map(GONE.__contains__, statuses)):
        if relations[i] == "head":
            found.append((i, 6, 0, "status", _("户主的状态不能是已迁出或已故；请先变更户主")))
    found.sort()
    problems = [Problem(message, row=rows_at[i], column=HEADER_OF.get(key, key)) for i, _step, _order, key, message
                in found]
    plan = list(map(_Row, rows_at, values, words["household"], [code or "" for code in relations],
                    [group_id or None for group_id in group_ids], words["address"], map(itemgetter(0), starts)))

    cleaned = _Cleaned(plan, problems, seen_ids)
    if cache_key is not None:
        with _CLEANED_LOCK:
            _CLEANED[cache_key] = cleaned
            while len(_CLEANED) > _CLEANED_FILES:
                _CLEANED.popitem(last=False)
    return cleaned


@paused_gc()
def preview(session: Session, village_code: str, table: Table, *, max_rows: int = 200_000,
            today: dt.date | None = None) -> ImportPreview:
    """Check every row; nothing is written. See the module docstring."""
    today = today or local_today()
    columns = _column_map(table.headers)
    if len(table.rows) > max_rows:
        raise ImportFileError(_("文件有 %(n)s 行，超过上限 %(max)s 行", n=len(table.rows), max=max_rows))
    groups = tuple((g.id, g.number, g.name) for g in session.exec(
        select(Group).where(Group.village_code == village_code).order_by(col(Group.id))).all())
    cleaned = _clean_rows(table, columns, groups, today)
    problems = list(cleaned.problems)
    plan = cleaned.plan
    seen_ids = cleaned.seen_ids

    def problem(row: int, key: str, message: str) -> None:
        problems.append(Problem(message, row=row, column=HEADER_OF.get(key, key)))

    # Households: exactly one head each.
    by_household: dict[str, list[_Row]] = defaultdict(list)
    for r in plan:
        if r.household:
            by_household[r.household].append(r)
    for number, rows in by_household.items():
        heads = [r for r in rows if r.relation == "head"]
        if not heads and all(r.relation for r in rows):
            problem(rows[0].row, "relation", _("户号 %(number)s 没有户主（需要正好一名户主）", number=number))
        elif len(heads) > 1:
            rows_text = "、".join(str(r.row) for r in heads)
            for r in heads:
                problem(r.row, "relation", _("户号 %(number)s 有 %(n)s 名户主（第 %(rows)s 行），只能有一名",
                                             number=number, n=len(heads), rows=rows_text))

    # The database: match people by resident ID.
    existing: dict[str, Person] = {}
    for condition in among(session, col(Person.resident_id), list(seen_ids)):
        for person in session.exec(select(Person).where(condition)):
            existing[person.resident_id] = person
    changes: list[Change] = []
    matched: dict[int, Person] = {}
    for r in plan:
        number = r.values.get("resident_id")
        if not number:
            continue
        person = existing.get(number)
        if person is not None and person.village_code != village_code:
            problem(r.row, "resident_id", _("身份证号已登记为其他村（%(village)s）的另一人",
                                            village=person.village_code))
            continue
        name = r.values.get("name", "")
        if person is None:
            changes.append(Change(r.row, name, number, "added"))
        else:
            matched[r.row] = person
            diffs = [(HEADER_OF.get(k, k), _display(k, getattr(person, k)), _display(k, r.values[k]))
                     for k in DIFF_FIELDS if k in r.values and getattr(person, k) != r.values[k]]
            changes.append(Change(r.row, name, number, "updated" if diffs else "unchanged", diffs))

    households_added, households_changed, moves = _household_changes(session, village_code, by_household, matched,
                                                                      problem)
    problems.sort(key=lambda p: (p.row or 0, list(HEADER_OF.values()).index(p.column)
                                 if p.column in HEADER_OF.values() else 99))
    return ImportPreview(village_code, len(plan), problems, changes, households_added, households_changed, moves,
                         plan, matched, frozenset(columns), table.sha256)


def _household_changes(session: Session, village_code: str, by_household: dict[str, list[_Row]],
                       matched: dict[int, Person],
                       problem: Callable[[int, str, str], None]) -> tuple[list[str], list[str], int]:
    """Which households would be added or changed, how many memberships would move; problems for heads who
    would leave a household outside the file without a head."""
    households = {h.number: h for h in session.exec(select(Household).where(
        Household.village_code == village_code, col(Household.closed_on).is_(None))).all()}
    file_ids = {person.id for person in matched.values()}
    current = _current_memberships(session, [i for i in file_ids if i is not None])
    numbers_by_id = {h.id: n for n, h in households.items()}
    in_file = set(by_household)
    added, changed, moves = [], [], 0
    for number, rows in sorted(by_household.items()):
        head = next((r for r in rows if r.relation == "head"), rows[0])
        household = households.get(number)
        if household is None:
            added.append(number)
        else:
            if (head.group_id is not None and household.group_id != head.group_id) or (
                    head.address and household.address != head.address):
                changed.append(number)
            for m in _members_of(session, household.id):  # type: ignore[arg-type]
                if m.relation == "head" and m.person_id not in file_ids and head.relation == "head":
                    problem(head.row, "relation", _("户号 %(number)s 现有户主不在文件中；请在文件中列出该户全部成员，"
                                                    "或先在登记页变更户主", number=number))
        for r in rows:
            person = matched.get(r.row)
            if person is None:
                continue
            membership = current.get(person.id)  # type: ignore[arg-type]
            gone = r.values.get("status", person.status) in GONE
            target = None if gone else (number, r.relation)
            now = (numbers_by_id.get(membership.household_id), membership.relation) if membership else None
            if now == target:
                continue
            moves += 1
            if membership is None or membership.relation != "head" or now is None:
                continue
            if now[0] not in in_file and (gone or now[0] != number):
                others = [m for m in _members_of(session, membership.household_id) if m.id != membership.id]
                if others:
                    problem(r.row, "household", _("此人现为 %(number)s 户户主，该户还有其他成员但不在文件中；"
                                                  "请先变更该户户主", number=now[0]))
    return added, changed, moves


def _current_memberships(session: Session, person_ids: list[int]) -> dict[int, Membership]:
    found: dict[int, Membership] = {}
    for condition in among(session, col(Membership.person_id), person_ids):
        for m in session.exec(select(Membership).where(condition, col(Membership.end_date).is_(None))):
            found[m.person_id] = m
    return found


def _members_of(session: Session, household_id: int) -> list[Membership]:
    return list(session.exec(select(Membership).where(Membership.household_id == household_id,
                                                      col(Membership.end_date).is_(None))).all())


@paused_gc()
def commit(session: Session, actor: Actor, result: ImportPreview, *, today: dt.date | None = None,
           progress: Callable[[int], None] | None = None) -> ImportPreview:
    """Apply a clean preview in the caller's transaction (all rows or none). Raises DomainError if it has problems.

    Memberships that change end today and restart today; new people join on their 入户日期 (or today). Everything
    is written through the audit service in bulk: new records as plain rows (the preview has checked every value),
    one batch entry per table naming the file's SHA-256 (`insert_batch`); changes to existing records through their
    objects, one entry each.
    """
    if not result.ok:
        raise DomainError(_("导入前请先更正预览中列出的全部问题"), result.problems)
    today = today or local_today()
    village = result.village_code
    plan, matched = result._plan, result._matched
    # People: new ones, and updates of matched ones.
    fresh = [r for r in plan if r.row not in matched]
    source = result.source_sha256
    added = audit.insert_batch(session, actor, Person, [{"village_code": village, **r.values} for r in fresh],
                               "registry.person.import", source_sha256=source)
    person_ids: dict[int, int] = {r.row: person_id for r, person_id in zip(fresh, added, strict=True)}  # by row
    updates = []
    for r in plan:
        person = matched.get(r.row)
        if person is not None:
            person_ids[r.row] = person.id  # type: ignore[assignment]
            diff = {k: r.values[k] for k in DIFF_FIELDS if k in r.values and getattr(person, k) != r.values[k]}
            if diff:
                updates.append((person, diff))
    audit.update_many(session, actor, updates, "registry.person.import_update")
    if progress:
        progress(len(plan) // 2)

    # Households: create missing ones, update group/address.
    by_household: dict[str, list[_Row]] = defaultdict(list)
    for r in plan:
        by_household[r.household].append(r)
    households = {h.number: h for h in session.exec(select(Household).where(
        Household.village_code == village, col(Household.closed_on).is_(None))).all()}
    household_ids: dict[str, int] = {number: h.id for number, h in households.items()}  # type: ignore[misc]
    created: list[dict[str, Any]] = []
    household_updates = []
    for number, rows in by_household.items():
        head = next(r for r in rows if r.relation == "head")
        household = households.get(number)
        if household is None:
            starts = [r.start_date for r in rows if r.start_date]
            created.append({"village_code": village, "number": number, "address": head.address[:200],
                            "group_id": head.group_id, "created_on": min(starts, default=today)})
        else:
            diff: dict[str, Any] = {}
            if head.group_id is not None and household.group_id != head.group_id:
                diff["group_id"] = head.group_id
            if head.address and household.address != head.address:
                diff["address"] = head.address[:200]
            if diff:
                household_updates.append((household, diff))
    added = audit.insert_batch(session, actor, Household, created, "registry.household.import", source_sha256=source)
    household_ids.update((row["number"], household_id) for row, household_id in zip(created, added, strict=True))
    audit.update_many(session, actor, household_updates, "registry.household.import_update")

    # Memberships: end the ones that differ from the file (all ends before any start, so the indexes hold).
    current = _current_memberships(session, [person.id for person in matched.values()])  # type: ignore[misc]
    numbers_by_id = {household_id: number for number, household_id in household_ids.items()}
    ends: list[tuple[SQLModel, dict[str, Any]]] = []
    starts: list[dict[str, Any]] = []
    emptied: set[int] = set()
    for r in plan:
        person_id = person_ids[r.row]
        membership = current.get(person_id)
        person = matched.get(r.row)
        status = person.status if person is not None else r.values.get("status", _NEW_STATUS)
        gone = status in GONE
        target = None if gone else (r.household, r.relation)
        now = (numbers_by_id.get(membership.household_id), membership.relation) if membership else None
        if now == target:
            continue
        if membership is not None:
            assert person is not None  # only people already on the register have a membership
            reason = str(STATUSES[status]) if gone else _("按户籍表导入调整")
            end = max(membership.start_date, person.status_since or today) if gone else max(
                membership.start_date, today)
            ends.append((membership, {"end_date": end, "end_reason": reason}))
            if membership.relation == "head" and numbers_by_id.get(membership.household_id) not in by_household:
                emptied.add(membership.household_id)
        if target is not None:
            start = r.start_date or today
            if membership is not None:
                start = max(start, membership.start_date, today)
            starts.append({"village_code": village, "household_id": household_ids[r.household],
                           "person_id": person_id, "relation": r.relation, "start_date": start})
    audit.update_many(session, actor, ends, "registry.membership.import_end")
    audit.insert_batch(session, actor, Membership, starts, "registry.membership.import", source_sha256=source)
    # A household outside the file whose last member (its head) moved into the file closes.
    closing = [(h, {"closed_on": today, "close_reason": _("成员已全部迁出")})
               for h in (session.get(Household, hid) for hid in emptied)
               if h is not None and h.closed_on is None and not _members_of(session, h.id)]  # type: ignore[arg-type]
    audit.update_many(session, actor, closing, "registry.household.close")  # type: ignore[arg-type]
    if progress:
        progress(len(plan) - len(plan) // 2)
    return result


def template_xlsx(example: bool = True) -> bytes:
    """The downloadable template: the headers (required ones marked), an example row, and a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "户籍表"  # type: ignore[union-attr]
    sheet.append([c.header for c in COLUMNS])  # type: ignore[union-attr]
    for index, column in enumerate(COLUMNS, start=1):
        header = sheet.cell(row=1, column=index)  # type: ignore[union-attr]
        header.font = Font(bold=True, color="B00000" if column.required else "000000")
        header.fill = PatternFill("solid", fgColor="F2F2F2")
        sheet.column_dimensions[header.column_letter].width = 20 if column.key == "resident_id" else 12  # type: ignore[union-attr]
    if example:
        sheet.append([c.example for c in COLUMNS])  # type: ignore[union-attr]
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row):  # type: ignore[union-attr]
        for c in row:
            c.number_format = "@"  # text: Excel must not turn IDs into 1.30926E+17
    notes = workbook.create_sheet("填写说明")
    notes.append([_("列名"), _("必填"), _("说明")])
    notes.append(["户号", "是", _("同一户的成员填相同户号")])
    notes.append(["与户主关系", "是", "、".join(str(v) for v in RELATIONS.values())])
    notes.append(["身份证号", "是", _("18 位（旧 15 位号码自动转换）；请设置为文本格式")])
    notes.append(["性别、出生日期", "否", _("可不填，自动取自身份证号；填写时必须与身份证号一致")])
    notes.append(["村民小组", "否", _("小组编号，如 1 或 01")])
    notes.append(["状态", "否", "、".join(str(v) for v in STATUSES.values())])
    notes.append(["党员等", "否", _("填 是 或 否")])
    notes.append(["残疾等级", "否", _("1 到 4 级，无则留空")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()

