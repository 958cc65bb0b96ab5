"""The codes of the contract register (GB/T 35958-2018, docs/domain.md §6) and the 统一社会信用代码.

发包方 14 = village code (12) + group (2, 00 = the village collective); 承包方 18 = 发包方 + 4; plot 19 = 发包方 + 5;
contract / certificate 19 = 承包方 + J (household contract) or Q (other forms of contracting).
"""

from __future__ import annotations

from operator import itemgetter

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

from cunwu.api import _

CONTRACT_KINDS = ("J", "Q")


def _digits(value: str, length: int) -> bool:
    return len(value) == length and value.isascii() and value.isdigit()


def issuer_code(village_code: str, group: int) -> str:
    if not _digits(village_code, 12):
        raise ValueError(_("村代码必须是 12 位数字"))
    if not 0 <= group <= 99:
        raise ValueError(_("村民小组号必须在 00 到 99 之间"))
    return f"{village_code}{group:02d}"


def contractor_code(issuer: str, number: int) -> str:
    if not 1 <= number <= 9999:
        raise ValueError(_("承包方顺序号必须在 0001 到 9999 之间"))
    return f"{issuer}{number:04d}"


def plot_code(issuer: str, number: int) -> str:
    if not 1 <= number <= 99999:
        raise ValueError(_("地块顺序号必须在 00001 到 99999 之间"))
    return f"{issuer}{number:05d}"


def check_plot_code(code: str, village_code: str) -> str | None:
    """None when `code` is a plot code of `village_code`, else what is wrong with it."""
    code = code.strip()
    if not _digits(code, 19):
        return _("地块编码必须是 19 位数字，收到“%(code)s”", code=code)
    if code[:12] != village_code:
        return _("地块编码 %(code)s 不属于本村（村代码 %(village)s）", code=code, village=village_code)
    if code[14:] == "00000":
        return _("地块编码 %(code)s 的顺序号不能是 00000", code=code)
    return None


def all_plot_codes(codes: list[str]) -> bool:
    """Whether `check_plot_code(code, code[:12])` finds nothing wrong with any of the (stripped) codes: a file's
    column checked by a few C-level passes; a False only means that some code needs its own check."""
    joined = "".join(codes)
    return (set(map(len, codes)) <= {19} and joined.isascii() and (joined.isdigit() or not joined)
            and "00000" not in set(map(itemgetter(slice(14, None)), codes)))


def all_contract_codes(codes: list[str]) -> bool:
    """Whether `check_contract_code(code, code[:18])` finds nothing wrong with any of the (stripped, upper-case)
    codes, as `all_plot_codes` does for plots."""
    numbers = "".join(map(itemgetter(slice(18)), codes))
    return (set(map(len, codes)) <= {19} and numbers.isascii() and (numbers.isdigit() or not numbers)
            and set(map(itemgetter(18), codes)) <= set(CONTRACT_KINDS))


def check_contract_code(code: str, contractor: str) -> str | None:
    """None when `code` is the contract / certificate number of the 承包方 `contractor`, else the problem."""
    code = code.strip().upper()
    if len(code) != 19 or not _digits(code[:18], 18) or code[18] not in CONTRACT_KINDS:
        return _("承包合同（经营权证）编号必须是 18 位数字加 J 或 Q，收到“%(code)s”", code=code)
    if code[:18] != contractor:
        return _("合同编号 %(code)s 与承包方编码 %(contractor)s 不符", code=code, contractor=contractor)
    return None


def check_credit_code(code: str) -> str | None:
    """None when `code` is a valid 统一社会信用代码 (check digit included), else the problem."""
    try:
        uscc.validate(code)
    except ValidationError:
        return _("统一社会信用代码“%(code)s”无效（应为 18 位，校验位正确）", code=code)
    return None
