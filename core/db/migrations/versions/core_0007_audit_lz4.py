"""audit and notices: their large JSON columns compressed with lz4 on PostgreSQL

Revision ID: core_0007
Revises: core_0006
Create Date: 2026-12-08 03:00:00

PostgreSQL compresses a value of more than about 2 kB before storing it (TOAST), with pglz unless a column says
otherwise. The audit's batch rows (a thousand records' JSON lines each), entries carrying a whole record (a notice
with its table) and the notices' tables are such values: a county's co-op close writes 38 MB of them, and pglz
spent ≈ 0.6 s of the server's CPU compressing them, lz4 a third of that (docs/performance.md, "Co-op close, round
7"). Only how new values are stored changes: values already written keep their compression, and both read alike.
Servers built without lz4 (its absence shows in `default_toast_compression`'s choices) and SQLite keep what they
have. Downgrade returns the columns to the server's default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'core_0007'
down_revision: str | Sequence[str] | None = 'core_0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("audit_entry", "before"), ("audit_entry", "after"), ("audit_row", "after"), ("notices_notice", "data_table"))


def _compress_with(method: str) -> None:
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET COMPRESSION {method}')


def _toast_methods() -> list[str]:
    """The compression methods this server can store values with (none on SQLite and before PostgreSQL 14)."""
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return []
    return list(connection.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar() or [])


def upgrade() -> None:
    if "lz4" in _toast_methods():
        _compress_with("lz4")


def downgrade() -> None:
    if _toast_methods():
        _compress_with("default")
