"""The page rows: floors A and B and the product's pages, under the same uvicorn set-up and the same wrk load.

All servers are started first, one after the other (each start timed on its own): floor A, floor B, the product
with the notice cache on, the product with it off. Then, row by row, wrk loads the row's floor and the row in
turn — never two at once — for `rounds` rounds, the order flipped every round, so a change in the machine's load
during the run (other jobs on a shared box) falls on both sides of the ratio. An idle server costs no CPU.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
from sqlalchemy import text

from tests.benchmarks import load, servers
from tests.benchmarks.county import County
from tests.benchmarks.land_village import MAP_PLOTS
from tests.benchmarks.report import Result, not_measured

PAGE_ROWS = ["floor_a", "floor_b", "board_warm", "board_nocache", "notice", "village", "overview", "register_search",
             "coverage_dashboard", "land_ledger", "land_map", "startup", "memory"]
TITLES = {
    "floor_a": "floor A: bare Litestar handler",
    "floor_b": "floor B: hand-written board (DB-API + Jinja2)",
    "board_warm": "village notice board, warm cache",
    "board_nocache": "village notice board, cache off",
    "notice": "one notice page (anonymous, cached)",
    "village": "village home page",
    "overview": "county overview /",
    "register_search": "register search (clerk logged in)",
    "coverage_dashboard": "county coverage dashboard, cache off (county official)",
    "land_ledger": "township land transfer ledger /p/land/ (township official)",
    "land_map": f"village land map, {MAP_PLOTS:,} plots (public)",
    "startup": "start-up to first response",
    "memory": "RSS per worker after load",
}
#: row → (floor, target operator, target ratio); rows with no operator are reported against their floor only
TARGETS: dict[str, tuple[str, str | None, float | None]] = {
    "board_warm": ("floor_a", ">=", 0.5),
    "board_nocache": ("floor_b", ">=", 0.5),
    "notice": ("floor_b", None, None),
    "village": ("floor_b", ">=", 0.5),
    "overview": ("floor_b", ">=", 0.5),
    "register_search": ("floor_b", ">=", 0.5),  # and p99 ≤ 4 × p50 (issue #18): read it off the table
    "coverage_dashboard": ("floor_b", ">=", 0.5),
    "land_ledger": ("floor_b", ">=", 0.5),
    "land_map": ("floor_b", ">=", 0.5),
}
FLOOR_NAMES = {"floor_a": "floor A", "floor_b": "floor B"}
NOTICE_LINK = re.compile(r'href="/v/\d{12}/notices/(\d+)"')
SEARCH_TERM = "王"  # the commonest surname: a realistic, non-trivial register search


@dataclass
class LoadSettings:
    workers: int
    connections: int
    duration: float
    warmup: float
    rounds: int = 2
    threads: int = 1


@dataclass
class Target:
    """A URL to load: which server, which path, which headers (always gzip, as every phone browser asks)."""

    server: servers.Server
    path: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.headers = {"Accept-Encoding": "gzip", **self.headers}

    @property
    def url(self) -> str:
        return self.server.base + self.path


def board_notice_ids(html: str) -> list[int]:
    return [int(n) for n in NOTICE_LINK.findall(html)]


def login(base: str, username: str, password: str) -> dict[str, str]:
    """Log in through the real form; the Cookie header wrk then sends with every request."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        page = client.get("/login")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
        response = client.post("/login", data={"username": username, "password": password, "next": "/",
                                               "_csrf_token": token[1] if token else ""})
        if response.status_code != 303 or "cunwu_session" not in client.cookies:
            raise RuntimeError(f"login as {username} failed: {response.status_code} {response.text[:200]}")
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}


