"""What every `cunwu` command shares, the core's and the plugins' alike: the console it prints to, `--site` (declared
once, here), opening the site it names and a progress bar. Plugins reach these through `cunwu.api`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cunwu.sites import discover_sites, sites_dir

if TYPE_CHECKING:
    from cunwu.runtime import Site

console = Console(stderr=True)
CommandT = TypeVar("CommandT", bound=Callable[..., Any])

def site_option(command: CommandT) -> CommandT:
    """`--site SLUG` on a command, passed to it as `site_slug` (None: the only site); give it to `open_site`."""
    return click.option("--site", "site_slug", default=None, help="site folder name under sites/")(command)


def open_site(slug: str | None) -> Site:
    """Load one site (the only one, or the one named), reporting configuration errors cleanly."""
    from cunwu.runtime import Site

    configs = discover_sites(sites_dir(), [slug] if slug else None)
    if len(configs) > 1:
        names = ", ".join(c.slug for c in configs)
        raise click.UsageError(f"several sites in {sites_dir()}: name one with --site ({names})")
    return Site(configs[0])


@contextmanager
def progress_bar() -> Iterator[Callable[[str, int], None]]:
    """A rich progress bar; the callback takes (label, steps done since last call); total 0 = unknown."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def advance(label: str, steps: int, total: int | None = None) -> None:
            if label not in tasks:
                tasks[label] = progress.add_task(label, total=total)
            elif total is not None:
                progress.update(tasks[label], total=total)
            progress.advance(tasks[label], steps)

        yield advance  # type: ignore[misc]
