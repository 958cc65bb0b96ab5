"""audit: a village's entries indexed in order (village_code, id)

Revision ID: core_0004
Revises: core_0003
Create Date: 2026-12-07 21:55:00

The land map's and the township ledger's caches ask for the newest audit entry of their villages on every view. With
an index on `village_code` alone, PostgreSQL answered `max(id)` by walking the whole table backwards from the newest
entry until one of the village came up (2.9 ms for a quiet village of the 16-village benchmark county, growing with
the log); an index on (village_code, id) answers it with one descent, and serves every query the old index served.
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'core_0004'
down_revision: str | Sequence[str] | None = 'core_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entry_village_id', ['village_code', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_audit_entry_village_code'))


def downgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_village_code'), ['village_code'], unique=False)
        batch_op.drop_index('ix_audit_entry_village_id')
