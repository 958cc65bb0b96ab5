"""The plugin contract: a plugin uses the core only through `cunwu.api` and never imports another plugin.

Walked with `ast` (nothing is imported or run): every bundled plugin (plugins/*), every example plugin
(docs/examples/*/) and, when the command exists, what `cunwu plugins new` writes. A plugin's tests may also use the
test kit, `cunwu.testing`. The last tests feed the checker synthetic modules to show it does fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from click.testing import CliRunner

from cunwu.cli import cli

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "cunwu.api"
TEST_KIT = "cunwu.testing"


@dataclass(frozen=True)
class PluginTree:
    """One plugin's source: `files` with their dotted module names (None outside any package)."""

    label: str
    root: Path
    own: frozenset[str]  # the plugin's own top-level module names (e.g. "cunwu_plugins.dibao", "cunwu_wangge")
    files: tuple[tuple[Path, str | None], ...]


def _module_name(path: Path, top: Path, top_name: str) -> str:
    parts = [*path.relative_to(top).with_suffix("").parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([top_name, *parts])


def _package_roots(root: Path) -> list[Path]:
    """Top-level packages of a separate plugin project: folders with an __init__.py at its root or under src/."""
    found = []
    for base in (root, root / "src"):
        if base.is_dir():
            found += [d for d in sorted(base.iterdir()) if d.is_dir() and (d / "__init__.py").is_file()
                      and d.name not in ("tests", "test")]
    return found


def separate_plugin(root: Path, label: str) -> PluginTree:
    """A plugin packaged on its own (an example or the scaffold): its packages plus its tests."""
    packages = _package_roots(root)
    files: list[tuple[Path, str | None]] = []
    for path in sorted(root.rglob("*.py")):
        if any(part in (".venv", "build", "node_modules") or part.endswith(".egg-info") for part in path.parts):
            continue
        package = next((p for p in packages if p in path.parents), None)
        files.append((path, _module_name(path, package, package.name) if package else None))
    return PluginTree(label, root, frozenset(p.name for p in packages), tuple(files))


def bundled_plugins() -> list[PluginTree]:
    trees = []
    for folder in sorted((ROOT / "plugins").iterdir()):
        if not (folder / "__init__.py").is_file():
            continue
        own = f"cunwu_plugins.{folder.name}"
        files = tuple((p, _module_name(p, folder, own)) for p in sorted(folder.rglob("*.py")))
        trees.append(PluginTree(f"plugins/{folder.name}", folder, frozenset({own}), files))
    return trees


def example_plugins() -> list[PluginTree]:
    examples = ROOT / "docs" / "examples"
    if not examples.is_dir():
        return []
    return [separate_plugin(d, f"docs/examples/{d.name}") for d in sorted(examples.iterdir()) if d.is_dir()]


def scaffold_available() -> bool:
    group = cli.commands.get("plugins")
    return group is not None and "new" in getattr(group, "commands", {})


def all_plugin_modules(trees: list[PluginTree]) -> frozenset[str]:
    """Every plugin's top-level module: the trees walked plus every installed `cunwu` entry point."""
    installed = {ep.value.split(":")[0] for ep in entry_points(group="cunwu")}
    return frozenset({m for t in trees for m in t.own} | installed | {"cunwu_plugins"})


def is_test_file(path: Path) -> bool:
    return path.name.startswith("test_") or path.name == "conftest.py" or "tests" in path.parts


def _imported(node: ast.Import | ast.ImportFrom, module: str | None, is_package: bool,
              ) -> Iterator[tuple[str, list[str]]]:
    """(module, names taken from it) for each import in the statement; relative imports resolved against `module`."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name, []
        return
    base = node.module or ""
    if node.level:
        if module is None:
            return  # a relative import outside any package cannot reach another plugin
        parts = module.split(".")
        package = parts[: len(parts) - node.level + (1 if is_package else 0)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    yield base, [alias.name for alias in node.names]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def violations(source: str, where: str, *, module: str | None, own: frozenset[str], plugins: frozenset[str],
               test_file: bool, is_package: bool = False) -> list[str]:
    """What breaks the contract in one file (`module` is its dotted name): `where:line: what`."""
    allowed = {PUBLIC, TEST_KIT} if test_file else {PUBLIC}
    found = []
    for node in ast.walk(ast.parse(source, filename=where)):
        if isinstance(node, ast.Call) and _dynamic_import(node) is not None:
            targets: list[tuple[str, list[str]]] = [(_dynamic_import(node) or "", [])]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            targets = list(_imported(node, module, is_package))
        else:
            continue
        for target, names in targets:
            full = [f"{target}.{n}" for n in names if n != "*"] if target == "cunwu" or target in plugins else []
            for name in full or [target]:
                if _within(name, "cunwu") and not any(_within(name, ok) for ok in allowed):
                    found.append(f"{where}:{node.lineno}: imports {name}; use {' or '.join(sorted(allowed))}")
                elif any(_within(name, p) for p in plugins) and not any(_within(name, o) for o in own):
                    found.append(f"{where}:{node.lineno}: imports another plugin ({name}); offer a hook instead")
    return found


def _dynamic_import(node: ast.Call) -> str | None:
    """The literal module of `importlib.import_module("x")` / `__import__("x")`."""
    func = node.func
    named = (isinstance(func, ast.Attribute) and func.attr == "import_module") or (
        isinstance(func, ast.Name) and func.id in ("import_module", "__import__"))
    if named and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
        return node.args[0].value
    return None


def check_tree(tree: PluginTree, plugins: frozenset[str]) -> list[str]:
    problems = []
    for path, module in tree.files:
        where = f"{tree.label}/{path.relative_to(tree.root).as_posix()}"
        problems += violations(path.read_text(encoding="utf-8"), where, module=module, own=tree.own,
                               plugins=plugins, test_file=is_test_file(path), is_package=path.name == "__init__.py")
    return problems


def _check(trees: list[PluginTree]) -> list[str]:
    plugins = all_plugin_modules(trees)
    return [problem for tree in trees for problem in check_tree(tree, plugins)]


# --- the contract ------------------------------------------------------------------------------------------------


def test_bundled_plugins_use_only_the_public_api() -> None:
    trees = bundled_plugins()
    assert {t.label for t in trees} >= {"plugins/yishi", "plugins/dibao"}
    assert sum(len(t.files) for t in trees) > 20  # the walk really reads the plugins
    assert _check(trees) == []


def test_example_plugins_use_only_the_public_api() -> None:
    trees = example_plugins()
    if not trees:
        pytest.skip("no docs/examples/*/ in this checkout")
    assert _check(trees + bundled_plugins()) == []


@pytest.mark.skipif(not scaffold_available(), reason="`cunwu plugins new` is not in this checkout")
def test_scaffold_output_uses_only_the_public_api(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["plugins", "new", "contractcheck", "--dir", str(tmp_path / "contractcheck")])
    assert result.exit_code == 0, result.output
    written = [d for d in tmp_path.rglob("pyproject.toml")]
    assert written, f"`cunwu plugins new` wrote no pyproject.toml under {tmp_path}"
    trees = [separate_plugin(p.parent, f"scaffold:{p.parent.name}") for p in written]
    assert any(t.files for t in trees)
    assert _check(trees + bundled_plugins()) == []


# --- the checker can fail -----------------------------------------------------------------------------------------

PLUGINS = frozenset({"cunwu_plugins", "cunwu_plugins.dibao", "cunwu_plugins.yishi", "cunwu_wangge"})
DIBAO = frozenset({"cunwu_plugins.dibao"})


def _bad(source: str, *, module: str | None = "cunwu_plugins.dibao.services", own: frozenset[str] = DIBAO,
         test_file: bool = False) -> list[str]:
    return violations(source, "synthetic.py", module=module, own=own, plugins=PLUGINS, test_file=test_file)


def test_the_public_api_and_own_modules_pass() -> None:
    good = (
        "import datetime\nimport cunwu.api\nfrom cunwu.api import Site, hookimpl\nfrom cunwu import api\n"
        "from . import models\nfrom .models import Case\nfrom cunwu_plugins.dibao.models import Case\n"
    )
    assert _bad(good) == []
    assert _bad("from cunwu.testing import site_client\n", test_file=True) == []


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("from cunwu.registry import queries\n", "synthetic.py:1: imports cunwu.registry; use cunwu.api"),
        ("import os\nfrom cunwu.web.render import render\n", "synthetic.py:2: imports cunwu.web.render"),
        ("import cunwu.db.types\n", "imports cunwu.db.types"),
        ("import cunwu\n", "imports cunwu; use cunwu.api"),
        ("from cunwu import hookimpl\n", "imports cunwu.hookimpl"),
        ("def f():\n    from cunwu.meetings.services import motion_result\n", "synthetic.py:2: imports cunwu.meetings"),
        ("import importlib\nimportlib.import_module('cunwu.audit.services')\n", "imports cunwu.audit.services"),
        ("from cunwu.testing import site_client\n", "imports cunwu.testing; use cunwu.api"),  # not in plugin code
        ("from cunwu_plugins.yishi import services\n", "imports another plugin (cunwu_plugins.yishi"),
        ("from cunwu_plugins import yishi\n", "imports another plugin (cunwu_plugins.yishi)"),
        ("import cunwu_wangge.models\n", "imports another plugin (cunwu_wangge.models)"),
        ("from ..yishi import services\n", "imports another plugin (cunwu_plugins.yishi"),
    ],
)
def test_a_bad_import_fails_the_contract(source: str, message: str) -> None:
    found = _bad(source)
    assert len(found) == 1 and message in found[0], found


def test_a_plugins_test_may_not_reach_past_the_kit() -> None:
    assert _bad("from cunwu.registry.models import Person\n", test_file=True) == [
        "synthetic.py:1: imports cunwu.registry.models; use cunwu.api or cunwu.testing"]
