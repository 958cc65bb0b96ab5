"""Cells that are safe to open in a spreadsheet: the one guard every csv/xlsx the project writes goes through.

A cell whose text begins with `=`, `+`, `-` or `@` (or a tab or carriage return before one) is taken by Excel, WPS and
LibreOffice as a formula: a villager's name `=HYPERLINK("http://…"&C2)` in an export would send the neighbouring
column (an ID number) to a stranger's server when a clerk clicks it (OWASP "CSV injection"). Such text is written
with a leading apostrophe, which spreadsheets show as text and never evaluate. Numbers stay numbers: a value that is
a plain decimal number (`-12.50`, `+86`) cannot be a formula and is written unchanged, so amounts, account numbers and
dates keep their meaning for the bank and for the importer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["FORMULA_TRIGGERS", "SheetTooLarge", "check_xlsx_extent", "safe_cell", "safe_rows", "unescape_cell",
           "unsafe_cell"]

#: What makes a spreadsheet read a cell as a formula (OWASP: = + - @, and tab or carriage return).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?\Z")


def unsafe_cell(value: Any) -> bool:
    """Would a spreadsheet read this cell as a formula?"""
    return isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.match(value)


def safe_cell(value: Any) -> Any:
    """The value to write: formula-like text gets a leading apostrophe; everything else is unchanged."""
    return "'" + value if unsafe_cell(value) else value


def safe_rows(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """Every cell of a table made safe with `safe_cell` (for writers that take whole rows)."""
    return [[safe_cell(value) for value in row] for row in rows]


def unescape_cell(value: Any) -> Any:
    """Undo `safe_cell` when reading back a file the project wrote (an export imports back unchanged)."""
    if isinstance(value, str) and value[:1] == "'" and unsafe_cell(value[1:]):
        return value[1:]
    return value


class SheetTooLarge(ValueError):
    """The workbook's first sheet reaches further than the caps allow; `str()` is the message for the person."""


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,7})"')
_CHUNK = 1 << 20


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _first_sheet_path(book: Any) -> str:
    """The part name of the workbook's first sheet (the one readers take), from workbook.xml and its relations."""
    workbook = book.read("xl/workbook.xml")
    sheet = re.search(rb'<(?:\w+:)?sheet\b[^>]*?\br:id="([^"]+)"', workbook) or re.search(
        rb'<(?:\w+:)?sheet\b[^>]*?\bid="([^"]+)"', workbook)
    relations = book.read("xl/_rels/workbook.xml.rels")
    if sheet is not None:
        for relation in re.finditer(rb"<Relationship\b[^>]*>", relations):
            if re.search(rb'\bId="' + re.escape(sheet.group(1)) + rb'"', relation.group(0)):
                target = re.search(rb'\bTarget="([^"]+)"', relation.group(0))
                if target:
                    path = target.group(1).decode("utf-8").lstrip("/")
                    return path if path.startswith("xl/") else "xl/" + path
    return "xl/worksheets/sheet1.xml"


def check_xlsx_extent(data: bytes, *, max_rows: int, max_columns: int) -> None:
    """Refuse an xlsx whose first sheet reaches beyond `max_rows` rows or `max_columns` columns, before any reader
    builds its grid: readers allocate every cell from A1 to the farthest one, so a 1.5 KB file with one cell at
    ZZ1048576 asked for 23.5 GB. The sheet's XML is scanned in 1 MiB pieces for cell and row references (its
    `<dimension>` element is not trusted: a file may omit it or lie). Not an xlsx (a zip): nothing to check here.
    """
    import io
    import zipfile

    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        path = _first_sheet_path(book)
        stream = book.open(path)
    except (zipfile.BadZipFile, KeyError, OSError):
        return  # not a readable workbook: the reader reports it in its own words
    if book.getinfo(path).file_size > max_rows * max_columns * 400:  # far more XML than such a grid takes
        stream.close()
        from cunwu.i18n import _

        raise SheetTooLarge(_("表格的第一个工作表过大（解压后 %(mib)s MB）：请只保留需要的行和列后另存再上传",
                              mib=book.getinfo(path).file_size // (1024 * 1024)))
    far_row, far_column, tail = 0, 0, b""
    with stream:
        while chunk := stream.read(_CHUNK):
            text = tail + chunk
            for letters, row in _CELL_REF.findall(text):
                far_column = max(far_column, _column_number(letters))
                far_row = max(far_row, int(row))
            for row in _ROW_REF.findall(text):
                far_row = max(far_row, int(row))
            if far_row > max_rows or far_column > max_columns:
                break
            tail = text[-200:]  # a reference cut in two by the chunk boundary is found in the next piece
    if far_row > max_rows or far_column > max_columns:
        from cunwu.i18n import _

        raise SheetTooLarge(_("表格的第一个工作表延伸到第 %(rows)s 行、第 %(cols)s 列（%(letters)s 列），超过上限 "
                              "%(max_rows)s 行、%(max_cols)s 列：请删除多余的行和列（包括空白但有格式的单元格）后"
                              "另存再上传", rows=far_row, cols=far_column, letters=_column_letters(far_column),
                              max_rows=max_rows, max_cols=max_columns))
