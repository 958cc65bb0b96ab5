"""The mutation-testing command itself: which mutants it makes, how it runs them, how it reads its lists."""

from __future__ import annotations

import ast
import sys
import textwrap
from functools import partial
from pathlib import Path

import pytest

from tests.mutation.__main__ import _forked, load_targets
from tests.mutation.mutants import apply, generate
from tests.mutation.runner import ROOT, import_in_order, module_name, run_mutants

SOURCE = textwrap.dedent('''
    """Docstring with 1 < 2 is left alone."""
    LIMIT: int = 15


    def over(amount: int, *, strict: bool = True) -> bool:
        """Over the limit."""
        message = f"{amount} > {LIMIT}"
        if strict and not amount <= LIMIT:
            return True
        return min(amount, LIMIT) - 1 >= LIMIT and bool(message)
''')


def test_mutants_cover_each_kind_of_slip_and_leave_text_alone() -> None:
    keys = [m.key for m in generate(SOURCE)]
    assert keys == [
        "<module>: LIMIT: int = 15 → LIMIT: int = 16",
        "<module>: LIMIT: int = 15 → LIMIT: int = 14",
        "over: amount: int, *, strict: bool=True → amount: int, *, strict: bool=False",
        "over: strict and (not amount <= LIMIT) → strict or not amount <= LIMIT",
        "over: not amount <= LIMIT → amount <= LIMIT",
        "over: amount <= LIMIT → amount < LIMIT",
        "over: amount <= LIMIT → amount >= LIMIT",
        "over: return True → return False",
        "over: min(amount, LIMIT) - 1 >= LIMIT and bool(message) → min(amount, LIMIT) - 1 >= LIMIT or bool(message)",
        "over: min(amount, LIMIT) - 1 >= LIMIT → min(amount, LIMIT) - 1 > LIMIT",
        "over: min(amount, LIMIT) - 1 >= LIMIT → min(amount, LIMIT) - 1 <= LIMIT",
        "over: min(amount, LIMIT) - 1 → min(amount, LIMIT) + 1",
        "over: min(amount, LIMIT) → max(amount, LIMIT)",
        "over: min(amount, LIMIT) - 1 → min(amount, LIMIT) - 2",
        "over: min(amount, LIMIT) - 1 → min(amount, LIMIT) - 0",
    ]
    assert len(set(keys)) == len(keys)


def test_a_mutant_changes_exactly_one_place_and_keeps_line_numbers() -> None:
    original = ast.unparse(ast.parse(SOURCE)).splitlines()
    lines = {node.lineno for node in ast.walk(ast.parse(SOURCE)) if hasattr(node, "lineno")}
    for mutant in generate(SOURCE):
        mutated = apply(SOURCE, mutant.site, mutant.variant)
        compile(mutated, "<mutant>", "exec")
        changed = [old for old, new in zip(original, ast.unparse(mutated).splitlines(), strict=True) if old != new]
        assert len(changed) == 1, mutant.key
        assert {node.lineno for node in ast.walk(mutated) if hasattr(node, "lineno")} <= lines, mutant.key
        assert mutant.line in lines


def test_repeated_text_gets_numbered_keys() -> None:
    keys = [m.key for m in generate("def f(a):\n    return (a < 1, a < 1)\n")]
    assert "f: a < 1 → a <= 1" in keys and "f: a < 1 → a <= 1 #2" in keys


def test_string_formatting_and_messages_are_not_mutated() -> None:
    source = 'from cunwu.i18n import _\n\n\ndef f(n):\n    return _("%(n)s 人") % {"n": n}, "%s" % n, N_("x")\n'
    assert generate(source) == []


def test_module_names_follow_the_package_mapping() -> None:
    assert module_name("core/meetings/rules.py") == "cunwu.meetings.rules"
    assert module_name("plugins/dibao/amounts.py") == "cunwu_plugins.dibao.amounts"


def test_every_listed_equivalent_is_a_current_mutant_with_a_reason() -> None:
    """The CI run fails on a stale entry too; this says so in seconds, without running anything."""
    here = Path(__file__).parent
    targets = load_targets(here / "targets.toml", here / "equivalents.toml")
    for target in targets:
        assert (ROOT / target.path).is_file(), target.path
        assert all((ROOT / test).is_file() for test in target.tests), target.tests
        keys = {m.key for m in generate((ROOT / target.path).read_text(encoding="utf-8"))}
        assert set(target.equivalents) <= keys, set(target.equivalents) - keys


