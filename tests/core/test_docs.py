"""The documentation keeps up with the code: every settings key of every bundled area and plugin is in
docs/sites.md, and the README gives the two commands (demo, tests) that CI and newcomers run."""

from __future__ import annotations

from pathlib import Path

from cunwu.runtime import Site
from cunwu.sites import BUNDLED_SITES_DIR, load_site

ROOT = Path(__file__).resolve().parents[2]


def test_sites_doc_lists_every_settings_key(tmp_path: Path) -> None:
    config = load_site(BUNDLED_SITES_DIR / "demo")
    config.database_url = f"sqlite:///{tmp_path / 'docs.sqlite3'}"
    site = Site(config)
    doc = (ROOT / "docs" / "sites.md").read_text(encoding="utf-8")
    missing = []
    for name, manifest in site.plugins.manifests.items():
        if manifest.settings is None:
            continue
        section = f"[core.{name}]" if manifest.core else f"[plugins.{name}]"
        if f"`{section}`" not in doc:
            missing.append(section)
        missing += [f"{section} {key}" for key in manifest.settings.model_fields if f"| `{key}`" not in doc]
    assert missing == [], "regenerate with `cunwu site settings --site demo`: " + ", ".join(missing)


def test_readme_gives_the_demo_and_test_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e . && .venv/bin/cunwu demo" in readme
    assert "bash tests/run.sh" in readme
    assert "bash tests/run.sh" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
