"""One worker against two: `python -m tests.benchmarks.workers [--db postgresql] [--redis URL] [--write-docs]`.

The same county served twice — by one uvicorn worker and by two — with sessions, caches and rate limits in Redis
(`CUNWU_REDIS_URL`, as a deployment of several workers or hosts runs it, docs/operations.md), and each page loaded
on both in turn, the order flipped every round, so a shared machine's changing load falls on both sides. The ratio
is two workers' throughput over one's: on an idle machine with at least two free cores, close to 2 means the
workers share nothing that serialises them (no lock in the database, in Redis or in the process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import quote

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import county as county_mod
from tests.benchmarks import load, report, servers
from tests.benchmarks.pages import SEARCH_TERM, TITLES, _reset_store, login

MARKERS = ("<!-- bench:workers:start -->", "<!-- bench:workers:end -->")
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
ROWS = ["board_nocache", "village", "overview", "register_search"]


def _paths(county: county_mod.County) -> dict[str, str]:
    code = county.first_village.code
    return {"board_nocache": f"/v/{code}/notices/", "village": f"/v/{code}/", "overview": "/",
            "register_search": f"/v/{code}/registry/?q={quote(SEARCH_TERM)}"}


def _reset_redis(url: str) -> None:
    """Drop the benchmark sites' keys (sessions, cached pages, counters) left in Redis by earlier runs."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        for slug in ("county", "nocache"):
            keys = list(client.scan_iter(match=f"cunwu_{slug}*", count=1000))
            if keys:
                client.delete(*keys)
    finally:
        client.close()


def measure(county: county_mod.County, *, redis_url: str, connections: int, duration: float, warmup: float,
            rounds: int, log: Any = print) -> dict[str, Any]:
    from cunwu.demo import DEMO_PASSWORD

    _reset_store(county)
    _reset_redis(redis_url)
    env = {"CUNWU_SITES_DIR": str(county.sites_dir), "CUNWU_REDIS_URL": redis_url}
    paths = _paths(county)
    runs: dict[str, dict[int, list[load.LoadResult]]] = {row: {1: [], 2: []} for row in ROWS}
    rss: dict[int, list[float]] = {}
    with ExitStack() as stack:
        started: dict[tuple[str, int], servers.Server] = {}
        for workers in (1, 2):
            for slug in ("county", "nocache"):
                log(f"starting {slug} with {workers} worker(s) …")
                started[slug, workers] = stack.enter_context(servers.serve(
                    "cunwu.asgi:create", factory=True, workers=workers, ready_path="/-/health",
                    env={**env, "CUNWU_SITES": slug}, label=f"workers-{slug}-{workers}"))
        cookies = {w: login(started["county", w].base, "clerk", DEMO_PASSWORD) for w in (1, 2)}
        for row in ROWS:
            slug = "nocache" if row == "board_nocache" else "county"
            log(f"{TITLES[row]}: 1 worker against 2 ({paths[row]})")
            for round_ in range(rounds):
                order = (1, 2) if round_ % 2 == 0 else (2, 1)
                for workers in order:
                    headers = {"Accept-Encoding": "gzip",
                               **(cookies[workers] if row == "register_search" else {})}
                    runs[row][workers].append(load.run(started[slug, workers].base + paths[row], seconds=duration,
                                                       connections=connections, headers=headers, warmup=warmup))
        for workers in (1, 2):
            rss[workers] = started["county", workers].rss()
    summary = {}
    for row in ROWS:
        one = statistics.fmean(r.rps for r in runs[row][1])
        two = statistics.fmean(r.rps for r in runs[row][2])
        errors = sum(r.errors for w in (1, 2) for r in runs[row][w])
        summary[row] = {"one": one, "two": two, "ratio": two / one if one else None, "errors": errors,
                        "p50": {w: statistics.fmean(r.p50_ms for r in runs[row][w]) for w in (1, 2)},
                        "p99": {w: max(r.p99_ms for r in runs[row][w]) for w in (1, 2)},
                        "runs": {w: [r.as_dict() for r in runs[row][w]] for w in (1, 2)}}
    return {"rows": summary, "rss_mib": rss}


def markdown(found: dict[str, Any], payload: dict[str, Any]) -> str:
    m, s = payload["machine"], payload["settings"]
    lines = [
        MARKERS[0],
        f"Run {payload['finished']} (`{payload['command']}`), commit {m['commit']}"
        f"{' + uncommitted changes' if m['dirty'] else ''}; {m['cpu']}, {m['cores']} cores shared with other jobs "
        f"(load average {payload['load']}); {s['db']}, {s['villages']} villages at scale {s['scale']!r}; sessions, "
        f"caches and rate limits in Redis; wrk {s['connections']} connections, {s['rounds']} rounds of "
        f"{s['duration']} s per page and worker count.",
        "",
        "| page | 1 worker | 2 workers | ratio 2 ÷ 1 | p50 / p99 ms, 1 worker | p50 / p99 ms, 2 workers |",
        "|---|---|---|---|---|---|",
    ]
    for row, r in found["rows"].items():
        note = f" ({r['errors']} failed requests)" if r["errors"] else ""
        lines.append(f"| {TITLES[row]} | {r['one']:,.0f} req/s | {r['two']:,.0f} req/s | **{r['ratio']:.2f}**{note} | "
                     f"{r['p50'][1]:.1f} / {r['p99'][1]:.1f} | {r['p50'][2]:.1f} / {r['p99'][2]:.1f} |")
    rss = found["rss_mib"]
    lines += ["", f"RSS per worker after the loads: 1 worker {', '.join(f'{v:.0f}' for v in rss[1])} MiB; 2 workers "
              f"{', '.join(f'{v:.0f}' for v in rss[2])} MiB.", MARKERS[1]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.workers", description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help=f"Redis URL (default {DEFAULT_REDIS})")
    parser.add_argument("--villages", type=int, default=30)
    parser.add_argument("--scale", choices=["demo", "county"], default="demo")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--reuse", action="store_true", help="the newest cached county of this size, even if older")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--write-docs", action="store_true", help="put the table into docs/performance.md")
    args = parser.parse_args(argv)
    if load.wrk_path() is None:
        print(load.INSTALL_HINT, file=sys.stderr)
        return 2
    county = county_mod.prepare(seed=args.seed, scale=args.scale, villages=args.villages, db=args.db,
                                reuse=args.reuse, log=lambda m: print(m, file=sys.stderr))
    found = measure(county, redis_url=args.redis, connections=args.connections, duration=args.duration,
                    warmup=args.warmup, rounds=args.rounds, log=lambda m: print(m, file=sys.stderr))
    with open("/proc/loadavg", encoding="ascii") as loadavg:
        load_now = loadavg.read().split()[0]
    payload = {"finished": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
               "command": "python -m tests.benchmarks.workers " + shlex.join(argv if argv is not None
                                                                             else sys.argv[1:]),
               "settings": vars(args) | {}, "machine": report.machine(), "load": load_now, "workers": found}
    text = markdown(found, payload)
    print(text)
    report.write_json(county_mod.BENCH_VAR / f"workers-{args.db}.json", payload)
    if args.write_docs:
        report.replace_section(MARKERS, text)
        print(f"updated {report.DOCS.relative_to(report.PROJECT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
