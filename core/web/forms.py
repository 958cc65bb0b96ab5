"""The form toolkit: one way, for core areas and plugins, to read a posted form and run the change it asks for.

Why one module: every controller used to carry its own `Form` alias, its own date/int/amount parsers (with three
different messages for one bad date) and its own action runner. Here each kind of bad input has one message, in
both languages, naming the field; a refusal is a `DomainError` carrying a `Problem(field=...)`, so a page can show
it beside the field with what was typed kept.

Numbers are read from ASCII digits only (full-width １２３ is read as 123; Arabic-Indic ١٢٣ or superscript ¹²³ are
refused): Python's `int()` and `Decimal()` accept any Unicode digit, and such a number would otherwise pass a
form and reach a bank file. Amounts are finite, to the fen, and fit the `Money` column.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from sqlmodel import Session

from cunwu.errors import DomainError, FormError, Problem
from cunwu.i18n import _
from cunwu.web.render import actor_of, site_of

if TYPE_CHECKING:
    from cunwu.accounts.actor import Actor
    from cunwu.runtime import Site

__all__ = ["MONEY_MAX", "Checks", "Form", "Multipart", "ascii_digits", "date", "decimal", "error", "integer", "money",
           "problems", "run"]

#: A posted HTML form (application/x-www-form-urlencoded), field name → text.
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
#: A posted form with files (multipart/form-data).
Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]

#: The largest amount a `Money` column holds (NUMERIC(14,2)).
MONEY_MAX = Decimal("999999999999.99")
#: Integers a form may give: what fits the databases' 64-bit integer columns.
INT_MAX = 2**63 - 1

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_DATE = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
T = TypeVar("T")
EmptyT = TypeVar("EmptyT")


def error(message: str, field: str | None = None) -> FormError:
    """A refusal of one form field: the message is shown beside the field (and on top of the form)."""
    return FormError(message, [Problem(message, field=field)])


#: Full-width ASCII (what a Chinese input method types: １２３，．－) → ASCII; the ideographic space → a space.
_FULL_WIDTH = {**{code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}, 0x3000: 0x20}


def _clean(value: Any) -> str:
    return ("" if value is None else str(value)).translate(_FULL_WIDTH).strip()


def ascii_digits(value: Any, field: str, label: str, *, lengths: range | None = None) -> str:
    """A string of ASCII digits 0-9 (an account or card number), spaces removed; full-width digits are normalised,
    any other script's digits refused."""
    text = "".join(_clean(value).split())
    if not text:
        raise error(_("请填写%(label)s", label=label), field)
    if not (text.isascii() and text.isdigit()):
        raise error(_("%(label)s只能由数字 0-9 组成", label=label), field)
    if lengths is not None and len(text) not in lengths:
        raise error(_("%(label)s应为 %(low)s 到 %(high)s 位数字", label=label, low=lengths.start,
                      high=lengths.stop - 1), field)
    return text


def date(value: Any, field: str, label: str, *, default: dt.date | None = None,
         required: bool = True) -> dt.date | None:
    """A calendar date: 2026-03-01 (what a date input sends), 2026/3/1, 2026.3.1, 2026年3月1日 or 20260301. Empty:
    `default`, else None when not `required`, else a "please fill in" refusal."""
    text = _clean(value)
    if not text:
        return _empty(default, required, field, label)
    parts = _DATE.fullmatch(text) or _COMPACT_DATE.fullmatch(text)
    try:
        if parts is None:
            raise ValueError(text)
        return dt.date(*(int(part) for part in parts.groups()))
    except ValueError:
        raise error(_("%(label)s“%(value)s”不是有效的日期（例如 2026-03-01）", label=label, value=text),
                    field) from None


def integer(value: Any, field: str, label: str, *, default: int | None = None, required: bool = True,
            minimum: int | None = None, maximum: int = INT_MAX) -> int | None:
    """A whole number in ASCII digits within [minimum, maximum]."""
    text = _clean(value).replace(",", "")
    if not text:
        return _empty(default, required, field, label)
    if not _INTEGER.fullmatch(text):
        raise error(_("%(label)s须为整数：%(value)s", label=label, value=text), field)
    number = int(text)
    low = -INT_MAX if minimum is None else minimum
    if not low <= number <= maximum:
        raise error(_("%(label)s超出允许的范围：%(value)s", label=label, value=text), field)
    return number


