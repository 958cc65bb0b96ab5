"""Where an installed Cunwu finds sites and themes: ./sites (or CUNWU_SITES_DIR / --sites), ./themes then the bundled
ones; `site new` writes a complete file. The wheel itself is exercised by tests/wheel_journey.sh (.ci/run)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cunwu.cli import cli
from cunwu.runtime import Site
from cunwu.sites import BUNDLED_SITES_DIR, BUNDLED_THEMES_DIR, SiteConfigError, load_site, sites_dir, themes_dirs
from cunwu.templating import theme_chain
from cunwu.testing import write_site_toml


def test_sites_come_from_the_working_directory_unless_told_otherwise(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CUNWU_SITES_DIR", raising=False)
    assert sites_dir() == tmp_path / "sites"
    monkeypatch.setenv("CUNWU_SITES_DIR", str(tmp_path / "elsewhere"))
    assert sites_dir() == tmp_path / "elsewhere"


def test_the_bundled_theme_and_demo_site_are_found(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    assert themes_dirs() == [tmp_path / "themes", BUNDLED_THEMES_DIR]
    assert [t.name for t in theme_chain("default")] == ["default"]
    assert (BUNDLED_SITES_DIR / "demo" / "site.toml").is_file()


def test_a_local_theme_overrides_and_extends_the_bundled_one(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "themes" / "county").mkdir(parents=True)
    (tmp_path / "themes" / "county" / "theme.toml").write_text('extends = "default"\n')
    chain = theme_chain("county")
    assert [(t.name, t.path) for t in chain] == [("county", tmp_path / "themes" / "county"),
                                                ("default", BUNDLED_THEMES_DIR / "default")]


def test_an_unknown_theme_names_the_site_file_and_where_it_looked(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_site_toml(tmp_path / "sites" / "x", enabled=[])
    text = (folder / "site.toml").read_text().replace("[site]\n", '[site]\ntheme = "nosuch"\n', 1)
    (folder / "site.toml").write_text(text)
    with pytest.raises(SiteConfigError, match=r"x/site\.toml: site\.theme: no such theme 'nosuch' \(looked in "):
        Site(load_site(folder))


def test_site_new_with_the_sites_option_writes_a_complete_loadable_site(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUNWU_SITES_DIR", "")  # recorded, so the value `--sites` puts there is undone afterwards
    monkeypatch.setenv("CUNWU_DATA_DIR", str(tmp_path / "var"))
    result = CliRunner().invoke(cli, [
        "--sites", "county-sites", "site", "new", "hejian", "--name", '河间市 "试点"', "--name-en", "Hejian",
        "--division-code", "130984", "--village", "130984100201:城关村:瀛州镇", "--enable", "yishi",
        "--host", "hejian.example", "--supervision-phone", "0317-1234567",
    ])
    assert result.exit_code == 0, result.output
    file = tmp_path / "county-sites" / "hejian" / "site.toml"
    written = tomllib.loads(file.read_text(encoding="utf-8"))
    assert written["site"] == {
        "name": '河间市 "试点"', "name_en": "Hejian", "division_code": "130984", "hosts": ["hejian.example"],
        "theme": "default", "locale": "zh_CN", "enabled": ["yishi"], "supervision_phone": "0317-1234567",
    }
    assert written["villages"] == [{"code": "130984100201", "name": "城关村", "township": "瀛州镇"}]
    assert Site(load_site(file.parent)).plugins.plugin_names() == ["yishi"]


def test_site_new_refuses_a_malformed_village_and_writes_nothing(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CUNWU_SITES_DIR", raising=False)
    result = CliRunner().invoke(cli, ["site", "new", "x", "--name", "某县", "--division-code", "130984",
                                      "--village", "130984100201:城关村"])
    assert result.exit_code == 2
    assert "expected CODE:NAME:TOWNSHIP" in result.output
    assert not (tmp_path / "sites" / "x").exists()
