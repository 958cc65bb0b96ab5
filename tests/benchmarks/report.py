"""Results: one `Result` per row, printed as a rich table, written as JSON, and copied into docs/performance.md."""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

PROJECT = Path(__file__).resolve().parents[2]
DOCS = PROJECT / "docs" / "performance.md"


def markers(db: str) -> tuple[str, str]:
    """The comments around a database's "latest" section in docs/performance.md."""
    return f"<!-- bench:latest:{db}:start -->", f"<!-- bench:latest:{db}:end -->"


@dataclass
class Result:
    """One row: what was measured, its floor from the same run, their ratio and the target on that ratio."""

    key: str
    title: str
    unit: str
    measured: float | None = None
    floor_title: str = ""
    floor: float | None = None
    ratio: float | None = None
    target_op: str | None = None  # ">=" | "<=" | None (reported only)
    target_value: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    note: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def target(self) -> str:
        if self.target_op is None or self.target_value is None:
            return "reported"
        return f"{'≥' if self.target_op == '>=' else '≤'} {self.target_value:g}"

    @property
    def met(self) -> bool | None:
        if self.ratio is None or self.target_op is None or self.target_value is None:
            return None
        return self.ratio >= self.target_value if self.target_op == ">=" else self.ratio <= self.target_value

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "target": self.target, "met": self.met}


def not_measured(key: str, title: str, unit: str, reason: str, **kwargs: Any) -> Result:
    return Result(key, title, unit, note=f"not measured: {reason}", **kwargs)


def _num(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:,.1f} s"
    return f"{value:,.1f} {unit}"


def _met(result: Result) -> str:
    return {True: "yes", False: "NO", None: "—"}[result.met]


def cells(result: Result) -> list[str]:
    floor = f"{_num(result.floor, result.unit)} ({result.floor_title})" if result.floor_title else "—"
    ratio = f"{result.ratio:.2f}" if result.ratio is not None else "—"
    latency = (f"{result.p50_ms:.1f} / {result.p99_ms:.1f}" if result.p50_ms is not None and result.p99_ms is not None
               else "—")
    measured = result.note if result.measured is None and result.note else _num(result.measured, result.unit)
    return [result.title, measured, floor, ratio, result.target, _met(result), latency]


HEADERS = ["row", "measured", "floor (same run)", "ratio", "target", "met?", "p50 / p99 ms"]


def print_table(results: list[Result], console: Console | None = None) -> None:
    table = Table(*HEADERS, title="Cunwu benchmarks", show_lines=False)
    for result in results:
        row = cells(result)
        style = "red" if result.met is False else ("dim" if result.measured is None else None)
        table.add_row(*row, style=style)
    (console or Console()).print(table)
    for result in results:
        if result.note and result.measured is not None:
            (console or Console()).print(f"  {result.title}: {result.note}", highlight=False)


def markdown(results: list[Result]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    for result in results:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells(result)) + " |")
    notes = [f"- {r.title}: {r.note}" for r in results if r.note and r.measured is not None]
    return "\n".join(lines + (["", *notes] if notes else []))


def _run(command: list[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, check=False).stdout.strip()
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    """What the numbers ran on: they only compare within one run, but the reader should know the box."""
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = found[1] if found else ""
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        found = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.M)
        memory = f"{int(found[1]) / 1024 / 1024:.0f} GiB" if found else ""
    versions = {}
    for module in ("litestar", "uvicorn", "sqlalchemy", "jinja2", "uvloop", "httptools", "psycopg"):
        try:
            from importlib.metadata import version

            versions[module] = version(module)
        except Exception:
            versions[module] = "not installed"
    wrk = _run(["wrk", "--version"]).splitlines()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory": memory, "os": platform.platform(),
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version, "wrk": wrk[0] if wrk else "",
        "commit": _run(["git", "-C", str(PROJECT), "rev-parse", "--short", "HEAD"]),
        "dirty": bool(_run(["git", "-C", str(PROJECT), "status", "--porcelain", "--", "core", "plugins"])),
        **versions,
    }


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def docs_section(payload: dict[str, Any], results: list[Result]) -> str:
    m = payload["machine"]
    s = payload["settings"]
    start, end = markers(s["db"])
    data = payload.get("data", {})
    counts = ", ".join(f"{k} {v:,}" for k, v in data.get("counts", {}).items() if v)
    return "\n".join([
        start,
        f"Run {payload['finished']} (`{payload['command']}`), commit {m['commit']}"
        f"{' + uncommitted changes' if m['dirty'] else ''}.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}, Litestar {m['litestar']}, uvicorn {m['uvicorn']} (uvloop {m['uvloop']}, "
        f"httptools {m['httptools']}), {m['wrk']}.",
        "",
        f"Set-up: {s['db']}, {s['villages']} villages at scale {s['scale']!r} (seed {s['seed']}); uvicorn "
        f"{s['workers']} worker(s); wrk {s['threads']} thread, {s['connections']} connections, "
        f"{s['duration']} s per row after {s['warmup']} s warm-up.",
        "",
        (f"Data: {counts}." if counts else "")
        + (" Built from older code (`--reuse`)." if data.get("code_version_matches") is False else ""),
        "",
        markdown(results),
        end,
    ])


def replace_section(markers: tuple[str, str], section: str) -> None:
    """Put `section` (which carries the markers itself) in place of the marked part of docs/performance.md."""
    start, end = markers
    text = DOCS.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise SystemExit(f"{DOCS}: markers {start} … {end} not found")
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOCS.write_text(head + section + tail, encoding="utf-8")


def write_docs(payload: dict[str, Any], results: list[Result]) -> None:
    """Replace this database's marked section of docs/performance.md with this run's table."""
    replace_section(markers(payload["settings"]["db"]), docs_section(payload, results))
