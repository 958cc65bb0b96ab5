"""Reading what clerks type (forms) and keep (spreadsheets) into person fields, with one problem per bad field.

Both the web forms and the importer use `clean_person`, so a value accepted in one is accepted in the other and the
messages are the same. Problems name the model field; the importer maps fields to its Chinese column headers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Callable, Mapping
from operator import itemgetter, ne
from typing import Any

from cunwu.clock import local_today
from cunwu.errors import Problem
from cunwu.i18n import _, lazy_gettext
from cunwu.registry.models import RELATIONS, STATUSES
from cunwu.registry.resident_id import (
    ResidentId,
    ResidentIdError,
    check_stated_details,
    parse_resident_id,
    read_resident_id,
)

FLAG_FIELDS = ("party_member", "active_soldier", "disabled_veteran", "student")

_TRUE = frozenset({"是", "y", "yes", "true", "1", "√", "✓", "✔", "x", "on", "党员"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "", "off", "-", "无"})
_SEX_WORDS = {"男": "M", "m": "M", "male": "M", "女": "F", "f": "F", "female": "F"}
_RELATION_WORDS = {
    **{code: code for code in RELATIONS},
    "户主": "head", "本人": "head",
    "配偶": "spouse", "妻": "spouse", "夫": "spouse", "妻子": "spouse", "丈夫": "spouse",
    "子女": "child", "子": "child", "女": "child", "长子": "child", "次子": "child", "长女": "child",
    "次女": "child", "儿子": "child", "女儿": "child", "养子": "child", "养女": "child",
    "父母": "parent", "父亲": "parent", "母亲": "parent", "父": "parent", "母": "parent",
    "孙子女": "grandchild", "孙子": "grandchild", "孙女": "grandchild", "外孙子": "grandchild",
    "外孙女": "grandchild",
    "其他": "other", "儿媳": "other", "女婿": "other", "兄弟姐妹": "other", "祖父母": "other",
}
_STATUS_WORDS = {**{code: code for code in STATUSES}, "在村": "resident", "在家": "resident", "正常": "resident",
                 "外出": "away", "外出务工": "away", "外出务工经商": "away", "迁出": "moved_out", "已迁出": "moved_out",
                 "死亡": "deceased", "已故": "deceased", "去世": "deceased"}
_GRADE_WORDS = {word: grade for grade, digit, zh in ((1, "1", "一"), (2, "2", "二"), (3, "3", "三"), (4, "4", "四"))
                for word in (digit, f"{digit}级", zh, f"{zh}级")}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"\d{8}")
_PHONE = re.compile(r"^\+?[0-9][0-9\- ]{5,24}$")


def text(value: Any) -> str:
    """A cell or form value as trimmed text (numbers from spreadsheets without a trailing `.0`)."""
    if type(value) is str:
        return value.strip()  # the usual case, first: an import reads some twenty cells a row
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_date(value: Any) -> dt.date:
    """2024-03-01, 2024/3/1, 2024.3.1, 2024年3月1日, 20240301, or a spreadsheet date; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    raw = text(value)
    if len(raw) == 10 and raw[4] == raw[7] == "-" and raw.isascii():
        try:
            return dt.date.fromisoformat(raw)  # the usual 2024-03-01, quickly (imports read thousands)
        except ValueError:
            pass
    if _COMPACT_DATE.fullmatch(raw):
        return dt.date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    match = _DATE.match(raw)
    if not match:
        raise ValueError(raw)
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


def parse_flag(value: Any) -> bool | None:
    """是/否, Y/N, 1/0, √ … ; None when the value is not a yes or a no."""
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    return None


def relation_code(value: Any) -> str | None:
    word = text(value)
    return _RELATION_WORDS.get(word.lower() if word.isascii() else word)


def status_code(value: Any) -> str | None:
    word = text(value)
    return _STATUS_WORDS.get(word.lower() if word.isascii() else word)


_PERSON_KEYS = frozenset({"name", "sex", "birth_date", "resident_id", "phone", "ethnicity", "status", "status_since",
                          *FLAG_FIELDS, "disability_grade", "gave_birth_on"})
_BIRTH_DATE = lazy_gettext("出生日期")
_STATUS_SINCE = lazy_gettext("状态日期")
_GAVE_BIRTH_ON = lazy_gettext("生育日期")


#: A cleaner's "leave this field out of the values" (a value it could not read).
_LEFT_OUT: Any = object()
#: One field read from one cell: the value (or `_LEFT_OUT`) and the problem's message (None: no problem).
Cleaned = tuple[Any, str | None]


def _clean_name(value: Any) -> Cleaned:
    name = text(value)
    if not name:
        return name, _("姓名不能为空")
    if len(name) > 50:
        return name, _("姓名过长（最多 50 个字）")
    return name, None


def _clean_sex(value: Any) -> Cleaned:
    """The stated sex as "M"/"F" (None when empty or unreadable)."""
    word = text(value)
    if not word:
        return None, None
    code = _SEX_WORDS.get(word.lower())
    if code is None:
        return None, _("无法识别所填性别“%(sex)s”，应为男或女", sex=word)
    return code, None


