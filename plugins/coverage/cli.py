"""`cunwu coverage snapshot` (monthly, cron-friendly, idempotent per month) and `cunwu coverage import-groups`
(a dry run first, written only with --commit, in one transaction)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cunwu.api import Actor, DomainError, _, console, open_site, site_option


@click.group()
def coverage() -> None:
    """Four-organisation coverage (四个组织全覆盖)."""


@coverage.command("snapshot")
@site_option
@click.option("--on", "on", default=None, help="the day to measure (YYYY-MM-DD; default today): its month is stored")
def snapshot(site_slug: str | None, on: str | None) -> None:
    """Store this month's coverage of every village; running it again in the same month rewrites that month."""
    from . import services

    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        raise click.BadParameter(_("“%(v)s”不是有效日期（如 2025-03-01）", v=on), param_hint="--on") from None
    site = open_site(site_slug)
    with site.db.transaction() as session:
        added, rewritten = services.take_snapshot(session, site, day)
    console.print(_("月度快照：新增 %(a)s 个村，更新 %(r)s 个村", a=added, r=rewritten), highlight=False)


@coverage.command("import-groups")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--village", "village_code", required=True, help="the village's 12-digit code")
@click.option("--commit", "do_commit", is_flag=True, help="write the groups (only when the dry run is clean)")
def import_groups(file: Path, site_slug: str | None, village_code: str, do_commit: bool) -> None:
    """Check FILE (xlsx or csv: 小组编号, 小组名称, 户号, 组长) and, with --commit, write it in one transaction."""
    from . import importer

    site = open_site(site_slug)
    if site.village(village_code) is None:
        raise click.ClickException(_("没有这个村：%(code)s", code=village_code))
    try:
        with site.db.transaction() as session:
            result = importer.preview(session, site, village_code, file.read_bytes(), file.name)
            for problem in result.problems:
                console.print(f"[red]{problem.where()}[/]  {problem.message}", highlight=False)
            console.print(_("共 %(rows)s 户，%(g)s 个小组（新建 %(new)s 个）；问题 %(p)s 个", rows=result.rows,
                            g=result.groups, new=len(result.new_groups), p=len(result.problems)), highlight=False)
            if result.problems:
                raise SystemExit(1)
            if not do_commit:
                console.print(_("这是预览（未写入任何数据）。确认无误后加 --commit 导入"))
                return
            written = importer.commit(session, site, Actor.system("cli:coverage-import-groups"), village_code,
                                      result)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(_("已导入：%(n)s 户编入或调整了小组", n=written))
