"""The documentation keeps up with the code: every settings key of every bundled area and plugin is in
docs/sites.md, and the README gives the two commands (demo, tests) that CI and newcomers run."""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest

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


FENCE = re.compile(r"^```(\S*)\n(.*?)^```", re.S | re.M)
EXCERPT = re.compile(r"^(?:# file: (\S+)|\{# file: (\S+) #\})$")
EXAMPLE = ROOT / "docs" / "examples" / "wangge"


def test_plugins_doc_excerpts_match_the_example_and_its_python_runs(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/plugins.md: `# file:` blocks are word for word in docs/examples/wangge; every other python block runs,
    in order, in one namespace (the journey from the scaffold to a served page, and the test kit)."""
    doc = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    blocks = FENCE.findall(doc)
    excerpts = 0
    namespace: dict[str, object] = {"__name__": "plugins_md"}
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.chdir(tmp_path)
    ran = 0
    for lang, body in blocks:
        first, _, rest = body.partition("\n")
        marker = EXCERPT.match(first)
        if marker:
            excerpts += 1
            source = (EXAMPLE / (marker[1] or marker[2])).read_text(encoding="utf-8")
            assert rest in source, f"docs/plugins.md block from {marker[1] or marker[2]} no longer matches the file"
        elif lang == "python":
            exec(compile(body, f"docs/plugins.md block {ran + 1}", "exec"), namespace)
            ran += 1
    for name in [m for m in sys.modules if m == "jizhang" or m.startswith("jizhang.")]:
        del sys.modules[name]
    assert excerpts >= 8 and ran >= 2
