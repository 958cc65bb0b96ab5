"""The `cunwu` command line. Plugins add commands through the `register_commands` hook."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import pluggy
from pydantic_core import to_jsonable_python
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cunwu import __version__, hookspecs
from cunwu.commands import console, open_site, progress_bar, site_option
from cunwu.plugins import DEFAULT_PLUGINS, PluginError, call_hook, installed_plugins
from cunwu.sites import BUNDLED_SITES_DIR, SiteConfigError, discover_sites, load_site, sites_dir

if TYPE_CHECKING:
    from cunwu.runtime import Site


def error_message(exc: Exception) -> str:
    """What a person running a command reads when it fails: the error itself, never a traceback."""
    from sqlalchemy.exc import DBAPIError

    if isinstance(exc, DBAPIError):
        detail = str(exc.orig).strip() or type(exc.orig).__name__
        return f"database error: {detail}\n(has `cunwu db upgrade` run for this site?)"
    return str(exc) or type(exc).__name__


class CunwuGroup(click.Group):
    """Every error ends as one clear message: configuration and plugin errors exit 2, any other failure 1.
    `CUNWU_DEBUG=1` lets the traceback through, for a developer."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (SiteConfigError, PluginError) as exc:
            console.print(f"[bold red]Error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(2)
        except Exception as exc:
            if os.environ.get("CUNWU_DEBUG"):
                raise
            console.print(f"[bold red]Error:[/] {escape(error_message(exc))}", highlight=False, soft_wrap=True)
            sys.exit(1)


@click.group(cls=CunwuGroup)
@click.version_option(__version__, prog_name="cunwu")
@click.option("--sites", "sites_folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="folder holding the site folders (default: CUNWU_SITES_DIR, else ./sites)")
def cli(sites_folder: Path | None) -> None:
    """Cunwu (村务): village register, meetings and public notice board, with per-site plugins."""
    if sites_folder is not None:  # through the environment, so server workers see it too
        os.environ["CUNWU_SITES_DIR"] = str(sites_folder.resolve())


@cli.group()
def db() -> None:
    """Database migrations (core branch, then one branch per enabled plugin)."""


@db.command("upgrade")
@site_option
def db_upgrade(site_slug: str | None) -> None:
    """Upgrade core, then each plugin the site enables; then write the site's villages from site.toml (so the
    register can be imported before the first start)."""
    from cunwu.db.migrate import upgrade
    from cunwu.registry.services import sync_villages
    from cunwu.runtime import Site

    configs = discover_sites(sites_dir(), [site_slug] if site_slug else None)
    for config in configs:
        site = Site(config)
        branches = upgrade(site)
        with site.db.transaction() as session:
            sync_villages(session, site)
        site.db.dispose()
        console.print(f"{config.slug}: upgraded {', '.join(branches)}; {len(config.villages)} villages written")


@db.command("revision")
@site_option
@click.option("--branch", required=True, help="'core' or a plugin name")
@click.option("-m", "--message", required=True)
def db_revision(site_slug: str | None, branch: str, message: str) -> None:
    """Autogenerate a migration for one branch (run `db upgrade` first)."""
    from cunwu.db.migrate import revision

    for warning in revision(open_site(site_slug), branch, message):
        console.print(f"[bold yellow]Warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)


@db.command("squash")
@click.argument("branch")
def db_squash(branch: str) -> None:
    """Pre-release only: regenerate BRANCH ('core' or a plugin) as one initial revision from the models."""
    import tempfile

    from cunwu.db.migrate import squash
    from cunwu.runtime import Site

    with tempfile.TemporaryDirectory() as tmp:
        enabled = [] if branch == "core" else [branch]
        folder = Path(tmp) / "squash"  # a throw-away site enabling only BRANCH: its models are the whole schema
        folder.mkdir()
        (folder / "site.toml").write_text(site_toml("squash", "", "130926", [], "default", "zh_CN", enabled, "",
                                                    [("130926100201", "squash", "squash")]), encoding="utf-8")
        config = load_site(folder)
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


@plugins.command("new")
@click.argument("name")
@click.option("--dir", "target", type=click.Path(path_type=Path), default=None,
              help="folder to write the package into (default: ./cunwu-NAME)")
@click.option("--title-zh", default="", help="the plugin's title in Chinese (default: NAME记录)")
@click.option("--title-en", default="", help="the plugin's title in English (default: NAME records)")
def plugins_new(name: str, target: Path | None, title_zh: str, title_en: str) -> None:
    """Write a new plugin package (pip-installable, with tests that pass right away)."""
    from cunwu.scaffold import ScaffoldError, new_plugin

    folder = target or Path(f"cunwu-{name}")
    try:
        written = new_plugin(name, folder, title_zh=title_zh, title_en=title_en)
    except ScaffoldError as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"wrote {len(written)} files to {folder}/. Next: cd {folder} && python -m pytest; "
                  f"pip install -e {folder}; add {name!r} to a site's enabled list; cunwu db upgrade")


@cli.command()
@click.option("--site", "site_slugs", multiple=True, help="serve only these sites (default: all)")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(site_slugs: tuple[str, ...], host: str, port: int, workers: int) -> None:
    """Serve the sites with uvicorn (several workers share state through the database or Redis)."""
    run_server(list(site_slugs), host, port, workers)


def run_server(site_slugs: list[str], host: str, port: int, workers: int, folder: Path | None = None) -> None:
    """Serve the sites in `folder` (default: the sites folder of this process)."""
    import uvicorn

    folder = folder or sites_dir()
    os.environ["CUNWU_SITES_DIR"] = str(folder)
    if site_slugs:
        os.environ["CUNWU_SITES"] = ",".join(site_slugs)
    discover_sites(folder, site_slugs or None)  # fail here, clearly, rather than in a worker
    console.print(f"Cunwu {__version__} on http://{host}:{port}/")
    uvicorn.run("cunwu.asgi:create", factory=True, host=host, port=port, workers=workers,
                log_level="info", proxy_headers=True, access_log=False)  # cunwu.requests logs each request


@cli.group()
def site() -> None:
    """Create and inspect sites."""


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's; non-ASCII kept as written)."""
    return json.dumps(value, ensure_ascii=False)


def site_toml(name: str, name_en: str, division_code: str, hosts: list[str], theme: str, locale: str,
              enabled: list[str], supervision_phone: str, villages: list[tuple[str, str, str]]) -> str:
    """A complete site.toml: every [site] key written out, one [[villages]] table each, pointers to the rest."""

    def strings(values: list[str]) -> str:
        return "[" + ", ".join(toml_string(v) for v in values) + "]"

    lines = [
        "# A Cunwu site: see docs/sites.md. `cunwu site settings --site <slug>` lists the [core.<area>] and",
        "# [plugins.<name>] sections this site can add, with their defaults.",
        "[site]",
        f"name = {toml_string(name)}",
        f"name_en = {toml_string(name_en)}",
        f"division_code = {toml_string(division_code)}",
        f"hosts = {strings(hosts)}",
        f"theme = {toml_string(theme)}",
        f"locale = {toml_string(locale)}",
        f"enabled = {strings(enabled)}",
        f"supervision_phone = {toml_string(supervision_phone)}",
        "# database = \"postgresql+psycopg://user@host/db\"  (default: a SQLite file under CUNWU_DATA_DIR, ./var)",
        "",
    ]
    for code, village, township in villages:
        lines += ["[[villages]]", f"code = {toml_string(code)}", f"name = {toml_string(village)}",
                  f"township = {toml_string(township)}", ""]
    return "\n".join(lines)


@site.command("new")
@click.argument("slug")
@click.option("--name", required=True, help="county name, e.g. 肃宁县")
@click.option("--name-en", default="", help="English name, e.g. 'Suning County'")
@click.option("--division-code", required=True, help="6-digit county code")
@click.option("--village", "villages", multiple=True, required=True,
              help="CODE:NAME:TOWNSHIP (12-digit code); repeat for each village")
@click.option("--enable", "enabled", multiple=True, help="plugin to enable; repeatable")
@click.option("--host", "hosts", multiple=True, help="host name the site answers to; repeatable")
@click.option("--theme", default="default", show_default=True, help="a bundled theme or a folder under ./themes")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN", show_default=True)
@click.option("--supervision-phone", default="", help="supervision hotline printed on public postings")
def site_new(slug: str, name: str, name_en: str, division_code: str, villages: tuple[str, ...],
             enabled: tuple[str, ...], hosts: tuple[str, ...], theme: str, locale: str, supervision_phone: str) -> None:
    """Write <sites folder>/<slug>/site.toml, then check the site loads (theme, plugins, settings)."""
    from cunwu.runtime import Site

    folder = sites_dir() / slug
    if folder.exists():
        raise click.UsageError(f"{folder} already exists")
    parsed = []
    for entry in villages:
        parts = entry.split(":")
        if len(parts) != 3:
            raise click.BadParameter(f"{entry!r}: expected CODE:NAME:TOWNSHIP", param_hint="--village")
        parsed.append((parts[0], parts[1], parts[2]))
    text = site_toml(name, name_en, division_code, list(hosts), theme, locale, list(enabled), supervision_phone,
                     parsed)
    folder.mkdir(parents=True)
    (folder / "site.toml").write_text(text, encoding="utf-8")
    try:
        Site(load_site(folder)).db.dispose()
    except Exception:
        shutil.rmtree(folder)
        raise
    console.print(f"created {folder / 'site.toml'}; next: `cunwu db upgrade --site {slug}`", highlight=False)


def settings_reference(site: Site) -> str:
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
    """Build the demo county in a fresh SQLite file (under CUNWU_DATA_DIR, default ./var) and serve it.

    The site is ./sites/demo when there is one, else the demo site shipped with Cunwu."""
    from cunwu.demo import DEMO_SITE, build_demo

    folder = sites_dir() if (sites_dir() / DEMO_SITE / "site.toml").is_file() else BUNDLED_SITES_DIR
    with progress_bar() as advance:
        build_demo(folder, scale=scale, rng=random.Random(seed), progress=advance)
    console.print(f"demo site {folder / DEMO_SITE} built")
    if not no_serve:
        run_server([DEMO_SITE], host, port, 1, folder)


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

