"""Profile one page as the benchmark serves it: `python -m tests.benchmarks.profile PATH [--site nocache] [--login]`.

Starts the product (uvicorn, one worker) on the cached benchmark county, puts wrk load on PATH and samples the
worker with py-spy (every thread, so the sync handlers' worker threads too) for the same seconds; then prints
where the time goes: functions by share of samples that include them (inclusive) and by own time (self). The raw
collapsed stacks are kept under var/bench/profiles/ (open them in speedscope or any flame-graph tool).

py-spy is optional (`pip install py-spy`; it is not among the test extras): without it this says so and stops.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import county as county_mod
from tests.benchmarks import load, servers
from tests.benchmarks.pages import login

BORING = ("threading.py", "concurrent/futures", "anyio/_backends", "asyncio/", "runpy", "uvicorn/", "<module>",
          "click/", "multiprocessing/")


def summarise(collapsed: Path, top: int = 30) -> str:
    """Inclusive, self and innermost-Cunwu-line shares per frame from py-spy's raw (collapsed) output."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    innermost: Counter[str] = Counter()  # the deepest Cunwu frame of each sample: which of our lines costs
    total = 0
    for line in collapsed.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
        ours = [f for f in frames if "(core/" in f or "(plugins/" in f]
        innermost[ours[-1] if ours else "(outside Cunwu code)"] += count
    if not total:
        return "no samples"

    def table(counter: Counter[str], title: str) -> list[str]:
        rows = [f"{title} (of {total:,} samples)"]
        shown = 0
        for frame, count in counter.most_common():
            if any(b in frame for b in BORING):
                continue
            rows.append(f"  {100 * count / total:5.1f}%  {frame}")
            shown += 1
            if shown == top:
                break
        return rows

    return "\n".join([*table(inclusive, "inclusive"), "", *table(own, "self"), "",
                      *table(innermost, "innermost Cunwu line")])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.profile", description=__doc__.splitlines()[0])
    parser.add_argument("path", help="e.g. /v/130926100200/notices/")
    parser.add_argument("--site", choices=["county", "nocache"], default="county")
    parser.add_argument("--login", action="store_true", help="as the demo clerk (session cookie sent by wrk)")
    parser.add_argument("--user", default="clerk", help="the demo account --login uses (e.g. county)")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="the quick run's county (30 villages, demo scale)")
    parser.add_argument("--villages", type=int, help="the cached county of this many villages (default 300; quick "
                        "30): village pages are flat with county size, so a small county profiles them")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--name", default="", help="file name for the collapsed stacks")
    parser.add_argument("--gil", action="store_true", help="sample only the thread holding the GIL: where the CPU "
                        "goes, without the threads waiting for it (on a busy machine most samples are waits)")
    args = parser.parse_args(argv)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed: `.venv/bin/pip install py-spy`", file=sys.stderr)
        return 2
    if load.wrk_path() is None:
        print(load.INSTALL_HINT, file=sys.stderr)
        return 2
    county = county_mod.prepare(seed=20261122, scale="demo" if args.quick else "county",
                                villages=args.villages or (30 if args.quick else 300), db=args.db, reuse=True)
    out = county_mod.BENCH_VAR / "profiles" / f"{args.name or 'profile'}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    env = {"CUNWU_SITES_DIR": str(county.sites_dir), "CUNWU_SITES": args.site, "CUNWU_REDIS_URL": ""}
    with servers.serve("cunwu.asgi:create", factory=True, workers=1, ready_path="/-/health", env=env,
                       label=f"profile_{args.site}") as server:
        from cunwu.demo import DEMO_PASSWORD

        headers = login(server.base, args.user, DEMO_PASSWORD) if args.login else {}
        load.run(server.base + args.path, seconds=2, connections=args.connections, headers=headers)  # warm up
        seconds = max(1, round(args.seconds))
        record = subprocess.Popen([spy, "record", "--pid", str(server.process.pid), "--duration", str(seconds),
                                   "--rate", "250", "--format", "raw", "--output", str(out), "--nonblocking",
                                   *(["--gil"] if args.gil else [])],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        measured: list[load.LoadResult] = []
        thread = threading.Thread(target=lambda: measured.append(
            load.run(server.base + args.path, seconds=seconds, connections=args.connections, headers=headers)))
        thread.start()
        thread.join()
        _, err = record.communicate(timeout=seconds + 60)
        if record.returncode != 0:
            print(f"py-spy failed: {err.decode(errors='replace')}", file=sys.stderr)
            return 1
    result = measured[0]
    print(f"{args.path} ({args.site}{', logged in' if args.login else ''}): {result.rps:,.0f} req/s, "
          f"p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms; stacks in {out}")
    print(summarise(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
