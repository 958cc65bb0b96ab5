"""audit: the rows of batch entries (one chained entry per bulk insert instead of one per record)

Revision ID: core_0003
Revises: core_0002
Create Date: 2026-12-07 14:40:00

`cunwu.audit.services.insert_batch` (register import, demo data) writes one audit entry per bulk insert whose hash
commits to the SHA-256 of every row written; the rows themselves, as the chain's JSON text, go here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'core_0003'
down_revision: str | Sequence[str] | None = 'core_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('audit_row',
    sa.Column('entry_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('object_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', 'object_id', name=op.f('pk_audit_row')),
    sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table('audit_row')
