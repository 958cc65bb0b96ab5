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


class MigrationError(Exception):
    """An upgrade failed. The message names the branch, the revision and the database's own error."""


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
    """Upgrade core, then each enabled plugin's branch, in one transaction. Returns the branches upgraded.

    A failure raises MigrationError naming the branch, the revision that failed and the database's error."""
    branches = enabled_branches(site)
    applied: list[str] = []
    with site.db.write_engine.begin() as connection:
        config = alembic_config(site, connection)
        config.attributes["on_version_apply"] = lambda *, step, **_kw: applied.extend(step.up_revision_ids)
        before = set(MigrationContext.configure(connection).get_current_heads())
        for branch in branches:
            try:
                command.upgrade(config, f"{branch}@head")
            except Exception as exc:
                failed = _first_unapplied(ScriptDirectory.from_config(config), branch, before, set(applied))
                raise MigrationError(
                    f"{site.config.file}: `db upgrade` failed on branch {branch!r} at revision {failed}: "
                    f"{_database_error(exc)}\nNothing was changed (the upgrade runs in one transaction)."
                ) from exc
    return branches


def _first_unapplied(script: ScriptDirectory, branch: str, before: set[str], applied: set[str]) -> str:
    """The revision of `branch` an upgrade reached but did not finish: the oldest one neither in the database before
    nor applied since (with its message, as the file says)."""
    done = set(before) | applied
    for head in before:
        done |= {r.revision for r in script.iterate_revisions(head, "base")}
    for revision in reversed(list(script.iterate_revisions(f"{branch}@head", "base"))):
        if revision.revision not in done:
            return f"{revision.revision} ({revision.doc})" if revision.doc else revision.revision
    return "(unknown)"


def _database_error(exc: Exception) -> str:
    from sqlalchemy.exc import DBAPIError, StatementError

    if isinstance(exc, DBAPIError):
        return str(exc.orig).strip() or type(exc.orig).__name__
    if isinstance(exc, StatementError):
        return str(exc.orig)
    return f"{type(exc).__name__}: {exc}"


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


def unsafe_not_null(directives: list[Any]) -> list[str]:
    """NOT NULL columns a new revision adds to an existing table (or makes NOT NULL) without a server default: its
    upgrade fails on any database whose table already holds rows. One warning per column."""
    from alembic.operations import ops

    warnings: list[str] = []

    def walk(op: Any) -> None:
        if isinstance(op, ops.AddColumnOp):
            column = op.column
            if not column.nullable and column.server_default is None and not column.primary_key:
                warnings.append(f"{op.table_name}.{column.name}: NOT NULL column added without a server default; "
                                f"give it one (sa.Column(..., server_default=...)) or add it nullable, fill it, "
                                f"then make it NOT NULL")
        elif isinstance(op, ops.AlterColumnOp) and op.modify_nullable is False and op.existing_server_default is None:
            warnings.append(f"{op.table_name}.{op.column_name}: made NOT NULL without a server default; fill the "
                            f"existing rows in the same revision first")
        elif isinstance(op, ops.OpContainer):
            for inner in op.ops:
                walk(inner)

    for directive in directives:
        for upgrade_ops in directive.upgrade_ops_list:
            walk(upgrade_ops)
    return warnings


def revision(site: Site, branch: str, message: str) -> list[str]:
    """Autogenerate a new revision on one branch, comparing only the tables that branch owns. Returns warnings about
    what the revision would break on a database with rows (see `unsafe_not_null`)."""
    locations = branch_locations(site)
    if branch not in locations:
        raise ValueError(f"no migrations folder for branch {branch!r}")
    # Only the site's own branches: autogenerate needs the database at every head it can see.
    config = alembic_config(site, branch=branch, only=[*enabled_branches(site), branch])
    script = ScriptDirectory.from_config(config)
    try:
        head = script.get_revision(f"{branch}@head")
    except Exception:
        head = None
    locations[branch].mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []

    def check(_context: Any, _revision: Any, directives: list[Any]) -> None:
        warnings.extend(unsafe_not_null(directives))

    with site.db.write_engine.begin() as connection:
        config.attributes["connection"] = connection
        if head is None:
            depends = None if branch == CORE_BRANCH else f"{CORE_BRANCH}@head"
            command.revision(
                config, message=message, autogenerate=True, head="base", branch_label=branch,
                version_path=str(locations[branch]), depends_on=depends, process_revision_directives=check,
            )
        else:
            command.revision(config, message=message, autogenerate=True, head=f"{branch}@head",
                             process_revision_directives=check)
    return warnings


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
