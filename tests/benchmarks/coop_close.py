"""The co-op row: `services.close_year` for every co-op of a county against one hand-written INSERT … SELECT that
computes the same allocations (docs/performance.md, "coop_close").

    python -m tests.benchmarks --rows coop_close [--coops 500 --trades 1000000]   # a row of the benchmark table
    python -m tests.benchmarks.coop_close --coops 50 --trades 100000 --db postgresql  # this row alone

The data is written straight into the tables (setup, not measured): member rows (organisation members, so no
register persons are needed), one money contribution each, and the transactions of one year. The charter is 60 %
by transactions with no reserve and no subsidy assets, so the rest pool goes by contribution alone. The floor
computes, per co-op, the patronage pool rounded up, both largest-remainder splits (integer fen, ties to the lower
member number) and writes one amount pair per member — no audit entry, no notice, no ORM. The plugin's run writes
the close and every member's line (the lines under one batch audit entry), and posts the distribution on the
board. The amounts are compared after both runs; a mismatch fails the run.

CPU seconds are reported beside wall time: on a shared machine a process waits for a core most of the time, so the
wall ratio swings with the load while CPU time does not. SQLite's work is all in this process; on PostgreSQL the
server's work is in its backend process, so when the server runs on this machine (its `/proc/<pid>/stat` is
readable) the backend's CPU time is added to each side's (the floor is one statement, so nearly all of its work is
there). Parallel query workers are separate processes and are not counted: neither side's plans use them here
(the floor is an INSERT, which PostgreSQL never runs in parallel).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from cunwu.api import Actor
from cunwu.testing import drop_pg_templates, drop_test_site, make_test_site
from cunwu_plugins.coop import services
from cunwu_plugins.coop.models import Contribution, Cooperative, Member, Trade

YEAR = 2024
KEY, TITLE = "coop_close", "co-op year close, whole county"


def _credit_code(n: int) -> str:
    from stdnum.cn import uscc

    body = f"93130926MA{n:07d}"
    return body + uscc.calc_check_digit(body)


def build(site: Any, coops: int, members: int, trades: int, rng: random.Random) -> dict[int, Decimal]:
    """Write the county's co-ops, members, contributions and a year of transactions; return each co-op's surplus."""
    village = site.config.villages[0].code
    now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    surplus: dict[int, Decimal] = {}
    with site.db.transaction() as session:
        session.execute(insert(Cooperative), [
            {"id": c, "village_code": village, "level": "village", "name": f"基准合作社{c}",
             "credit_code": _credit_code(c), "registered_on": dt.date(2020, 1, 1), "business_scope": "",
             "reserve_percent": 0, "patronage_percent": 60, "additional_votes_percent": 0,
             "additional_votes_basis": "contribution", "reserve_basis": "transactions", "subsidy_basis": "equal",
             "created_at": now} for c in range(1, coops + 1)])
        session.execute(insert(Member), [
            {"id": (c - 1) * members + n, "village_code": village, "cooperative_id": c, "number": n,
             "kind": "organisation", "name": f"成员{c}-{n}", "joined_on": dt.date(2020, 1, 1)}
            for c in range(1, coops + 1) for n in range(1, members + 1)])
        session.execute(insert(Contribution), [
            {"village_code": village, "cooperative_id": (m - 1) // members + 1, "member_id": m, "kind": "money",
             "amount": Decimal(rng.randint(100_00, 50_000_00)) / 100, "description": "", "contributed_on":
             dt.date(2020, 1, 1), "pending_valuation": False} for m in range(1, coops * members + 1)])
        batch: list[dict[str, Any]] = []
        for _ in range(trades):
            member = rng.randint(1, coops * members)
            batch.append({"village_code": village, "cooperative_id": (member - 1) // members + 1, "member_id": member,
                          "counterparty": "", "product": "玉米", "quantity": Decimal(rng.randint(1, 2000)),
                          "unit": "公斤", "amount": Decimal(rng.randint(1, 500_000)) / 100,
                          "traded_on": dt.date(YEAR, rng.randint(1, 12), rng.randint(1, 28))})
            if len(batch) == 50_000:
                session.execute(insert(Trade), batch)
                batch = []
        if batch:
            session.execute(insert(Trade), batch)
        for c in range(1, coops + 1):
            surplus[c] = Decimal(rng.randint(1_000_00, 900_000_00)) / 100
    return surplus


def floor_sql(dialect: str) -> str:
    """One INSERT … SELECT in integer fen computing every member's patronage and rest allocation."""
    pg = dialect == "postgresql"

    def fen(expr: str) -> str:  # Money: integer hundredths on SQLite, NUMERIC(14,2) yuan on PostgreSQL
        return f"CAST(ROUND({expr} * 100) AS BIGINT)" if pg else expr

    return f"""
INSERT INTO bench_coop_floor (member_id, patronage, other)
WITH t AS (SELECT member_id, CAST(SUM({fen('amount')}) AS BIGINT) AS a FROM coop_trade
           WHERE member_id IS NOT NULL AND traded_on >= :start AND traded_on <= :end GROUP BY member_id),
k AS (SELECT member_id, CAST(SUM({fen('amount')}) AS BIGINT) AS cap FROM coop_contribution WHERE contributed_on <= :end
      GROUP BY member_id),
m AS (SELECT mb.id, mb.cooperative_id AS c, mb.number, COALESCE(t.a, 0) AS ta, COALESCE(k.cap, 0) AS cap
      FROM coop_member mb LEFT JOIN t ON t.member_id = mb.id LEFT JOIN k ON k.member_id = mb.id),
tot AS (SELECT c, CAST(SUM(ta) AS BIGINT) AS tt, CAST(SUM(cap) AS BIGINT) AS ww FROM m GROUP BY c),
pools AS (SELECT coop_id AS c, (surplus * 60 + 99) / 100 AS pool, surplus - (surplus * 60 + 99) / 100 AS rest
          FROM bench_coop_surplus),
q AS (SELECT m.id, m.c, m.number, p.pool, p.rest, (p.pool * m.ta) / tot.tt AS pf, (p.pool * m.ta) % tot.tt AS pr,
             (p.rest * m.cap) / tot.ww AS rf, (p.rest * m.cap) % tot.ww AS rr
      FROM m JOIN pools p ON p.c = m.c JOIN tot ON tot.c = m.c),
r AS (SELECT q.*, ROW_NUMBER() OVER (PARTITION BY c ORDER BY pr DESC, number) AS prk,
             ROW_NUMBER() OVER (PARTITION BY c ORDER BY rr DESC, number) AS rrk,
             pool - CAST(SUM(pf) OVER (PARTITION BY c) AS BIGINT) AS pleft,
             rest - CAST(SUM(rf) OVER (PARTITION BY c) AS BIGINT) AS rleft FROM q)
SELECT id, pf + CASE WHEN prk <= pleft THEN 1 ELSE 0 END, rf + CASE WHEN rrk <= rleft THEN 1 ELSE 0 END FROM r
"""


