"""a year close's lines are found through their unique (close_id, member_id) index alone

Revision ID: coop_0002
Revises: coop_0001
Create Date: 2026-12-07 21:30:00

`ix_coop_allocation_close_id` repeated the leading column of `uq_coop_allocation_close_id_member_id`: every line a
close writes (100,000 at county scale) paid for one more index, and no read needed it (docs/performance.md,
"Co-op close, round 4").
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'coop_0002'
down_revision: str | Sequence[str] | None = 'coop_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('coop_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coop_allocation_close_id'))


def downgrade() -> None:
    with op.batch_alter_table('coop_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coop_allocation_close_id'), ['close_id'], unique=False)
