"""Money kept in integer fen by bulk arithmetic (issue #16): `insert_batch(..., in_fen=...)` writes the same rows and
the same audit JSON as the `Decimal` yuan would, and `money_fen` reads a Money expression back as exact fen, on both
databases. The finance statement is the core's table with Money columns."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from cunwu.audit import services as audit
from cunwu.audit.models import AuditRow
from cunwu.audit.records import verify_records
from cunwu.db.types import fen_text, money_fen
from cunwu.notices.models import FinanceStatement

from .conftest import CLERK, VILLAGE, publish

MONEY = ("opening", "income_total", "expenditure_total", "closing")


def _statement(notice_id: int, amounts: tuple[Any, ...]) -> dict[str, Any]:
    return {"notice_id": notice_id, "village_code": VILLAGE, "period_kind": "month",
            "period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 31),
            **dict(zip(MONEY, amounts, strict=True))}


def test_fen_text_is_the_text_of_the_yuan_decimal() -> None:
    for fen in (0, 1, 9, 10, 99, 100, 1234, 123456789012, -1, -1234):
        assert fen_text(fen) == str(Decimal(fen).scaleb(-2))
    for wrong in (12.5, Decimal("12.34")):
        with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
            fen_text(wrong)  # type: ignore[arg-type]


def test_rows_given_in_fen_are_the_rows_given_in_yuan(site_factory: Any, dialect: str) -> None:
    site = site_factory(dialect=dialect)
    in_yuan, in_fen = publish(site, title="三月"), publish(site, title="四月")
    yuan = (Decimal("1234567.89"), Decimal("0.00"), Decimal("0.05"), Decimal("1234567.94"))
    with site.db.transaction() as session:
        [by_yuan] = audit.insert_batch(session, CLERK, FinanceStatement, [_statement(in_yuan.id, yuan)])
        [by_fen] = audit.insert_batch(session, CLERK, FinanceStatement,
                                      [_statement(in_fen.id, (123456789, 0, 5, 123456794))], in_fen=MONEY)
    with site.db.read() as session:
        stored = {s.id: s for s in session.scalars(select(FinanceStatement))}
        rows = {r.object_id: json.loads(r.after) for r in session.scalars(select(AuditRow))}
        assert audit.verify_chain(session)[1] is None
        assert verify_records(session)[1] is None
        fen = session.execute(select(money_fen(FinanceStatement.opening), money_fen(FinanceStatement.expenditure_total))
                              .where(FinanceStatement.id == by_fen)).one()
        total = session.execute(select(money_fen(func.sum(FinanceStatement.closing)))).scalar_one()
    assert tuple(getattr(stored[by_fen], key) for key in MONEY) == yuan
    assert tuple(getattr(stored[by_yuan], key) for key in MONEY) == yuan
    assert {k: v for k, v in rows[by_fen].items() if k not in ("id", "notice_id")} == \
        {k: v for k, v in rows[by_yuan].items() if k not in ("id", "notice_id")}
    assert rows[by_fen]["opening"] == "1234567.89"
    assert fen == (123456789, 5) and type(fen[0]) is int
    assert total == 2 * 123456794


def test_only_money_columns_are_given_in_fen(site_factory: Any) -> None:
    site = site_factory()
    notice = publish(site)
    with pytest.raises(ValueError, match="period_kind is not a Money column"), site.db.transaction() as session:
        audit.insert_batch(session, CLERK, FinanceStatement, [_statement(notice.id, (1, 2, 3, 4))],
                           in_fen=("period_kind",))
    with pytest.raises(TypeError, match=r"'decimal\.Decimal' object cannot be interpreted as an integer"), \
            site.db.transaction() as session:  # yuan where fen were promised
        audit.insert_batch(session, CLERK, FinanceStatement,
                           [_statement(notice.id, (Decimal("0.01"), 0, 0, Decimal("0.01")))], in_fen=MONEY)
    with site.db.read() as session:
        assert session.scalars(select(FinanceStatement)).all() == []
