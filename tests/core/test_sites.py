"""site.toml validation, the example sites, and several sites in one process told apart by Host."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from cunwu.app import HostDispatcher, create_app
from cunwu.runtime import Site
from cunwu.sites import BUNDLED_SITES_DIR, SiteConfigError, discover_sites, load_site
from cunwu.testing import write_site_toml

GOOD_VILLAGE = '[[villages]]\ncode = "130926100201"\nname = "东街村"\ntownship = "肃宁镇"\n'


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "county"
    folder.mkdir()
    (folder / "site.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[site]\nname = "县"\ndivision_code = 130926\n' + GOOD_VILLAGE,
         "site.division_code: Input should be a valid string"),
        ('[site]\nname = "县"\ndivision_code = "130926"\ncolour = "red"\n' + GOOD_VILLAGE,
         "site.colour: Extra inputs are not permitted"),
        ('[site]\nname = "县"\ndivision_code = "130926"\n', "villages: Field required"),
        ('[site]\nname = "县"\ndivision_code = "130926"\n[[villages]]\ncode = "1309261002"\nname = "x"\n'
         'township = "y"\n', "villages.0.code: String should match pattern"),
        ('[site]\nname = "县"\ndivision_code = "130929"\n' + GOOD_VILLAGE,
         "do not start with the county code"),
        ('[site]\nname = "县"\ndivision_code = "130926"\nlocale = "fr"\n' + GOOD_VILLAGE,
         "site.locale: Value error, locale must be 'zh_CN' or 'en'"),
        ('[site\nname = "县"', "not valid TOML"),
        ('[site]\nname = "县"\ndivision_code = "130926"\npublic_url = "cunwu.example/v"\n' + GOOD_VILLAGE,
         "site.public_url: String should match pattern"),
    ],
)
def test_bad_site_toml_names_file_key_and_expectation(tmp_path: Path, toml: str, expected: str) -> None:
    folder = _write(tmp_path, toml)
    with pytest.raises(SiteConfigError, match=re.escape(expected)) as error:
        load_site(folder)
    assert str(folder / "site.toml") in str(error.value)
    assert expected in str(error.value)


def test_duplicate_host_across_sites_is_refused(tmp_path: Path) -> None:
    write_site_toml(tmp_path / "a", enabled=[], hosts=["same.example"])
    write_site_toml(tmp_path / "b", enabled=[], hosts=["same.example"])
    with pytest.raises(SiteConfigError, match=r"host .same\.example. is already used by site a"):
        discover_sites(tmp_path)


def test_example_sites_load_with_their_plugins() -> None:
    configs = {c.slug: c for c in discover_sites(BUNDLED_SITES_DIR)}
    assert {"demo", "xianxian"} <= set(configs)
    assert configs["demo"].enabled != configs["xianxian"].enabled
    for config in configs.values():
        site = Site(config)
        assert site.plugins.plugin_names() == config.enabled


def test_bad_configuration_stops_the_cli_with_a_message(tmp_path: Path) -> None:
    write_site_toml(tmp_path / "bad", enabled=["no_such_plugin"])
    result = subprocess.run([sys.executable, "-m", "cunwu", "db", "upgrade"], capture_output=True, text=True,
                            env={**os.environ, "CUNWU_SITES_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "unknown plugin 'no_such_plugin'" in result.stderr


def test_one_process_serves_several_sites_by_host(site_factory: Any, tmp_path: Path) -> None:
    first = site_factory(slug="alpha")
    second = site_factory(slug="beta", villages=[("130926102201", "窝北村", "窝北镇")])
    first.config.hosts, second.config.hosts = ["alpha.localhost"], ["beta.localhost"]
    app = create_app([first, second])
    assert isinstance(app, HostDispatcher)
    with TestClient(app, base_url="http://alpha.localhost") as client:
        assert "东街村" in client.get("/").text
        assert client.get("/v/130926102201/").status_code == 404
    with TestClient(app, base_url="http://beta.localhost:8000") as client:
        assert "窝北村" in client.get("/").text
        assert client.get("/-/health").json()["site"] == "beta"
    with TestClient(app, base_url="http://unknown.localhost") as client:
        assert client.get("/").status_code == 404


def test_a_single_site_answers_any_host(site: Any) -> None:
    with TestClient(create_app([site]), base_url="http://whatever.example") as client:
        assert client.get("/-/health").json()["site"] == site.slug


def test_site_template_overrides_and_extends_core(tmp_path: Path) -> None:
    config = load_site(BUNDLED_SITES_DIR / "xianxian")
    config.database_url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    html = Site(config).templates.get_template("site/home.html").render(
        site=Site(config), townships={}, slot=lambda name: "", menu=[], actor=None, village=None,
        request=type("R", (), {"url": type("U", (), {"path": "/"})()})(), locale="zh_CN", csrf_token="",
        version="x")
    assert "献县村务公开试点" in html
    assert "全县" in html


def test_hosts_that_differ_only_by_case_are_refused_at_start_up(tmp_path: Path, site_factory: Any) -> None:
    """Issue #13 item 12: requests are matched in lower case, so one of the two sites would be unreachable."""
    write_site_toml(tmp_path / "a", enabled=[], hosts=["Demo.Example"])
    write_site_toml(tmp_path / "b", enabled=[], hosts=["demo.example"])
    with pytest.raises(SiteConfigError, match=r"host 'demo\.example' is already used by site a .*differ by case"):
        discover_sites(tmp_path)
    first = site_factory(slug="alpha")
    second = site_factory(slug="beta", villages=[("130926102201", "窝北村", "窝北镇")])
    first.config.hosts, second.config.hosts = ["County.localhost"], ["county.LOCALHOST"]
    with pytest.raises(SiteConfigError, match=r"already used by site alpha"):
        create_app([first, second])
