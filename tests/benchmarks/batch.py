"""The batch rows, timed in this process on fresh copies of the county database (so the cached one never changes).

- Register import: a clerk's csv of N persons (households of 1–7, valid resident IDs) through the registry importer
  — `read_table`, `preview` (every rule checked: the dry run) and `commit` (written through the audit service) —
  against a raw DB-API `executemany` of the same households, persons and memberships into the same tables (csv
  parsed with the csv module, IDs assigned by hand, no checks, no audit entries). Ratio = raw time / import time.
- 低保 monthly run: `disbursement.run_month` for the county (every enrolled household) against one hand-written
  `INSERT … SELECT` computing the same amounts (see dibao_sql.py). Ratio = run time / INSERT … SELECT time.
- Land import and co-op close: rows of the plugins that make their own data on a fresh site (a 确权 export of N
  plots; a county's co-ops with a year of transactions), so they need no county — see land_import.py and
  coop_close.py, which also run alone.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import random
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from tests.benchmarks.county import County
from tests.benchmarks.report import Result, not_measured

BATCH_ROWS = ["register_import", "dibao_month"]
STANDALONE_ROWS = ["land_import", "coop_close"]  # no county needed: each builds its own site
TITLES = {
    "register_import": "register import (csv, validation on)",
    "dibao_month": "低保 monthly run, whole county",
    "land_import": "land import (确权 csv, validation on)",
    "coop_close": "co-op year close, whole county",
}
IMPORT_HEADERS = ["户号", "与户主关系", "姓名", "性别", "出生日期", "身份证号", "联系电话", "民族", "住址", "状态",
                  "党员", "在校学生"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "建国秀英志强红梅玉兰长海国庆小燕明华丽娟文杰春生桂芳海涛淑珍德明立新丽萍"
ORIGIN = "130981"  # 泊头市: people registered from a neighbouring county, so no ID meets the demo data's


def register_csv(persons: int, seed: int) -> bytes:
    """A register file of `persons` rows as a clerk keeps it (UTF-8 csv with BOM, Chinese headers)."""
    from cunwu.registry.resident_id import generate_resident_id

    rng = random.Random(seed)
    used: set[str] = set()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_HEADERS)
    written, household = 0, 0
    while written < persons:
        household += 1
        surname = rng.choice(SURNAMES)
        size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7)), persons - written)
        members = [("户主", dt.date(rng.randint(1945, 1990), rng.randint(1, 12), rng.randint(1, 28)))]
        members += [(rng.choice(["配偶", "子女", "子女", "父母", "孙子女", "其他"]),
                     dt.date(rng.randint(1940, 2023), rng.randint(1, 12), rng.randint(1, 28)))
                    for _ in range(size - 1)]
        for relation, born in members:
            male = rng.random() < 0.5
            while True:
                number = generate_resident_id(ORIGIN, born, rng.randrange(0, 500) * 2 + (1 if male else 0))
                if number not in used:
                    used.add(number)
                    break
            writer.writerow([f"B{household:06d}", relation, surname + rng.choice(GIVEN) + rng.choice(GIVEN),
                             "男" if male else "女", born.isoformat(), number, f"13{rng.randint(100000000, 999999999)}",
                             "汉族", f"新区{household}号", rng.choice(["在村", "在村", "在村", "外出务工"]),
                             "是" if rng.random() < 0.07 else "否", "是" if born.year > 2005 else "否"])
            written += 1
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Time `action` from a clean heap: a full collection of the runner's own objects (the county's loaded site,
    the csv) would otherwise land inside whichever side happened to cross the threshold."""
    gc.collect()
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def import_with_product(site: Any, village_code: str, data: bytes) -> tuple[int, int]:
    """The importer as the upload page drives it: read, dry run, then commit the clean preview."""
    from cunwu.accounts.actor import Actor
    from cunwu.registry import importer

    table = importer.read_table(data, "register.csv")
    with site.db.read() as session:
        dry = importer.preview(session, village_code, table, max_rows=len(table.rows))
    if not dry.ok:
        raise RuntimeError(f"the import file has {len(dry.problems)} problems, first: {dry.problems[0]}")
    with site.db.transaction() as session:
        result = importer.preview(session, village_code, table, max_rows=len(table.rows))
        importer.commit(session, Actor.system("benchmark"), result)
    return result.count("added"), len(dry.problems)


