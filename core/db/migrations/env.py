"""Alembic environment: the connection and site come from `cunwu.db.migrate`, never from an ini file."""

from __future__ import annotations

from typing import Any

from alembic import context

from cunwu.db.base import metadata
from cunwu.db.types import Money, UTCDateTime

config = context.config
site = config.attributes["site"]
branch: str | None = config.attributes.get("branch")
owners = {
    table: ("core" if site.plugins.manifests[owner].core else owner)
    for table, owner in site.plugins.owner_of_table().items()
}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """When autogenerating for one branch, look only at the tables that branch owns."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    table_name = getattr(table, "name", name)
    if table_name == "alembic_version":
        return False
    owner = owners.get(table_name or "")
    if owner is None:
        return False  # a table of a plugin this site does not enable
    return branch is None or owner == branch


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render Cunwu's own column types by their public path (the template imports cunwu.api: a plugin's migrations,
    like the rest of the plugin, use nothing else from the core)."""
    if type_ == "type" and isinstance(obj, UTCDateTime | Money):
        return f"cunwu.api.{type(obj).__name__}()"
    return False


connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    include_object=include_object,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=render_item,
    on_version_apply=config.attributes.get("on_version_apply"),  # cunwu.db.migrate names a failing revision
)
with context.begin_transaction():
    context.run_migrations()
