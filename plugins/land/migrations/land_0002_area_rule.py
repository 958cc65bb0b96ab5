"""the area rule in the database: on every date, the live first-level transferred area of a plot <= its area

Revision ID: land_0002
Revises: land_0001
Create Date: 2026-12-07 12:00:00

The peak of a sum of date intervals is reached on the start date of one of them, so the trigger checks the total on
the new row's start and on each start of an overlapping row inside its term. On PostgreSQL the plot row is locked
first (FOR UPDATE): concurrent transfers of one plot queue, and the later one sees the earlier one's rows. SQLite
write transactions are already serialised (BEGIN IMMEDIATE). See docs/domain.md §6.
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'land_0002'
down_revision: str | Sequence[str] | None = 'land_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PEAK = """
    SELECT max((SELECT coalesce(sum(o.area_mu), 0) FROM land_transfer_plot o
                WHERE o.plot_id = NEW.plot_id AND o.live AND o.first_level
                  AND o.start_on <= d.day AND o.end_on > d.day))
    FROM (SELECT NEW.start_on AS day
          UNION SELECT s.start_on FROM land_transfer_plot s
          WHERE s.plot_id = NEW.plot_id AND s.live AND s.first_level
            AND s.start_on > NEW.start_on AND s.start_on < NEW.end_on) AS d
"""

_PG_FUNCTION = f"""
CREATE FUNCTION land_check_plot_area() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    plot_area numeric;
    peak numeric;
BEGIN
    IF NOT (NEW.live AND NEW.first_level) THEN
        RETURN NEW;
    END IF;
    SELECT area_mu INTO plot_area FROM land_plot WHERE id = NEW.plot_id FOR UPDATE;
    {_PEAK.strip()} INTO peak;
    IF peak > plot_area THEN
        RAISE EXCEPTION 'land_plot_over_transferred: plot % would have % mu transferred, its area is % mu',
            NEW.plot_id, peak, plot_area USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END
$$;
"""


def _sqlite_trigger(event: str) -> str:
    return f"""
CREATE TRIGGER land_transfer_plot_area_{event.lower()} AFTER {event} ON land_transfer_plot
WHEN NEW.live AND NEW.first_level
 AND ({_PEAK.strip()}) > (SELECT area_mu FROM land_plot WHERE id = NEW.plot_id)
BEGIN
    SELECT RAISE(ABORT, 'land_plot_over_transferred');
END;
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute("CREATE TRIGGER land_transfer_plot_area AFTER INSERT OR UPDATE ON land_transfer_plot "
                   "FOR EACH ROW EXECUTE FUNCTION land_check_plot_area()")
    else:
        op.execute(_sqlite_trigger("INSERT"))
        op.execute(_sqlite_trigger("UPDATE"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER land_transfer_plot_area ON land_transfer_plot")
        op.execute("DROP FUNCTION land_check_plot_area()")
    else:
        op.execute("DROP TRIGGER land_transfer_plot_area_insert")
        op.execute("DROP TRIGGER land_transfer_plot_area_update")
