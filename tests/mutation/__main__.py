"""`python -m tests.mutation [--module M] [--sample N] [--jobs J]`: mutation testing of the legal arithmetic.

Every module listed in targets.toml is mutated (see mutants.py for the changes made), each mutant is run against
the module's own unit tests (runner.py), and the share of mutants the tests kill is compared with the target.
Equivalent mutants — changes that cannot change any result — are listed with the reason in equivalents.toml and
left out; so are the functions a target skips (database code its unit tests cannot reach; the reason is in
targets.toml). Exit status 1 when a module is under the target, when an equivalents entry matches no mutant any
more or a skipped function no longer exists (the code changed: re-check it), or when the unmutated tests fail.
docs/testing.md says how to read the report.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tomllib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .mutants import Mutant, generate
from .runner import ROOT, Outcome, import_in_order, module_name, run_mutants, warm_up

HERE = Path(__file__).resolve().parent


@dataclass
class Target:
    path: str
    tests: list[str]
    equivalents: dict[str, str] = field(default_factory=dict)  # mutant key → why it is equivalent
    skip: dict[str, str] = field(default_factory=dict)  # function or class → why its unit tests cannot reach it

    def skips(self, mutant: Mutant) -> bool:
        """A mutant inside a skipped function (or a method of a skipped class) is not run."""
        return any(_inside(mutant, name) for name in self.skip)


def _inside(mutant: Mutant, name: str) -> bool:
    return mutant.where == name or mutant.where.startswith(name + ".")


def load_targets(targets_file: Path, equivalents_file: Path) -> list[Target]:
    targets = [Target(entry["module"], list(entry["tests"]), skip=dict(entry.get("skip", {})))
               for entry in tomllib.loads(targets_file.read_text(encoding="utf-8"))["target"]]
    for target in targets:
        for name, why in target.skip.items():
            if not why.strip():
                raise SystemExit(f"{targets_file.name}: say why {target.path} skips {name!r}")
    by_path = {target.path: target for target in targets}
    for entry in tomllib.loads(equivalents_file.read_text(encoding="utf-8")).get("equivalent", []):
        if entry["module"] not in by_path:
            raise SystemExit(f"{equivalents_file.name}: {entry['module']} is not a target in {targets_file.name}")
        if not entry.get("why", "").strip():
            raise SystemExit(f"{equivalents_file.name}: say why {entry['mutant']!r} is equivalent")
        by_path[entry["module"]].equivalents[entry["mutant"]] = entry["why"]
    return targets


def _modules_to_share(targets: list[Target]) -> tuple[list[str], list[str]]:
    """The third-party and the core (`cunwu.*`) modules the targets' tests import, in the order they were first
    imported: one child process collects all the unit tests (whether they pass is the baseline's job)."""
    import subprocess

    tests = sorted({test for target in targets for test in target.tests})
    script = (
        "import sys, pytest\n"
        "from tests.mutation.runner import core_modules, pytest_args, third_party_modules, unit_plugins\n"
        f"code = pytest.main([*pytest_args({tests!r}), '--collect-only'], plugins=unit_plugins())\n"
        "print('\\n'.join(third_party_modules()), file=open(sys.argv[1], 'w'))\n"
        "print('\\n'.join(core_modules()), file=open(sys.argv[2], 'w'))\n"
        "sys.exit(int(code))\n"
    )
    listing = ROOT / "var" / "mutation" / "modules.txt"
    core_listing = listing.with_name("core-modules.txt")
    listing.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run([sys.executable, "-c", script, str(listing), str(core_listing)], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    if result.returncode != 0:
        raise SystemExit(f"the unit tests cannot be collected:\n{result.stdout[-3000:]}")
    return listing.read_text(encoding="utf-8").split(), core_listing.read_text(encoding="utf-8").split()


def _forked(prepare: Callable[[], None], run: Callable[[], bool]) -> bool:
    """`run()` in a forked process after `prepare()`, so what `prepare` imports stays out of this process."""
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            prepare()
            code = int(run())
        except BaseException:  # shown, then reported as a failure by the exit status
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) != 0


def _run_target(target: Target, candidates: list[Mutant], total: int, stale: list[str],
                args: argparse.Namespace) -> bool:
    """Run the baseline and the mutants of one target and print its line of the report; True when it fails."""
    name, path = module_name(target.path), ROOT / target.path
    started = time.monotonic()
    baseline = run_mutants(name, path, target.tests, [None], jobs=1, timeout=300, log_dir=args.log_dir)[0]
    if baseline.status != "survived":
        print(f"{target.path}: the unmutated tests fail ({baseline.detail}); fix them first")
        return True
    timeout = max(10.0, 5 * baseline.seconds)

    def show(outcome: Outcome) -> None:
        if args.verbose and outcome.mutant is not None:
            print(f"  {outcome.status:<8} {outcome.seconds:5.1f}s  {outcome.mutant.describe()}"
                  f"{'  ← ' + outcome.detail if outcome.detail and outcome.status != 'survived' else ''}")

    outcomes = run_mutants(name, path, target.tests, candidates, jobs=args.jobs, timeout=timeout,
                           log_dir=args.log_dir, on_result=show)
    killed = sum(o.status in ("killed", "timeout") for o in outcomes)
    survivors = sorted((o for o in outcomes if o.status == "survived"), key=lambda o: o.mutant.line)
    errors = [o for o in outcomes if o.status == "error"]
    score = killed / len(outcomes) if outcomes else 1.0
    below = score < args.target
    print(f"{target.path:<32} {total:>7} {len(target.equivalents):>6} {len(outcomes):>5} {killed:>6} "
          f"{len(survivors):>5} {score:>6.1%}{'  UNDER TARGET' if below else ''}"
          f"  ({time.monotonic() - started:.0f} s)")
    for outcome in survivors:
        print(f"    survived: {outcome.mutant.describe()}")
        print(f"        key: {outcome.mutant.key!r}")
    for outcome in errors:
        print(f"    error: {outcome.mutant.describe()}: {outcome.detail}")
    for key in stale:
        print(f"    stale entry (matches no mutant now; re-check and update equivalents.toml or targets.toml): "
              f"{key!r}")
    return below or bool(errors) or bool(stale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", default=[],
                        help="only modules whose path contains this text (repeatable)")
    parser.add_argument("--sample", type=int, default=0, help="at most N mutants per module, chosen at random")
    parser.add_argument("--seed", type=int, default=20, help="seed of the sample (default 20: the same each run)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at the same time (default 1)")
    parser.add_argument("--target", type=float, default=0.95, help="share of mutants to kill (default 0.95)")
    parser.add_argument("--list", action="store_true", help="list the mutants (key, line) and stop")
    parser.add_argument("--verbose", action="store_true", help="show each mutant's outcome as it comes")
    parser.add_argument("--log-dir", type=Path, help="keep each mutant's pytest output here")
    parser.add_argument("--targets-file", type=Path, default=HERE / "targets.toml", help=argparse.SUPPRESS)
    parser.add_argument("--equivalents-file", type=Path, default=HERE / "equivalents.toml", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the unit tests need no third-party pytest plugin
    targets = [t for t in load_targets(args.targets_file, args.equivalents_file)
               if not args.module or any(m in t.path for m in args.module)]
    if not targets:
        print("no module matches", args.module, file=sys.stderr)
        return 2
    if args.log_dir:
        args.log_dir.mkdir(parents=True, exist_ok=True)

    failed = False
    chosen: dict[str, tuple[list[Mutant], int, list[str]]] = {}
    for target in targets:
        mutants = generate((ROOT / target.path).read_text(encoding="utf-8"))
        keys = {m.key for m in mutants}
        stale = [key for key in target.equivalents if key not in keys]
        stale += [f"skip {name}" for name in target.skip if not any(_inside(m, name) for m in mutants)]
        candidates = [m for m in mutants if m.key not in target.equivalents and not target.skips(m)]
        if args.list:
            for mutant in mutants:
                mark = "  (equivalent)" if mutant.key in target.equivalents else ""
                mark = "  (skipped)" if target.skips(mutant) else mark
                print(f"{target.path}:{mutant.line}\t{mutant.key}{mark}")
        if args.sample and len(candidates) > args.sample:
            candidates = sorted(random.Random(f"{args.seed}:{target.path}").sample(candidates, args.sample),
                                key=lambda m: (m.site, m.variant))
        chosen[target.path] = (candidates, len(mutants) - sum(map(target.skips, mutants)), stale)
    if args.list:
        return 0

    third_party, core = _modules_to_share(targets)
    warm_up(third_party)

    print(f"{'module':<32} {'mutants':>7} {'equiv.':>6} {'run':>5} {'killed':>6} {'surv.':>5} {'score':>7}")
    for target in targets:
        candidates, total, stale = chosen[target.path]
        if target.path.startswith("plugins/"):
            # Core never imports a plugin: a plugin module's mutants can share the core modules, imported once
            # in a process of the target's own (the core targets still import them fresh).
            failed |= _forked(partial(import_in_order, core),
                              partial(_run_target, target, candidates, total, stale, args))
        else:
            failed |= _run_target(target, candidates, total, stale, args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
