"""`[plugins.coverage]` in site.toml: the county's criteria for "covering" (docs/coverage.md). The practice of
Suning county (docs/domain.md §8) fixes the four types; how strict a county counts is its own choice."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class CoverageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_members: int = Field(default=3, ge=1, le=100,
                             description="an organisation covers only with at least this many members")
    min_meetings: int = Field(default=2, ge=0, le=52,
                              description="... and at least this many meetings held in the last 12 months")
    group_min_households: int = Field(default=10, ge=1, le=100,
                                      description="household groups (十户联防) smaller than this are flagged")
    group_max_households: int = Field(default=15, ge=1, le=100,
                                      description="household groups larger than this are flagged")
    import_max_rows: int = Field(default=20_000, ge=1, description="most rows one household-group import may hold")

    @model_validator(mode="after")
    def _sizes(self) -> CoverageSettings:
        if self.group_min_households > self.group_max_households:
            raise ValueError("group_min_households must not exceed group_max_households")
        return self