def test_equivalents_must_name_a_target_and_say_why(tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    targets.write_text('[[target]]\nmodule = "core/x.py"\ntests = ["tests/test_x.py"]\n', encoding="utf-8")
    equivalents = tmp_path / "equivalents.toml"
    equivalents.write_text('[[equivalent]]\nmodule = "core/y.py"\nmutant = "f: a → b"\nwhy = "…"\n', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"core/y\.py is not a target"):
        load_targets(targets, equivalents)
    equivalents.write_text('[[equivalent]]\nmodule = "core/x.py"\nmutant = "f: a → b"\nwhy = " "\n', encoding="utf-8")
    with pytest.raises(SystemExit, match="say why 'f: a → b' is equivalent"):
        load_targets(targets, equivalents)


def test_mutants_run_in_forked_children_and_are_classified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small module and its test: the baseline passes, a boundary slip is killed, an untested one survives, a
    loop runs into the time limit. The module file on disk is never changed."""
    module = tmp_path / "mutdemo_cap.py"
    module.write_text(textwrap.dedent('''
        def over_cap(amount, cap):
            return amount > cap


        def spin(n):
            while n:
                n -= 1
            return n


        def untested(n):
            return n + 1
    '''), encoding="utf-8")
    test = tmp_path / "test_mutdemo_cap.py"
    test.write_text("from mutdemo_cap import over_cap, spin\n\n\ndef test_cap():\n    assert not over_cap(15, 15)\n"
                    "    assert over_cap(16, 15)\n\n\ndef test_spin():\n    assert spin(3) == 0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    before = module.read_text(encoding="utf-8")
    mutants = {m.key: m for m in generate(before)}
    chosen = [None, mutants["over_cap: amount > cap → amount >= cap"], mutants["untested: n + 1 → n - 1"]]
    # a generous limit: on a busy machine a child can take a while; only the looping mutant may reach it
    outcomes = run_mutants("mutdemo_cap", module, [str(test)], chosen, jobs=3, timeout=120)
    by_key = {o.mutant.key if o.mutant else "baseline": o for o in outcomes}
    assert by_key["baseline"].status == "survived"  # the unmutated module passes its tests
    assert by_key["over_cap: amount > cap → amount >= cap"].status == "killed"
    assert "test_cap" in by_key["over_cap: amount > cap → amount >= cap"].detail
    assert by_key["untested: n + 1 → n - 1"].status == "survived"
    [looping] = run_mutants("mutdemo_cap", module, [str(test)], [mutants["spin: n -= 1 → n += 1"]], jobs=1,
                            timeout=2)
    assert looping.status == "timeout"
    assert module.read_text(encoding="utf-8") == before


def test_a_target_skips_named_functions_and_says_why(tmp_path: Path) -> None:
    targets = tmp_path / "targets.toml"
    equivalents = tmp_path / "equivalents.toml"
    equivalents.write_text("", encoding="utf-8")
    targets.write_text('[[target]]\nmodule = "core/x.py"\ntests = ["tests/test_x.py"]\nskip.store = " "\n',
                       encoding="utf-8")
    with pytest.raises(SystemExit, match=r"say why core/x\.py skips 'store'"):
        load_targets(targets, equivalents)
    targets.write_text('[[target]]\nmodule = "core/x.py"\ntests = ["tests/test_x.py"]\n'
                       'skip.Store = "needs a database"\n', encoding="utf-8")
    [target] = load_targets(targets, equivalents)
    mutants = generate("class Store:\n    def save(self, n):\n        return not n\n\n\ndef StoreKey(n):\n"
                       "    return not n\n")
    assert [m.key for m in mutants if target.skips(m)] == ["Store.save: not n → n"]  # a method of a skipped class
    assert [m.key for m in mutants if not target.skips(m)] == ["StoreKey: not n → n"]  # only a shared prefix


def test_a_plugin_target_runs_in_a_process_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The core modules a plugin target imports up front stay out of the main process (a core target runs later)."""
    (tmp_path / "mutdemo_core.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    prepare = partial(import_in_order, ["mutdemo_core"])
    assert _forked(prepare, lambda: "mutdemo_core" in sys.modules) is True  # imported there: "failed" is True
    assert _forked(prepare, lambda: False) is False
    assert _forked(prepare, lambda: 1 / 0 == 0) is True  # an exception counts as a failure
    assert "mutdemo_core" not in sys.modules