def decimal(value: Any, field: str, label: str, *, default: Decimal | None = None, required: bool = True,
            minimum: Decimal | None = None, maximum: Decimal = MONEY_MAX, places: int | None = None,
            ) -> Decimal | None:
    """A finite decimal number in plain notation (no exponent, NaN or Infinity), within [minimum, maximum] and with
    at most `places` decimals."""
    text = _clean(value).replace(",", "").replace("，", "")
    if not text:
        return _empty(default, required, field, label)
    if not _DECIMAL.fullmatch(text):
        raise error(_("%(label)s须为数字：%(value)s", label=label, value=text), field)
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise error(_("%(label)s须为数字：%(value)s", label=label, value=text), field) from None
    low = -maximum if minimum is None else minimum
    if not low <= number <= maximum:
        raise error(_("%(label)s超出允许的范围：%(value)s", label=label, value=text), field)
    if places is not None and number != number.quantize(Decimal(1).scaleb(-places)):
        raise error(_("%(label)s最多 %(places)s 位小数：%(value)s", label=label, places=places, value=text), field)
    return number


def money(value: Any, field: str, label: str, *, default: Decimal | None = None, required: bool = True,
          minimum: Decimal | None = Decimal(0)) -> Decimal | None:
    """An amount in yuan, to the fen (at most two decimals), not below `minimum` (0 unless told)."""
    return decimal(value, field, label, default=default, required=required, minimum=minimum, places=2)


class Checks:
    """Every refused field of one form, gathered so the page names them all at once, each beside its field, instead
    of stopping at the first. `check = Checks()`; `on = check(date, data.get("on"), "on", _("日期"))` (None when
    refused); `check.add(message, field)` for a rule of the form itself; then `check.done()` raises one error with
    every problem. A service may be checked too (`check(services.x, session, ...)`): inside `run`'s transaction,
    whatever it wrote is rolled back when `done()` refuses. A refusal meaning "missing" or "forbidden" (404, 403)
    is not a field's: it goes on up at once."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def __call__(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parse(*args, **kwargs)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            self.problems.extend(exc.problems or [Problem(exc.message)])
            return None

    def add(self, message: str, field: str | None = None) -> None:
        self.problems.append(Problem(message, field=field))

    def done(self, kind: type[DomainError] = FormError) -> None:
        """Raise `kind` (the area's own error, or FormError) carrying every problem, if there is one."""
        if self.problems:
            raise kind(self.problems[0].message, list(self.problems))


def problems(error: DomainError | None) -> list[Problem]:
    """What a form page's macros (forms/_fields.html) take as `errors`: the refusal's problems, or its message as the
    one problem when it names none — the one place a refusal becomes the list every page shows."""
    if error is None:
        return []
    return list(error.problems) or [Problem(error.message)]


def _empty(default: EmptyT | None, required: bool, field: str, label: str) -> EmptyT | None:
    if default is not None or not required:
        return default
    raise error(_("请填写%(label)s", label=label), field)


def run(request: Request[Any, Any, Any], change: Callable[[Session, Site, Actor], T], *, then: Callable[[T], str] | str,
        refused: Callable[[DomainError], Response[Any]] | None = None) -> Response[Any]:
    """Run `change(session, site, actor)` in one transaction, then redirect (303) to `then` (a URL, or a function of
    the change's result). A refusal rolls back everything; it is shown by `refused(error)` (the form again, with the
    message) — except when the record is missing or forbidden (404, 403) or there is no page to show it on: those
    go to the shared error handler, which answers by the error's kind."""
    site = site_of(request)
    try:
        with site.db.transaction() as session:
            result = change(session, site, actor_of(request))
    except DomainError as exc:
        if refused is None or exc.status_code in (403, 404):
            raise
        return refused(exc)
    return Redirect(then if isinstance(then, str) else then(result), status_code=303)
