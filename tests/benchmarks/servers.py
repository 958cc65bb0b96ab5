"""Start an ASGI app under uvicorn on loopback, time it to its first answer, read its workers' memory, stop it.

Every row and its floor run under the same command line (same uvicorn, worker count, loop and log settings); only
the application differs. The access log is off for all of them: it costs the same per request everywhere and would
only add noise.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    workers: int
    startup_seconds: float
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        return [self.process.pid] if self.workers == 1 else _children(self.process.pid)

    def rss(self) -> list[float]:
        """Resident memory of each worker process, in MiB."""
        return [rss_mib(pid) for pid in self.worker_pids()]


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}; its log:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"no answer from {url} within {STARTUP_TIMEOUT:.0f} s; log:\n{log.read_text()[-3000:]}")


@contextmanager
def serve(app: str, *, workers: int, ready_path: str = "/", factory: bool = False,
          env: dict[str, str] | None = None, label: str = "server") -> Iterator[Server]:
    """Run `uvicorn app` until the block ends; the time to the first 200 on `ready_path` is the start-up time."""
    port = free_port()
    log = PROJECT / "var" / "bench" / "logs" / f"{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    if factory:
        command.append("--factory")
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=PROJECT, env={**os.environ, **(env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_ready(process, f"http://127.0.0.1:{port}{ready_path}", log)
            server = Server(process, port, workers, time.perf_counter() - started, log)
            if workers > 1:  # every worker up, so memory and load see all of them
                deadline = time.monotonic() + STARTUP_TIMEOUT
                while len(server.worker_pids()) < workers and time.monotonic() < deadline:
                    time.sleep(0.05)
            yield server
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
