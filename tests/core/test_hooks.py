"""One test per hook (Datasette's rule), plus the meta-tests that every hook has docs and a test."""

from __future__ import annotations

import ast
import inspect
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner
from litestar.testing import TestClient
from markupsafe import Markup
from sqlmodel import Field, SQLModel

from cunwu import hookimpl, hookspecs
from cunwu.app import create_site_app
from cunwu.demo import run_demo_hooks
from cunwu.plugin_types import DemoContext, Manifest, MenuLink, Permission
from cunwu.testing import login, site_client

ROOT = Path(__file__).resolve().parents[2]
VILLAGE = "130926100201"
OTHER_VILLAGE = "130926101201"


def hook_names() -> list[str]:
    return sorted(name for name, fn in vars(hookspecs).items()
                  if inspect.isfunction(fn) and hasattr(fn, "cunwu_spec"))


def test_every_hook_is_documented_with_its_signature() -> None:
    docs = (ROOT / "docs" / "hooks.md").read_text(encoding="utf-8")
    for name in hook_names():
        signature = f"{name}{inspect.signature(getattr(hookspecs, name))}".replace("'", "")
        assert f"### `{name}(" in docs, f"docs/hooks.md has no section for {name}"
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### `{name}({params})`" in docs, f"docs/hooks.md: {name} should read `{name}({params})` ({signature})"


def test_every_hook_has_a_test() -> None:
    tests = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py"))
    missing = [name for name in hook_names() if not re.search(rf"def test_hook_{name}(_\w+)?\(", tests)]
    assert missing == [], f"hooks without a test_hook_<name> test: {missing}"


