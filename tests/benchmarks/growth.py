"""How cost grows: the page rows at several county sizes (`python -m tests.benchmarks --villages 30,100,300`).

A village page should cost the same in a county of 30 villages and in one of 300 (every query it makes is bounded
by one village); a county page (the overview, the coverage dashboard) may grow with the county, but no faster than
linearly. Each size is a county built at a scale whose villages are the same size whatever their number (scale
"demo": 150–400 households and a few dozen notices a village; scale "county" is not used here because it spreads a
fixed 250,000 persons over the villages, so its villages shrink as the county grows).

Per-request cost is read two ways from the same runs: milliseconds of a busy worker per request (1 / throughput, one
worker, closed loop), and the same divided by floor B's in the same round — "floor B requests per request" — which
cancels most of a shared machine's changing load. Growth is the second at the largest size over the smallest.
The table goes into docs/performance.md (`--write-docs`) and the plot into docs/performance-growth-<db>.svg.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.benchmarks import county as county_mod
from tests.benchmarks import report
from tests.benchmarks.pages import TARGETS, TITLES, LoadSettings, run_pages

#: the page rows measured at every size: village-bounded pages first, then the county's
VILLAGE_ROWS = ["board_warm", "board_nocache", "notice", "village", "register_search"]
COUNTY_ROWS = ["overview", "coverage_dashboard"]
GROWTH_ROWS = VILLAGE_ROWS + COUNTY_ROWS
FLAT_LIMIT = 1.2  # a village page may cost at most this much more at the largest size than at the smallest


def marker(db: str) -> tuple[str, str]:
    return f"<!-- bench:growth:{db}:start -->", f"<!-- bench:growth:{db}:end -->"


def plot_path(db: str) -> Path:
    return report.PROJECT / "docs" / f"performance-growth-{db}.svg"


def run_growth(sizes: list[int], *, selected: set[str], cfg: LoadSettings, seed: int, scale: str, db: str,
               rebuild: bool, reuse: bool, log: Callable[[str], None]) -> dict[str, Any]:
    """Every selected page row at every size, each with its floor in the same rounds; the raw results by size."""
    rows = [key for key in GROWTH_ROWS if key in selected]
    wanted = set(rows) | {TARGETS[key][0] for key in rows}
    by_size: dict[str, Any] = {}
    for villages in sizes:
        county = county_mod.prepare(seed=seed, scale=scale, villages=villages, db=db, rebuild=rebuild, reuse=reuse,
                                    log=log)
        log(f"[bold]growth: {villages} villages[/]")
        results = run_pages(county, cfg, wanted, log)
        counts = county.info.get("counts", {})
        by_size[str(villages)] = {
            "persons": counts.get("registry_person"), "notices": counts.get("notices_notice"),
            "build_seconds": county.info.get("build_seconds"),
            "code_version_matches": county.info.get("code_version_matches", True),
            "results": [r.as_dict() for r in results],
        }
    return {"sizes": sizes, "rows": rows, "scale": scale, "by_size": by_size}


def _rounds(result: dict[str, Any]) -> list[float]:
    return [r["rps"] for r in result["detail"].get("runs", [])]


def costs(growth: dict[str, Any]) -> dict[str, dict[int, dict[str, float]]]:
    """row → size → {ms: ms of a worker per request, rel: that over floor B's (or A's) in the same run}."""
    out: dict[str, dict[int, dict[str, float]]] = {}
    for size in growth["sizes"]:
        for result in growth["by_size"][str(size)]["results"]:
            key = result["key"]
            if key not in growth["rows"] or not result.get("measured") or not result.get("floor"):
                continue
            rates = _rounds(result) or [result["measured"]]
            out.setdefault(key, {})[size] = {
                "ms": 1000 / statistics.fmean(rates),
                "rel": result["floor"] / result["measured"],
                "p50": result.get("p50_ms") or math.nan,
                "floor": result["floor"],
            }
    return out


def verdicts(growth: dict[str, Any]) -> dict[str, tuple[float, float, str]]:
    """row → (growth smallest → largest size, exponent of size, verdict)."""
    sizes = growth["sizes"]
    small, large = min(sizes), max(sizes)
    found: dict[str, tuple[float, float, str]] = {}
    for key, by_size in costs(growth).items():
        if small not in by_size or large not in by_size:
            continue
        factor = by_size[large]["rel"] / by_size[small]["rel"]
        exponent = math.log(factor) / math.log(large / small)
        if key in VILLAGE_ROWS:
            verdict = "flat" if factor <= FLAT_LIMIT else f"NOT flat (> {FLAT_LIMIT}×)"
        else:
            verdict = "at most linear" if exponent <= 1.0 else "faster than linear"
        found[key] = (factor, exponent, verdict)
    return found


def markdown(growth: dict[str, Any], payload: dict[str, Any]) -> str:
    sizes = growth["sizes"]
    table = costs(growth)
    judged = verdicts(growth)
    head = (["row", "floor"] + [f"{s} villages: ms / × floor" for s in sizes]
            + [f"growth {min(sizes)}→{max(sizes)}", "exponent", "verdict"])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in growth["rows"]:
        by_size = table.get(key, {})
        cells = [TITLES[key], "floor A" if TARGETS[key][0] == "floor_a" else "floor B"]
        cells += [f"{by_size[s]['ms']:.2f} / {by_size[s]['rel']:.2f}" if s in by_size else "—" for s in sizes]
        factor, exponent, verdict = judged.get(key, (math.nan, math.nan, "not measured"))
        cells += [f"{factor:.2f}×", f"{exponent:.2f}", verdict]
        lines.append("| " + " | ".join(cells) + " |")
    data = [f"{s} villages: {growth['by_size'][str(s)]['persons'] or 0:,} persons, "
            f"{growth['by_size'][str(s)]['notices'] or 0:,} notices" for s in sizes]
    s = payload["settings"]
    m = payload["machine"]
    stale = " Data built from older code (`--reuse`)." if any(
        not growth["by_size"][str(v)]["code_version_matches"] for v in sizes) else ""
    start, end = marker(s["db"])
    return "\n".join([
        start,
        f"Run {payload['finished']} (`{payload['command']}`), commit {m['commit']}"
        f"{' + uncommitted changes' if m['dirty'] else ''}; {m['cpu']}, {m['cores']} cores, {s['db']}, "
        f"scale {growth['scale']!r}, uvicorn {s['workers']} worker(s), wrk {s['connections']} connections, "
        f"{s['rounds']} rounds of {s['duration']} s per row and floor.{stale}",
        "",
        "Data: " + "; ".join(data) + ".",
        "",
        "Each cell: milliseconds of the worker per request (1 / throughput), then the same as a multiple of the "
        "floor's in the same rounds. Growth and exponent are read from the multiples (exponent 0 = flat, "
        "1 = linear in the number of villages).",
        "",
        *lines,
        "",
        f"![cost per request against county size, {s['db']}](performance-growth-{s['db']}.svg)",
        end,
    ])


def plot(growth: dict[str, Any], payload: dict[str, Any], path: Path) -> bool:
    """Cost per request (× floor) against villages, log–log, with a linear guide; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import NullFormatter
    except ImportError:
        return False
    matplotlib.rcParams["svg.hashsalt"] = "cunwu-growth"  # stable ids: the file changes only when the data does
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: a small, searchable file
    sizes = growth["sizes"]
    table = costs(growth)
    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=100)
    for key in growth["rows"]:
        by_size = table.get(key, {})
        xs = [s for s in sizes if s in by_size]
        if not xs:
            continue
        style = "-o" if key in VILLAGE_ROWS else "-s"
        ax.plot(xs, [by_size[s]["rel"] for s in xs], style, label=TITLES[key], linewidth=1.6, markersize=5)
    for key in COUNTY_ROWS:  # where "linear from the smallest size" would be
        by_size = table.get(key, {})
        if min(sizes) in by_size:
            base = by_size[min(sizes)]["rel"]
            ax.plot(sizes, [base * s / min(sizes) for s in sizes], ":", color="grey", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("villages in the county (same data per village)")
    ax.set_ylabel("cost per request (× floor, same run)")
    ax.set_title(f"How cost grows — {payload['settings']['db']}, 1 worker (dotted: linear from {min(sizes)})",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=path.suffix.lstrip(".") or "svg", metadata={"Date": None})
    plt.close(fig)
    return True


def write_docs(growth: dict[str, Any], payload: dict[str, Any]) -> None:
    """Replace this database's growth section of docs/performance.md."""
    report.replace_section(marker(payload["settings"]["db"]), markdown(growth, payload))
