"""Words for the register's change log: what was done and which field changed, never an audit code or a field key.

The audit chain keeps machine codes (`registry.person.update`, `active_soldier`); people read these labels.
"""

from __future__ import annotations

from typing import Any

from cunwu.i18n import _, lazy_gettext
from cunwu.registry.models import BODIES, LINK_KINDS, POSTS, RELATIONS, SEXES, STATUSES

_OBJECTS: dict[str, object] = {
    "village": lazy_gettext("村"), "group": lazy_gettext("村民小组"), "household": lazy_gettext("户"),
    "person": lazy_gettext("村民"), "membership": lazy_gettext("户籍成员"),
    "representative": lazy_gettext("村民代表"), "representation": lazy_gettext("代表联系户"),
    "office": lazy_gettext("村干部任职"),
}
_VERBS: dict[str, object] = {
    "create": lazy_gettext("登记"), "update": lazy_gettext("修改"), "demo": lazy_gettext("演示数据录入"),
    "import": lazy_gettext("从户籍表导入"), "import_update": lazy_gettext("从户籍表更新"),
    "import_end": lazy_gettext("按户籍表结束"), "end": lazy_gettext("结束"), "close": lazy_gettext("注销"),
    "merge": lazy_gettext("合户"), "split": lazy_gettext("分户"), "relation": lazy_gettext("更改与户主关系"),
}
FIELDS: dict[str, object] = {
    "name": lazy_gettext("姓名"), "sex": lazy_gettext("性别"), "birth_date": lazy_gettext("出生日期"),
    "resident_id": lazy_gettext("身份证号"), "phone": lazy_gettext("电话"), "ethnicity": lazy_gettext("民族"),
    "status": lazy_gettext("状态"), "status_since": lazy_gettext("状态日期"), "party_member": lazy_gettext("党员"),
    "active_soldier": lazy_gettext("现役军人"), "disabled_veteran": lazy_gettext("伤残军人"),
    "student": lazy_gettext("在校学生"), "disability_grade": lazy_gettext("残疾等级"),
    "gave_birth_on": lazy_gettext("生育日期"), "village_code": lazy_gettext("所属村"),
    "number": lazy_gettext("编号"), "address": lazy_gettext("住址"), "group_id": lazy_gettext("村民小组"),
    "created_on": lazy_gettext("立户日期"), "closed_on": lazy_gettext("注销日期"),
    "close_reason": lazy_gettext("注销原因"), "kind": lazy_gettext("类别"), "source_id": lazy_gettext("原户"),
    "target_id": lazy_gettext("新户"), "on_date": lazy_gettext("日期"), "note": lazy_gettext("备注"),
    "household_id": lazy_gettext("户"), "person_id": lazy_gettext("村民"), "relation": lazy_gettext("与户主关系"),
    "start_date": lazy_gettext("开始日期"), "end_date": lazy_gettext("结束日期"),
    "end_reason": lazy_gettext("结束原因"), "term_start": lazy_gettext("任期开始"),
    "term_end": lazy_gettext("任期结束"), "representative_id": lazy_gettext("村民代表"),
    "body": lazy_gettext("组织"), "post": lazy_gettext("职务"), "township_code": lazy_gettext("乡镇代码"),
    "township_name": lazy_gettext("乡镇"),
}
_CHOICES: dict[str, dict[str, object]] = {"sex": SEXES, "status": STATUSES, "relation": RELATIONS, "body": BODIES,
                                          "post": POSTS, "kind": LINK_KINDS}


def action_label(action: str) -> str:
    """`registry.person.update` → 修改村民 (a code this module does not know reads as a plain 变更)."""
    parts = action.split(".")
    if len(parts) == 3 and parts[1] in _OBJECTS and parts[2] in _VERBS:
        return _("%(verb)s%(what)s", verb=str(_VERBS[parts[2]]), what=str(_OBJECTS[parts[1]]))
    return str(lazy_gettext("变更"))


def field_label(key: str) -> str:
    return str(FIELDS.get(key, lazy_gettext("其他信息")))


def field_value(key: str, value: Any) -> str:
    """A stored value as a person reads it: 是/否 for flags, labels for codes, blank for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool) or value in ("True", "False"):
        return str(lazy_gettext("是")) if value in (True, "True") else str(lazy_gettext("否"))
    choices = _CHOICES.get(key)
    if choices is not None and str(value) in choices:
        return str(choices[str(value)])
    return str(value)


TEMPLATE_VARS = {"history_action": action_label, "history_field": field_label, "history_value": field_value}