class Probe:
    """An inline plugin that implements the web and lifecycle hooks and records what it saw."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="probe", title_zh="探针", title_en="Probe", version="0.1",
                        permissions=(Permission("probe.peek", "看", "Peek", frozenset({"clerk"})),))

    @hookimpl
    def menu_links(self, request: Any, actor: Any, village_code: str | None) -> list[MenuLink]:
        if actor is None:
            return []
        return [MenuLink(href=f"/v/{village_code}/p/probe/", label="探针菜单")] if village_code else [
            MenuLink(href="/p/probe/", label="县探针", level="site")]

    @hookimpl
    async def page_slots(self, request: Any, slot: str, village_code: str | None) -> list[Markup]:
        return [Markup(f"<p class=probe-slot>{slot}:{village_code}</p>")]

    @hookimpl
    def extra_template_vars(self, request: Any, template: str) -> dict[str, Any]:
        self.calls.append(("extra_template_vars", template))
        return {"probe_template": template}

    @hookimpl
    def permission_allowed(self, actor: Any, action: str, village_code: str | None, site: Any) -> bool | None:
        if action == "audit.view" and village_code == OTHER_VILLAGE:
            return False  # deny wins even where a role would allow
        return None

    @hookimpl
    def startup(self, site: Any) -> None:
        self.calls.append(("startup", site.slug))

    @hookimpl
    async def shutdown(self, site: Any) -> None:
        self.calls.append(("shutdown", site.slug))

    @hookimpl
    def demo_data(self, session: Any, site: Any, demo: DemoContext) -> None:
        self.calls.append(("demo_data", demo.rng.randint(1, 10**6)))


def _probe_site(site_factory: Any) -> tuple[Any, Probe]:
    probe = Probe()
    return site_factory(enabled=["probe"], available={"probe": probe}), probe


def test_hook_manifest(site_factory: Any) -> None:
    site, _ = _probe_site(site_factory)
    manifest = site.plugins.manifests["probe"]
    assert (manifest.title_en, manifest.prefix) == ("Probe", "probe_")
    assert "probe.peek" in site.plugins.permissions


def test_hook_register_models(site_factory: Any) -> None:
    class ProbeThing(SQLModel, table=True):
        __tablename__ = "probe2_thing"
        id: int | None = Field(default=None, primary_key=True)

    class Owner:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="probe2", title_zh="二", title_en="Two", version="1")

        @hookimpl
        def register_models(self) -> list[type]:
            return [ProbeThing]

    site = site_factory(enabled=["probe2"], available={"probe2": Owner()}, migrate=False)
    assert site.plugins.owner_of_table()["probe2_thing"] == "probe2"
    assert site.plugins.models["probe2"] == [ProbeThing]


def test_hook_register_routes(site_factory: Any) -> None:
    from litestar import get

    class Routes:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="hello", title_zh="你好", title_en="Hello", version="1")

        @hookimpl
        def register_routes(self, site: Any) -> list[Any]:
            @get("/p/hello/", opt={"public": True})
            async def hello() -> dict[str, str]:
                return {"site": site.slug}

            return [hello]

    site = site_factory(enabled=["hello"], available={"hello": Routes()})
    with TestClient(create_site_app(site)) as client:
        assert client.get("/p/hello/").json() == {"site": site.slug}


def test_hook_asgi_wrapper(site_factory: Any) -> None:
    class Timing:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="timing", title_zh="计时", title_en="Timing", version="1")

        @hookimpl
        def asgi_wrapper(self, site: Any) -> Any:
            def wrap(app: Any) -> Any:
                async def timed(scope: Any, receive: Any, send: Any) -> None:
                    async def add_header(message: Any) -> None:
                        if message["type"] == "http.response.start":
                            message["headers"] = [*message["headers"], (b"x-site", site.slug.encode())]
                        await send(message)

                    await app(scope, receive, add_header if scope["type"] == "http" else send)

                return timed

            return wrap

    site = site_factory(enabled=["timing"], available={"timing": Timing()})
    with TestClient(create_site_app(site)) as client:  # the lifespan passes through the wrapper too
        page = client.get("/")
        assert page.status_code == 200 and page.headers["x-site"] == site.slug
    plain = site_factory()
    with TestClient(create_site_app(plain)) as client:
        assert "x-site" not in client.get("/").headers


def test_hook_permission_allowed_deny_wins(site_factory: Any) -> None:
    site, _ = _probe_site(site_factory)
    from cunwu.testing import actor, make_user

    make_user(site, "boss", role="county_official")
    boss = actor(site, "boss")
    assert site.allowed(boss, "audit.view", VILLAGE) is True
    assert site.allowed(boss, "audit.view", OTHER_VILLAGE) is False  # the probe said no
    assert site.allowed(None, "audit.view", VILLAGE) is False


def test_hook_permission_villages(site_factory: Any) -> None:
    """`villages_for` asks a plugin with `permission_villages` once, and one with only `permission_allowed` (the
    probe, which refuses one village) village by village: its refusal still counts."""
    from cunwu.testing import actor, make_user

    asked: list[tuple[str, list[str]]] = []

    class Batch:
        @hookimpl
        def manifest(self) -> Manifest:
            return Manifest(name="batch", title_zh="批", title_en="Batch", version="0.1")

        @hookimpl
        def permission_allowed(self, actor: Any, action: str, village_code: str | None, site: Any) -> bool | None:
            return False if action == "audit.view" and village_code == VILLAGE else None

        @hookimpl
        def permission_villages(self, actor: Any, action: str, village_codes: list[str], site: Any,
                                ) -> dict[str, bool | None]:
            asked.append((action, list(village_codes)))
            return {code: self.permission_allowed(actor, action, code, site) for code in village_codes}

    probe = Probe()
    site = site_factory(enabled=["probe", "batch"], available={"probe": probe, "batch": Batch()})
    make_user(site, "boss", role="county_official")
    boss = actor(site, "boss")
    every = list(site.villages)
    assert len(every) == 3
    # the probe refuses OTHER_VILLAGE, the batch plugin VILLAGE: the third village is left
    assert site.villages_for(boss, "audit.view") == [c for c in every if c not in (VILLAGE, OTHER_VILLAGE)]
    assert site.villages_for(boss, "audit.view") == [c for c in every if site.allowed(boss, "audit.view", c)]
    assert asked == [("audit.view", every)] * 2  # once per question, not once per village
    assert site.villages_for(None, "audit.view") == []


def test_hook_menu_links(site_factory: Any) -> None:
    site, _ = _probe_site(site_factory)
    with site_client(site) as client:
        assert "探针菜单" not in client.get(f"/v/{VILLAGE}/").text
        login(client, site, "clerk", role="clerk", scope=VILLAGE)
        village_page = client.get(f"/v/{VILLAGE}/").text
        assert "探针菜单" in village_page and "县探针" not in village_page
        assert "县探针" in client.get("/").text


def test_hook_page_slots(site_factory: Any) -> None:
    site, _ = _probe_site(site_factory)
    with site_client(site) as client:
        assert "site_home:None" in client.get("/").text
        assert f"village_home:{VILLAGE}" in client.get(f"/v/{VILLAGE}/").text


def test_hook_extra_template_vars(site_factory: Any) -> None:
    site, probe = _probe_site(site_factory)
    with site_client(site) as client:
        client.get("/")
    assert ("extra_template_vars", "site/home.html") in probe.calls


def test_hook_startup(site_factory: Any) -> None:
    site, probe = _probe_site(site_factory)
    assert ("startup", site.slug) in probe.calls  # make_test_site runs start-up like the app does
    probe.calls.clear()
    with TestClient(create_site_app(site)):
        assert probe.calls == [("startup", site.slug)]


def test_hook_shutdown(site_factory: Any) -> None:
    site, probe = _probe_site(site_factory)
    with TestClient(create_site_app(site)):
        pass
    assert probe.calls[-1] == ("shutdown", site.slug)


def test_hook_demo_data(site_factory: Any) -> None:
    import random

    site, probe = _probe_site(site_factory)
    run_demo_hooks(site, DemoContext(rng=random.Random(7)))
    again = Probe()
    site2 = site_factory(enabled=["probe"], available={"probe": again})
    run_demo_hooks(site2, DemoContext(rng=random.Random(7)))
    first = [c for c in probe.calls if c[0] == "demo_data"]
    assert first and first == [c for c in again.calls if c[0] == "demo_data"]  # seeded: reproducible


def test_hook_register_commands(tmp_path: Path) -> None:
    group = click.Group("cunwu")
    from cunwu.cli import _command_plugin_manager
    from cunwu.plugins import call_hook

    call_hook(_command_plugin_manager(), "register_commands", cli=group)
    assert {"users", "audit"} <= set(group.commands)
    result = CliRunner().invoke(group, ["audit", "--help"])
    assert result.exit_code == 0 and "verify" in result.output
    listing = subprocess.run([sys.executable, "-m", "cunwu", "--help"], capture_output=True, text=True)
    assert "users" in listing.stdout and "audit" in listing.stdout


class _Timed:
    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="timed", title_zh="计时", title_en="Timed", version="0.1")

    @hookimpl
    async def startup(self, site: Any) -> str:
        return f"started {site.slug}"


def test_hooks_are_traced_with_plugin_and_duration(site_factory: Any, monkeypatch: Any, caplog: Any) -> None:
    """`CUNWU_TRACE_HOOKS=1`: every call through `call_hook` logs the hook, the plugin and its milliseconds."""
    from cunwu.plugins import call_hook

    site = site_factory(enabled=["timed"], available={"timed": _Timed()})
    caplog.set_level(logging.INFO, logger="cunwu.hooks")
    monkeypatch.delenv("CUNWU_TRACE_HOOKS", raising=False)
    site.run_startup()
    assert [r for r in caplog.records if r.name == "cunwu.hooks"] == []  # off unless asked
    monkeypatch.setenv("CUNWU_TRACE_HOOKS", "1")
    answers = call_hook(site.plugins.pm, "startup", site=site)
    assert ("timed", f"started {site.slug}") in answers  # the async implementation was awaited
    traced = [r.getMessage() for r in caplog.records if r.name == "cunwu.hooks"]
    assert any(re.fullmatch(r"hook startup plugin timed \d+\.\d{3} ms", line) for line in traced), traced
    assert any(line.startswith("hook startup plugin cunwu.meetings.plugin ") for line in traced), traced
    caplog.clear()
    assert site.allowed(None, "audit.view", VILLAGE) is False  # the permission check goes through it too
    assert any(r.getMessage().startswith("hook permission_allowed plugin ") for r in caplog.records)


def test_call_hook_can_ask_one_plugin_in_load_order(site_factory: Any) -> None:
    from cunwu.plugins import call_hook

    timed = _Timed()
    site = site_factory(enabled=["timed"], available={"timed": timed})
    assert call_hook(site.plugins.pm, "startup", only=timed, site=site) == [("timed", f"started {site.slug}")]
    names = [name for name, _answer in call_hook(site.plugins.pm, "manifest", load_order=True)]
    assert names[0] == "cunwu.web.plugin" and names[-1] == "timed"


def direct_hook_calls(source: str, name: str) -> list[str]:
    """`name:line` of every `<manager>.hook.<name>(...)` call: one that skips `call_hook` (no tracing, no timing)."""
    return [f"{name}:{node.lineno}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "hook"]


def test_every_hook_call_goes_through_call_hook() -> None:
    """`CUNWU_TRACE_HOOKS=1` sees every hook call only if every caller uses `call_hook` (or `site.call`)."""
    sources = [path for folder in ("core", "plugins", "docs/examples")
               for path in sorted((ROOT / folder).rglob("*.py"))]
    assert [hit for path in sources for hit in direct_hook_calls(path.read_text(encoding="utf-8"), str(path))] == []
    assert direct_hook_calls("site.plugins.hook.startup(site=site)\npm.hook.x.get_hookimpls()\n", "x.py") == ["x.py:1"]
