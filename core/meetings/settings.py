"""`[core.meetings]` in site.toml: the site's overrides of the law's meeting rules and the 四议两公开 variants."""

from __future__ import annotations

import pydantic
from pydantic import Field, StrictBool, StrictInt, field_validator, model_validator

from cunwu.meetings.rules import MeetingKind, RuleOverride, check_overrides


class MeetingSettings(pydantic.BaseModel, extra="forbid"):
    """`[core.meetings]` in site.toml.

    `merge_steps_1_2`: in 四议两公开, merge the party-branch proposal (step 1) and the
    two-committee deliberation (step 2) when one person is both branch secretary and committee
    chair (一肩挑). `procedure_max_days`: practice limit for the whole procedure (20 days).
    `supervision_sign_off`: the variant 四议两公开一监督 — the village affairs supervision committee signs the
    matter off after step 6 before it counts as complete.
    The households per representative (art. 25) are the register's settings (`[core.registry]`); rule sets for
    particular votes (一事一议) are their plugins' settings.
    """

    rules: dict[MeetingKind, RuleOverride] = {}
    merge_steps_1_2: StrictBool = False
    procedure_max_days: StrictInt = Field(default=20, ge=1)
    supervision_sign_off: StrictBool = False

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: object) -> object:
        if isinstance(data, dict) and "yishi_yiyi_rules" in data:
            raise ValueError("yishi_yiyi_rules moved to the 一事一议 plugin: write them as "
                             "[plugins.yishi.meeting_rules.<kind>] instead of [core.meetings.yishi_yiyi_rules.<kind>]")
        return data

    @field_validator("rules")
    @classmethod
    def _applicable(cls, value: dict[MeetingKind, RuleOverride]) -> dict[MeetingKind, RuleOverride]:
        check_overrides(value)
        return value