def import_raw(site: Any, village_code: str, data: bytes) -> int:
    """The floor: parse with csv, then three `executemany` calls on the driver connection, ids assigned by hand."""
    sqlite = site.db.is_sqlite
    today = dt.date.today()
    relations = {"户主": "head", "配偶": "spouse", "子女": "child", "父母": "parent", "孙子女": "grandchild",
                 "其他": "other"}
    statuses = {"在村": "resident", "外出务工": "away"}
    connection = site.db.write_engine.raw_connection()
    try:
        cursor = connection.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")

        def next_id(table: str) -> int:
            cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
            return int(cursor.fetchone()[0])

        def day(value: str) -> Any:
            return value if sqlite else dt.date.fromisoformat(value)

        households: dict[str, int] = {}
        household_rows, person_rows, membership_rows = [], [], []
        person_id, household_id, membership_id = (next_id("registry_person"), next_id("registry_household"),
                                                  next_id("registry_membership"))
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        next(reader)
        for number, relation, name, sex, born, resident_id, phone, ethnicity, address, status, party, student in reader:
            if number not in households:
                households[number] = household_id
                household_rows.append((household_id, village_code, number, address, day(today.isoformat())))
                household_id += 1
            person_rows.append((person_id, village_code, name, "M" if sex == "男" else "F", day(born), resident_id,
                                phone, ethnicity, statuses[status], party == "是", False, False, student == "是"))
            membership_rows.append((membership_id, village_code, households[number], person_id, relations[relation],
                                    day(today.isoformat())))
            person_id += 1
            membership_id += 1
        mark = "?" if sqlite else "%s"

        def insert(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
            marks = ", ".join([mark] * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

        insert("registry_household", "id, village_code, number, address, created_on", household_rows)
        insert("registry_person", "id, village_code, name, sex, birth_date, resident_id, phone, ethnicity, status, "
               "party_member, active_soldier, disabled_veteran, student", person_rows)
        insert("registry_membership", "id, village_code, household_id, person_id, relation, start_date",
               membership_rows)
        connection.commit()
    finally:
        connection.close()
    return len(person_rows)


def run_import(county: County, persons: int, seed: int, log: Callable[[str], None]) -> Result:
    key, title = "register_import", f"{TITLES['register_import']}, {persons:,} persons"
    try:
        from cunwu.registry import importer  # noqa: F401
    except ImportError as exc:
        return not_measured(key, title, "s", f"no registry importer ({exc})")
    village = county.first_village.code
    data = register_csv(persons, seed)
    log(f"register import of {persons:,} persons: raw executemany …")
    url = county.copy_url("import_raw")
    site = county.site(url=url)
    try:
        raw_seconds, raw_count = _timed(lambda: import_raw(site, village, data))
    finally:
        site.db.dispose()
        county.drop_copy(url)
    log(f"register import of {persons:,} persons: importer (dry run + commit) …")
    url = county.copy_url("import_product")
    site = county.site(url=url)
    try:
        seconds, (added, _problems) = _timed(lambda: import_with_product(site, village, data))
        with site.db.read() as session:
            stored = session.execute(text("SELECT count(*) FROM registry_person WHERE resident_id LIKE :p"),
                                     {"p": f"{ORIGIN}%"}).scalar()
    except Exception as exc:  # the importer is another area's code: report, do not stop the other rows
        return not_measured(key, title, "s", f"importer failed: {exc!r}"[:300])
    finally:
        site.db.dispose()
        county.drop_copy(url)
    result = Result(key, title, "s", measured=seconds, floor_title="raw executemany", floor=raw_seconds,
                    ratio=raw_seconds / seconds, target_op=">=", target_value=0.5)
    result.detail.update(persons=persons, added=added, stored=stored, raw_rows=raw_count, village=village)
    if added != persons or stored != persons:
        result.note = f"importer added {added}, database holds {stored} of {persons} persons"
    return result


def run_batch(county: County, selected: set[str], *, import_rows: int, seed: int,
              log: Callable[[str], None]) -> list[Result]:
    results = []
    if "register_import" in selected:
        results.append(run_import(county, import_rows, seed, log))
    if "dibao_month" in selected:
        from tests.benchmarks.dibao_sql import run_dibao

        results.append(run_dibao(county, log))
    return results


def run_land_import(plots: int, db: str, log: Callable[[str], None]) -> Result:
    """`land_import`: the plugin's importer against a raw executemany of the same records (ratio = raw / import)."""
    from tests.benchmarks import land_import

    key, title = "land_import", f"{TITLES['land_import']}, {plots:,} plots"
    log(f"land import of {plots:,} plots: raw executemany, then the importer …")
    try:
        run = land_import.run(plots, db)
    except Exception as exc:  # another area's code: report, do not stop the other rows
        return not_measured(key, title, "s", f"land import failed: {exc!r}"[:300])
    result = Result(key, title, "s", measured=run["import_seconds"], floor_title="raw executemany",
                    floor=run["raw_seconds"], ratio=run["ratio"], target_op=">=", target_value=0.5)
    result.detail.update(plots=plots, stored=run["stored"], raw_rows=run["raw_rows"])
    if run["stored"] != plots:
        result.note = f"the importer stored {run['stored']} of {plots} plots"
    return result


def run_coop_close(coops: int, trades: int, db: str, log: Callable[[str], None]) -> Result:
    """`coop_close`: `close_years` for every co-op against one INSERT … SELECT (ratio = close / floor); the
    amounts of every member are compared after both runs."""
    from tests.benchmarks import coop_close

    key, title = "coop_close", f"{TITLES['coop_close']}, {coops} co-ops × 200 members, {trades:,} transactions"
    log(f"co-op close of {coops} co-ops, {trades:,} transactions: building, floor, then close_years …")
    try:
        run = coop_close.run(coops, 200, trades, db)
    except Exception as exc:
        return not_measured(key, title, "s", f"co-op close failed: {exc!r}"[:300])
    result = Result(key, title, "s", measured=run["plugin_seconds"], floor_title="INSERT … SELECT",
                    floor=run["floor_seconds"], ratio=run["ratio"], target_op="<=", target_value=3)
    result.detail.update(coops=coops, members=200, trades=trades, mismatches=run["mismatches"],
                         cpu_seconds=run["plugin_cpu_seconds"], floor_cpu_seconds=run["floor_cpu_seconds"],
                         cpu_ratio=run["cpu_ratio"])
    if run["mismatches"]:
        result.note = f"{run['mismatches']} members' amounts differ from the floor's"
    return result


def run_standalone(selected: set[str], *, plots: int, coops: int, trades: int, db: str,
                   log: Callable[[str], None]) -> list[Result]:
    results = []
    if "land_import" in selected:
        results.append(run_land_import(plots, db, log))
    if "coop_close" in selected:
        results.append(run_coop_close(coops, trades, db, log))
    return results
