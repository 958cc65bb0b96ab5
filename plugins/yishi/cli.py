"""`cunwu yishi codes`: issue one-time voting codes for a project and write the A4 sheet of paper slips."""

from __future__ import annotations

from pathlib import Path

import click

from cunwu.api import Actor, site_option


@click.group()
def yishi() -> None:
    """一事一议 projects."""


@yishi.command("codes")
@click.argument("project_id", type=int)
@site_option
@click.option("--village", "village_code", required=True, help="12-digit village code of the project")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="HTML file to write (print it on A4)")
def codes(project_id: int, site_slug: str | None, village_code: str, out: Path) -> None:
    """Issue codes to every household that has none yet and write their slips. The codes are stored hashed: this
    file is the only place they appear in clear, so print it and then delete it."""
    from cunwu.api import DomainError, console, open_site

    from .services import get_project, issue_codes
    from .slips import slips_html

    site = open_site(site_slug)
    if "yishi" not in site.plugins.plugin_names():
        raise click.ClickException(f"site {site.slug} does not enable the yishi plugin")
    try:
        with site.db.transaction() as session:
            project = get_project(session, village_code, project_id)
            slips = issue_codes(session, site, Actor.system("cli:yishi-codes"), project)
            hosts = site.config.hosts
            base = site.config.public_url or (f"https://{hosts[0]}" if hosts else "")
            html = slips_html(site, project, slips, base)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_text(html, encoding="utf-8")
    console.print(f"{len(slips)} codes issued; slips written to {out}")
