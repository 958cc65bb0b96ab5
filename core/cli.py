"""The `cunwu` command line. Plugins add commands through the `register_commands` hook."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pluggy
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cunwu import __version__, hookspecs
from cunwu.plugins import DEFAULT_PLUGINS, PluginError, call_hook, installed_plugins
from cunwu.sites import DEFAULT_SITES_DIR, SiteConfigError, discover_sites, load_site

if TYPE_CHECKING:
    from cunwu.runtime import Site

console = Console(stderr=True)


def sites_dir() -> Path:
    return Path(os.environ.get("CUNWU_SITES_DIR", DEFAULT_SITES_DIR))


def open_site(slug: str | None) -> Site:
    """Load one site (the only one, or the one named), reporting configuration errors cleanly."""
    from cunwu.runtime import Site

    configs = discover_sites(sites_dir(), [slug] if slug else None)
    if len(configs) > 1:
        names = ", ".join(c.slug for c in configs)
        raise click.UsageError(f"several sites in {sites_dir()}: name one with --site ({names})")
    return Site(configs[0])


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int], None]]:
    """A rich progress bar; the callback takes (label, steps done since last call); total 0 = unknown."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def advance(label: str, steps: int, total: int | None = None) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            elif total is not None:
                progress.update(tasks[label], total=total)
            progress.advance(tasks[label], steps)

        yield advance  # type: ignore[misc]


site_option = click.option("--site", "site_slug", default=None, help="site folder name under sites/")


class CunwuGroup(click.Group):
    """Turns configuration and plugin errors into a clear message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (SiteConfigError, PluginError) as exc:
            console.print(f"[bold red]Error:[/] {exc}", highlight=False, markup=True)
            sys.exit(2)


@click.group(cls=CunwuGroup)
@click.version_option(__version__, prog_name="cunwu")
def cli() -> None:
    """Cunwu (村务): village register, meetings and public notice board, with per-site plugins."""


@cli.group()
def db() -> None:
    """Database migrations (core branch, then one branch per enabled plugin)."""


@db.command("upgrade")
@site_option
def db_upgrade(site_slug: str | None) -> None:
    """Upgrade core, then each plugin the site enables."""
    from cunwu.db.migrate import upgrade

    configs = discover_sites(sites_dir(), [site_slug] if site_slug else None)
    from cunwu.runtime import Site

    for config in configs:
        branches = upgrade(Site(config))
        console.print(f"{config.slug}: upgraded {', '.join(branches)}")


@db.command("revision")
@site_option
@click.option("--branch", required=True, help="'core' or a plugin name")
@click.option("-m", "--message", required=True)
def db_revision(site_slug: str | None, branch: str, message: str) -> None:
    """Autogenerate a migration for one branch (run `db upgrade` first)."""
    from cunwu.db.migrate import revision

    revision(open_site(site_slug), branch, message)


@db.command("squash")
@click.argument("branch")
def db_squash(branch: str) -> None:
    """Pre-release only: regenerate BRANCH ('core' or a plugin) as one initial revision from the models."""
    import tempfile

    from cunwu.db.migrate import squash
    from cunwu.runtime import Site
    from cunwu.testing import write_site_toml

    with tempfile.TemporaryDirectory() as tmp:
        enabled = [] if branch == "core" else [branch]
        config = load_site(write_site_toml(Path(tmp) / "squash", enabled=enabled))
        config.database_url = f"sqlite:///{Path(tmp) / 'unused.sqlite3'}"
        written = squash(Site(config), branch, Path(tmp))
    console.print(f"wrote {written}")


@cli.group()
def plugins() -> None:
    """Installed and enabled plugins."""


@plugins.command("list")
@site_option
def plugins_list(site_slug: str | None) -> None:
    """Installed plugins, and which sites enable them."""
    configs = discover_sites(sites_dir(), [site_slug] if site_slug else None)
    table = Table("plugin", "module", *[c.slug for c in configs])
    for name, ep in sorted(installed_plugins().items()):
        table.add_row(name, ep.value, *["yes" if name in c.enabled else "-" for c in configs])
    Console().print(table)


@cli.command()
@click.option("--site", "site_slugs", multiple=True, help="serve only these sites (default: all)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(site_slugs: tuple[str, ...], host: str, port: int, workers: int) -> None:
    """Serve the sites with uvicorn (several workers share state through the database or Redis)."""
    run_server(list(site_slugs), host, port, workers)


def run_server(site_slugs: list[str], host: str, port: int, workers: int) -> None:
    import uvicorn

    os.environ["CUNWU_SITES_DIR"] = str(sites_dir())
    if site_slugs:
        os.environ["CUNWU_SITES"] = ",".join(site_slugs)
    discover_sites(sites_dir(), site_slugs or None)  # fail here, clearly, rather than in a worker
    console.print(f"Cunwu {__version__} on http://{host}:{port}/")
    uvicorn.run("cunwu.asgi:create", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True)


@cli.group()
def site() -> None:
    """Create and inspect sites."""


@site.command("new")
@click.argument("slug")
@click.option("--name", required=True, help="county name, e.g. 肃宁县")
@click.option("--division-code", required=True, help="6-digit county code")
@click.option("--village", "villages", multiple=True, required=True,
              help="CODE:NAME:TOWNSHIP (12-digit code); repeat for each village")
@click.option("--enable", "enabled", multiple=True, help="plugin to enable; repeatable")
def site_new(slug: str, name: str, division_code: str, villages: tuple[str, ...], enabled: tuple[str, ...]) -> None:
    """Write sites/<slug>/site.toml, then check it loads."""
    from cunwu.runtime import Site
    from cunwu.sites import load_site

    folder = sites_dir() / slug
    if folder.exists():
        raise click.UsageError(f"{folder} already exists")
    lines = ["[site]", f'name = "{name}"', f'division_code = "{division_code}"', "hosts = []",
             f"enabled = [{', '.join(repr(e).replace(chr(39), chr(34)) for e in enabled)}]", ""]
    for entry in villages:
        try:
            code, vname, township = entry.split(":")
        except ValueError as exc:
            raise click.BadParameter(f"{entry!r}: expected CODE:NAME:TOWNSHIP", param_hint="--village") from exc
        lines += ["[[villages]]", f'code = "{code}"', f'name = "{vname}"', f'township = "{township}"', ""]
    folder.mkdir(parents=True)
    (folder / "site.toml").write_text("\n".join(lines), encoding="utf-8")
    try:
        Site(load_site(folder))
    except Exception:
        shutil.rmtree(folder)
        raise
    console.print(f"created {folder / 'site.toml'}")


def settings_reference(site: Any) -> str:
    """Markdown reference of every settings section of a site's core areas and plugins, with defaults."""
    lines: list[str] = []
    for name, manifest in site.plugins.manifests.items():
        if manifest.settings is None:
            continue
        section = f"[core.{name}]" if manifest.core else f"[plugins.{name}]"
        lines += [f"### `{section}` — {manifest.title_en} ({manifest.title_zh})", "",
                  "| key | type | default |", "| --- | --- | --- |"]
        for key, field in manifest.settings.model_fields.items():
            annotation = getattr(field.annotation, "__name__", None) or str(field.annotation)
            annotation = annotation.replace("typing.", "").replace("|", "or")
            shown = json.dumps(to_jsonable_python(field.get_default(call_default_factory=True)), ensure_ascii=False)
            meaning = f" — {field.description}" if field.description else ""
            lines.append(f"| `{key}`{meaning} | {annotation} | `{shown}` |")
        lines.append("")
    return "\n".join(lines)


