"""Export of the register with the import template's columns (so an unmasked export imports back unchanged).

IDs and phones are masked unless the caller says the actor may see them in full (`registry.view_personal`); beside
a masked ID the birth date is given as the age only (`cunwu.privacy.birth_shown`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any
from urllib.parse import quote

from sqlmodel import Session, col, select

from cunwu import i18n
from cunwu.clock import local_today
from cunwu.i18n import _
from cunwu.privacy import MaskSettings, birth_shown, mask, mask_phone
from cunwu.registry.importer import COLUMNS
from cunwu.registry.models import RELATIONS, SEXES, STATUSES, Group, Household, Membership, Person
from cunwu.spreadsheet import safe_rows

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(filename: str) -> str:
    """A Content-Disposition header value that keeps a Chinese file name (RFC 6266 / 5987)."""
    return f"attachment; filename=\"register.{filename.rsplit('.', 1)[-1]}\"; filename*=UTF-8''{quote(filename)}"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def rows(session: Session, village_code: str, *, full: bool, mask_settings: MaskSettings | None = None,
         on: dt.date | None = None) -> list[list[str]]:
    """One row per current member of a current household, ordered by 户号 then head first, as in the template.

    Values are written in Chinese whatever the page language, like the headers: an unmasked export imports back.
    """
    token = i18n.current_locale.set(i18n.DEFAULT_LOCALE)
    try:
        return _rows(session, village_code, full=full, mask_settings=mask_settings, on=on or local_today())
    finally:
        i18n.current_locale.reset(token)


def _rows(session: Session, village_code: str, *, full: bool, mask_settings: MaskSettings | None,
          on: dt.date) -> list[list[str]]:
    groups = {g.id: g for g in session.exec(select(Group).where(Group.village_code == village_code)).all()}
    found = session.exec(
        select(Membership, Person, Household)
        .join(Person, col(Person.id) == Membership.person_id)
        .join(Household, col(Household.id) == Membership.household_id)
        .where(Household.village_code == village_code, Membership.start_date <= on,
               (col(Membership.end_date).is_(None)) | (col(Membership.end_date) > on))
    ).all()
    order = {name: i for i, name in enumerate(RELATIONS)}
    found = sorted(found, key=lambda r: (r[2].number, order.get(r[0].relation, 99), r[1].birth_date, r[1].id))
    table = [[c.header for c in COLUMNS]]
    for membership, person, household in found:
        group = groups.get(household.group_id)
        values = {
            "household": household.number, "relation": str(RELATIONS.get(membership.relation, membership.relation)),
            "name": person.name, "sex": str(SEXES.get(person.sex, person.sex)),
            "birth_date": person.birth_date if full else birth_shown(person.birth_date, full=False, today=on),
            "resident_id": person.resident_id if full else mask(person.resident_id, mask_settings),
            "phone": person.phone if full else mask_phone(person.phone, mask_settings),
            "ethnicity": person.ethnicity, "group": f"{group.number:02d}" if group else "",
            "address": household.address, "status": str(STATUSES.get(person.status, person.status)),
            "status_since": person.status_since, "party_member": person.party_member,
            "active_soldier": person.active_soldier, "disabled_veteran": person.disabled_veteran,
            "student": person.student, "disability_grade": person.disability_grade,
            "gave_birth_on": person.gave_birth_on, "start_date": membership.start_date,
        }
        table.append([_cell(values[c.key]) for c in COLUMNS])
    return table


def to_xlsx(table: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("户籍表")
    for row in safe_rows(table):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_csv(table: list[list[str]]) -> bytes:
    """UTF-8 with BOM, so Excel on Windows opens the Chinese text correctly."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(safe_rows(table))
    return buffer.getvalue().encode("utf-8-sig")
