"""Alembic, one branch for core and one per plugin.

`upgrade(site)` runs `core@head`, then `<plugin>@head` for each plugin the site enables — never a bare `heads`, so a
site's database only ever holds the tables of what it uses. Every installed plugin's versions folder stays on the
path (enabled or not) so that history always resolves.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from cunwu.plugin_types import Manifest
from cunwu.plugins import installed_plugins

if TYPE_CHECKING:
    from cunwu.runtime import Site

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
CORE_BRANCH = "core"


def _manifest_of(obj: Any) -> Manifest | None:
    function = getattr(obj, "manifest", None)
    return function() if callable(function) else None


def branch_locations(site: Site) -> dict[str, Path]:
    """Branch label -> versions folder, for core and every installed (or site-provided) plugin."""
    locations = {CORE_BRANCH: MIGRATIONS_DIR / "versions"}
    manifests: list[Manifest] = list(site.plugins.manifests.values())
    for name, ep in installed_plugins().items():
        if name not in site.plugins.manifests:
            found = _manifest_of(ep.load())
            if found:
                manifests.append(found)
    for manifest in manifests:
        if not manifest.core and manifest.migrations is not None:
            locations[manifest.name] = Path(manifest.migrations)
    return locations


def alembic_config(site: Site, connection: Any = None, branch: str | None = None,
                   only: list[str] | None = None) -> Config:
    """`only` limits the version path to some branches (squashing one branch must not see the others)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    locations = {k: v for k, v in branch_locations(site).items() if only is None or k in only}
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations.values()))
    config.attributes["site"] = site
    config.attributes["connection"] = connection
    config.attributes["branch"] = branch
    return config


def enabled_branches(site: Site) -> list[str]:
    locations = branch_locations(site)
    return [CORE_BRANCH] + [n for n in site.plugins.plugin_names() if n in locations]


def upgrade(site: Site) -> list[str]:
    """Upgrade core, then each enabled plugin's branch. Returns the branches upgraded."""
    branches = enabled_branches(site)
    with site.db.write_engine.begin() as connection:
        config = alembic_config(site, connection)
        for branch in branches:
            command.upgrade(config, f"{branch}@head")
    return branches


def pending(site: Site) -> list[str]:
    """Branches whose head is not applied yet (the app refuses to start on an out-of-date database)."""
    config = alembic_config(site)
    script = ScriptDirectory.from_config(config)
    with site.db.read_engine.connect() as connection:
        applied = set(MigrationContext.configure(connection).get_current_heads())
    missing = []
    for branch in enabled_branches(site):
        head = script.get_revision(f"{branch}@head")
        if head is None or (head.revision not in applied and not _descends(script, applied, head.revision)):
            missing.append(branch)
    return missing


def _descends(script: ScriptDirectory, applied: set[str], revision: str) -> bool:
    return any(revision in {r.revision for r in script.iterate_revisions(a, "base")} for a in applied)


def revision(site: Site, branch: str, message: str) -> None:
    """Autogenerate a new revision on one branch, comparing only the tables that branch owns."""
    locations = branch_locations(site)
    if branch not in locations:
        raise ValueError(f"no migrations folder for branch {branch!r}")
    config = alembic_config(site, branch=branch)
    script = ScriptDirectory.from_config(config)
    try:
        head = script.get_revision(f"{branch}@head")
    except Exception:
        head = None
    locations[branch].mkdir(parents=True, exist_ok=True)
    with site.db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        if head is None:
            depends = None if branch == CORE_BRANCH else f"{CORE_BRANCH}@head"
            command.revision(
                config, message=message, autogenerate=True, head="base", branch_label=branch,
                version_path=str(locations[branch]), depends_on=depends,
            )
        else:
            command.revision(config, message=message, autogenerate=True, head=f"{branch}@head")


def squash(site: Site, branch: str, workdir: Path) -> Path:
    """Pre-release only: replace a branch's revisions by one initial revision `<branch>_0001`, generated from the
    models against an empty database (core first, for plugins). The id is fixed, so regenerating is idempotent.
    Never use this once a database outside development has applied the branch."""
    locations = branch_locations(site)
    if branch not in locations:
        raise ValueError(f"no migrations folder for branch {branch!r}")
    folder = locations[branch]
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.py"):
        old.unlink()
    from cunwu.db.engine import Database

    site.db = Database(f"sqlite:///{workdir / 'squash.sqlite3'}")
    with site.db.write_engine.begin() as connection:
        config = alembic_config(site, connection, branch=branch, only=[CORE_BRANCH, branch])
        if branch != CORE_BRANCH:
            command.upgrade(config, f"{CORE_BRANCH}@head")
        command.revision(
            config, message="initial", autogenerate=True, head="base", branch_label=branch,
            version_path=str(folder), rev_id=f"{branch}_0001",
            depends_on=None if branch == CORE_BRANCH else f"{CORE_BRANCH}_0001",
        )
    site.db.dispose()
    return folder / f"{branch}_0001_initial.py"
