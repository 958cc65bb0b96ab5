"""`cunwu land import FILE`: plots and contracts from a county's 确权 export (xlsx or csv); `cunwu land geojson`."""

from __future__ import annotations

from pathlib import Path

import click

from cunwu.api import site_option


@click.group()
def land() -> None:
    """土地承包和流转 (land contracts and transfers)."""


def _site(site_slug: str | None):  # type: ignore[no-untyped-def]
    from cunwu.api import open_site

    site = open_site(site_slug)
    if not site.is_enabled("land"):
        raise click.ClickException(f"site {site.slug} does not enable the land plugin")
    return site


@land.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--commit", is_flag=True, help="write the rows (without it: a dry run that only reports problems)")
def import_command(file: Path, site_slug: str | None, commit: bool) -> None:
    """Import plots and contracts (one row per plot). Without --commit nothing is written; with it, every row is
    written in one transaction or none is. Importing the same file again changes nothing."""
    from cunwu.api import Actor, console, progress_bar

    from .importer import import_file

    site = _site(site_slug)
    with progress_bar() as advance:
        report = import_file(site, Actor.system("cli:land-import"), file.name, file.read_bytes(), commit=commit,
                             progress=lambda n, total: advance("地块", n, total))
    for problem in report.problems[:200]:
        console.print(f"[red]{problem.where()}[/red]: {problem.message}")
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} problems; nothing was written")
    verb = "imported" if commit else "would import (dry run; add --commit to write)"
    console.print(f"{report.rows} rows: {verb} {report.new_plots} new plots, {report.new_contracts} new contracts, "
                  f"{report.unchanged} unchanged")


@land.command("geojson")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--commit", is_flag=True, help="write the polygons (without it: a dry run)")
def geojson_command(file: Path, site_slug: str | None, commit: bool) -> None:
    """Attach polygons to plots from a GeoJSON FeatureCollection (property `code` = the 19-digit plot code)."""
    from cunwu.api import Actor, console

    from .geometry import import_geojson

    site = _site(site_slug)
    report = import_geojson(site, Actor.system("cli:land-geojson"), file.name, file.read_bytes(), commit=commit)
    for problem in report.problems:
        console.print(f"[red]{problem.where()}[/red]: {problem.message}")
    for warning in report.warnings:
        console.print(f"[yellow]{warning}[/yellow]")
    if report.problems:
        raise click.ClickException(f"{len(report.problems)} problems; nothing was written")
    console.print(f"{report.rows} polygons {'attached' if commit else 'checked (dry run)'}")
