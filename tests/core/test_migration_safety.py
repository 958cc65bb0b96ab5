"""`db revision` warns on a NOT NULL column without a server default; a failed `db upgrade` names the branch, the
revision and the database's error in one message, and leaves the database as it was."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Field, SQLModel

from cunwu import hookimpl
from cunwu.db.migrate import MigrationError, revision, upgrade
from cunwu.plugin_types import Manifest
from cunwu.sites import BUNDLED_SITES_DIR


class RoadworkItem(SQLModel, table=True):
    """The model as it is now: `size` came after the first migration."""

    __tablename__ = "roadwork_item"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=50)
    size: int


FIRST = '''
"""roadwork initial"""
import sqlalchemy as sa
from alembic import op

revision = "roadwork_0001"
down_revision = None
branch_labels = ("roadwork",)
depends_on = "core_0001"


def upgrade() -> None:
    op.create_table("roadwork_item", sa.Column("id", sa.Integer(), primary_key=True),
                    sa.Column("name", sa.String(length=50), nullable=False))


def downgrade() -> None:
    op.drop_table("roadwork_item")
'''

SECOND = '''
"""add the size"""
import sqlalchemy as sa
from alembic import op

revision = "roadwork_0002"
down_revision = "roadwork_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roadwork_item") as batch_op:
        batch_op.add_column(sa.Column("size", sa.Integer(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("roadwork_item") as batch_op:
        batch_op.drop_column("size")
'''


class Roadwork:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / "migrations").mkdir(parents=True, exist_ok=True)
        (folder / "migrations" / "roadwork_0001.py").write_text(textwrap.dedent(FIRST))

    @hookimpl
    def manifest(self) -> Manifest:
        return Manifest(name="roadwork", title_zh="道路工程", title_en="Roadwork", version="1",
                        migrations=self.folder / "migrations", folder=self.folder)

    @hookimpl
    def register_models(self) -> list[type]:
        return [RoadworkItem]


def roadwork_site(site_factory: Any, tmp_path: Path, dialect: str = "sqlite") -> tuple[Any, Roadwork]:
    plugin = Roadwork(tmp_path / "roadwork")
    site = site_factory(enabled=["roadwork"], available={"roadwork": plugin}, migrate=False, dialect=dialect)
    upgrade(site)
    return site, plugin


def test_revision_warns_on_a_not_null_column_without_a_server_default(site_factory: Any, tmp_path: Path) -> None:
    site, plugin = roadwork_site(site_factory, tmp_path)
    warnings = revision(site, "roadwork", "add size")
    assert len(warnings) == 1
    assert warnings[0].startswith("roadwork_item.size: NOT NULL column added without a server default")
    written = [p for p in (plugin.folder / "migrations").glob("*.py") if p.name != "roadwork_0001.py"]
    assert len(written) == 1 and "size" in written[0].read_text()


def test_a_failed_upgrade_names_branch_revision_and_database_error(site_factory: Any, tmp_path: Path,
                                                                   dialect: str) -> None:
    site, plugin = roadwork_site(site_factory, tmp_path, dialect)
    with site.db.transaction() as session:
        session.connection().execute(text("INSERT INTO roadwork_item (name) VALUES ('东街路面')"))
    (plugin.folder / "migrations" / "roadwork_0002.py").write_text(textwrap.dedent(SECOND))
    with pytest.raises(MigrationError, match=r"on branch 'roadwork' at revision roadwork_0002 \(add the size\): "
                                             r".*(NOT NULL column|contains null values)") as error:
        upgrade(site)
    assert "Traceback" not in str(error.value)
    columns = {c["name"] for c in inspect(site.db.read_engine).get_columns("roadwork_item")}
    assert columns == {"id", "name"}  # one transaction: nothing of the failed revision stays
    with site.db.read() as session:
        assert session.connection().execute(text("SELECT name FROM roadwork_item")).scalar_one() == "东街路面"


def test_db_upgrade_failure_on_the_command_line_is_one_message(tmp_path: Path) -> None:
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "demo").mkdir()
    (sites / "demo" / "site.toml").write_bytes((BUNDLED_SITES_DIR / "demo" / "site.toml").read_bytes())
    data = tmp_path / "var"
    data.mkdir()
    import sqlite3

    with sqlite3.connect(data / "demo.sqlite3") as db:  # a table in the way of the first core revision
        db.execute("CREATE TABLE accounts_user (id INTEGER PRIMARY KEY)")
    env = {**os.environ, "CUNWU_SITES_DIR": str(sites), "CUNWU_DATA_DIR": str(data)}
    env.pop("CUNWU_DATABASE_URL", None)
    env.pop("CUNWU_DEBUG", None)
    result = subprocess.run([sys.executable, "-m", "cunwu", "db", "upgrade"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert "on branch 'core' at revision core_0001" in message
    assert "table accounts_user already exists" in message
