"""Per-site settings of 网格化管理 (`[plugins.wangge]` in site.toml). Sizes and categories are local practice, so
they are settings, never constants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_CATEGORIES: dict[str, str] = {
    "dispute": "矛盾纠纷",
    "safety": "安全隐患",
    "environment": "环境卫生",
    "livelihood": "民生诉求",
    "other": "其他",
}


class WanggeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    households_per_grid: int = Field(300, ge=20, le=2000,
                                     description="how many households one grid holds when the clerk divides a village")
    public_minimum: int = Field(5, ge=2, le=50,
                                description="counts from 1 up to this minus one are shown as 'fewer than N' publicly")
    categories: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_CATEGORIES),
                                       description="incident categories: code = title shown (zh-CN)")

    @field_validator("categories")
    @classmethod
    def _some_categories(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("list at least one incident category")
        return value
