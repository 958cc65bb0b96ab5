"""The command line: site new, db upgrade, users create, plugins list — real processes, real exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlmodel import select

from cunwu.accounts.models import RoleGrant, User
from cunwu.runtime import Site
from cunwu.sites import load_site


def run(args: list[str], sites: Path, data: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CUNWU_SITES_DIR": str(sites), "CUNWU_DATA_DIR": str(data)}
    env.pop("CUNWU_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "cunwu", *args], capture_output=True, text=True, env=env,
                          input=stdin, timeout=120)


def test_site_new_then_upgrade_then_create_a_clerk(tmp_path: Path, monkeypatch: Any) -> None:
    sites, data = tmp_path / "sites", tmp_path / "data"
    sites.mkdir()
    made = run(["site", "new", "hejian", "--name", "河间市", "--division-code", "130984",
                "--village", "130984100201:城关村:瀛州镇", "--village", "130984101201:米各庄村:米各庄镇"], sites, data)
    assert made.returncode == 0, made.stderr
    config = load_site(sites / "hejian")
    assert [v.name for v in config.villages] == ["城关村", "米各庄村"]

    upgraded = run(["db", "upgrade"], sites, data)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "hejian: upgraded core" in upgraded.stderr

    created = run(["users", "create", "--username", "wang", "--name", "王文书", "--password", "long-enough-1",
                   "--role", "clerk:130984100201"], sites, data)
    assert created.returncode == 0, created.stderr
    monkeypatch.setenv("CUNWU_DATA_DIR", str(data))
    site = Site(load_site(sites / "hejian"))
    with site.db.read() as session:
        user = session.exec(select(User).where(User.username == "wang")).one()
        grant = session.exec(select(RoleGrant).where(RoleGrant.user_id == user.id)).one()
    assert (grant.role, grant.scope_kind, grant.scope_code) == ("clerk", "village", "130984100201")

    wrong_scope = run(["users", "create", "--username", "li", "--name", "李", "--password", "long-enough-1",
                       "--role", "county_official:130984100201"], sites, data)
    assert wrong_scope.returncode != 0
    with site.db.read() as session:
        assert session.exec(select(User).where(User.username == "li")).first() is None  # nothing half-written


def test_site_new_refuses_a_bad_village_and_leaves_nothing(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    result = run(["site", "new", "bad", "--name", "坏县", "--division-code", "130984",
                  "--village", "130926100201:别的县的村:某镇"], sites, tmp_path)
    assert result.returncode == 2
    assert "do not start with the county code" in result.stderr
    assert not (sites / "bad").exists()


def test_plugins_list_shows_installed_plugins_per_site(tmp_path: Path, site: Any) -> None:
    result = run(["plugins", "list"], Path(__file__).resolve().parents[2] / "sites", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout and "xianxian" in result.stdout
