"""Realistic register files for tests: households of 1–7 people with valid IDs, as a clerk's spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

from openpyxl import Workbook

from cunwu.registry.importer import COLUMNS
from cunwu.registry.resident_id import generate_resident_id

SURNAMES = "王李张刘陈杨赵黄周吴"
GIVEN = "建国秀英志强红梅玉兰长海国庆小燕明华丽娟文杰春生桂芳海涛淑珍德明"


def register_rows(households: int, seed: int = 7, groups: int = 3) -> list[dict[str, str]]:
    """Rows keyed by header; every ID valid and unique, every household with exactly one head."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    used: set[str] = set()

    def person(born: dt.date, sex: str) -> str:
        while True:
            sequence = rng.randrange(0, 500) * 2 + (1 if sex == "男" else 0)  # odd = male
            number = generate_resident_id("130926", born, sequence)
            if number not in used:
                used.add(number)
                return number

    for h in range(1, households + 1):
        surname = rng.choice(SURNAMES)
        size = rng.randint(1, 7)
        group = str(rng.randint(1, groups))
        head_born = dt.date(rng.randint(1945, 1990), rng.randint(1, 12), rng.randint(1, 28))
        members = [("户主", "男" if rng.random() < 0.8 else "女", head_born)]
        for _ in range(size - 1):
            relation = rng.choice(["配偶", "子女", "子女", "父母", "孙子女", "其他"])
            members.append((relation, rng.choice("男女"),
                            dt.date(rng.randint(1940, 2023), rng.randint(1, 12), rng.randint(1, 28))))
        for relation, sex, born in members:
            name = surname + "".join(rng.choice(GIVEN) for _ in range(2))
            rows.append({
                "户号": f"{h:04d}", "与户主关系": relation, "姓名": name, "性别": sex,
                "出生日期": born.isoformat(), "身份证号": person(born, sex),
                "联系电话": f"13{rng.randint(100000000, 999999999)}", "民族": "汉族", "村民小组": group,
                "住址": f"{group}组{h}号", "状态": rng.choice(["在村", "在村", "在村", "外出务工"]),
                "党员": "是" if rng.random() < 0.07 else "否", "在校学生": "是" if born.year > 2005 else "否",
            })
    return rows


def xlsx_bytes(rows: list[dict[str, Any]], headers: list[str] | None = None) -> bytes:
    headers = headers or [c.header for c in COLUMNS]
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append([row.get(h, "") for h in headers])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[dict[str, Any]], encoding: str = "utf-8-sig", headers: list[str] | None = None) -> bytes:
    headers = headers or [c.header for c in COLUMNS]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h, "") for h in headers])
    return buffer.getvalue().encode(encoding)
