"""`cunwu registry import FILE --village CODE [--commit]`: a dry run first, written only with --commit."""

from __future__ import annotations

from pathlib import Path

import click

from cunwu.accounts.actor import Actor
from cunwu.commands import site_option
from cunwu.errors import DomainError
from cunwu.i18n import _


@click.group()
def registry() -> None:
    """The village register."""


@registry.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", required=True, help="12-digit village code")
@site_option
@click.option("--commit", "do_commit", is_flag=True, help="write the rows (only when the dry run is clean)")
def import_command(file: Path, village_code: str, site_slug: str | None, do_commit: bool) -> None:
    """Check FILE (xlsx or csv, one row per person) and, with --commit, import it in one transaction."""
    from cunwu.commands import console, open_site, progress_bar
    from cunwu.registry.importer import commit, preview, read_table

    site = open_site(site_slug)
    if site.village(village_code) is None:
        raise click.UsageError(_("没有这个村：%(code)s", code=village_code))
    settings = site.settings("registry")
    try:
        table = read_table(file.read_bytes(), file.name, max_rows=settings.import_max_rows,
                           max_columns=settings.import_max_columns)
        with site.db.read() as session:
            result = preview(session, village_code, table, max_rows=settings.import_max_rows)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    for problem in result.problems:
        console.print(f"[red]{problem.where()}[/]  {problem.message}", highlight=False)
    console.print(_("共 %(rows)s 行：新增 %(added)s 人，更新 %(updated)s 人，未变 %(unchanged)s 人；"
                    "新建 %(households)s 户，成员变动 %(moves)s 处；问题 %(problems)s 个",
                    rows=result.rows, added=result.count("added"), updated=result.count("updated"),
                    unchanged=result.count("unchanged"), households=len(result.households_added),
                    moves=result.moves, problems=len(result.problems)), highlight=False)
    for change in result.changes:
        for column, before, after in change.diffs:
            console.print(f"  {_('第 %(row)s 行', row=change.row)} {change.name} · {column}: {before} → {after}",
                          highlight=False)
    if result.problems:
        raise SystemExit(1)
    if result.nothing_changes:
        console.print(_("与登记簿相同，无需导入"))
        return
    if not do_commit:
        console.print(_("这是预览（未写入任何数据）。确认无误后加 --commit 导入"))
        return
    with progress_bar() as advance, site.db.transaction() as session:
        advance(_("导入"), 0, result.rows)
        commit(session, Actor.system("cli:registry-import"), result, progress=lambda n: advance(_("导入"), n))
    console.print(_("已导入 %(rows)s 行", rows=result.rows))
