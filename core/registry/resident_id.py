"""Resident identity numbers (居民身份证号码, GB 11643-1999).

18 characters: 6-digit address code + YYYYMMDD birth date + 3-digit sequence (odd = male) + check character
(weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, S mod 11 → 1 0 X 9 8 7 6 5 4 3 2). Legacy 15-digit numbers
(YYMMDD, no check character) are converted to 18 characters.

The check character comes from python-stdnum (`stdnum.cn.ric`), but not its `validate`: that also rejects a
number whose address code is missing from its table for the birth year. People keep the address code of
their first registration, so abolished codes (崇文区 110103, …) and codes older than the table are still valid
numbers; an unknown code only produces an informational note.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from typing import Literal

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from cunwu.clock import local_today
from cunwu.i18n import _

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "ResidentId",
    "ResidentIdError",
    "check_stated_details",
    "generate_resident_id",
    "parse_resident_id",
    "read_resident_id",
]

EARLIEST_BIRTH_DATE = datetime.date(1880, 1, 1)

Reason = Literal["length", "characters", "birth_date", "checksum"]

_DIGITS = frozenset("0123456789")
_CHECK_CHARACTERS = _DIGITS | {"X"}
# Clerks paste numbers typed with a Chinese input method: full-width digits and Ｘ are read as ASCII.
_FULL_WIDTH = str.maketrans({chr(0xFF10 + i): str(i) for i in range(10)} | {"Ｘ": "X", "ｘ": "X", "x": "X"})

_MALE_WORDS = frozenset({"m", "male", "男"})
_FEMALE_WORDS = frozenset({"f", "female", "女"})


class ResidentIdError(ValueError):
    """An invalid resident ID number.

    `reason` is a short code ("length", "characters", "birth_date", "checksum"); `str(error)` and `message`
    are the translated explanation for the clerk.
    """

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason
        self.message = message


@dataclass(frozen=True)
class ResidentId:
    """A valid resident ID number and what it says about its holder."""

    number: str  # normalised: 18 characters, upper-case X
    birth_date: datetime.date
    sex: Literal["M", "F"]
    address_code: str
    converted_from_legacy: bool
    notes: tuple[str, ...] = ()  # informational only, never a reason to reject


def _check_char(first17: str) -> str:
    # stdnum's calc_check_digit reads all but the last character of a full number: pass a placeholder.
    return ric.calc_check_digit(first17 + "0")


def _birth_date(number: str, *, today: datetime.date) -> datetime.date:
    """The birth date in an 18-character number (its first 17 characters are digits)."""
    text = number[6:14]
    try:
        born = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise ResidentIdError(
            "birth_date", _("身份证号码中的出生日期 %(date)s 不是有效日期", date=text)
        ) from None
    if born > today:
        raise ResidentIdError(
            "birth_date",
            _(
                "身份证号码中的出生日期 %(date)s 晚于今天（%(today)s）",
                date=born.isoformat(),
                today=today.isoformat(),
            ),
        )
    if born < EARLIEST_BIRTH_DATE:
        raise ResidentIdError(
            "birth_date",
            _(
                "身份证号码中的出生日期 %(date)s 早于 %(earliest)s",
                date=born.isoformat(),
                earliest=EARLIEST_BIRTH_DATE.isoformat(),
            ),
        )
    return born


@functools.lru_cache(maxsize=16384)
def _address_known(address_code: str, year: str) -> bool:
    """Is the address code in stdnum's table for that birth year? Depends on nothing else, so it is cached: the
    lookup is most of the cost of checking a row of an import."""
    try:
        ric.get_birth_place(f"{address_code}{year}01010000")
    except StdnumValidationError:
        return False
    return True


def _address_note(number: str) -> str | None:
    if not _address_known(number[:6], number[6:10]):
        return _(
            "地址码 %(code)s 不在行政区划代码表中（或在 %(year)s 年不存在），可能是已撤销或已变更的代码；"
            "公民保留首次登记时的地址码，号码仍然有效",
            code=number[:6],
            year=number[6:10],
        )
    return None


def parse_resident_id(raw: str, *, today: datetime.date | None = None) -> ResidentId:
    """Validate and normalise a resident ID number; raise ResidentIdError (translated message) if invalid.

    Spaces are ignored and x may be lower-case. A legacy 15-digit number is converted to 18 characters
    (birth year 19YY). The address code is never a reason to reject (see the module docstring).
    """
    number, born, legacy = _read(raw, today or local_today())
    notes: list[str] = []
    if legacy:
        notes.append(_("已由15位旧号码转换为18位：%(number)s", number=number))
    address_note = _address_note(number)
    if address_note:
        notes.append(address_note)
    return ResidentId(
        number=number,
        birth_date=born,
        sex="M" if int(number[16]) % 2 else "F",
        address_code=number[:6],
        converted_from_legacy=legacy,
        notes=tuple(notes),
    )


def read_resident_id(raw: str, *, today: datetime.date) -> tuple[str, datetime.date, Literal["M", "F"]]:
    """The normalised number, birth date and sex of a valid ID, by the rules of `parse_resident_id` but without its
    notes: an import reads a hundred thousand numbers and reports no notes."""
    number, born, _legacy = _read(raw, today)
    return number, born, "M" if number[16] in "13579" else "F"


def _read(raw: str, today: datetime.date) -> tuple[str, datetime.date, bool]:
    """The normalised number, its birth date and whether it was a legacy 15-digit one; ResidentIdError if invalid."""
    number = raw if raw.isdigit() and raw.isascii() else "".join(raw.split()).translate(_FULL_WIDTH)
    if len(number) not in (15, 18):
        raise ResidentIdError(
            "length", _("身份证号码应为18位（旧号码为15位），实际为 %(length)s 位", length=len(number))
        )
    if len(number) == 15:
        if not (number.isdigit() and number.isascii()):
            raise ResidentIdError("characters", _("15位旧身份证号码只能由数字组成"))
        first17 = number[:6] + "19" + number[6:]
        born = _birth_date(first17, today=today)
        return first17 + _check_char(first17), born, True
    if not (number[:17].isdigit() and number.isascii()) or number[17] not in _CHECK_CHARACTERS:
        raise ResidentIdError("characters", _("身份证号码前17位必须是数字，只有最后一位可以是 X"))
    born = _birth_date(number, today=today)
    expected = _check_char(number[:17])
    if number[17] != expected:
        raise ResidentIdError(
            "checksum",
            _(
                "身份证号码校验位错误：应为 %(expected)s，实际为 %(actual)s",
                expected=expected,
                actual=number[17],
            ),
        )
    return number, born, False


def check_stated_details(
    rid: ResidentId, *, sex: str | None, birth_date: datetime.date | None
) -> list[str]:
    """Problems (translated, for the clerk) where the stated sex or birth date disagree with the number.

    `sex` may be "M"/"F", "male"/"female" or 男/女; None or "" means not stated. Empty list when all agree.
    """
    problems: list[str] = []
    if sex is not None and sex.strip():
        word = sex.strip().lower()
        if word in _MALE_WORDS:
            stated = "M"
        elif word in _FEMALE_WORDS:
            stated = "F"
        else:
            stated = None
            problems.append(_("无法识别所填性别“%(sex)s”，应为男或女", sex=sex))
        if stated is not None and stated != rid.sex:
            if rid.sex == "M":
                problems.append(_("所填性别为女，但身份证号码第17位为奇数，表示男性"))
            else:
                problems.append(_("所填性别为男，但身份证号码第17位为偶数，表示女性"))
    if birth_date is not None and birth_date != rid.birth_date:
        problems.append(
            _(
                "所填出生日期 %(stated)s 与身份证号码中的出生日期 %(actual)s 不一致",
                stated=birth_date.isoformat(),
                actual=rid.birth_date.isoformat(),
            )
        )
    return problems


def generate_resident_id(address_code: str, birth_date: datetime.date, sequence: int) -> str:
    """A valid 18-character number (demo data, tests). `sequence` 0–999; odd means male."""
    if len(address_code) != 6 or not set(address_code) <= _DIGITS:
        raise ValueError(_("地址码必须是6位数字：%(code)s", code=address_code))
    if not 0 <= sequence <= 999:
        raise ValueError(_("顺序码必须在 0 到 999 之间：%(sequence)s", sequence=sequence))
    first17 = f"{address_code}{birth_date:%Y%m%d}{sequence:03d}"
    if len(first17) != 17:  # a year before 1000 would not fill four digits
        raise ValueError(_("出生年份必须是4位数：%(year)s", year=birth_date.year))
    return first17 + _check_char(first17)
