"""`cunwu yishi codes`: issue codes and write the A4 sheet of slips (codes in clear only there)."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from cunwu.cli import cli
from cunwu_plugins.yishi import register_commands, services
from cunwu_plugins.yishi.models import VoteCode


def test_hook_register_commands_codes_writes_the_slip_sheet(site_factory: Any, y: SimpleNamespace, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_factory(enabled=["yishi"], slug="cli")
    with site.db.transaction() as session:
        y.populate(session, site)
        project = services.propose(session, site, y.CLERK, village_code=y.VILLAGE, data=y.proposal())
        services.publish_plan(session, site, y.CLERK, project)
    monkeypatch.setenv("CUNWU_SITES_DIR", str(site.config.path.parent))
    monkeypatch.setenv("CUNWU_DATABASE_URL", site.db.url)
    out = tmp_path / "slips.html"
    register_commands(cli)  # what `cunwu` (main) does for every installed plugin
    runner = CliRunner()
    result = runner.invoke(cli, ["yishi", "codes", str(project.id), "--site", "cli", "--village", y.VILLAGE,
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    codes = re.findall(r'class="code">([A-Z2-9]{5}-[A-Z2-9]{5})<', out.read_text(encoding="utf-8"))
    assert len(codes) == 5
    with site.db.read() as session:
        hashes = set(session.exec(select(VoteCode.code_hash)).all())
    assert hashes == {services.hash_code(code) for code in codes}
    again = runner.invoke(cli, ["yishi", "codes", "999", "--site", "cli", "--village", y.VILLAGE, "--out", str(out)])
    assert again.exit_code != 0 and "没有这个一事一议项目" in again.output
