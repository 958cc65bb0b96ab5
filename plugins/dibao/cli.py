"""`cunwu dibao ...`: the monthly run from the command line (cron, or the county's operator)."""

from __future__ import annotations

import click

from cunwu.api import _, site_option


@click.group("dibao")
def dibao() -> None:
    """低保: monthly payments."""


@dibao.command("run-month")
@click.argument("month")
@site_option
@click.option("--approve", is_flag=True, help="also approve the month and build the bank batches")
def run_month(month: str, site_slug: str | None, approve: bool) -> None:
    """Compute MONTH's (YYYY-MM) entitlements; safe to re-run and to run twice at once (nothing is doubled)."""
    from cunwu.api import Actor, console, open_site, progress_bar

    from . import disbursement, services

    site = open_site(site_slug)
    if not site.is_enabled("dibao"):
        raise click.UsageError(f"site {site.slug!r} does not enable the dibao plugin")
    try:
        first = services.parse_month(month)
    except services.DibaoError as exc:
        raise click.BadParameter(str(exc), param_hint="MONTH") from exc
    actor = Actor.system("dibao run-month")
    with progress_bar() as advance, site.db.transaction() as session:
        result = disbursement.run_month(session, site, actor, first, progress=advance)
        if approve:
            disbursement.approve(session, site, actor, first)
    site.db.dispose()
    if result.closed:
        console.print(_("%(month)s 已审批，没有新增", month=first.strftime("%Y-%m")))
    console.print(_("%(month)s：新增 %(n)s 户，金额 %(sum)s 元；跳过 %(skipped)s 户",
                    month=first.strftime("%Y-%m"), n=result.created, sum=result.created_total,
                    skipped=len(result.skipped)))
    for case_id, reason in result.skipped[:20]:
        console.print(f"  #{case_id}: {reason}")
