"""Column types that keep the data rules on both SQLite and PostgreSQL.

- `UTCDateTime`: always timezone-aware; stored as UTC (SQLite has no time zones, so we normalise on the way in/out).
- `Money`: NUMERIC(14,2) read back as a `Decimal` quantised to the fen. SQLite has no exact decimal type, so there
  the value is stored as an INTEGER number of fen: sums, comparisons and ordering stay exact in SQL, and no float
  ever touches money. PostgreSQL keeps a true NUMERIC.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from cunwu.clock import LOCAL_TZ, utcnow

__all__ = ["FEN", "LOCAL_TZ", "Money", "UTCDateTime", "to_money", "utcnow"]  # the clock itself lives in cunwu.clock

FEN = Decimal("0.01")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Column type for aware datetimes, stored as UTC on both databases; a naive datetime is refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Cunwu stores only timezone-aware datetimes")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_money(value: Any) -> Decimal:
    """Parse a yuan amount exactly (strings, ints, Decimals; floats refused) and round half-up to the fen."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a string or Decimal")
    return Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """Column type for yuan amounts: an exact Decimal to the fen.

    Integer fen on SQLite, NUMERIC(14,2) on PostgreSQL."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(14, 2, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_money(value)
        return int(amount * 100) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(FEN)
        return to_money(value)
