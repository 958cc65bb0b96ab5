"""Benchmark row: importing a county's 确权 export of N plots (default 100,000) through `cunwu land import`'s
importer — every row checked (the dry run), then written in one transaction with one batch audit entry per table —
against a raw DB-API `executemany` of the same contractors, contracts and plots (csv parsed with the csv module,
ids by hand, no checks, no audit). Ratio = raw time / import time; the target is ≥ 0.5.

    python -m tests.benchmarks --rows land_import [--plots 100000] [--db sqlite|postgresql]  # a row of the table
    python -m tests.benchmarks.land_import [--plots 100000] [--db sqlite|postgresql]         # this row alone

Both sides start from a copy of one database whose register already holds the households (not timed).
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

VILLAGE = ("130926100201", "东街村", "肃宁镇")
PLOTS_PER_CONTRACT = 5
HEADERS = ["地块编码", "地块名称", "面积（亩）", "土地类型", "地力等级", "东至", "南至", "西至", "北至", "户号",
           "合同编号", "承包期开始", "承包期结束", "延包至"]


def _households(site: Any, count: int) -> None:
    """The register's households (raw rows: the register is not what is measured)."""
    rows = [{"id": i, "v": VILLAGE[0], "n": f"L{i:06d}", "d": "2000-01-01"} for i in range(1, count + 1)]
    with site.db.transaction() as session:
        session.execute(text("INSERT INTO registry_household (id, village_code, number, address, created_on) "
                             "VALUES (:id, :v, :n, '', :d)"), rows)


def export_csv(plots: int) -> bytes:
    """N plot rows, five per household; villager groups 01, 02, … as issuers, 9,999 contractors each."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for index in range(plots):
        household = index // PLOTS_PER_CONTRACT + 1
        group = (household - 1) // 9999 + 1
        issuer = f"{VILLAGE[0]}{group:02d}"
        contractor = f"{issuer}{(household - 1) % 9999 + 1:04d}"
        sequence = index - (group - 1) * 9999 * PLOTS_PER_CONTRACT + 1
        writer.writerow([f"{issuer}{sequence:05d}", f"地块{index}", f"{1 + index % 37 / 10:.4f}", "旱地",
                         str(index % 10 + 1), "路", "渠", "邻户",
                         "邻户", f"L{household:06d}", contractor + "J", "1998-01-01", "2028-01-01", "2058-01-01"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def import_raw(site: Any, data: bytes) -> int:
    """The floor: the same records with three executemany calls, ids assigned by hand."""
    sqlite = site.db.url.startswith("sqlite")
    mark = "?" if sqlite else "%s"
    connection = site.db.write_engine.raw_connection()
    try:
        cursor = connection.cursor()
        if sqlite:
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT id, number FROM registry_household")
        households = {number: hid for hid, number in cursor.fetchall()}
        issuers: dict[str, int] = {}
        contractors: dict[str, int] = {}
        contracts: dict[str, int] = {}
        issuer_rows, contractor_rows, contract_rows, plot_rows = [], [], [], []
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        next(reader)
        for code, name, area, _type, grade, east, south, west, north, number, contract, start, end, extended in reader:
            issuer = code[:14]
            if issuer not in issuers:
                issuers[issuer] = len(issuers) + 1
                issuer_rows.append((issuers[issuer], issuer, VILLAGE[0], issuer, "2026-01-01 00:00:00"))
            if contract[:18] not in contractors:
                contractors[contract[:18]] = len(contractors) + 1
                contractor_rows.append((contractors[contract[:18]], contract[:18], issuers[issuer], VILLAGE[0],
                                        households[number], ""))
            if contract not in contracts:
                contracts[contract] = len(contracts) + 1
                contract_rows.append((contracts[contract], contract, contractors[contract[:18]], VILLAGE[0], start,
                                      end, extended, "active"))
            value = int(float(area) * 10000) if sqlite else area
            plot_rows.append((len(plot_rows) + 1, code, issuers[issuer], VILLAGE[0], contracts[contract], name, value,
                              "013", int(grade), east, south, west, north))

        def insert(table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
            marks = ", ".join([mark] * len(columns.split(",")))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

        insert("land_issuer", "id, code, village_code, name, created_at", issuer_rows)
        insert("land_contractor", "id, code, issuer_id, village_code, household_id, name", contractor_rows)
        insert("land_contract", "id, code, contractor_id, village_code, start_on, end_on, extended_to, status",
               contract_rows)
        insert("land_plot", "id, code, issuer_id, village_code, contract_id, name, area_mu, land_type, grade, east, "
               "south, west, north", plot_rows)
        connection.commit()
    finally:
        connection.close()
    return len(plot_rows)


def _timed(action: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    started = time.perf_counter()
    value = action()
    return time.perf_counter() - started, value


def run(plots: int, db: str) -> dict[str, Any]:
    from cunwu.api import Actor
    from cunwu.testing import drop_test_site, make_test_site
    from cunwu_plugins.land.importer import import_file

    data = export_csv(plots)
    folder = Path(tempfile.mkdtemp(prefix="land-bench-"))
    sites = [make_test_site(folder, enabled=["land"], villages=[VILLAGE], dialect=db, slug=f"s{i}") for i in (0, 1)]
    try:
        for site in sites:
            _households(site, plots // PLOTS_PER_CONTRACT + 1)
        raw_seconds, raw_count = _timed(lambda: import_raw(sites[0], data))
        seconds, report = _timed(lambda: import_file(sites[1], Actor.system("benchmark"), "plots.csv", data,
                                                     commit=True))
        if report.problems:
            raise RuntimeError(f"{len(report.problems)} problems, first: {report.problems[0]}")
        with sites[1].db.read() as session:
            stored = session.execute(text("SELECT count(*) FROM land_plot")).scalar()
    finally:
        for site in sites:
            drop_test_site(site)
        shutil.rmtree(folder, ignore_errors=True)
    return {"plots": plots, "db": db, "raw_seconds": raw_seconds, "import_seconds": seconds,
            "ratio": raw_seconds / seconds, "stored": stored, "raw_rows": raw_count}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.land_import",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    result = run(args.plots, args.db)
    verdict = "meets" if result["ratio"] >= 0.5 else "misses"
    print(f"land import, {result['plots']:,} plots on {result['db']}: importer {result['import_seconds']:.2f} s, "
          f"raw executemany {result['raw_seconds']:.2f} s, ratio {result['ratio']:.2f} ({verdict} ≥ 0.5); "
          f"stored {result['stored']:,}")


if __name__ == "__main__":
    main()
