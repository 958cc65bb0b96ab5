"""Masking of sensitive identifiers before they are shown or published.

Resident ID numbers and bank accounts are sensitive personal information under the Personal
Information Protection Law (个人信息保护法, art. 28): the notice board, exports and screens meant for people
other than the data subject must never show them in full. The village practice (docs/domain.md §3) keeps the
first 6 and last 4 characters of an 18-character ID, e.g. ``130926********123X``; a site may be stricter,
never looser.

Rule for short values: the configured ends are kept only while enough characters stay hidden. The minimum
hidden count is half the length (rounded up), capped at 8 — the number of characters the practice mask hides
in an 18-character resident ID. So a value of up to 16 characters is always at least half hidden, and a longer
one always has at least 8 hidden characters (the docs/domain.md example itself hides 8 of 18, i.e. less than half,
which is why the cap exists). When characters must be given back, the start is shortened before the end
(people recognise an account by its last digits, "尾号").
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from cunwu.i18n import _

__all__ = ["MAX_VISIBLE", "MaskSettings", "birth_shown", "mask", "mask_account", "mask_phone"]

#: Never more than this many characters of a sensitive identifier are shown (6 + 4 of docs/domain.md §3).
MAX_VISIBLE = 10
#: Hiding this many characters is always enough, however long the value (what 6 + 4 hides in an 18-char ID).
_ENOUGH_HIDDEN = 8

_MOBILE = re.compile(r"(?:\+?86)?(1[0-9]{10})")
_PHONE_SEPARATORS = re.compile(r"[\s\-()（）]")


class MaskSettings(BaseModel):
    """How many characters of a sensitive identifier a site shows; stricter than the default is allowed."""

    # validate_assignment: changing a field later must not get around the MAX_VISIBLE limit.
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    keep_start: int = 6
    keep_end: int = 4
    mask_char: str = "*"

    @field_validator("keep_start", "keep_end")
    @classmethod
    def _non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(_("保留的字符数不能为负数（当前为 %(value)s）", value=value))
        return value

    @field_validator("mask_char")
    @classmethod
    def _single_char(cls, value: str) -> str:
        # Exactly one character, so that the masked value keeps the length of the original.
        if len(value) != 1:
            raise ValueError(_("掩码字符必须是单个字符（当前为 %(value)r）", value=value))
        return value

    @model_validator(mode="after")
    def _not_looser_than_practice(self) -> MaskSettings:
        if self.keep_start + self.keep_end > MAX_VISIBLE:
            raise ValueError(
                _(
                    "掩码设置过于宽松：开头保留 %(start)s 位、结尾保留 %(end)s 位，合计不得超过 %(max)s 位"
                    "（个人信息保护法第二十八条：身份证号码、银行账号属于敏感个人信息）",
                    start=self.keep_start,
                    end=self.keep_end,
                    max=MAX_VISIBLE,
                )
            )
        return self


_DEFAULT = MaskSettings()


def _kept_ends(length: int, keep_start: int, keep_end: int) -> tuple[int, int]:
    """How many characters to keep at each end of a value of `length` characters (see module docstring)."""
    min_hidden = min((length + 1) // 2, _ENOUGH_HIDDEN)
    visible = max(0, min(keep_start + keep_end, length - min_hidden))
    # Shorten the start first: the end gets at least half of what may be shown (or all the start cannot use).
    end = min(keep_end, max((visible + 1) // 2, visible - keep_start))
    start = min(keep_start, visible - end)
    return start, end


def _mask_with(value: str, keep_start: int, keep_end: int, mask_char: str) -> str:
    start, end = _kept_ends(len(value), keep_start, keep_end)
    hidden = len(value) - start - end
    return value[:start] + mask_char * hidden + value[len(value) - end :]


def mask(value: str | None, settings: MaskSettings | None = None) -> str:
    """Mask a sensitive identifier (PIPL art. 28), keeping its length: ``130926********123X``.

    Keeps the first `keep_start` and last `keep_end` characters; short values keep fewer so that at least half
    of them (at most 8 characters needed) stays hidden, e.g. ``"13812345678"`` → ``"13******678"``.
    Empty or None gives "".
    """
    if not value:
        return ""
    settings = settings or _DEFAULT
    return _mask_with(value, settings.keep_start, settings.keep_end, settings.mask_char)


def mask_phone(value: str | None, settings: MaskSettings | None = None) -> str:
    """Mask a phone number: an 11-digit mobile keeps its first 3 and last 4 digits, ``138****5678``.

    That is the common practice for mobiles (the prefix only names the carrier); a stricter site setting
    shortens the ends further. Spaces, hyphens and a +86 prefix are dropped. Any other number (landline,
    foreign) is masked by the general rule of :func:`mask`.
    """
    if not value:
        return ""
    settings = settings or _DEFAULT
    compact = _PHONE_SEPARATORS.sub("", value)
    match = _MOBILE.fullmatch(compact)
    if match is None:
        return mask(compact, settings)
    mobile = match.group(1)
    start, end = min(3, settings.keep_start), min(4, settings.keep_end)
    return mobile[:start] + settings.mask_char * (len(mobile) - start - end) + mobile[len(mobile) - end :]


def mask_account(value: str | None, settings: MaskSettings | None = None) -> str:
    """Mask a bank account or card number (sensitive under PIPL art. 28): spaces removed, first 6 and last 4
    kept by default, ``622202*********0123``; a 16-digit card keeps 4 + 4 so that half stays hidden."""
    if not value:
        return ""
    return mask("".join(value.split()), settings)


def birth_shown(birth_date: dt.date | None, *, full: bool, today: dt.date) -> str:
    """A birth date as shown beside a resident ID: the date to those who see the ID in full, else the age only.

    The 8 characters the practice mask hides (positions 7–14 of an 18-character ID) are exactly the birth date, so
    a date (or a birth year together with an age) beside ``130926********1153`` rebuilds the whole number. With the
    age alone dozens of dates remain possible. One rule for register pages, the API and exports.
    """
    if birth_date is None:
        return ""
    if full:
        return birth_date.isoformat()
    age = today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))
    return _("%(n)s 岁", n=age)
