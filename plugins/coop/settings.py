"""`[plugins.coop]` in site.toml: practice values only (the law's thresholds live in rules.py, not here)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CoopSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    exit_notice_months: int = Field(default=3, ge=3, le=12,
                                    description="months before 31 Dec a member's exit notice must arrive (law: ≥ 3)")
    exit_notice_months_organisation: int = Field(
        default=6, ge=6, le=12, description="the same for enterprise/institution/organisation members (law: 6)")
    default_patronage_percent: int = Field(default=60, ge=60, le=100,
                                           description="patronage share proposed for a new co-op's charter")
    default_reserve_percent: int = Field(default=10, ge=0, le=100,
                                         description="reserve-fund rate proposed for a new co-op's charter")
    import_max_rows: int = Field(default=50_000, ge=1, description="most rows one transaction import may hold")
    distribution_window_days: int = Field(default=15, ge=7, le=90,
                                          description="days the distribution notice stays on the board")