def _backend_cpu(session: Any) -> Callable[[], float] | None:
    """A clock of the CPU seconds the session's PostgreSQL backend has used, when the server runs on this machine
    (None on SQLite, whose work is this process's, or when the backend's /proc entry cannot be read)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    stat = Path(f"/proc/{session.execute(text('SELECT pg_backend_pid()')).scalar_one()}/stat")
    tick = os.sysconf("SC_CLK_TCK")

    def used() -> float:  # utime and stime, fields 14 and 15 (after the parenthesised command name)
        fields = stat.read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick

    try:
        used()
    except OSError:
        return None
    return used


def run_floor(site: Any, surplus: dict[int, Decimal]) -> tuple[float, float]:
    dialect = site.db.dialect
    with site.db.transaction() as session:
        session.execute(text("CREATE TABLE bench_coop_surplus (coop_id INTEGER PRIMARY KEY, surplus BIGINT)"))
        session.execute(text("CREATE TABLE bench_coop_floor (member_id INTEGER PRIMARY KEY, patronage BIGINT, "
                             "other BIGINT)"))
        session.execute(text("INSERT INTO bench_coop_surplus VALUES (:c, :s)"),
                        [{"c": c, "s": int(s * 100)} for c, s in surplus.items()])
    with site.db.transaction() as session:
        server = _backend_cpu(session)
        server_cpu = server() if server else 0.0
        started, cpu = time.perf_counter(), time.process_time()
        session.execute(text(floor_sql(dialect)), {"start": dt.date(YEAR, 1, 1), "end": dt.date(YEAR, 12, 31)})
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall, cpu + (server() - server_cpu if server else 0.0)


def run_plugin(site: Any, surplus: dict[int, Decimal]) -> tuple[float, float]:
    """The county's close as `close_years` does it: every co-op in one transaction, the reads and writes set-based.
    Wall and CPU seconds, the CPU this process's and the PostgreSQL backend's (see the module's docstring)."""
    actor = Actor.system("bench")
    with site.db.transaction() as session:
        server = _backend_cpu(session)
        server_cpu = server() if server else 0.0
        started, cpu = time.perf_counter(), time.process_time()
        coops = {c.id: c for c in services.cooperatives(session)}
        services.close_years(session, site, actor, YEAR,
                             [services.CloseOrder(coops[coop_id], amount) for coop_id, amount in surplus.items()])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return wall, cpu + (server() - server_cpu if server else 0.0)


def compare(site: Any) -> int:
    """How many members' amounts differ between the plugin's lines and the floor's."""
    with site.db.read() as session:
        rows = session.execute(text("SELECT a.member_id, a.patronage, a.other, f.patronage, f.other "
                                    "FROM coop_allocation a JOIN bench_coop_floor f ON f.member_id = a.member_id"
                                    )).all()
    dialect = site.db.dialect
    scale = 100 if dialect == "postgresql" else 1
    return sum(1 for _m, p, o, fp, fo in rows if int(Decimal(p) * scale) != fp or int(Decimal(o) * scale) != fo)


def run(coops: int, members: int, trades: int, db: str) -> dict[str, Any]:
    """Build the county's co-ops on a fresh site, run the floor and the plugin on the same data, compare amounts."""
    with tempfile.TemporaryDirectory() as tmp:
        site = make_test_site(Path(tmp), enabled=["coop"], dialect=db, slug="bench")
        try:
            started = time.perf_counter()
            surplus = build(site, coops, members, trades, random.Random(16))
            built = time.perf_counter() - started
            floor, floor_cpu = run_floor(site, surplus)
            plugin, plugin_cpu = run_plugin(site, surplus)
            mismatches = compare(site)
        finally:
            drop_test_site(site)
            drop_pg_templates()  # the migrated template make_test_site keeps for this process
    return {"coops": coops, "members": members, "trades": trades, "db": db, "built_seconds": built,
            "floor_seconds": floor, "plugin_seconds": plugin, "ratio": plugin / floor, "floor_cpu_seconds": floor_cpu,
            "plugin_cpu_seconds": plugin_cpu, "cpu_ratio": plugin_cpu / floor_cpu if floor_cpu else None,
            "mismatches": mismatches}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.coop_close",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--coops", type=int, default=500)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--trades", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    result = run(args.coops, args.members, args.trades, args.db)
    print(f"{KEY} ({args.db}), {args.coops} co-ops × {args.members} members, {args.trades:,} transactions: "
          f"plugin {result['plugin_seconds']:.2f} s, floor {result['floor_seconds']:.2f} s, ratio "
          f"{result['ratio']:.2f} (target ≤ 3); CPU plugin {result['plugin_cpu_seconds']:.2f} s, floor "
          f"{result['floor_cpu_seconds']:.2f} s, ratio {result['cpu_ratio']:.2f} (this process and, on PostgreSQL, "
          f"the server's backend); "
          f"amounts differing: {result['mismatches']}")
    if result["mismatches"]:
        raise SystemExit(f"{result['mismatches']} members' amounts differ between the plugin and the floor")


if __name__ == "__main__":
    main()