def pick_notice(county: County) -> int | None:
    """A public notice of the first village with the most versions and objections (the heaviest page)."""
    site = county.site()
    try:
        with site.db.read() as session:
            return session.execute(text(
                "SELECT n.id FROM notices_notice n LEFT JOIN notices_objection o ON o.series = n.series "
                "WHERE n.village_code = :v AND n.is_current AND n.published_at IS NOT NULL "
                "GROUP BY n.id, n.version ORDER BY n.version DESC, count(o.id) DESC, n.id DESC LIMIT 1"),
                {"v": county.first_village.code}).scalar()
    finally:
        site.db.dispose()


@contextmanager
def _servers(county: County, cfg: LoadSettings, need: set[str], log: Callable[[str], None]
             ) -> Iterator[dict[str, servers.Server]]:
    village = county.first_village
    product_env = {"CUNWU_SITES_DIR": str(county.sites_dir), "CUNWU_SITES": "county", "CUNWU_REDIS_URL": ""}
    specs: dict[str, tuple[str, bool, str, dict[str, str]]] = {
        "floor_a": ("tests.benchmarks.floor_a:app", False, "/", {}),
        "floor_b": ("tests.benchmarks.floor_b:app", False, f"/v/{village.code}/notices/", {
            "BENCH_DB_URL": county.url, "BENCH_VILLAGE_NAME": village.name, "BENCH_TOWNSHIP": village.township,
            "BENCH_COUNTY_NAME": county.site_name}),
        "product": ("cunwu.asgi:create", True, "/-/health", product_env),
        "nocache": ("cunwu.asgi:create", True, "/-/health", {**product_env, "CUNWU_SITES": "nocache"}),
    }
    with ExitStack() as stack:
        started: dict[str, servers.Server] = {}
        for name, (app, factory, ready, env) in specs.items():
            if name in need:
                log(f"starting {name} ({cfg.workers} worker{'s' if cfg.workers > 1 else ''}) …")
                started[name] = stack.enter_context(servers.serve(app, factory=factory, workers=cfg.workers,
                                                                  ready_path=ready, env=env, label=name))
        yield started


