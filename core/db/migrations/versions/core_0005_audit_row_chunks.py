"""audit: a batch's rows kept a thousand to an `audit_row` (their JSON lines joined by newlines)

Revision ID: core_0005
Revises: core_0004
Create Date: 2026-12-08 00:00:00

`insert_batch` wrote one `audit_row` per record; a 100,000-plot import spent a sixth of its time on those rows and
their index (docs/performance.md, "Land import", round 4). It now writes up to `ROWS_PER_CHUNK` records' JSON lines
per row, keyed by the first record's id. This merges the rows already written into such chunks, in id order: the
batch entries' hashes are over the same texts, so the chain and `verify --records` check them as before. Downgrade
splits them again.
"""

import json
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'core_0005'
down_revision: str | Sequence[str] | None = 'core_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROWS_PER_CHUNK = 1000  # cunwu.audit.services.ROWS_PER_CHUNK when this was written

_ROW = sa.table('audit_row', sa.column('entry_id', sa.Integer), sa.column('object_id', sa.Integer),
                sa.column('after', sa.Text))


_Rows = list[tuple[int, str]]  # (object_id, after) of one entry's audit rows, in id order


def _rewrite(rows_of: Callable[[_Rows], _Rows]) -> None:
    """Replace each batch entry's rows by `rows_of(its rows in id order)`, one entry at a time."""
    connection = op.get_bind()
    entry_ids = connection.execute(sa.select(_ROW.c.entry_id).distinct().order_by(_ROW.c.entry_id)).scalars().all()
    for entry_id in entry_ids:
        rows = connection.execute(sa.select(_ROW.c.object_id, _ROW.c.after).where(_ROW.c.entry_id == entry_id)
                                  .order_by(_ROW.c.object_id)).all()
        connection.execute(_ROW.delete().where(_ROW.c.entry_id == entry_id))
        connection.execute(_ROW.insert(), [{"entry_id": entry_id, "object_id": first, "after": text}
                                           for first, text in rows_of(rows)])


def _chunks(rows: _Rows) -> _Rows:
    lines = [line for _first, text in rows for line in text.split("\n")]
    firsts = [json.loads(line)["id"] for line in lines[::ROWS_PER_CHUNK]]
    return [(first, "\n".join(lines[start:start + ROWS_PER_CHUNK]))
            for first, start in zip(firsts, range(0, len(lines), ROWS_PER_CHUNK), strict=True)]


def _lines(rows: _Rows) -> _Rows:
    return [(json.loads(line)["id"], line) for _first, text in rows for line in text.split("\n")]


def upgrade() -> None:
    _rewrite(_chunks)


def downgrade() -> None:
    _rewrite(_lines)
