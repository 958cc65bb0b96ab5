"""Plain data that hooks return. Hooks hand back these small frozen dataclasses, never framework objects."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True)
class Permission:
    """A named action `<area>.<verb>` and the roles that hold it.

    A role grant covers a village when it is scoped to that village, to its township, or to the whole site.
    """

    name: str
    title_zh: str
    title_en: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Manifest:
    """What a plugin (or a core area) is: checked at start-up before anything of it runs."""

    name: str
    title_zh: str
    title_en: str
    version: str
    requires: str = ">=1.0,<2.0"
    settings: type[BaseModel] | None = None
    permissions: tuple[Permission, ...] = ()
    table_prefix: str | None = None
    migrations: Path | None = None
    core: bool = False
    folder: Path | None = None  # where templates/, static/ and locale/ live; default: the plugin's package folder

    @property
    def prefix(self) -> str:
        return self.table_prefix if self.table_prefix is not None else f"{self.name}_"


@dataclass(frozen=True)
class MenuLink:
    """A link in the navigation; `village` links appear on village pages, `site` links on the county pages."""

    href: str
    label: str
    level: str = "village"  # "village" | "site"
    order: int = 100


@dataclass(frozen=True)
class MatterType:
    """A kind of 四议两公开 matter a plugin brings (e.g. a 一事一议 project).

    `reserved_to_assembly` marks the art. 24 matters only the villagers' meeting (or a representative meeting holding
    a recorded delegation) may decide. `rule_set` names the vote rule set its motions are counted by.
    """

    code: str
    title_zh: str
    title_en: str
    plugin: str
    reserved_to_assembly: bool = True
    detail_url: Callable[[Any], str] | None = None
    #: The vote rule set (hook `vote_rule_sets`) a motion on such a matter is counted by, in any meeting: the
    #: matter's rule, not the meeting's, decides it (e.g. 一事一议 needs its own quorum and majority).
    rule_set: str | None = None


@dataclass(frozen=True)
class DemoContext:
    """Handed to `demo_data`: the random source (seeded, so demos are reproducible) and the size wanted."""

    rng: random.Random
    scale: str = "demo"  # "demo" | "county"
    progress: Callable[[str, int], None] = lambda label, n: None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkItem:
    """One kind of work waiting for the signed-in person (the `my_work` hook): "3 待答复的异议 in 东庄村".

    `area` is the section title on /my (e.g. "村务公开"), `what` the kind of work, `href` the page where it is done;
    `who_next` says, when useful, who acts after this person; `overdue` marks work past its deadline.
    Items with `count` 0 are not shown.
    """

    area: str
    what: str
    count: int
    href: str
    village_code: str | None = None
    who_next: str = ""
    overdue: bool = False
    order: int = 100