@site.command("settings")
@site_option
def site_settings(site_slug: str | None) -> None:
    """Print the settings reference (every section, key, type and default) as Markdown."""
    click.echo(settings_reference(open_site(site_slug)))


@plugins.command("api")
def plugins_api() -> None:
    """Print the plugin API reference (every name in cunwu.api with its one-line doc) as Markdown: docs/api.md."""
    from cunwu.apidoc import reference

    click.echo(reference(), nl=False)


@cli.command()
@click.option("--no-serve", is_flag=True, help="only build the demo database")
@click.option("--scale", type=click.Choice(["demo", "county"]), default="demo", show_default=True,
              help="'county' builds ~250,000 people for benchmarks")
@click.option("--seed", default=20261122, show_default=True, type=int)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
def demo(no_serve: bool, scale: str, seed: int, port: int, host: str) -> None:
    """Build the demo county (sites/demo) in a fresh SQLite file and serve it."""
    from cunwu.demo import build_demo

    with progress_bar() as advance:
        build_demo(sites_dir(), scale=scale, rng=random.Random(seed), progress=advance)
    if not no_serve:
        run_server(["demo"], host, port, 1)


def _command_plugin_manager() -> pluggy.PluginManager:
    """Commands come from the core and from every installed plugin, whichever sites enable it."""
    import importlib

    pm = pluggy.PluginManager("cunwu")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    for name, ep in installed_plugins().items():
        try:
            pm.register(ep.load(), name=name)
        except Exception as exc:  # a broken plugin must not take the whole CLI down
            console.print(f"[yellow]plugin {name!r} not loaded: {exc!r}[/]")
    return pm


def main() -> None:
    call_hook(_command_plugin_manager(), "register_commands", cli=cli)
    cli()

