"""`[core.registry]` in site.toml: masking, representatives' households, voting age, import limits."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from cunwu.i18n import _
from cunwu.privacy import MaskSettings


class RegistrySettings(BaseModel):
    """`[core.registry]` in site.toml."""

    model_config = ConfigDict(extra="forbid")

    mask: MaskSettings = Field(default_factory=MaskSettings)
    representative_households_min: int = Field(default=5, ge=1)
    representative_households_max: int = Field(default=15, ge=1)
    voting_age: int = Field(default=18, ge=16, le=21)
    import_max_rows: int = Field(default=200_000, ge=1)
    import_max_columns: int = Field(default=60, ge=25, le=16_384)
    upload_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1024)

    @model_validator(mode="after")
    def _range(self) -> RegistrySettings:
        if self.representative_households_min > self.representative_households_max:
            raise ValueError(_("每位代表联系户数的下限不能大于上限"))
        return self
