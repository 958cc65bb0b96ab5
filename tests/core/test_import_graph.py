"""No module of the `cunwu` package (core, `cunwu`, and the bundled plugins, `cunwu_plugins`) imports another in a
circle (docs/architecture.md, "Layers").

Walked with `ast` (nothing is imported): every `import` and `from ... import`, at the top of a module or inside a
function, counts; those under `if TYPE_CHECKING:` do not (they never run). A cycle fails the test with its modules
in import order, so the message says where to cut it. The last tests feed the walker synthetic packages to show it
does fail.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"cunwu": ROOT / "core", "cunwu_plugins": ROOT / "plugins"}


def modules(packages: dict[str, Path]) -> dict[str, tuple[Path, bool]]:
    """Dotted module name -> (file, is a package's __init__)."""
    found: dict[str, tuple[Path, bool]] = {}
    for top, folder in packages.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            found[".".join([top, *parts])] = (path, is_package)
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking_only(child):
            for other in child.orelse:
                yield from _imports_in(other)
            continue
        yield from _imports_in(child)


def _imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, ast.Import | ast.ImportFrom):
        yield node
    else:
        yield from _imports(node)


def import_graph(packages: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the modules of `packages` it imports (`from a import b` counts as importing `a.b` when that is a
    module, else `a`)."""
    known = modules(packages)

    def owner(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, (path, is_package) in known.items():
        targets: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    parts = module.split(".")
                    parts = parts[: len(parts) - node.level + (1 if is_package else 0)]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
            targets |= {found for name in names if (found := owner(name)) is not None and found != module}
        graph[module] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan), each as a path that returns to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return [_path_through(graph, group) for group in groups]


def _path_through(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A shortest circle from the group's first module back to itself, inside the group."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph[module] & group):
            if target == start:
                return [*paths[module], start]
            if target not in paths:
                paths[target] = [*paths[module], target]
                queue.append(target)
    raise AssertionError(f"no circle through {start}")  # pragma: no cover - Tarjan's groups always hold one


def test_no_module_imports_another_in_a_circle() -> None:
    found = cycles(import_graph(PACKAGES))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def test_the_walk_sees_the_packages_and_their_imports() -> None:
    graph = import_graph(PACKAGES)
    assert "cunwu.meetings.services.votes" in graph["cunwu.meetings.services"]
    assert "cunwu.web.request_state" in graph["cunwu.web.guards"]
    assert "cunwu_plugins.dibao.plugin" in graph["cunwu_plugins.dibao"]  # a relative import inside a plugin
    assert "cunwu.runtime" not in graph["cunwu.templating"]  # only under TYPE_CHECKING


def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, Path]:
    for name, source in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    return {"pkg": tmp_path / "pkg"}


@pytest.mark.parametrize("files", [
    {"__init__.py": "", "a.py": "from pkg import b\n", "b.py": "import pkg.c\n", "c.py": "from pkg.a import x\n"},
    {"__init__.py": "", "a.py": "def f():\n    from .b import g\n", "b.py": "from . import a\n"},
    {"__init__.py": "", "sub/__init__.py": "", "sub/a.py": "from ..b import x\n", "b.py": "from pkg.sub import a\n"},
])
def test_a_circle_is_found_and_named(tmp_path: Path, files: dict[str, str]) -> None:
    found = cycles(import_graph(_package(tmp_path, files)))
    assert len(found) == 1
    assert found[0][0] == found[0][-1] and len(found[0]) >= 3


def test_type_checking_imports_and_one_way_imports_are_no_circle(tmp_path: Path) -> None:
    files = {"__init__.py": "", "high.py": "from pkg.low import x\n",
             "low.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high import H\n"}
    assert cycles(import_graph(_package(tmp_path, files))) == []
    files["low.py"] = "def f():\n    from pkg import high\n"
    assert cycles(import_graph(_package(tmp_path, files))) == [["pkg.high", "pkg.low", "pkg.high"]]
