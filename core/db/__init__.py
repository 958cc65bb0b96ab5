"""Database layer: naming convention (set before any model is imported), column types, engines, migrations."""

from cunwu.db.base import NAMING_CONVENTION, metadata
from cunwu.db.types import Money, UTCDateTime, utcnow

__all__ = ["NAMING_CONVENTION", "Money", "UTCDateTime", "metadata", "utcnow"]
