"""Server CPU per request for the village page rows and floor B, for a machine too loaded for wrk's ratios.

Throughput under wrk on a shared 2-core machine moves a ratio by ±0.1 between runs of the same code (see "Issue #18,
round 3"): other processes take the cores in bursts. This sends the requests one at a time (30 to warm up, then
`--requests` per round, 3 rounds) and reads the worker's own CPU time (utime + stime from /proc) around them, so
time spent waiting for a core is not counted; the lowest round is kept. Ratio = floor B's CPU / the row's CPU.
On PostgreSQL the server's side counts too, as it takes the same two cores: the CPU of the backends serving the
worker's connections (found by their client ports) is added to the worker's.

    python -m tests.benchmarks.cpu [--db postgresql] [--requests 300] [--villages 30] [--scale county]

It reuses the newest cached county of `--villages` villages at demo scale (default 3: `python -m tests.benchmarks
--quick --villages 3 --build-only`; 30 is the quick run's).
"""

from __future__ import annotations

import argparse
import os

import httpx
from sqlalchemy import create_engine, text

from cunwu.demo import DEMO_PASSWORD
from tests.benchmarks import county as county_mod
from tests.benchmarks.pages import LoadSettings, _servers, login

ROWS = ("floor_b", "board_nocache", "register_search", "village", "overview")


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _client_ports(pid: int) -> set[int]:
    """The local ports of a process's TCP sockets (its connections to PostgreSQL among them)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def _backend_pids(url: str, pid: int) -> list[int]:
    """The PostgreSQL backends serving process `pid`'s connections (same machine)."""
    ports = _client_ports(pid)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [row[0] for row in connection.execute(text(
                "SELECT pid FROM pg_stat_activity WHERE client_port = ANY(:ports)"), {"ports": sorted(ports)})]
    finally:
        engine.dispose()


def _total_cpu(pids: list[int]) -> float:
    return sum(_cpu_seconds(pid) for pid in pids)


def measure(db: str, requests: int, rounds: int = 3, villages: int = 3, scale: str = "demo") -> dict[str, list[float]]:
    """CPU milliseconds per request of each row, one figure per round."""
    county = county_mod.prepare(seed=20261122, scale=scale, villages=villages, db=db, reuse=True,
                                log=lambda _m: None)
    code = county.first_village.code
    settings = LoadSettings(workers=1, connections=1, duration=1, warmup=1)
    with _servers(county, settings, {"floor_b", "product", "nocache"}, lambda _m: None) as running:
        clerk = login(running["product"].base, "clerk", DEMO_PASSWORD)
        targets = {"floor_b": ("floor_b", f"/v/{code}/notices/", {}),
                   "board_nocache": ("nocache", f"/v/{code}/notices/", {}),
                   "register_search": ("product", f"/v/{code}/registry/?q=%E7%8E%8B", clerk),
                   "village": ("product", f"/v/{code}/", {}), "overview": ("product", "/", {})}
        found: dict[str, list[float]] = {row: [] for row in ROWS}
        for _round in range(rounds):
            for row, (server_name, path, headers) in targets.items():
                server = running[server_name]
                with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
                    for _ in range(30):
                        if client.get(path).status_code != 200:
                            raise RuntimeError(f"{row}: {path} did not answer 200")
                    pid = server.worker_pids()[0]
                    pids = [pid, *(_backend_pids(county.url, pid) if db == "postgresql" else [])]
                    started = _total_cpu(pids)
                    for _ in range(requests):
                        client.get(path)
                    found[row].append((_total_cpu(pids) - started) / requests * 1000)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite", choices=("sqlite", "postgresql"))
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--villages", type=int, default=3, help="the cached county of this many villages")
    parser.add_argument("--scale", default="demo", choices=("demo", "county"), help="its scale (county: the 300)")
    args = parser.parse_args()
    found = measure(args.db, args.requests, villages=args.villages, scale=args.scale)
    floor = min(found["floor_b"])
    for row, runs in found.items():
        print(f"{args.db} {row:16s} {min(runs):.2f} ms CPU/request (rounds {', '.join(f'{r:.2f}' for r in runs)})"
              f"  ratio {floor / min(runs):.2f}")


if __name__ == "__main__":
    main()
