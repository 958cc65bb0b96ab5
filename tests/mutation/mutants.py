"""Mutant generation: small, plausible slips applied to one module's syntax tree.

A mutant is one change at one place: a comparison's boundary moved or negated (`<` ↔ `<=`, `==` ↔ `!=`, `in` ↔
`not in`), an integer constant ±1, `True` ↔ `False`, `+` ↔ `-`, `*` ↔ `/`, `//` → `/`, `and` ↔ `or`, a `not` or a
unary minus dropped, `+=` ↔ `-=`, `min` ↔ `max`. Docstrings, other strings, f-strings (messages), annotations and
decorators are left alone: a change there is no change to the arithmetic.

Each mutant has a `key` that survives unrelated edits of the module (no line numbers): the enclosing function's
qualified name, the smallest enclosing expression before and after the change, and `#n` when that text repeats in
the same function. `equivalents.toml` names mutants by this key.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_COMPARE_SWAPS: dict[type[ast.cmpop], tuple[type[ast.cmpop], ...]] = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
}
_BINOP_SWAPS: dict[type[ast.operator], tuple[type[ast.operator], ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult,),
    ast.FloorDiv: (ast.Div,),
    ast.Mod: (ast.FloorDiv,),
}
_BOOLOP_SWAPS: dict[type[ast.boolop], type[ast.boolop]] = {ast.And: ast.Or, ast.Or: ast.And}
_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While, ast.With, ast.Try)
_TOO_SMALL = (ast.Constant, ast.Name, ast.Slice, ast.Tuple, ast.List, ast.Set, ast.UnaryOp)  # shown with their parent
_CALL_SWAPS = {"min": "max", "max": "min"}
_MESSAGE_CALLS = {"_", "N_", "lazy_gettext"}  # translatable texts: their arguments are message text


@dataclass(frozen=True)
class Mutant:
    """One change: `site` is its index in the walk over the module (what `apply` needs); the rest is for people."""

    site: int
    variant: int
    line: int
    where: str  # qualified name of the enclosing function or class, "<module>" at top level
    before: str
    after: str
    key: str = ""

    def describe(self) -> str:
        return f"line {self.line} in {self.where}: {self.before} → {self.after}"


# A site is (node, [(label, mutate)]): `mutate` changes the node in place.
_Change = Callable[[ast.AST], None]


def _changes(node: ast.AST) -> list[_Change]:
    """The mutations that apply to `node` itself (not its children)."""
    changes: list[_Change] = []
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            for swap in _COMPARE_SWAPS.get(type(op), ()):
                changes.append(_set_compare_op(index, swap))
    elif isinstance(node, ast.BinOp) and not _is_formatting(node):
        for swap in _BINOP_SWAPS.get(type(node.op), ()):
            changes.append(_set_attr("op", swap))
    elif isinstance(node, ast.AugAssign):
        for swap in _BINOP_SWAPS.get(type(node.op), ()):
            if swap in (ast.Add, ast.Sub):
                changes.append(_set_attr("op", swap))
    elif isinstance(node, ast.BoolOp):
        changes.append(_set_attr("op", _BOOLOP_SWAPS[type(node.op)]))
    elif isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            changes.append(_set_value(not node.value))
        elif isinstance(node.value, int):
            changes.extend((_set_value(node.value + 1), _set_value(node.value - 1)))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CALL_SWAPS:
        changes.append(_rename_call(_CALL_SWAPS[node.func.id]))
    return changes


def _is_formatting(node: ast.BinOp) -> bool:
    """`"text" % values` formats a message; it is not arithmetic."""
    return isinstance(node.op, ast.Mod) and (
        isinstance(node.right, ast.Dict | ast.Tuple)
        or (isinstance(node.left, ast.Constant) and isinstance(node.left.value, str))
        or (isinstance(node.left, ast.Attribute) and node.left.attr.endswith("_text"))
    )


def _set_compare_op(index: int, op: type[ast.cmpop]) -> _Change:
    def change(node: ast.AST) -> None:
        assert isinstance(node, ast.Compare)
        node.ops[index] = op()
    return change


def _set_attr(name: str, op: type[ast.AST]) -> _Change:
    def change(node: ast.AST) -> None:
        setattr(node, name, op())
    return change


def _set_value(value: object) -> _Change:
    def change(node: ast.AST) -> None:
        assert isinstance(node, ast.Constant)
        node.value = value
    return change


def _rename_call(name: str) -> _Change:
    def change(node: ast.AST) -> None:
        assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        node.func = ast.Name(id=name, ctx=ast.Load())
    return change


def _unary_drop(parent: ast.AST, field: str, index: int | None) -> _Change | None:
    """Replace `not x` / `-x` by `x` (the change is made on the parent, which holds the operand)."""
    child = getattr(parent, field) if index is None else getattr(parent, field)[index]
    if not (isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.Not | ast.USub)):
        return None
    if isinstance(child.op, ast.USub) and isinstance(child.operand, ast.Constant):
        return None  # -1 is a constant, mutated as such

    def change(node: ast.AST) -> None:
        target = getattr(node, field) if index is None else getattr(node, field)[index]
        assert isinstance(target, ast.UnaryOp)
        if index is None:
            setattr(node, field, target.operand)
        else:
            getattr(node, field)[index] = target.operand
    return change


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


_Site = tuple[ast.AST, str, ast.AST, list[_Change]]


def _walk(tree: ast.AST) -> Iterator[_Site]:
    """(node to describe, qualname, node to change, changes) in a fixed order; skips what is not arithmetic.

    The node described is the changed node itself, the expression around a constant, or the `not x` / `-x` whose
    operator is dropped (the change is then made on its parent).
    """

    def visit(node: ast.AST, scope: list[str], context: ast.AST) -> Iterator[_Site]:
        where = ".".join(scope) or "<module>"
        if (isinstance(node, ast.expr) and not isinstance(node, _TOO_SMALL)) or isinstance(node, ast.arguments) or \
                (isinstance(node, ast.stmt) and not isinstance(node, _COMPOUND)):
            context = node
        changes = _changes(node)
        if changes:
            yield (context if isinstance(node, ast.Constant) else node), where, node, changes
        for field, value in ast.iter_fields(node):
            if field in ("annotation", "returns", "decorator_list", "type_params"):
                continue
            children = value if isinstance(value, list) else [value]
            for index, child in enumerate(children):
                if not isinstance(child, ast.AST) or _is_docstring(child) or isinstance(child, ast.JoinedStr):
                    continue
                if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in \
                        _MESSAGE_CALLS and not child.keywords:
                    continue  # N_("…"), lazy_gettext("…"): only text
                drop = _unary_drop(node, field, index if isinstance(value, list) else None)
                if drop is not None:
                    yield child, where, node, [drop]
                inner = scope
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                    inner = [*scope, child.name]
                yield from visit(child, inner, context)

    yield from visit(tree, [], tree)


def _pair(before: str, after: str, width: int = 100) -> tuple[str, str]:
    """Long texts cut to the part around the change, with "…" for what is left out."""
    if max(len(before), len(after)) <= width:
        return before, after
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    margin = 30
    left = max(0, start - margin)
    cut_before = before[left:max(left, len(before) - end + margin)]
    cut_after = after[left:max(left, len(after) - end + margin)]
    prefix = "…" if left else ""
    suffix_before = "…" if len(before) - end + margin < len(before) else ""
    suffix_after = "…" if len(after) - end + margin < len(after) else ""
    return prefix + cut_before + suffix_before, prefix + cut_after + suffix_after


def generate(source: str) -> list[Mutant]:
    """Every mutant of `source`, in a fixed order."""
    found: list[Mutant] = []
    for site, (_shown, _where, _target, changes) in enumerate(_walk(ast.parse(source))):
        for variant in range(len(changes)):
            shown, where, target, change = _site(ast.parse(source), site, variant)
            before = ast.unparse(shown)
            change(target)
            dropped = isinstance(shown, ast.UnaryOp) and shown is not target
            before, after = _pair(before, ast.unparse(shown.operand if dropped else shown))  # type: ignore[attr-defined]
            found.append(Mutant(site, variant, getattr(target, "lineno", 0), where, before, after))
    counts: Counter[str] = Counter()
    keyed: list[Mutant] = []
    for mutant in found:
        base = f"{mutant.where}: {mutant.before} → {mutant.after}"
        counts[base] += 1
        key = base if counts[base] == 1 else f"{base} #{counts[base]}"
        keyed.append(Mutant(mutant.site, mutant.variant, mutant.line, mutant.where, mutant.before, mutant.after, key))
    return keyed


def _site(tree: ast.AST, site: int, variant: int) -> tuple[ast.AST, str, ast.AST, _Change]:
    for index, (shown, where, target, changes) in enumerate(_walk(tree)):
        if index == site:
            return shown, where, target, changes[variant]
    raise IndexError(f"no mutation site {site}")


def apply(source: str, site: int, variant: int) -> ast.Module:
    """The module's tree with mutant (`site`, `variant`) applied; line numbers are kept."""
    tree = ast.parse(source)
    _shown, _where, target, change = _site(tree, site, variant)
    change(target)
    return ast.fix_missing_locations(tree)
