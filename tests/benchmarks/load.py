"""HTTP load from wrk (Debian package `wrk`) on loopback, and its output parsed into numbers."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any

INSTALL_HINT = "wrk is not installed: `sudo apt-get install wrk` (Debian/Ubuntu package `wrk`)"

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def wrk_path() -> str | None:
    return shutil.which("wrk")


@dataclass
class LoadResult:
    """One wrk run: throughput, latency percentiles (ms), and whatever went wrong."""

    url: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip())
    if not match:
        raise ValueError(f"cannot read wrk duration {value!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse(url: str, output: str) -> LoadResult:
    """Read wrk's `--latency` report."""
    percentiles = {int(p): _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M)}
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output, re.M)
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if not (done and rate and len(percentiles) == 4):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)) \
        if sockets else {}
    return LoadResult(url=url, requests=int(done[1]), seconds=_ms(done[2] + done[3]) / 1000, rps=float(rate[1]),
                      p50_ms=percentiles[50], p75_ms=percentiles[75], p90_ms=percentiles[90],
                      p99_ms=percentiles[99], non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
                      socket_errors={k: v for k, v in socket_errors.items() if v})


def run(url: str, *, seconds: float, connections: int, threads: int = 1, headers: dict[str, str] | None = None,
        warmup: float = 0.0) -> LoadResult:
    """`warmup` seconds of load first (discarded), then the measured run."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError(INSTALL_HINT)
    extra: list[str] = []
    for name, value in (headers or {}).items():
        extra += ["-H", f"{name}: {value}"]

    def once(duration: float) -> str:
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--latency",
                   "--timeout", "10s", *extra, url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
        return done.stdout

    if warmup:
        once(warmup)
    return parse(url, once(seconds))
