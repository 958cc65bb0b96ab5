"""`cunwu coop close-year` and `cunwu coop import`: a dry run first, written only with --commit."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from cunwu.api import Actor, DomainError, _, console, fen_text, open_site, site_option


@click.group()
def coop() -> None:
    """Farmer co-operatives (农民专业合作社)."""


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(_("“%(v)s”不是金额", v=value)) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise click.BadParameter(_("“%(v)s”不是不小于 0、精确到分的金额", v=value))
    return amount


def _find(session, credit_code: str):  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from .models import Cooperative

    found = session.exec(select(Cooperative).where(Cooperative.credit_code == credit_code.strip().upper())).first()
    if found is None:
        raise click.ClickException(_("没有统一社会信用代码为 %(code)s 的合作社", code=credit_code))
    return found


@coop.command("close-year")
@site_option
@click.option("--coop", "credit_code", required=True, help="the co-op's 统一社会信用代码")
@click.option("--year", type=int, required=True)
@click.option("--surplus", required=True, help="the year's surplus in yuan (e.g. 12345.67)")
@click.option("--losses", default="0", show_default=True, help="losses made good, yuan")
@click.option("--subsidy", default="0", show_default=True, help="assets formed from state subsidies this year, yuan")
@click.option("--reason", default="", help="required when correcting a closed year")
@click.option("--commit", "do_commit", is_flag=True, help="write the close and post the distribution")
def close_year(site_slug: str | None, credit_code: str, year: int, surplus: str, losses: str, subsidy: str,
               reason: str, do_commit: bool) -> None:
    """Close YEAR for one co-op: show the distribution, and with --commit write it and post it on the board."""
    from . import services

    site = open_site(site_slug)
    figures = {"surplus": _amount(surplus), "losses_made_good": _amount(losses), "subsidy_assets": _amount(subsidy)}
    try:
        with site.db.read() as session:
            found = _find(session, credit_code)
            plan = services.plan_close(session, found, year, **figures)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(_("可分配盈余 %(d)s 元：按交易量返还 %(p)s 元，按出资等分配 %(o)s 元；公积金 %(r)s 元",
                    d=plan.distributable, p=plan.patronage_pool, o=plan.other_pool, r=plan.reserve), highlight=False)
    for member, line in zip(plan.members, plan.lines, strict=True):
        console.print(f"  {member.number} {member.name}: {fen_text(line.patronage)} + {fen_text(line.other)} = "
                      f"{fen_text(line.patronage + line.other)}", highlight=False)
    if not do_commit:
        console.print(_("这是预览（未写入任何数据）。确认无误后加 --commit 决算并公示"))
        return
    try:
        with site.db.transaction() as session:
            close = services.close_year(session, site, Actor.system("cli:coop-close-year"), _find(session, credit_code),
                                        year, reason=reason, **figures)
            version = close.version
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(_("已决算 %(year)s 年度（第 %(v)s 版），分配方案已公示", year=year, v=version))


@coop.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@site_option
@click.option("--coop", "credit_code", required=True, help="the co-op's 统一社会信用代码")
@click.option("--commit", "do_commit", is_flag=True, help="write the rows (only when the dry run is clean)")
def import_command(file: Path, site_slug: str | None, credit_code: str, do_commit: bool) -> None:
    """Check FILE (xlsx or csv, one row per transaction) and, with --commit, import it in one transaction."""
    from . import importer

    site = open_site(site_slug)
    max_rows = site.settings("coop").import_max_rows
    try:
        with site.db.read() as session:
            result = importer.preview(session, _find(session, credit_code), file.read_bytes(), file.name, max_rows)
    except DomainError as exc:
        raise click.ClickException(str(exc)) from exc
    for problem in result.problems:
        console.print(f"[red]{problem.where()}[/]  {problem.message}", highlight=False)
    console.print(_("共 %(rows)s 行：新增 %(new)s 笔，已导入过 %(old)s 笔；问题 %(problems)s 个", rows=result.rows,
                    new=len(result.new), old=result.already, problems=len(result.problems)), highlight=False)
    if result.problems:
        raise SystemExit(1)
    if not result.new:
        console.print(_("没有新的交易，无需导入"))
        return
    if not do_commit:
        console.print(_("这是预览（未写入任何数据）。确认无误后加 --commit 导入"))
        return
    with site.db.transaction() as session:
        written = importer.commit(session, site, Actor.system("cli:coop-import"), _find(session, credit_code), result)
    console.print(_("已导入 %(n)s 笔交易", n=written))