def _clean_date(value: Any, today: dt.date, label: object) -> Cleaned:
    if value is None or text(value) == "":
        return None, None
    try:
        parsed = parse_date(value)
    except ValueError:
        return None, _("%(label)s“%(value)s”不是有效日期（例如 2024-03-01）", label=label, value=text(value))
    if parsed > today:
        return None, _("%(label)s %(date)s 晚于今天", label=label, date=parsed.isoformat())
    return parsed, None


def _clean_phone(value: Any) -> Cleaned:
    phone = text(value)
    if phone and not _PHONE.match(phone):
        return phone, _("联系电话“%(phone)s”格式不正确", phone=phone)
    return phone or None, None


def _clean_ethnicity(value: Any) -> Cleaned:
    return text(value)[:20] or None, None


def _clean_status(value: Any) -> Cleaned:
    word = text(value)
    code = status_code(word) if word else "resident"
    if code is None:
        return _LEFT_OUT, _("无法识别状态“%(value)s”，应为在村、外出务工、已迁出或已故", value=word)
    return code, None


def _clean_flag(value: Any) -> Cleaned:
    parsed = parse_flag(value)
    if parsed is None:
        return _LEFT_OUT, _("“%(value)s”应填是或否", value=text(value))
    return parsed, None


def _clean_disability_grade(value: Any) -> Cleaned:
    word = text(value)
    if word in ("", "无", "-", "0"):
        return None, None
    if word in _GRADE_WORDS:
        return _GRADE_WORDS[word], None
    return _LEFT_OUT, _("残疾等级“%(value)s”应为 1 到 4 级或留空", value=word)


def _cleaners(today: dt.date) -> dict[str, Callable[[Any], Cleaned]]:
    """Each person field read from one cell on its own, by key (the ID and its cross-checks apart)."""
    return {
        "name": _clean_name, "sex": _clean_sex,
        "birth_date": lambda value: _clean_date(value, today, _BIRTH_DATE),
        "phone": _clean_phone, "ethnicity": _clean_ethnicity, "status": _clean_status,
        "status_since": lambda value: _clean_date(value, today, _STATUS_SINCE),
        **dict.fromkeys(FLAG_FIELDS, _clean_flag), "disability_grade": _clean_disability_grade,
        "gave_birth_on": lambda value: _clean_date(value, today, _GAVE_BIRTH_ON),
    }


#: The order in which `clean_person` fills its values and lists its problems (the ID's sex and birth date come
#: with it; a stated sex or birth date that disagrees with the ID is reported after the ID's own problem, which
#: it never accompanies).
_FIELD_ORDER = ("name", "sex", "birth_date", "resident_id", "phone", "ethnicity", "status", "status_since",
                *FLAG_FIELDS, "disability_grade", "gave_birth_on")


def clean_person(raw: Mapping[str, Any], *, today: dt.date | None = None,
                 partial: bool = False) -> tuple[dict[str, Any], list[Problem]]:
    """Parse person fields from strings (or spreadsheet cells). Returns (values, problems).

    Keys read: name, sex, birth_date, resident_id, phone, ethnicity, status, status_since, the flags,
    disability_grade, gave_birth_on. Sex and birth date may be left empty (they come from the ID); when given they
    must agree with it. With `partial`, keys absent from `raw` are left out of the values (an update).
    `clean_people` reads a whole file's columns by the same rules.
    """
    today = today or local_today()
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    wanted = raw.keys() if partial else _PERSON_KEYS
    cleaners = _cleaners(today)
    stated: dict[str, Any] = {}
    for key in _FIELD_ORDER:
        if key == "resident_id" and key not in wanted:
            values.update((k, v) for k, v in stated.items() if v)  # no ID to take them from: as stated
            continue
        if key not in wanted:
            continue
        if key == "resident_id":
            number = text(raw.get(key))
            if not number:
                problems.append(Problem(_("身份证号不能为空"), field=key))
                continue
            try:
                rid = parse_resident_id(number, today=today)
            except ResidentIdError as exc:
                problems.append(Problem(exc.message, field=key))
                continue
            values.update(resident_id=rid.number, sex=rid.sex, birth_date=rid.birth_date)
            problems += _stated_problems(rid, stated.get("sex"), stated.get("birth_date"))
            continue
        value, message = cleaners[key](raw.get(key))
        if message is not None:
            problems.append(Problem(message, field=key))
        if key in ("sex", "birth_date"):
            stated[key] = value
        elif value is not _LEFT_OUT:
            values[key] = value
    return values, problems


def _stated_problems(rid: ResidentId, sex: str | None, birth_date: dt.date | None) -> list[Problem]:
    """A stated sex or birth date that disagrees with the ID, one problem each."""
    problems = []
    if sex:
        problems += [Problem(m, field="sex") for m in check_stated_details(rid, sex=sex, birth_date=None)]
    if birth_date:
        problems += [Problem(m, field="birth_date") for m in check_stated_details(rid, sex=None, birth_date=birth_date)]
    return problems


