"""`cunwu registry import`: a dry run, then --commit after a clean dry run; problems exit non-zero."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.cli import cli
from cunwu.registry import services
from cunwu.registry.cli import registry
from cunwu.registry.models import Person

from .conftest import VILLAGE
from .registerfile import csv_bytes, register_rows

if "registry" not in cli.commands:
    cli.add_command(registry)


def _people(site: Any) -> int:
    with site.db.read() as session:
        return int(session.exec(select(func.count()).select_from(Person)).one())


def test_cli_dry_run_then_commit_then_nothing_to_do(site: Any, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("CUNWU_SITES_DIR", str(site.config.path.parent))
    monkeypatch.setenv("CUNWU_DATABASE_URL", site.db.url)
    with site.db.transaction() as session:
        for n in (1, 2, 3):
            services.create_group(session, site, Actor.system("test"), village_code=VILLAGE, number=n)
    rows = register_rows(20)
    bad = [dict(r) for r in rows]
    bad[0]["身份证号"] = "123"
    file = tmp_path / "r.csv"
    file.write_bytes(csv_bytes(bad))
    runner = CliRunner()
    args = ["registry", "import", str(file), "--village", VILLAGE, "--site", site.slug]
    failed = runner.invoke(cli, [*args, "--commit"])
    assert failed.exit_code == 1 and "第 2 行" in failed.output and "18位" in failed.output
    assert _people(site) == 0
    file.write_bytes(csv_bytes(rows))
    dry = runner.invoke(cli, args)
    assert dry.exit_code == 0 and "--commit" in dry.output and _people(site) == 0
    done = runner.invoke(cli, [*args, "--commit"])
    assert done.exit_code == 0, done.output
    assert _people(site) == len(rows)
    again = runner.invoke(cli, [*args, "--commit"])
    assert again.exit_code == 0 and "无需导入" in again.output and _people(site) == len(rows)
