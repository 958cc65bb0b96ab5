"""Per-site settings of the 低保 plugin (`[plugins.dibao]` in site.toml).

Every value here is local *practice* (docs/domain.md §5), so a site may change it; the law-fixed parts of
the procedure live in code. Shares (`minimum_share_of_standard`, `extra_support`, tier bounds and
benefits) are Decimal fractions of the local monthly standard: `0.20` means 20 % of the standard.
TOML floats are accepted and converted through their decimal text (`0.1` → `Decimal("0.1")`), never
used as binary floats. Meeting thresholds are fraction strings ("2/3") read with
`fractions.Fraction`.

Validation errors carry the field name in their location (pydantic `loc`), so the site-config
loader can say which key is wrong.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

#: The categories that may receive a classified extra (分类施保), in tie-break order
#: (see `DibaoSettings.extra_support`).
EXTRA_CATEGORIES: tuple[str, ...] = ("severe_disability", "serious_illness", "elderly", "minor")

#: Legacy A/B/C household classes (A and B reviewed yearly, C half-yearly in rural areas).
DEFAULT_REVIEW_ALIASES: dict[str, str] = {"A": "stable", "B": "stable", "C": "unstable"}


def _default_extra_support() -> dict[str, Decimal]:
    return {
        "elderly": Decimal("0.10"),
        "minor": Decimal("0.10"),
        "severe_disability": Decimal("0.20"),
        "serious_illness": Decimal("0.20"),
    }


def _share(
    value: Decimal, *, what: str, allow_zero: bool = True, upper: Decimal | None = Decimal(1)
) -> Decimal:
    if not value.is_finite():
        raise ValueError(f"{what}: must be a finite number")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{what}: must be {'at least 0' if allow_zero else 'greater than 0'}, got {value}")
    if upper is not None and value > upper:
        raise ValueError(f"{what}: must be at most {upper} (a share of the standard), got {value}")
    return value


class Tier(BaseModel):
    """One 分档 step.

    Households whose income per person is below `max_income_share` × standard (exclusive bound) and
    not in a lower tier receive `benefit_share` × standard per covered person.
    """

    model_config = ConfigDict(extra="forbid")

    max_income_share: Decimal
    benefit_share: Decimal

    @field_validator("max_income_share")
    @classmethod
    def _check_bound(cls, value: Decimal) -> Decimal:
        return _share(value, what="max_income_share", allow_zero=False, upper=None)

    @field_validator("benefit_share")
    @classmethod
    def _check_benefit(cls, value: Decimal) -> Decimal:
        return _share(value, what="benefit_share", allow_zero=False)


def _default_tiers() -> list[Tier]:
    # 一档/二档/三档. Each tier pays the gap at its *lower* income bound, so no household receives
    # less than the gap method would give it (the tiers round the gap up to a few steps):
    #   income per person < 30 % of the standard → 100 % of the standard per covered person
    #   30 % ≤ income per person < 60 %         →  70 %
    #   60 % ≤ income per person < 100 %        →  40 %
    return [
        Tier(max_income_share=Decimal("0.30"), benefit_share=Decimal("1.00")),
        Tier(max_income_share=Decimal("0.60"), benefit_share=Decimal("0.70")),
        Tier(max_income_share=Decimal("1.00"), benefit_share=Decimal("0.40")),
    ]


def _default_property_checks() -> list[str]:
    return [
        "家庭成员名下无机动车辆（农用车辆、残疾人功能性补偿代步机动车除外）",
        "家庭成员名下无商铺、写字楼等经营性房产",
        "除一处自住房外，家庭成员名下无其他房产",
        "家庭人均存款、有价证券等金融资产低于当地 2 年的低保标准（24 个月标准之和）",
    ]


def parse_fraction(value: str, *, what: str) -> Fraction:
    """Read a threshold such as "2/3" or "0.5" as an exact Fraction in (0, 1]."""
    try:
        result = Fraction(value.strip())
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{what}: expected a fraction such as \"2/3\", got {value!r}") from exc
    if not 0 < result <= 1:
        raise ValueError(f"{what}: must be greater than 0 and at most 1, got {value!r}")
    return result


#: The fields a bank file column may hold (see `BankLayout.columns`).
BANK_FIELDS: tuple[str, ...] = (
    "payment_id", "account_number", "payee", "amount", "month", "village_code", "household_number", "memo",
)


class BankLayout(BaseModel):
    """How one bank wants its payment file: column headers and which payment field each holds, in order."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    columns: list[tuple[str, str]] = Field(
        default_factory=lambda: [("流水号", "payment_id"), ("账号", "account_number"), ("户名", "payee"),
                                 ("金额", "amount"), ("摘要", "memo")])
    """(header, field) pairs; `field` is one of `BANK_FIELDS`. The return file names the payment by `payment_id`."""

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, value: list[tuple[str, str]]) -> list[tuple[str, str]]:
        fields = [f for _h, f in value]
        unknown = sorted(set(fields) - set(BANK_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown field {', '.join(map(repr, unknown))}; expected some of: {', '.join(BANK_FIELDS)}")
        for needed in ("payment_id", "account_number", "amount"):
            if needed not in fields:
                raise ValueError(f"the layout must have a {needed!r} column")
        if len(set(fields)) != len(fields):
            raise ValueError("a field is listed twice")
        return value


def _default_banks() -> dict[str, BankLayout]:
    return {
        "RCC": BankLayout(name="农村信用社"),
        "PSBC": BankLayout(name="中国邮政储蓄银行", columns=[
            ("序号", "payment_id"), ("姓名", "payee"), ("卡号", "account_number"), ("发放金额", "amount"),
            ("所属期", "month"), ("村代码", "village_code")]),
    }


class DibaoSettings(BaseModel):
    """Practice values of the 低保 procedure and benefit for one site."""

    model_config = ConfigDict(extra="forbid")

    # --- procedure deadlines (审核确认办法 2021; practice values) ---
    posting_days: int = Field(default=7, ge=1)
    """公示: days the township's proposal stays posted in the village."""
    confirm_within_working_days: int = Field(default=10, ge=1)
    """The county confirms within this many working days after the posting ends."""
    refusal_reasons_within_working_days: int = Field(default=3, ge=1)
    """A refusal is explained in writing within this many working days."""
    flow_max_working_days: int = Field(default=25, ge=1)
    """The whole flow, application to confirmation."""
    flow_extended_max_working_days: int = Field(default=40, ge=1)
    """The whole flow when extended (complex cases)."""

    # --- benefit ---
    minimum_share_of_standard: Decimal = Decimal("0.20")
    """Minimum monthly base benefit per covered person, as a share of the standard (applied before extras)."""
    extra_support: dict[str, Decimal] = Field(default_factory=_default_extra_support)
    """分类施保: share of the standard added per covered person in a category.

    A person in several categories gets only the highest one (就高不叠加), not the sum; equal
    shares are broken in the order of `EXTRA_CATEGORIES`. Categories the site does not list keep
    their default; set a category to 0 to switch it off. Unknown categories are refused.
    """
    elderly_age: int = Field(default=60, ge=1, le=150)
    """Elderly when aged at least this many full years on the first day of the paid month."""
    minor_age: int = Field(default=18, ge=1, le=150)
    """Minor when aged less than this many full years on the first day of the paid month."""
    method: Literal["gap", "tiered"] = "gap"
    """"gap" = 补差 (standard − income per person); "tiered" = 分档 per `tiers`."""
    tiers: list[Tier] = Field(default_factory=_default_tiers)
    """分档 steps, by strictly increasing `max_income_share`; the last must reach the standard (≥ 1)."""
    phase_out_months: int = Field(default=6, ge=0, le=36)
    """渐退期: months the last amount is still paid after income rose above the standard (0 = none)."""

    # --- review ---
    review_months: dict[str, int] = Field(default_factory=lambda: {"stable": 12, "unstable": 6})
    """Months between reviews by household category.

    Stable households yearly; unstable income or members able to work every 6 months.
    """
    review_category_aliases: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_REVIEW_ALIASES))
    """Legacy class names accepted for a category in `review_months` (A, B → stable; C → unstable).

    A name listed in `review_months` itself wins over an alias. While this is left at its default,
    aliases whose target the site removed from `review_months` are dropped; aliases the site sets
    must point to a `review_months` key.
    """

    # --- democratic review (民主评议) on objection ---
    democratic_review_quorum: str = "2/3"
    """Share of the members who must attend (以上: the bound itself is enough)."""
    democratic_review_approval: str = "2/3"
    """Share of those present who must approve (以上: the bound itself is enough)."""

    # --- who confirms ---
    township_confirms: bool = False
    """True where the county has delegated confirmation to the township (审核确认权限下放)."""
    standard_area: str = ""
    """The area code standards are set for; empty = the site's county (`division_code`)."""

    # --- evidence files ---
    evidence_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    """Largest evidence file accepted."""
    evidence_types: list[str] = Field(default_factory=lambda: ["image/jpeg", "image/png", "application/pdf"])
    """Content types accepted for evidence (checked against the file's own signature, not the browser's word)."""

    # --- banks ---
    banks: dict[str, BankLayout] = Field(default_factory=_default_banks)
    """Banks paying 低保 (by code) and the column layout of each one's payment file."""

    # --- property test ---
    property_checks: list[str] = Field(default_factory=_default_property_checks)
    """The site's property rules (家庭财产状况), each a yes/no check recorded by the investigator."""

    @field_validator("minimum_share_of_standard")
    @classmethod
    def _check_minimum(cls, value: Decimal) -> Decimal:
        return _share(value, what="minimum_share_of_standard")

    @field_validator("extra_support")
    @classmethod
    def _check_extra_support(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        unknown = sorted(set(value) - set(EXTRA_CATEGORIES))
        if unknown:
            raise ValueError(
                f"unknown categor{'ies' if len(unknown) > 1 else 'y'} {', '.join(map(repr, unknown))}; "
                f"expected some of: {', '.join(EXTRA_CATEGORIES)}"
            )
        merged = _default_extra_support()
        for key, share in value.items():
            merged[key] = _share(share, what=key)
        return merged

    @field_validator("tiers")
    @classmethod
    def _check_tiers(cls, value: list[Tier]) -> list[Tier]:
        if not value:
            raise ValueError("at least one tier is needed")
        for number, (lower, upper) in enumerate(pairwise(value), start=2):
            if upper.max_income_share <= lower.max_income_share:
                raise ValueError(
                    f"tier {number}: max_income_share {upper.max_income_share} must be greater than "
                    f"the previous tier's {lower.max_income_share} (tiers go by increasing income)"
                )
            if upper.benefit_share > lower.benefit_share:
                raise ValueError(
                    f"tier {number}: benefit_share {upper.benefit_share} must not exceed the previous tier's "
                    f"{lower.benefit_share} (a higher income never gets a higher benefit)"
                )
        if value[-1].max_income_share < 1:
            raise ValueError(
                f"the last tier's max_income_share is {value[-1].max_income_share}; it must be at "
                "least 1 so that every income below the standard falls in a tier"
            )
        return value

    @field_validator("review_months")
    @classmethod
    def _check_review_months(cls, value: dict[str, int]) -> dict[str, int]:
        if not value:
            raise ValueError("at least one household category is needed")
        for key, months in value.items():
            if not key.strip():
                raise ValueError("a category name is empty")
            if not 1 <= months <= 60:
                raise ValueError(f"{key}: review interval must be 1 to 60 months, got {months}")
        return value

    @field_validator("democratic_review_quorum", "democratic_review_approval")
    @classmethod
    def _check_fraction(cls, value: str, info: ValidationInfo) -> str:
        parse_fraction(value, what=info.field_name or "threshold")
        return value.strip()

    @field_validator("property_checks")
    @classmethod
    def _check_property_checks(cls, value: list[str]) -> list[str]:
        cleaned = [check.strip() for check in value]
        if any(not check for check in cleaned):
            raise ValueError("a property check is empty")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a property check is listed twice")
        return cleaned

    @model_validator(mode="after")
    def _check_cross_fields(self) -> DibaoSettings:
        if self.flow_extended_max_working_days < self.flow_max_working_days:
            raise ValueError(
                f"flow_extended_max_working_days ({self.flow_extended_max_working_days}) must be at least "
                f"flow_max_working_days ({self.flow_max_working_days})"
            )
        if self.minor_age > self.elderly_age:
            raise ValueError(f"minor_age ({self.minor_age}) must not exceed elderly_age ({self.elderly_age})")
        if "review_category_aliases" not in self.model_fields_set:
            # Default legacy aliases only apply while their target category exists.
            self.review_category_aliases = {
                alias: target
                for alias, target in self.review_category_aliases.items()
                if target in self.review_months
            }
        for alias, target in self.review_category_aliases.items():
            if target not in self.review_months:
                raise ValueError(
                    f"review_category_aliases: {alias!r} points to {target!r}, which is not in review_months "
                    f"({', '.join(sorted(self.review_months))})"
                )
        return self

    @property
    def quorum_fraction(self) -> Fraction:
        """`democratic_review_quorum` as an exact Fraction."""
        return parse_fraction(self.democratic_review_quorum, what="democratic_review_quorum")

    @property
    def approval_fraction(self) -> Fraction:
        """`democratic_review_approval` as an exact Fraction."""
        return parse_fraction(self.democratic_review_approval, what="democratic_review_approval")

    def review_interval(self, category: str) -> int:
        """Months between reviews for `category` (a `review_months` key, or a legacy alias such as "C")."""
        if category in self.review_months:
            return self.review_months[category]
        target = self.review_category_aliases.get(category)
        if target is None:
            known = sorted(set(self.review_months) | set(self.review_category_aliases))
            raise ValueError(f"unknown review category {category!r}; expected one of: {', '.join(known)}")
        return self.review_months[target]