def cleaned_column(clean: Callable[[Any], Any], cells: list[Any]) -> list[Any]:
    """`clean` of each cell, called once per distinct cell when a column of text repeats its values (a file's
    sexes, statuses, flags, birth dates). Only text and empty cells are shared: 1, 1.0 and True are equal keys but
    not the same cell."""
    if set(map(type, cells)) <= {str, type(None)}:
        distinct = set(cells)
        if len(distinct) * 2 <= len(cells):
            table = {cell: clean(cell) for cell in distinct}
            return list(map(table.__getitem__, cells))
    return list(map(clean, cells))


def _id_or_message(number: str, today: dt.date) -> tuple[str, dt.date, str] | str:
    if not number:
        return _("身份证号不能为空")
    try:
        return read_resident_id(number, today=today)
    except ResidentIdError as exc:
        return exc.message


def clean_people(columns: Mapping[str, list[Any]], count: int, *,
                 today: dt.date) -> tuple[list[dict[str, Any]], list[tuple[int, str, str]]]:
    """`clean_person(cells, partial=True)` for `count` rows at once, given as columns of cells (key → cells, each
    as long as `count`): each row's values, and every problem as (row index, field, message) in row order and, within
    a row, in `clean_person`'s order — the same values and problems, one column at a time, each distinct cell of a
    column read once (a 100,000-person import repeats a few dozen sexes, statuses and flags, and ~30,000 birth
    dates). tests/core/registry/test_fields.py compares the two on random rows."""
    cleaners = _cleaners(today)
    keys: list[str] = []
    value_columns: list[list[Any]] = []
    found: list[tuple[int, int, int, str, str]] = []  # row index, rank, order within the rank, field, message
    left_out: list[tuple[int, str]] = []
    stated: dict[str, list[Any]] = {}
    for rank, key in enumerate(_FIELD_ORDER):
        if key == "resident_id":
            if key in columns:
                _clean_id_column(list(map(text, columns[key])), stated, today, rank, keys, value_columns, found,
                                 left_out)
            else:  # no ID to take them from: as stated, where stated
                for stated_key, stated_values in stated.items():
                    keys.append(stated_key)
                    value_columns.append(stated_values)
                    left_out += ((i, stated_key) for i, value in enumerate(stated_values) if not value)
            continue
        if key not in columns:
            continue
        cleaned = cleaned_column(cleaners[key], columns[key])
        values = list(map(itemgetter(0), cleaned))
        for i, message in itertools.compress(enumerate(map(itemgetter(1), cleaned)), map(itemgetter(1), cleaned)):
            found.append((i, rank, 0, key, message))
            if values[i] is _LEFT_OUT:
                left_out.append((i, key))
        if key in ("sex", "birth_date"):
            stated[key] = values
        else:
            keys.append(key)
            value_columns.append(values)
    rows = list(map(dict, map(zip, itertools.repeat(keys), zip(*value_columns, strict=True))))
    if not value_columns:
        rows = [{} for _i in range(count)]
    for i, key in left_out:
        rows[i].pop(key, None)
    found.sort()
    return rows, [(i, key, message) for i, _rank, _order, key, message in found]


def _clean_id_column(numbers: list[str], stated: dict[str, list[Any]], today: dt.date, rank: int, keys: list[str],
                     value_columns: list[list[Any]], found: list[tuple[int, int, int, str, str]],
                     left_out: list[tuple[int, str]]) -> None:
    """The ID column of `clean_people`: each number read (the ID's sex and birth date are the values), a stated sex or
    birth date that disagrees reported as `clean_person` reports it."""
    read = list(map(_id_or_message, numbers, itertools.repeat(today)))
    for i, result in enumerate(read):
        if type(result) is str:
            found.append((i, rank, 0, "resident_id", result))
            left_out += ((i, "resident_id"), (i, "sex"), (i, "birth_date"))
            read[i] = (None, None, None)
    id_numbers, births, sexes = (list(map(itemgetter(k), read)) for k in range(3))
    keys += ("resident_id", "sex", "birth_date")
    value_columns += (id_numbers, sexes, births)
    stated_sex, stated_birth = stated.get("sex"), stated.get("birth_date")
    disagree: set[int] = set()
    for stated_values, actual in ((stated_sex, sexes), (stated_birth, births)):
        if stated_values is not None:
            disagree.update(i for i in itertools.compress(range(len(numbers)), map(ne, stated_values, actual))
                            if stated_values[i] and id_numbers[i] is not None)
    for i in sorted(disagree):
        rid = parse_resident_id(numbers[i], today=today)
        for order, problem in enumerate(_stated_problems(rid, stated_sex[i] if stated_sex else None,
                                                         stated_birth[i] if stated_birth else None)):
            found.append((i, rank, order + 1, problem.field or "", problem.message))
