"""`cunwu coverage snapshot` (idempotent per month) and `cunwu coverage import-groups` (dry run with row errors,
--commit in one transaction); and a site without the plugin answers 404 on its pages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlmodel import select

from cunwu.cli import cli
from cunwu.testing import login, site_client
from cunwu_plugins.coverage import register_commands
from cunwu_plugins.coverage.models import GroupMembership, HouseholdGroup, Snapshot

from .conftest import VILLAGE, village


def test_cli_snapshot_and_group_import(site_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = site_factory(enabled=["coverage"], slug="cli")
    village(site, households=3)
    monkeypatch.setenv("CUNWU_SITES_DIR", str(site.config.path.parent))
    monkeypatch.setenv("CUNWU_DATABASE_URL", site.db.url)
    register_commands(cli)
    runner = CliRunner()
    first = runner.invoke(cli, ["coverage", "snapshot", "--site", "cli", "--on", "2026-03-15"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(cli, ["coverage", "snapshot", "--site", "cli", "--on", "2026-03-31"])
    assert again.exit_code == 0 and "新增 0 个村，更新 3 个村" in again.output
    bad = runner.invoke(cli, ["coverage", "snapshot", "--site", "cli", "--on", "2026-02-30"])
    assert bad.exit_code != 0 and "2026-02-30" in bad.output
    with site.db.read() as session:
        assert len(session.exec(select(Snapshot)).all()) == 3
    file = tmp_path / "groups.csv"
    file.write_text("小组编号,户号,组长\n1,H001,是\n1,H002,\n1,H001,\n", encoding="utf-8")
    dry = runner.invoke(cli, ["coverage", "import-groups", str(file), "--site", "cli", "--village", VILLAGE,
                              "--commit"])
    assert dry.exit_code == 1 and "第 4 行" in dry.output and "一户只能在一个小组" in dry.output
    file.write_text("小组编号,户号,组长\n1,H001,是\n1,H002,\n1,H003,\n", encoding="utf-8")
    preview = runner.invoke(cli, ["coverage", "import-groups", str(file), "--site", "cli", "--village", VILLAGE])
    assert preview.exit_code == 0 and "未写入任何数据" in preview.output
    with site.db.read() as session:
        assert session.exec(select(HouseholdGroup)).all() == []
    done = runner.invoke(cli, ["coverage", "import-groups", str(file), "--site", "cli", "--village", VILLAGE,
                               "--commit"])
    assert done.exit_code == 0 and "已导入：3 户" in done.output
    with site.db.read() as session:
        assert len(session.exec(select(GroupMembership)).all()) == 3


def test_a_site_without_the_plugin_has_no_coverage_pages(site_factory: Any) -> None:
    site = site_factory(enabled=["coop"])
    with site_client(site) as client:
        login(client, site, "county", role="county_official")
        assert client.get("/p/coverage/").status_code == 404
        assert client.get(f"/v/{VILLAGE}/p/coverage/summary").status_code == 404
        assert "四个组织全覆盖" not in client.get("/").text
