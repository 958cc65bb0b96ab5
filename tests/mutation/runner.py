"""Running mutants: one forked child per mutant, the module's own unit tests run by pytest in that child.

Starting Python and importing pytest, SQLAlchemy, Litestar… costs seconds; the tests of one module take about
one. So the parent imports every third-party module the tests need once (the list comes from an unmutated
baseline run) — for a plugin module also the core modules, which never import a plugin — and forks a child per
mutant: the child serves the mutated module through an import hook (the file on disk is never touched; the
mutated module and everything that imports it have not been imported yet in the parent), runs pytest on the
module's tests with `-x`, and exits with pytest's code. A mutant is *killed* when a test fails or errors (a
mutant that breaks the import counts too), *timed out* (also killed: the change made the code loop) when it
runs past 5 × the baseline time, and *survived* when every test passes.
"""

from __future__ import annotations

import ast
import importlib
import importlib.abc
import importlib.util
import os
import select
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType

from .mutants import Mutant, apply

ROOT = Path(__file__).resolve().parents[2]
_PACKAGES = {"core": "cunwu", "plugins": "cunwu_plugins"}  # pyproject's package-dir mapping


def module_name(path: str) -> str:
    """`core/meetings/rules.py` → `cunwu.meetings.rules` (the installed name the code is imported by)."""
    parts = list(Path(path).with_suffix("").parts)
    parts[0] = _PACKAGES.get(parts[0], parts[0])
    return ".".join(parts)


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant | None  # None for the baseline
    status: str  # "killed", "timeout", "survived", "error"
    seconds: float
    detail: str = ""  # the first failing test, or what went wrong


class _MutantLoader(importlib.abc.Loader):
    """Executes a precompiled (mutated) code object as the module."""

    def __init__(self, code: CodeType) -> None:
        self.code = code

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        exec(self.code, module.__dict__)


class _MutantFinder(importlib.abc.MetaPathFinder):
    def __init__(self, name: str, path: Path, code: CodeType) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=_MutantLoader(self.code))


class _Recorder:
    """A pytest plugin noting the first failing test, so the report can say which test killed a mutant."""

    def __init__(self) -> None:
        self.first_failure = ""

    def pytest_runtest_logreport(self, report: object) -> None:
        if getattr(report, "failed", False) and not self.first_failure:
            self.first_failure = str(getattr(report, "nodeid", ""))

    def pytest_collectreport(self, report: object) -> None:
        self.pytest_runtest_logreport(report)


def pytest_args(tests: Sequence[str]) -> list[str]:
    """pytest's arguments for a module's unit tests: stop at the first failure, no conftest (see unit_fixtures.py)."""
    return [*tests, "-x", "-q", "--no-header", "--noconftest", "-p", "no:cacheprovider"]


def unit_plugins() -> list[object]:
    """The plugins a unit-test run needs in place of the conftests (imported late: it imports `cunwu`)."""
    from . import unit_fixtures

    return [unit_fixtures]


def _child(name: str, path: Path, code: CodeType, tests: Sequence[str], write_fd: int, log: Path | None) -> None:
    """In the forked child: serve the mutated module, run the tests, report, exit. Never returns."""
    status = 3
    try:
        sink = os.open(log if log else os.devnull, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(sink, 1)
        os.dup2(sink, 2)
        sys.stdout = sys.stderr = open(sink, "w", closefd=False)  # noqa: SIM115 — lives until os._exit
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # the unit tests need no third-party pytest plugin
        if name in sys.modules:
            raise RuntimeError(f"{name} was imported before the mutant could be served")
        sys.meta_path.insert(0, _MutantFinder(name, path, code))
        import pytest

        recorder = _Recorder()
        status = int(pytest.main(pytest_args(tests), plugins=[recorder, *unit_plugins()]))
        os.write(write_fd, recorder.first_failure.encode())
    except BaseException as exc:  # anything here is reported by the parent
        os.write(write_fd, f"{type(exc).__name__}: {exc}".encode())
    finally:
        os._exit(status)


def warm_up(module_names: Iterable[str]) -> None:
    """Import third-party modules in the parent so each child has them for free (project modules excluded)."""
    for name in sorted(module_names):
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # a module that cannot be imported on its own is left to the child
            continue


def import_in_order(module_names: Iterable[str]) -> None:
    """Import project modules in the order a test run first imported them (so no import cycle is entered at an
    unusual point); a module that fails is left to the child, which reports it."""
    for name in module_names:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:
            continue


def core_modules() -> list[str]:
    """The core modules (`cunwu`, `cunwu.*`) loaded now, in the order they were first imported."""
    return [name for name in sys.modules if name == "cunwu" or name.startswith("cunwu.")]


def third_party_modules() -> list[str]:
    """Modules loaded now that come from outside the repository (stdlib and site-packages)."""
    names = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(ROOT) and not Path(file).resolve().is_relative_to(sys.prefix):
            continue
        if name.startswith(("cunwu", "tests", "__editable__")):
            continue
        names.append(name)
    return names


@dataclass
class _Running:
    mutant: Mutant | None
    pid: int
    read_fd: int
    started: float
    output: bytes = b""


def run_mutants(
    name: str,
    path: Path,
    tests: Sequence[str],
    mutants: Sequence[Mutant | None],
    *,
    jobs: int,
    timeout: float,
    log_dir: Path | None = None,
    on_result: Callable[[Outcome], None] = lambda outcome: None,
) -> list[Outcome]:
    """Run each mutant (None = the unmutated module) in a forked child, `jobs` at a time."""
    source = path.read_text(encoding="utf-8")
    pending = list(mutants)
    running: dict[int, _Running] = {}
    outcomes: list[Outcome] = []
    while pending or running:
        while pending and len(running) < jobs:
            mutant = pending.pop(0)
            tree = ast.parse(source) if mutant is None else apply(source, mutant.site, mutant.variant)
            code = compile(tree, str(path), "exec")
            read_fd, write_fd = os.pipe()
            label = "baseline" if mutant is None else f"{mutant.site}-{mutant.variant}"
            log = log_dir / f"{label}.log" if log_dir else None
            sys.stdout.flush()  # or the child would inherit (and might write) what the parent has buffered
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                os.close(read_fd)
                _child(name, path, code, tests, write_fd, log)
            os.close(write_fd)
            running[read_fd] = _Running(mutant, pid, read_fd, time.monotonic())
        ready, _, _ = select.select(list(running), [], [], 0.2)
        now = time.monotonic()
        for fd in list(running):
            job = running[fd]
            if fd in ready:
                chunk = os.read(fd, 4096)
                if chunk:
                    job.output += chunk
                    continue
                _, status = os.waitpid(job.pid, 0)
                code_ = os.waitstatus_to_exitcode(status)
                outcome = _classify(job, code_, now - job.started)
            elif now - job.started > timeout:
                os.kill(job.pid, signal.SIGKILL)
                os.waitpid(job.pid, 0)
                outcome = Outcome(job.mutant, "timeout", now - job.started, f"over {timeout:.0f} s")
            else:
                continue
            os.close(fd)
            del running[fd]
            outcomes.append(outcome)
            on_result(outcome)
    return outcomes


def _classify(job: _Running, exit_code: int, seconds: float) -> Outcome:
    detail = job.output.decode(errors="replace")
    if exit_code == 0:
        return Outcome(job.mutant, "survived", seconds, detail)
    if exit_code in (1, 2):  # tests failed; collection failed (the mutant broke the import)
        return Outcome(job.mutant, "killed", seconds, detail or "collection error")
    return Outcome(job.mutant, "error", seconds, detail or f"pytest exit code {exit_code}")
