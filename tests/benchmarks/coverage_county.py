"""The data of the `coverage_dashboard` row (issue #17): a county of `villages` villages (default 300) in 15
townships with several months of coverage snapshots, built in seconds rather than the hour the full benchmark
county takes at 300 villages on a small machine.

The dashboard reads the month's snapshot rows, not the register, so the register is kept minimal but real: the
first village gets every area's demo data through `populate_demo` on a one-village site (the same path as `cunwu
demo`; floor B's notice board is that village's), then the county's own site adds the other villages (its start-up
registers them). The snapshot rows — `MONTHS` months, this one included — are written with the columns and the
reasons `services.take_snapshot` stores (`VillageCoverage.reasons`' shapes), about 40 % of villages missing each
type, so the dashboard has real lists to draw; measuring 300 empty villages would make every village miss every type.

Cached under var/bench/data/coverage-<db>-<villages>v-<key>/, keyed by seed, size, database, this month and the
code version, like the county (`tests.benchmarks.county.prepare`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks.county import (
    BENCH_VAR,
    PROJECT,
    County,
    _clean,
    code_version,
    county_villages,
    pg_exists,
    pg_url_for,
    write_site,
)

MONTHS = 6
MISSING_SHARE = 0.4
#: what keeps a village from covering each type, as `VillageCoverage.reasons` words it (one is picked per village)
REASONS: dict[str, list[list[list[Any]]]] = {
    "party": [[["party", ["meetings"]]], [["party", ["members", "meetings"]]], [["party", ["absent"]]]],
    "self_governance": [[["representative_meeting", ["meetings"]]],
                        [["villagers_committee", ["members"]], ["supervision_committee", ["absent"]]],
                        [["supervision_committee", ["meetings"]]]],
    "economic": [[["economic", ["absent"]]], [["economic", ["none_covers"]]]],
    "order": [[["station", ["absent"]], ["patrol_team", ["absent"]], ["work_subarea", ["absent"]],
               ["groups", ["no_groups"]]],
              [["patrol_team", ["members"]], ["groups", ["unassigned", "no_leader"]]],
              [["work_subarea", ["subarea_leader"]]]],
}
COLUMNS = {"party": "party", "self_governance": "self_governance", "economic": "economic", "order": "order_stability"}


def month_back(month: dt.date, back: int) -> dt.date:
    index = month.year * 12 + month.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def prepare(*, seed: int, villages: int = 300, db: str = "sqlite", rebuild: bool = False,
            log: Callable[[str], None] = print) -> County:
    """The coverage county for these parameters: reused when cached (same code, same month), otherwise built."""
    from cunwu.api import local_today
    from cunwu_plugins.coverage import rules

    plan = county_villages(seed, villages)
    month = rules.month_of(local_today())
    key = hashlib.sha256(json.dumps([seed, villages, db, month.isoformat(), code_version(),
                                     Path(__file__).read_text(encoding="utf-8")]).encode()).hexdigest()[:12]
    folder = BENCH_VAR / "data" / f"coverage-{db}-{villages}v-{key}"
    database = f"cunwu_bench_cov_{key}"
    url = f"sqlite:///{folder / 'county.sqlite3'}" if db == "sqlite" else pg_url_for(database)
    sites_dir = folder / "sites"
    write_site(sites_dir / "county", plan, url)
    write_site(sites_dir / "nocache", plan, url, notices_cache=False)
    marker = folder / "built.json"
    if marker.is_file() and (db == "sqlite" or pg_exists(database)) and not rebuild:
        info = json.loads(marker.read_text(encoding="utf-8"))
        log(f"coverage data: reusing {folder.relative_to(PROJECT)} (built in {info['build_seconds']:.0f} s)")
        return County(key, db, url, plan, sites_dir, info)
    _clean(folder, db, url)
    log(f"coverage data: building {villages} villages, {MONTHS} months of snapshots on {db} (seed {seed}) …")
    started = time.perf_counter()
    write_site(folder / "seed" / "county", plan[:1], url)
    rows = build(folder / "seed" / "county", sites_dir / "county", seed=seed, month=month)
    info = {"build_seconds": time.perf_counter() - started, "seed": seed, "scale": "coverage", "villages": villages,
            "db": db, "code_version": code_version(), "counts": {"coverage_snapshot": rows}}
    marker.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    log(f"coverage data: built in {info['build_seconds']:.0f} s: {rows:,} snapshot rows")
    return County(key, db, url, plan, sites_dir, info)


def build(seed_site: Path, county_site: Path, *, seed: int, month: dt.date) -> int:
    """The first village's demo data (through its one-village site), then the county's villages and their snapshot
    rows, `MONTHS` months up to `month`. Returns the snapshot rows written (the
    first village keeps the rows its coverage demo took)."""
    from sqlmodel import select

    from cunwu.api import utcnow
    from cunwu.demo import populate_demo
    from cunwu.runtime import Site
    from cunwu.sites import load_site
    from cunwu_plugins.coverage.models import Snapshot
    from cunwu_plugins.coverage.services import count_townships

    first = Site(load_site(seed_site))
    try:
        populate_demo(first, scale="demo", rng=random.Random(seed))
    finally:
        first.db.dispose()
    site = Site(load_site(county_site))
    try:
        site.run_startup()  # registers the county's villages (the snapshot rows refer to them)
        with site.db.read() as session:  # the first village's own, from the coverage demo: kept as measured
            stored = set(session.exec(select(Snapshot.village_code, Snapshot.month)).all())
        rng = random.Random(seed)
        now = utcnow()
        rows = []
        for code in site.villages:
            adults = rng.randrange(300, 1500)
            # a village that misses a type this month may have missed it before and caught up since: each month
            # back, a type it covers now is missed again with the same chance
            for back in range(MONTHS):
                covered = {kind: rng.random() >= MISSING_SHARE for kind in COLUMNS}
                reasons = {kind: rng.choice(REASONS[kind]) for kind, ok in covered.items() if not ok}
                if (code, month_back(month, back)) in stored:
                    continue
                rows.append(Snapshot(village_code=code, month=month_back(month, back),
                                     **{COLUMNS[k]: ok for k, ok in covered.items()}, adults=adults,
                                     enrolled=int(adults * rng.uniform(0.05, 0.3)), taken_at=now, reasons=reasons))
        with site.db.transaction() as session:
            session.add_all(rows)
            session.flush()
            for back in range(MONTHS):  # the per-township counts take_snapshot keeps beside its rows
                count_townships(session, month_back(month, back), {code[:9] for code in site.villages})
        return len(rows)
    finally:
        site.db.dispose()


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.coverage_county", description=__doc__.split(
        "\n", 1)[0])
    parser.add_argument("--villages", type=int, default=300)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    county = prepare(seed=args.seed, villages=args.villages, db=args.db, rebuild=args.rebuild)
    print(county.sites_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
