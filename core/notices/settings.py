"""`[core.notices]` in site.toml: categories, display windows, attachment limits, the disclosure calendar, caching."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cunwu.i18n import lazy_gettext

STREAM_LABELS = {"party": lazy_gettext("党务"), "village": lazy_gettext("村务"), "finance": lazy_gettext("财务")}

DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "party": ["组织建设", "党员发展", "党费收缴", "主题党日", "其他党务"],
    "village": ["四议两公开", "会议决议", "惠民补贴", "低保", "一事一议", "工程项目", "集体资产资源", "宅基地",
                "其他村务"],
    "finance": ["月度收支", "季度收支", "专项资金", "债权债务", "其他财务"],
}


def _default_categories() -> dict[str, list[str]]:
    return {stream: list(names) for stream, names in DEFAULT_CATEGORIES.items()}


class NoticeSettings(BaseModel):
    """Practice values a county may set; the law's fixed rules (e.g. 低保 = 7 days) are passed by the callers."""

    model_config = ConfigDict(extra="forbid")

    categories: dict[Literal["party", "village", "finance"], list[str]] = Field(default_factory=_default_categories)
    stream_window_days: dict[Literal["party", "village", "finance"], int] = Field(
        default_factory=lambda: {"party": 10, "village": 10, "finance": 30})
    category_window_days: dict[str, int] = Field(default_factory=lambda: {"低保": 7, "一事一议": 7})
    max_attachment_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    max_attachments: int = Field(default=10, ge=0)
    attachment_types: list[Literal["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"]] = Field(
        default_factory=lambda: ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"])
    finance_period: Literal["month", "quarter"] = "month"
    finance_grace_days: int = Field(default=10, ge=0, le=90)
    village_interval_months: int = Field(default=3, ge=1, le=12)
    #: 党务: how often a village party branch discloses (practice; docs/domain.md §3 "Compliance").
    party_interval_months: int = Field(default=3, ge=1, le=12)
    cache_seconds: int = Field(default=300, ge=0)
    #: Memory per worker for the front cache of anonymous board pages (cunwu.notices.front); 0 turns it off.
    front_cache_mib: int = Field(default=32, ge=0)
    anonymous_objections_per_hour: int = Field(default=5, ge=1)
    board_page_size: int = Field(default=20, ge=5, le=200)
    max_window_days: int = Field(default=366, ge=1)

    @field_validator("stream_window_days", "category_window_days")
    @classmethod
    def _positive_days(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [key for key, days in value.items() if days < 1]
        if bad:
            raise ValueError(f"window days must be at least 1 (check {', '.join(bad)})")
        return value

    @model_validator(mode="after")
    def _every_stream_has_categories(self) -> NoticeSettings:
        for stream in ("party", "village", "finance"):
            if not self.categories.get(stream):
                raise ValueError(f"categories.{stream} must list at least one category")
            if stream not in self.stream_window_days:
                raise ValueError(f"stream_window_days.{stream} is missing")
        return self

    def window_days_for(self, stream: str, category: str) -> int:
        return self.category_window_days.get(category, self.stream_window_days[stream])
