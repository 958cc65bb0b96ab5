"""Errors a person must see: what went wrong and where (field, row, file). Services raise; controllers show them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with the input: `message` is already translated; row/column/field say where."""

    message: str
    field: str | None = None
    row: int | None = None
    column: str | None = None
    file: str | None = None

    def where(self) -> str:
        parts = [p for p in (self.file, f"第 {self.row} 行" if self.row else None, self.column or self.field) if p]
        return " · ".join(parts)


@dataclass
class DomainError(Exception):
    """A rule of the domain refused the change; nothing was written."""

    message: str
    problems: list[Problem] = field(default_factory=list)
    status_code: int = 400

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The record does not exist (or not in this village): the page answers 404."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=404)


class Forbidden(DomainError):
    """The actor may not make this change (a rule about who, not about the input): the page answers 403."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=403)


class Conflict(DomainError):
    """Somebody changed the record first (a lost race): the page answers 409 with what happened."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status_code=409)


class FormError(DomainError):
    """A form field's value could not be read (not a date, not a number, out of range): 400, shown beside the field.
    Raised by `cunwu.web.forms`; a page that catches its own area's error catches this one too."""
