"""`cunwu plugins new`: the generated package is complete (entry point, manifest, migration, page, catalog, tests),
imports the core only through `cunwu.api` (and the test kit in its tests), is lint-clean, and its own tests pass
right after generation without installing it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from cunwu.cli import cli
from cunwu.scaffold import ScaffoldError, new_plugin


def _cunwu_imports(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                if name == "cunwu" or name.startswith("cunwu."):
                    found.setdefault(str(path.relative_to(folder)), set()).add(name)
    return found


def test_the_generated_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    target = tmp_path / "cunwu-jizhang"
    result = CliRunner().invoke(cli, ["plugins", "new", "jizhang", "--dir", str(target), "--title-zh", "记账",
                                      "--title-en", "Bookkeeping"])
    assert result.exit_code == 0, result.output
    project = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["entry-points"]["cunwu"] == {"jizhang": "jizhang"}
    for part in ("jizhang/__init__.py", "jizhang/settings.py", "jizhang/models.py", "jizhang/controllers.py",
                 "jizhang/migrations/jizhang_0001_initial.py", "jizhang/templates/jizhang/index.html",
                 "jizhang/locale/en/LC_MESSAGES/messages.po", "tests/test_jizhang.py", "README.md"):
        assert (target / part).is_file(), part
    assert 'msgstr "Bookkeeping"' in (target / "jizhang/locale/en/LC_MESSAGES/messages.po").read_text("utf-8")
    imports = _cunwu_imports(target)
    assert {name for names in imports.values() for name in names} == {"cunwu.api", "cunwu.testing"}
    assert imports["tests/test_jizhang.py"] == {"cunwu.api", "cunwu.testing"}  # the kit, and `Site` for types
    lint = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=target, capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q"], cwd=target, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert " passed" in run.stdout and " failed" not in run.stdout


@pytest.mark.parametrize(("name", "message"), [
    ("Grid", "lower-case letters"), ("1abc", "lower-case letters"), ("class", "lower-case letters"),
    ("registry", "taken by the core"),
])
def test_bad_names_are_refused(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(ScaffoldError, match=message):
        new_plugin(name, tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_a_folder_in_use_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(cli, ["plugins", "new", "jizhang", "--dir", str(tmp_path)])
    assert result.exit_code == 2 and "folder is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
