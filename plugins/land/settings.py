"""Per-site settings of the land plugin (`[plugins.land]` in site.toml).

Only local *practice* lives here (see docs/domain.md §6); what the law fixes (the 30-year arable term, the 5-year
registration threshold, the GB/T 35958 code lengths) is in code. Decimal values given as TOML floats are read
through their decimal text, never as binary floats.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LandSettings(BaseModel):
    """Practice values of land contract and transfer management for one site."""

    model_config = ConfigDict(extra="forbid")

    priority_posting_days: int = Field(default=10, ge=1, le=60)
    """A transfer to someone outside the collective is posted this many days before it may be signed, so village
    members can use their priority on equal terms (农村土地承包法 art. 38(5), docs/domain.md §6.2)."""
    grain_reference_price: Decimal = Field(default=Decimal("2.40"), gt=0)
    """Yuan per kg used to convert a rent in grain to cash when the contract names no price of its own."""
    rent_adjust_years: int = Field(default=3, ge=1, le=30)
    """Default adjustment period of the rent, in years, proposed on the transfer form."""
    area_tolerance: Decimal = Field(default=Decimal("0.05"), ge=0, le=1)
    """Warn when a plot's measured (geodesic) area differs from its declared area by more than this share."""
    written_contract_min_days: int = Field(default=366, ge=0)
    """Transfers of at most one year may do without the printed written contract (art. 40, docs/domain.md §6.3);
    0 = always print."""
    expiring_within_days: int = Field(default=90, ge=1)
    """The ledgers list transfers ending within this many days."""
    rent_overdue_after_days: int = Field(default=30, ge=0)
    """A rent instalment unpaid this many days after it fell due shows as overdue."""

    @field_validator("grain_reference_price", "area_tolerance", mode="before")
    @classmethod
    def _exact(cls, value: object) -> object:
        return Decimal(str(value)) if isinstance(value, float) else value