def _prepare_targets(county: County, running: dict[str, servers.Server], selected: set[str]
                     ) -> tuple[dict[str, Target], dict[str, Result]]:
    """Each row's URL, checked once by hand (status, cache state, same notices as floor B) before any load."""
    from cunwu.demo import DEMO_PASSWORD

    village = county.first_village
    board = f"/v/{village.code}/notices/"
    targets: dict[str, Target] = {}
    skipped: dict[str, Result] = {}
    if "floor_a" in running:
        targets["floor_a"] = Target(running["floor_a"], "/")
    floor_ids: list[int] | None = None
    if "floor_b" in running:
        targets["floor_b"] = Target(running["floor_b"], board)
        floor_ids = board_notice_ids(httpx.get(targets["floor_b"].url, timeout=60).text)

    def check(key: str, target: Target, expect: Callable[[httpx.Response], str | None] = lambda r: None) -> None:
        if key not in selected:
            return
        with httpx.Client(headers=target.headers, timeout=60) as client:
            first = client.get(target.url)
            problem = (f"GET {target.path} answered {first.status_code}" if first.status_code != 200
                       else expect(client.get(target.url)))
        if problem:
            skipped[key] = not_measured(key, TITLES[key], "req/s", problem)
        else:
            targets[key] = target

    def same_rows(response: httpx.Response) -> str | None:
        if floor_ids is not None and board_notice_ids(response.text) != floor_ids:
            return "floor B does not list the same notices as the board"
        return None

    def cached(response: httpx.Response) -> str | None:
        if response.headers.get("x-cache") != "hit":
            return f"the second request was not a cache hit (X-Cache: {response.headers.get('x-cache')})"
        return same_rows(response)

    def uncached(response: httpx.Response) -> str | None:
        if response.headers.get("x-cache") == "hit":
            return "the board is still served from the cache with cache_seconds = 0"
        return same_rows(response)

    if "product" in running:
        product = running["product"]
        check("board_warm", Target(product, board), cached)
        notice_id = pick_notice(county) if "notice" in selected else None
        if notice_id is None and "notice" in selected:
            skipped["notice"] = not_measured("notice", TITLES["notice"], "req/s", "no public notice in the data")
        elif notice_id is not None:
            check("notice", Target(product, f"/v/{village.code}/notices/{notice_id}"))
        check("village", Target(product, f"/v/{village.code}/"))
        check("overview", Target(product, "/"))
        if "register_search" in selected:
            try:
                headers = login(product.base, "clerk", DEMO_PASSWORD)
            except RuntimeError as exc:
                skipped["register_search"] = not_measured("register_search", TITLES["register_search"], "req/s",
                                                          str(exc))
            else:
                search = f"/v/{village.code}/registry/?q={quote(SEARCH_TERM)}"
                check("register_search", Target(product, search, headers),
                      lambda r: None if "<table" in r.text or "<li" in r.text else "no results on the search page")
        if "land_ledger" in selected:  # the township official of the first village's township: its villages
            try:
                headers = login(product.base, "township", DEMO_PASSWORD)
            except RuntimeError as exc:
                skipped["land_ledger"] = not_measured("land_ledger", TITLES["land_ledger"], "req/s", str(exc))
            else:
                check("land_ledger", Target(product, "/p/land/", headers),
                      lambda r: None if village.name in r.text and "LZ" in r.text
                      else "the ledger lists no transfer of the first village")
        check("land_map", Target(product, f"/v/{village.code}/p/land/map"),
              lambda r: None if r.text.count("<path ") >= MAP_PLOTS
              else f"the map draws {r.text.count('<path ')} plots, not {MAP_PLOTS:,}")
    if "nocache" in running:
        check("board_nocache", Target(running["nocache"], board), uncached)
        if "coverage_dashboard" in selected:  # every village of the county, on the server with the cache off
            try:
                headers = login(running["nocache"].base, "county", DEMO_PASSWORD)
            except RuntimeError as exc:
                skipped["coverage_dashboard"] = not_measured("coverage_dashboard", TITLES["coverage_dashboard"],
                                                             "req/s", str(exc))
            else:
                villages = len(county.villages)
                check("coverage_dashboard", Target(running["nocache"], "/p/coverage/", headers),
                      lambda r: None if 'id="chart-townships"' in r.text and f"{villages} 个村" in r.text
                      else f"the dashboard does not show the county's {villages} villages")
    return targets, skipped


def _reset_store(county: County) -> None:
    """Drop sessions and cached pages left by earlier runs, so every run starts from the same database."""
    site = county.site()
    try:
        with site.db.transaction() as session:
            session.execute(text("DELETE FROM core_store WHERE namespace LIKE '%sessions' OR namespace LIKE '%cache'"))
    finally:
        site.db.dispose()


def _coverage_snapshot(county: County, log: Callable[[str], None]) -> None:
    """Take this month's coverage snapshot when the county data lacks it (a build from an earlier month), as the
    monthly `cunwu coverage snapshot` cron would: the dashboard never writes it on a visit, and without it every
    request would measure 300 villages live."""
    from sqlmodel import func, select

    from cunwu.api import local_today
    from cunwu_plugins.coverage import rules, services
    from cunwu_plugins.coverage.models import Snapshot

    site = county.site()
    try:
        with site.db.read() as session:
            stored = session.exec(select(func.count()).select_from(Snapshot).where(
                Snapshot.month == rules.month_of(local_today()))).one()
        if stored < len(site.villages):
            log("coverage: taking this month's snapshot (cunwu coverage snapshot) …")
            with site.db.transaction() as session:
                services.take_snapshot(session, site)
    finally:
        site.db.dispose()


def _measure(target: Target, cfg: LoadSettings) -> load.LoadResult:
    return load.run(target.url, seconds=cfg.duration, connections=cfg.connections, threads=cfg.threads,
                    headers=target.headers, warmup=cfg.warmup)


