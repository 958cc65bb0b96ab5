"""notices: covering index for the disclosure calendar (latest notice per village and stream)

Revision ID: core_0002
Revises: core_0001
Create Date: 2026-11-22 08:30:00

The county overview asks, for every village, when it last published a 村务 notice (`queries.overdue`). Without this
index SQLite read ~33,000 notice rows from the table at county scale (~40 ms a page); with it the answer comes from
the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'core_0002'
down_revision: str | Sequence[str] | None = 'core_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notices_notice', schema=None) as batch_op:
        batch_op.create_index('ix_notices_notice_latest',
                              ['village_code', 'stream', 'status', 'is_current', 'window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notices_notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_notice_latest')
