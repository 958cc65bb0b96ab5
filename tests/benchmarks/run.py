"""Run the benchmarks: `python -m tests.benchmarks [--quick] [--db sqlite|postgresql] [--rows ...]`.

Also runnable as `.venv/bin/python tests/benchmarks/run.py`. Prints the table (row, measured, floor, ratio, target,
met?, p50/p99), writes var/bench/latest.json (and a dated copy under var/bench/results/), and with `--write-docs`
replaces the "latest" section of docs/performance.md. Every target is a ratio to a floor measured in the same run;
absolute times on a shared machine are noise. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from rich.console import Console

from tests.benchmarks import county as county_mod
from tests.benchmarks import coverage_county, growth, load, report
from tests.benchmarks.batch import BATCH_ROWS, STANDALONE_ROWS, run_batch, run_standalone
from tests.benchmarks.pages import PAGE_ROWS, LoadSettings, run_pages

ALL_ROWS = PAGE_ROWS + BATCH_ROWS + STANDALONE_ROWS
GROWTH_ROWS = growth.GROWTH_ROWS
console = Console(stderr=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="check the harness: 30 villages at demo scale, 10,000-person import, 3 s per row")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rows", default="all", help=f"comma-separated, from: {', '.join(ALL_ROWS)}")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for every row and floor (default 1)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (default 16)")
    parser.add_argument("--duration", type=float, help="seconds of load per row (default 10; quick 3)")
    parser.add_argument("--warmup", type=float, help="seconds of discarded load before each row (default 2; quick 1)")
    parser.add_argument("--rounds", type=int, help="floor/row load pairs per row, order flipped each round "
                        "(default 2; quick 1)")
    parser.add_argument("--villages", help="villages in the county (default 300; quick 30); several, e.g. "
                        "30,100,300, run the page rows at each size and record how cost grows (docs/performance.md)")
    parser.add_argument("--scale", choices=["demo", "county"],
                        help="data per village: 'county' spreads ~250,000 persons over the villages (default), "
                        "'demo' gives each village the same size whatever their number (default with --quick and "
                        "with several --villages)")
    parser.add_argument("--import-rows", type=int, help="persons in the import file (default 100000; quick 10000)")
    parser.add_argument("--plots", type=int, help="plots in the land import file (default 100000; quick 10000)")
    parser.add_argument("--coops", type=int, help="co-ops closed in the co-op row, 200 members each (default 500; "
                        "quick 20)")
    parser.add_argument("--trades", type=int, help="transactions of the co-ops' year (default 1000000; quick 40000)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--rebuild", action="store_true", help="rebuild the county data even if cached")
    parser.add_argument("--reuse", action="store_true",
                        help="use the newest cached county of this size even if the code changed since it was built")
    parser.add_argument("--build-only", action="store_true", help="build (or find) the county data, then stop")
    parser.add_argument("--json", type=Path, default=county_mod.BENCH_VAR / "latest.json")
    parser.add_argument("--write-docs", action="store_true", help="put the table into docs/performance.md")
    args = parser.parse_args(argv)
    args.duration = args.duration or (3.0 if args.quick else 10.0)
    args.warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    try:
        sizes = sorted({int(v) for v in (args.villages or "").split(",") if v.strip()})
    except ValueError:
        parser.error(f"--villages: expected numbers separated by commas, got {args.villages!r}")
    args.sizes = sizes if len(sizes) > 1 else []
    args.villages = sizes[-1] if sizes else (30 if args.quick else 300)
    args.rounds = args.rounds or (1 if args.quick else 2)
    args.scale = args.scale or ("demo" if args.quick or args.sizes else "county")
    args.import_rows = args.import_rows or (10_000 if args.quick else 100_000)
    args.plots = args.plots or (10_000 if args.quick else 100_000)
    args.coops = args.coops or (20 if args.quick else 500)
    args.trades = args.trades or (40_000 if args.quick else 1_000_000)
    default = GROWTH_ROWS if args.sizes else ALL_ROWS
    wanted = default if args.rows == "all" else [r.strip() for r in args.rows.split(",") if r.strip()]
    unknown = sorted(set(wanted) - set(ALL_ROWS))
    if unknown:
        parser.error(f"unknown rows {', '.join(unknown)}; choose from {', '.join(ALL_ROWS)}")
    if args.sizes and (set(wanted) - set(GROWTH_ROWS) or args.build_only):
        if args.build_only:
            parser.error("--build-only takes one size: build each with its own --villages")
        parser.error(f"with several --villages, choose rows from: {', '.join(GROWTH_ROWS)}")
    args.selected = set(wanted)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.selected & set(PAGE_ROWS) and load.wrk_path() is None:
        console.print(f"[red]{load.INSTALL_HINT}[/]")
        return 2
    started = time.perf_counter()
    log = console.print
    cfg = LoadSettings(workers=args.workers, connections=args.connections, duration=args.duration,
                       warmup=args.warmup, rounds=args.rounds)
    if args.sizes:
        return main_growth(args, cfg, argv, started)
    results = []
    info: dict[str, Any] = {}
    # the coverage dashboard has its own county (coverage_county: seconds to build, not the hour of the full one);
    # floor B alone beside it is measured there too
    own_county = args.selected & {"coverage_dashboard"}
    county_rows = args.selected - set(STANDALONE_ROWS) - own_county
    if own_county and county_rows == {"floor_b"}:
        county_rows = set()
    if args.build_only or county_rows:  # the standalone rows need no county
        county = county_mod.prepare(seed=args.seed, scale=args.scale, villages=args.villages, db=args.db,
                                    rebuild=args.rebuild, reuse=args.reuse, log=log)
        if args.build_only:
            return 0
        info = county.info
        results += run_pages(county, cfg, county_rows, log)
        results += run_batch(county, county_rows, import_rows=args.import_rows, seed=args.seed, log=log)
    if own_county:
        coverage = coverage_county.prepare(seed=args.seed, villages=args.villages, db=args.db, rebuild=args.rebuild,
                                           log=log)
        info = info | {"coverage": coverage.info}
        results += run_pages(coverage, cfg, own_county | (args.selected & {"floor_b"} - county_rows), log)
    results += run_standalone(args.selected, plots=args.plots, coops=args.coops, trades=args.trades, db=args.db,
                              log=log)
    order = {key: i for i, key in enumerate(ALL_ROWS)}
    results.sort(key=lambda r: order[r.key])
    report.print_table(results, Console(width=None if sys.stdout.isatty() else 200))
    payload = _payload(args, cfg, argv, started)
    payload |= {"data": info, "results": [r.as_dict() for r in results]}
    report.write_json(args.json, payload)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    report.write_json(county_mod.BENCH_VAR / "results" / f"{stamp}-{args.db}{'-quick' if args.quick else ''}.json",
                      payload)
    if args.write_docs:
        report.write_docs(payload, results)
        console.print(f"updated {report.DOCS.relative_to(report.PROJECT)}")
    console.print(f"wrote {args.json} in {payload['seconds']:.0f} s")
    return 0


def _payload(args: argparse.Namespace, cfg: LoadSettings, argv: list[str] | None, started: float
             ) -> dict[str, Any]:
    return {
        "finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "command": "python -m tests.benchmarks " + shlex.join(argv if argv is not None else sys.argv[1:]),
        "seconds": round(time.perf_counter() - started, 1),
        "settings": {"db": args.db, "quick": args.quick, "villages": args.villages, "sizes": args.sizes,
                     "scale": args.scale, "seed": args.seed, "workers": args.workers,
                     "connections": args.connections, "threads": cfg.threads, "duration": args.duration,
                     "warmup": args.warmup, "rounds": args.rounds, "import_rows": args.import_rows,
                     "plots": args.plots, "coops": args.coops, "trades": args.trades},
        "machine": report.machine(),
    }


def main_growth(args: argparse.Namespace, cfg: LoadSettings, argv: list[str] | None, started: float) -> int:
    """The page rows at every size: var/bench/growth-<db>.json and its plot; the table and plot in docs/ with
    --write-docs."""
    if args.scale == "county":
        console.print("[yellow]scale 'county' spreads a fixed register over the villages: villages shrink as the "
                      "county grows, so a flat village page proves little (use the default scale 'demo')[/]")
    found = growth.run_growth(args.sizes, selected=args.selected, cfg=cfg, seed=args.seed, scale=args.scale,
                              db=args.db, rebuild=args.rebuild, reuse=args.reuse, log=console.print)
    payload = _payload(args, cfg, argv, started) | {"growth": found}
    console.print(growth.markdown(found, payload), highlight=False, markup=False)
    report.write_json(county_mod.BENCH_VAR / f"growth-{args.db}.json", payload)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    report.write_json(county_mod.BENCH_VAR / "results" / f"{stamp}-{args.db}-growth.json", payload)
    # the plot goes next to the table: into docs/ with --write-docs, otherwise beside the JSON under var/bench
    plot = growth.plot_path(args.db) if args.write_docs else county_mod.BENCH_VAR / f"growth-{args.db}.svg"
    if growth.plot(found, payload, plot):
        console.print(f"plotted {plot.relative_to(report.PROJECT)}")
    else:
        console.print("[yellow]no plot: matplotlib is not installed (pip install -e '.[bench]')[/]")
    if args.write_docs:
        growth.write_docs(found, payload)
        console.print(f"updated {report.DOCS.relative_to(report.PROJECT)}")
    console.print(f"wrote {county_mod.BENCH_VAR / f'growth-{args.db}.json'} in {payload['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
