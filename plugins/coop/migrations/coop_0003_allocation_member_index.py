"""a year close's lines are found by member through the co-op's closes and the unique (close_id, member_id) index

Revision ID: coop_0003
Revises: coop_0002
Create Date: 2026-12-07 23:30:00

`ix_coop_allocation_member_id` had one reader, a member's account, which now goes through the co-op's current
closes (one a year) and probes the unique (close_id, member_id) index for each. A county's close writes 100,000
lines, each of which paid for this index too (docs/performance.md, "Co-op close, round 6").
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'coop_0003'
down_revision: str | Sequence[str] | None = 'coop_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('coop_allocation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coop_allocation_member_id'))


def downgrade() -> None:
    with op.batch_alter_table('coop_allocation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coop_allocation_member_id'), ['member_id'], unique=False)