def _summary(key: str, runs: list[load.LoadResult]) -> Result:
    result = Result(key, TITLES[key], "req/s", measured=statistics.fmean(r.rps for r in runs),
                    p50_ms=statistics.fmean(r.p50_ms for r in runs), p99_ms=max(r.p99_ms for r in runs))
    result.detail["runs"] = [r.as_dict() for r in runs]
    errors = sum(r.errors for r in runs)
    if errors:
        result.note = f"{errors} failed requests (non-2xx/3xx or socket errors) of {sum(r.requests for r in runs)}"
    return result


def run_pages(county: County, cfg: LoadSettings, selected: set[str], log: Callable[[str], None]) -> list[Result]:
    rows = [key for key in TARGETS if key in selected]
    need = {"floor_a"} if selected & {"floor_a", "startup", "memory"} else set()
    need |= {TARGETS[key][0] for key in rows}
    need |= {"floor_b"} if "floor_b" in selected else set()
    need |= {"product"} if selected & {"board_warm", "notice", "village", "overview", "register_search", "land_ledger",
                                       "land_map", "startup", "memory"} else set()
    need |= {"nocache"} if selected & {"board_nocache", "coverage_dashboard"} else set()
    results: dict[str, Result] = {}
    _reset_store(county)
    if "coverage_dashboard" in selected:
        _coverage_snapshot(county, log)
    with _servers(county, cfg, need, log) as running:
        targets, skipped = _prepare_targets(county, running, selected)
        results.update(skipped)
        floor_runs: dict[str, list[load.LoadResult]] = {"floor_a": [], "floor_b": []}
        for key in rows:
            if key not in targets:
                continue
            floor_key = TARGETS[key][0]
            if floor_key not in targets:
                results[key] = not_measured(key, TITLES[key], "req/s", f"{floor_key} did not start")
                continue
            log(f"{TITLES[key]} against {floor_key} ({targets[key].path})")
            own: list[load.LoadResult] = []
            try:
                for round_ in range(cfg.rounds):
                    pair = [(floor_runs[floor_key], targets[floor_key]), (own, targets[key])]
                    for runs, target in (pair if round_ % 2 == 0 else reversed(pair)):
                        runs.append(_measure(target, cfg))
            except (RuntimeError, ValueError) as exc:  # wrk failed or printed something unexpected
                results[key] = not_measured(key, TITLES[key], "req/s", str(exc)[:300])
                continue
            result = _summary(key, own)
            floor_mean = statistics.fmean(r.rps for r in floor_runs[floor_key][-cfg.rounds:])
            _, op, value = TARGETS[key]
            result.floor_title, result.floor = FLOOR_NAMES[floor_key], floor_mean
            result.ratio = result.measured / floor_mean if result.measured and floor_mean else None
            result.target_op, result.target_value = op, value
            result.detail["path"] = targets[key].path
            results[key] = result
        for floor_key in ("floor_a", "floor_b"):
            if floor_key in selected and floor_key in targets:
                if not floor_runs[floor_key]:
                    floor_runs[floor_key] = [_measure(targets[floor_key], cfg) for _ in range(cfg.rounds)]
                results[floor_key] = _summary(floor_key, floor_runs[floor_key])
        if "startup" in selected and "product" in running:
            result = Result("startup", TITLES["startup"], "s", measured=running["product"].startup_seconds)
            if "floor_a" in running:
                result.floor_title, result.floor = "floor A start-up", running["floor_a"].startup_seconds
                result.ratio = result.measured / result.floor  # type: ignore[operator]
            results["startup"] = result
        if "memory" in selected and "product" in running:
            rss = running["product"].rss()
            result = Result("memory", TITLES["memory"], "MiB", measured=max(rss) if rss else None)
            result.detail["rss_mib"] = rss
            if "floor_a" in running and running["floor_a"].rss():
                result.floor_title, result.floor = "floor A RSS", max(running["floor_a"].rss())
                result.ratio = result.measured / result.floor if result.measured else None
            results["memory"] = result
    return [results[key] for key in PAGE_ROWS if key in results]


__all__ = ["PAGE_ROWS", "LoadSettings", "run_pages"]
