"""Reading what clerks type (forms) and keep (spreadsheets) into person fields, with one problem per bad field.

Both the web forms and the importer use `clean_person`, so a value accepted in one is accepted in the other and the
messages are the same. Problems name the model field; the importer maps fields to its Chinese column headers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from cunwu.clock import local_today
from cunwu.errors import Problem
from cunwu.i18n import _, lazy_gettext
from cunwu.registry.models import RELATIONS, STATUSES
from cunwu.registry.resident_id import ResidentIdError, check_stated_details, parse_resident_id

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


def _date_field(raw: Mapping[str, Any], key: str, today: dt.date, problems: list[Problem], label: object) -> Any:
    value = raw.get(key)
    if value is None or text(value) == "":
        return None
    try:
        parsed = parse_date(value)
    except ValueError:
        problems.append(Problem(_("%(label)s“%(value)s”不是有效日期（例如 2024-03-01）", label=label,
                                  value=text(value)), field=key))
        return None
    if parsed > today:
        problems.append(Problem(_("%(label)s %(date)s 晚于今天", label=label, date=parsed.isoformat()), field=key))
        return None
    return parsed


def clean_person(raw: Mapping[str, Any], *, today: dt.date | None = None,
                 partial: bool = False) -> tuple[dict[str, Any], list[Problem]]:
    """Parse person fields from strings (or spreadsheet cells). Returns (values, problems).

    Keys read: name, sex, birth_date, resident_id, phone, ethnicity, status, status_since, the flags,
    disability_grade, gave_birth_on. Sex and birth date may be left empty (they come from the ID); when given they
    must agree with it. With `partial`, keys absent from `raw` are left out of the values (an update).
    """
    today = today or local_today()
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    wanted = raw.keys() if partial else _PERSON_KEYS

    if "name" in wanted:
        name = text(raw.get("name"))
        if not name:
            problems.append(Problem(_("姓名不能为空"), field="name"))
        elif len(name) > 50:
            problems.append(Problem(_("姓名过长（最多 50 个字）"), field="name"))
        values["name"] = name
    stated_sex: str | None = None
    sex_word = text(raw.get("sex")) if "sex" in wanted else ""
    if sex_word:
        stated_sex = _SEX_WORDS.get(sex_word.lower())
        if stated_sex is None:
            problems.append(Problem(_("无法识别所填性别“%(sex)s”，应为男或女", sex=sex_word), field="sex"))
    stated_birth = _date_field(raw, "birth_date", today, problems, _BIRTH_DATE) if "birth_date" in wanted else None
    if "resident_id" in wanted:
        number = text(raw.get("resident_id"))
        if not number:
            problems.append(Problem(_("身份证号不能为空"), field="resident_id"))
        else:
            try:
                rid = parse_resident_id(number, today=today)
            except ResidentIdError as exc:
                problems.append(Problem(exc.message, field="resident_id"))
            else:
                values["resident_id"] = rid.number
                values["sex"] = rid.sex
                values["birth_date"] = rid.birth_date
                if stated_sex:
                    problems += [Problem(m, field="sex")
                                 for m in check_stated_details(rid, sex=stated_sex, birth_date=None)]
                if stated_birth:
                    problems += [Problem(m, field="birth_date")
                                 for m in check_stated_details(rid, sex=None, birth_date=stated_birth)]
    else:
        if stated_sex:
            values["sex"] = stated_sex
        if stated_birth:
            values["birth_date"] = stated_birth
    if "phone" in wanted:
        phone = text(raw.get("phone"))
        if phone and not _PHONE.match(phone):
            problems.append(Problem(_("联系电话“%(phone)s”格式不正确", phone=phone), field="phone"))
        values["phone"] = phone or None
    if "ethnicity" in wanted:
        values["ethnicity"] = text(raw.get("ethnicity"))[:20] or None
    if "status" in wanted:
        word = text(raw.get("status"))
        code = status_code(word) if word else "resident"
        if code is None:
            problems.append(Problem(_("无法识别状态“%(value)s”，应为在村、外出务工、已迁出或已故", value=word),
                                    field="status"))
        else:
            values["status"] = code
    if "status_since" in wanted:
        values["status_since"] = _date_field(raw, "status_since", today, problems, _STATUS_SINCE)
    for flag in FLAG_FIELDS:
        if flag in wanted:
            parsed = parse_flag(raw.get(flag))
            if parsed is None:
                problems.append(Problem(_("“%(value)s”应填是或否", value=text(raw.get(flag))), field=flag))
            else:
                values[flag] = parsed
    if "disability_grade" in wanted:
        word = text(raw.get("disability_grade"))
        if word in ("", "无", "-", "0"):
            values["disability_grade"] = None
        elif word in _GRADE_WORDS:
            values["disability_grade"] = _GRADE_WORDS[word]
        else:
            problems.append(Problem(_("残疾等级“%(value)s”应为 1 到 4 级或留空", value=word),
                                    field="disability_grade"))
    if "gave_birth_on" in wanted:
        values["gave_birth_on"] = _date_field(raw, "gave_birth_on", today, problems, _GAVE_BIRTH_ON)
    return values, problems
