"""The monthly disbursement engine: cycle → entitlements → approval → batches → bank file → return → re-issue.

Why it can never pay twice: every row that stands for money is inserted with `INSERT ... ON CONFLICT DO NOTHING`
against a unique index the database holds (one cycle per month, one entitlement per household and month, one
batch per cycle/bank/round, at most one live payment per entitlement). Two runs at the same time — threads,
processes, or two servers — therefore cannot both insert: on PostgreSQL the second waits on the first's
uncommitted row and then inserts nothing; on SQLite write transactions are serialised. Re-running a month inserts
nothing new. Totals are always recomputed from the rows, never carried in memory.

An exported batch is immutable: its file is stored with its SHA-256 (also written into the audit chain), so a
file that was changed after export is detected by `verify_file`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Row, and_, bindparam, exists, func, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, SQLModel, col, select

from cunwu.api import (
    Actor,
    NotFound,
    Problem,
    SheetTooLarge,
    Site,
    _,
    audit,
    check_xlsx_extent,
    local_today,
    safe_rows,
    to_money,
    utcnow,
)
from cunwu.api import registry as queries

from . import amounts
from .models import DEAD_PAYMENT_STATES, Assessment, Batch, Case, Cycle, Entitlement, Payment
from .services import DibaoError, area_of, month_amount, review_overdue, settings_of, standard_history

ZERO = Decimal("0.00")
Progress = Callable[..., None]  # (label, steps done, total=...) like `cunwu.cli.progress_bar`


def _insert_ignore(session: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]],
                   returning: Sequence[Any] = ()) -> list[Any]:
    """`INSERT ... ON CONFLICT DO NOTHING` on both databases; returns the rows actually inserted (if asked), by id.

    One statement for any number of rows (all with the same keys, scalar columns), compiled once and then taken from
    the cache. A row the database skipped returns nothing from RETURNING, so the result is exactly what this call
    inserted, whatever runs at the same time. PostgreSQL gets one array per column, unnested in lockstep (a
    multi-row VALUES list of thousands of placeholders would be parsed placeholder by placeholder on every run);
    SQLite an executemany, which SQLAlchemy sends as multi-row VALUES batches ("insertmanyvalues") with RETURNING.
    """
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    statement: Any
    params: Any
    if session.get_bind().dialect.name == "postgresql":
        names = list(rows[0])
        arrays = select(*[func.unnest(bindparam(name, type_=ARRAY(table.c[name].type))) for name in names])
        statement = pg_insert(table).from_select(names, arrays).on_conflict_do_nothing()
        params = {name: [row[name] for row in rows] for name in names}
    else:
        statement = sqlite_insert(table).on_conflict_do_nothing()
        params = list(rows)
    if not returning:
        session.execute(statement, params)
        return []
    return sorted(session.execute(statement.returning(*returning), params).all(), key=lambda row: row[0])


def _money_sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


# --- cycle and entitlements -------------------------------------------------------------------------------------


def get_cycle(session: Session, month: dt.date) -> Cycle | None:
    return session.exec(select(Cycle).where(Cycle.month == amounts.first_of_month(month))).first()


def cycles(session: Session) -> list[Cycle]:
    return list(session.exec(select(Cycle).order_by(col(Cycle.month).desc())).all())


def _ensure_cycle(session: Session, month: dt.date) -> Row[Any]:
    """The month's cycle (`id`, `status`), made now unless a run (maybe a concurrent one) already made it."""
    _insert_ignore(session, Cycle, [{"month": month, "status": "computed", "created_at": utcnow()}])
    cycle = Cycle.__table__.c  # type: ignore[attr-defined]
    return session.execute(select(cycle.id, cycle.status).where(cycle.month == month)).one()


@dataclass
class RunResult:
    """What one run of a month did: entitlements created now (0 on a re-run), those skipped and why."""

    month: dt.date
    cycle_id: int
    created: int = 0
    created_total: Decimal = ZERO
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (case id, reason)
    closed: bool = False


# The monthly run reads thousands of rows: it selects plain columns of the tables (Core), not ORM objects.
_CASE = Case.__table__  # type: ignore[attr-defined]
_ASSESSMENT = Assessment.__table__  # type: ignore[attr-defined]
_EARLIER = _ASSESSMENT.alias("earlier")  # the case's other assessments, to find the one in force
_ENTITLEMENT = Entitlement.__table__  # type: ignore[attr-defined]


def _eligible(month: dt.date) -> Any:
    """Cases that may be owed money in `month`: confirmed, paid from this month or earlier, not refused."""
    case = _CASE.c
    return and_(case.status.in_(["enrolled", "stopped"]), case.first_month.is_not(None), case.first_month <= month)


def _candidates(session: Session, month: dt.date) -> Sequence[Row[Any]]:
    """The eligible cases not yet paid for `month`, each with the assessment in force then.

    One row per case: the case's columns the run checks and, from a left join, the latest assessment effective on
    or before `month` (`mode` is None when the case has none).
    """
    case, assessment, earlier = _CASE.c, _ASSESSMENT.c, _EARLIER.c
    in_force = (select(func.max(earlier.effective_month))
                .where(earlier.case_id == case.id, earlier.effective_month <= month).scalar_subquery())
    paid = exists().where(_ENTITLEMENT.c.household_id == case.household_id, _ENTITLEMENT.c.month == month)
    return session.execute(
        select(case.id, case.household_id, case.village_code, case.kind, case.status, case.next_review_on,
               case.account_number, case.bank_code, assessment.mode, assessment.effective_month,
               assessment.household_income, assessment.household_size, assessment.covered, assessment.held_amount)
        .select_from(_CASE)
        .outerjoin(_ASSESSMENT, and_(assessment.case_id == case.id, assessment.effective_month == in_force))
        .where(_eligible(month), ~paid).order_by(case.id)
    ).all()


def run_month(session: Session, site: Site, actor: Actor, month: dt.date, *, progress: Progress | None = None
              ) -> RunResult:
    """Compute the month's entitlements for every enrolled household whose review is up to date.

    Idempotent and safe to run concurrently (see the module docstring). Once the cycle is approved nothing more is
    added to it.
    """
    month = amounts.first_of_month(month)
    settings = settings_of(site)
    cycle = _ensure_cycle(session, month)
    result = RunResult(month=month, cycle_id=cycle.id)
    if cycle.status != "computed":
        result.closed = True
        return result
    candidates = _candidates(session, month)
    label = _("计算 %(month)s 低保金", month=month.strftime("%Y-%m"))
    if progress:
        progress(label, 0, total=len(candidates))
    if not candidates:
        return result
    history = standard_history(session, site)
    area = area_of(site)
    rules: dict[str, amounts.BenefitRules | None] = {}
    for kind in amounts.KINDS:
        try:
            rules[kind] = amounts.BenefitRules(amounts.standard_for(month, history, area, kind), month, settings)
        except amounts.NoStandardInForce:
            rules[kind] = None
    members = queries.member_birth_dates(session, select(_CASE.c.household_id).where(_eligible(month)), month)
    no_members: dict[int, dt.date] = {}
    rows: list[dict[str, Any]] = []
    now = utcnow()
    for case in candidates:
        if case.mode is None:
            result.skipped.append((case.id, _("没有核定记录")))
        elif review_overdue(case, month):
            result.skipped.append((case.id, _("复核已逾期（应于 %(date)s 复核），暂停发放", date=case.next_review_on)))
        elif not case.account_number or case.bank_code not in settings.banks:
            result.skipped.append((case.id, _("没有可用的银行账号")))
        else:
            owed = month_amount(case, month, rules.get(case.kind), members.get(case.household_id, no_members),
                                settings)
            if owed.amount <= 0:
                if case.mode != "stop":
                    result.skipped.append((case.id, owed.reason))
            else:
                rows.append({
                    "cycle_id": cycle.id, "month": month, "case_id": case.id, "household_id": case.household_id,
                    "village_code": case.village_code, "covered_count": owed.covered, "standard": owed.standard,
                    "amount": owed.amount, "extras": owed.extras, "categories": ",".join(owed.categories),
                    "rule": owed.rule, "created_at": now,
                })
        if progress:
            progress(label, 1)
    inserted = _insert_ignore(session, Entitlement, rows,
                              returning=(Entitlement.id, Entitlement.household_id, Entitlement.case_id))  # type: ignore[arg-type]
    # each row's amount as computed: already to the fen, so what was stored (RETURNING it read each back as Money)
    owed = {row["case_id"]: row["amount"] for row in rows}
    created = [[entitlement_id, household_id, owed[case_id]] for entitlement_id, household_id, case_id in inserted]
    result.created = len(created)
    result.created_total = _money_sum(amount for _id, _household, amount in created)
    if created:
        audit.record(session, actor, "dibao.cycle.compute", object_type="dibao_cycle", object_id=str(cycle.id),
                     before=None, after={"month": month, "count": result.created, "sum": result.created_total,
                                         "entitlements": created})
    return result


def entitlements(session: Session, month: dt.date, village_code: str | None = None) -> list[Entitlement]:
    query = select(Entitlement).where(Entitlement.month == amounts.first_of_month(month))
    if village_code is not None:
        query = query.where(Entitlement.village_code == village_code)
    return list(session.exec(query.order_by(col(Entitlement.village_code), col(Entitlement.id))).all())


# --- approval and batches ---------------------------------------------------------------------------------------


def refuse_future_month(month: dt.date) -> None:
    """A month is approved for payment once it has begun (local date): approving it earlier would put next
    month's recipients on the public list before their month."""
    this_month = amounts.first_of_month(local_today())
    if month > this_month:
        raise DibaoError(_("%(month)s 还没有开始，不能审批（最早 %(first)s 起可以审批）", month=month.strftime("%Y-%m"),
                           first=month.isoformat()), [Problem(_("月份还没有开始"), field="month")])


def approve(session: Session, site: Site, actor: Actor, month: dt.date) -> Cycle:
    """Approve the month's entitlements (nothing is added afterwards) and put them into bank batches."""
    month = amounts.first_of_month(month)
    refuse_future_month(month)
    cycle = get_cycle(session, month)
    if cycle is None:
        raise DibaoError(_("%(month)s 还没有计算低保金", month=month.strftime("%Y-%m")))
    approved = session.execute(
        update(Cycle).where(col(Cycle.id) == cycle.id, col(Cycle.status) == "computed")
        .values(status="approved", approved_at=utcnow(), approved_by=actor.label)
    ).rowcount
    if approved:
        audit.record(session, actor, "dibao.cycle.approve", object_type="dibao_cycle", object_id=str(cycle.id),
                     before={"status": "computed"}, after={"status": "approved"})
    session.refresh(cycle)
    _build_batches(session, actor, cycle, first_round=True)
    return cycle


def _batch(session: Session, cycle: Cycle, bank_code: str, round_: int) -> Batch:
    _insert_ignore(session, Batch, [{"cycle_id": cycle.id, "bank_code": bank_code, "round": round_,
                                     "status": "open", "control_count": 0, "control_total": ZERO}])
    return session.exec(select(Batch).where(Batch.cycle_id == cycle.id, Batch.bank_code == bank_code,
                                            Batch.round == round_).execution_options(populate_existing=True)).one()


def _refresh_totals(session: Session, batch_ids: Iterable[int]) -> None:
    """Control totals of open batches, recomputed in SQL from their live payments."""
    for batch_id in batch_ids:
        live = and_(col(Payment.batch_id) == batch_id, col(Payment.status) != "cancelled")
        session.execute(update(Batch).where(col(Batch.id) == batch_id, col(Batch.status) == "open").values(
            control_count=select(func.count()).select_from(Payment).where(live).scalar_subquery(),
            control_total=select(func.coalesce(func.sum(Payment.amount), 0)).where(live).scalar_subquery(),
        ))


def _build_batches(session: Session, actor: Actor, cycle: Cycle, *, first_round: bool) -> list[Batch]:
    """Payments for the cycle's unpaid entitlements: round 0 for those never sent, a new round for failed ones."""
    paid_before = exists().where(col(Payment.entitlement_id) == Entitlement.id)
    live = exists().where(col(Payment.entitlement_id) == Entitlement.id,
                          col(Payment.status).not_in(list(DEAD_PAYMENT_STATES)))
    query = select(Entitlement, Case).join(Case, col(Case.id) == Entitlement.case_id).where(
        Entitlement.cycle_id == cycle.id)
    query = query.where(~paid_before) if first_round else query.where(paid_before, ~live)
    rows = session.exec(query.order_by(col(Entitlement.id))).all()
    if not rows:
        return []
    attempts: dict[int, int] = {}
    if not first_round:
        ids = [e.id for e, _c in rows]
        for entitlement_id, attempt in session.exec(
                select(Payment.entitlement_id, func.max(Payment.attempt))
                .where(col(Payment.entitlement_id).in_(ids)).group_by(col(Payment.entitlement_id))).all():
            attempts[entitlement_id] = attempt
    round_ = 0
    if not first_round:
        last = session.exec(select(func.max(Batch.round)).where(Batch.cycle_id == cycle.id)).one()
        round_ = (last or 0) + 1
    by_bank: dict[str, list[tuple[Entitlement, Case]]] = defaultdict(list)
    for entitlement, case in rows:
        by_bank[case.bank_code].append((entitlement, case))
    made = []
    for bank_code, items in sorted(by_bank.items()):
        batch = _batch(session, cycle, bank_code, round_)
        if batch.status != "open":
            continue  # an exported batch never takes more payments; the next run makes a new round
        inserted = _insert_ignore(session, Payment, [{
            "entitlement_id": e.id, "batch_id": batch.id, "attempt": attempts.get(e.id, 0) + 1,  # type: ignore[arg-type]
            "month": e.month, "household_id": e.household_id, "village_code": e.village_code, "amount": e.amount,
            "payee": c.account_holder, "bank_code": c.bank_code, "account_number": c.account_number,
            "status": "pending",
        } for e, c in items], returning=(Payment.id, Payment.entitlement_id, Payment.amount))  # type: ignore[arg-type]
        _refresh_totals(session, [batch.id])  # type: ignore[list-item]
        if inserted:
            audit.record(session, actor, "dibao.batch.build", object_type="dibao_batch", object_id=str(batch.id),
                         before=None, after={"cycle": cycle.month, "bank": bank_code, "round": round_,
                                             "payments": [[r.id, r.entitlement_id, r.amount] for r in inserted]})
        session.refresh(batch)
        made.append(batch)
    return made


def reissue_failed(session: Session, site: Site, actor: Actor, month: dt.date) -> list[Batch]:
    """Re-issue the month's failed payments only (to the account now on the case), in a new round of batches."""
    cycle = get_cycle(session, amounts.first_of_month(month))
    if cycle is None or cycle.status != "approved":
        raise DibaoError(_("这个月还没有审批发放"))
    return _build_batches(session, actor, cycle, first_round=False)


def batches(session: Session, cycle: Cycle | None = None) -> list[Batch]:
    query = select(Batch)
    if cycle is not None:
        query = query.where(Batch.cycle_id == cycle.id)
    return list(session.exec(query.order_by(col(Batch.cycle_id).desc(), col(Batch.round), col(Batch.bank_code))).all())


def get_batch(session: Session, batch_id: int, *, lock: bool = False) -> Batch:
    query = select(Batch).where(Batch.id == batch_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    batch = session.exec(query).first()
    if batch is None:
        raise NotFound(_("没有这个发放批次"))
    return batch


def payments(session: Session, batch: Batch) -> list[Payment]:
    return list(session.exec(select(Payment).where(Payment.batch_id == batch.id).order_by(col(Payment.id))).all())


# --- export -----------------------------------------------------------------------------------------------------


def _cell(payment: Payment, name: str, numbers: dict[int, str]) -> str:
    if name == "amount":
        return f"{payment.amount:f}"
    if name == "month":
        return payment.month.strftime("%Y-%m")
    if name == "memo":
        return _("低保金 %(month)s", month=payment.month.strftime("%Y-%m"))
    if name == "household_number":
        return numbers.get(payment.household_id, "")
    return str(getattr(payment, {"payment_id": "id"}.get(name, name)))


def render_file(site: Site, batch: Batch, rows: Sequence[Payment], fmt: str, numbers: dict[int, str]) -> bytes:
    """The bank file in the bank's column layout: CSV (UTF-8 with BOM, for Excel) or XLSX."""
    layout = settings_of(site).banks[batch.bank_code]
    header = safe_rows([[h for h, _f in layout.columns]])[0]
    body = safe_rows([_cell(p, f, numbers) for _h, f in layout.columns] for p in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(body)
        return buffer.getvalue().encode("utf-8-sig")
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "payments"
    sheet.append(header)
    for line in body:
        sheet.append(line)  # text cells: account numbers must not become floats
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_batch(session: Session, site: Site, actor: Actor, batch_id: int, fmt: str = "csv") -> Batch:
    """Freeze the batch: write its bank file, record the file's SHA-256, mark the payments exported."""
    if fmt not in ("csv", "xlsx"):
        raise DibaoError(_("导出格式只能是 csv 或 xlsx"))
    batch = get_batch(session, batch_id, lock=True)
    if batch.status != "open":
        raise DibaoError(_("这个批次已于 %(at)s 导出，不能再改动", at=batch.exported_at))
    if batch.bank_code not in settings_of(site).banks:
        raise DibaoError(_("未知的银行：%(value)s", value=batch.bank_code))
    rows = [p for p in payments(session, batch) if p.status == "pending"]
    count, total = len(rows), _money_sum(p.amount for p in rows)
    if count == 0:
        raise DibaoError(_("这个批次没有待发放的款项"))
    if (count, total) != (batch.control_count, batch.control_total):
        raise DibaoError(_("控制数不符：批次记录 %(n1)s 笔 %(s1)s 元，明细 %(n2)s 笔 %(s2)s 元",
                           n1=batch.control_count, s1=batch.control_total, n2=count, s2=total))
    numbers: dict[int, str] = {}
    if any(f == "household_number" for _h, f in settings_of(site).banks[batch.bank_code].columns):
        numbers = {hm.household.id: hm.household.number for v in {p.village_code for p in rows}  # type: ignore[misc]
                   for hm in queries.households(session, v)}
    data = render_file(site, batch, rows, fmt, numbers)
    digest = hashlib.sha256(data).hexdigest()
    cycle = session.get(Cycle, batch.cycle_id)
    name = f"dibao_{cycle.month:%Y%m}_{batch.bank_code}_r{batch.round}_{count}_{total}.{fmt}"  # type: ignore[union-attr]
    session.execute(update(Batch).where(col(Batch.id) == batch.id, col(Batch.status) == "open").values(
        status="exported", file_format=fmt, file_name=name, file_sha256=digest, file_data=data,
        exported_at=utcnow(), exported_by=actor.label))
    session.execute(update(Payment).where(col(Payment.batch_id) == batch.id, col(Payment.status) == "pending")
                    .values(status="exported"))
    audit.record(session, actor, "dibao.batch.export", object_type="dibao_batch", object_id=str(batch.id),
                 before={"status": "open"}, after={"status": "exported", "file": name, "sha256": digest,
                                                   "count": count, "sum": total})
    session.refresh(batch)
    return batch


def verify_file(batch: Batch, data: bytes) -> bool:
    """Is `data` exactly the file exported for this batch? (any change, even one fen or one digit, is caught)"""
    return batch.file_sha256 is not None and hashlib.sha256(data).hexdigest() == batch.file_sha256


# --- bank return and reconciliation -----------------------------------------------------------------------------

#: A bank return file's extent beyond one row per payment (titles, headers, totals), and its widest layout.
RETURN_EXTRA_ROWS = 50
RETURN_MAX_COLUMNS = 60
_PAID = {"成功", "已入账", "success", "paid", "ok", "s", "1"}
_FAILED = {"失败", "退回", "failed", "fail", "f", "0"}


def _read_table(data: bytes, filename: str, max_rows: int) -> list[list[str]]:
    """The return file's rows as text; an xlsx is measured first (see `cunwu.api.check_xlsx_extent`)."""
    if filename.lower().endswith(".xlsx"):
        from python_calamine import CalamineWorkbook

        try:
            check_xlsx_extent(data, max_rows=max_rows, max_columns=RETURN_MAX_COLUMNS)
        except SheetTooLarge as exc:
            raise DibaoError(str(exc)) from None
        try:
            rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        except Exception:  # the reader's own errors (not a zip, no sheet, broken XML) differ by version
            raise DibaoError(_("回盘文件 %(file)s 不是有效的 Excel 表格（xlsx）：请上传银行给的原文件或 CSV",
                               file=filename)) from None
        return [["" if v is None else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                 for v in row] for row in rows]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DibaoError(_("回盘文件编码无法识别（应为 UTF-8 或 GBK）"))
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


@dataclass(frozen=True)
class Reconciliation:
    """A batch's control totals against the bank's answer: paid + failed must equal what was sent."""

    batch_id: int
    sent_count: int
    sent_total: Decimal
    paid_count: int
    paid_total: Decimal
    failed_count: int
    failed_total: Decimal
    open_count: int

    @property
    def balanced(self) -> bool:
        return (self.paid_count + self.failed_count + self.open_count == self.sent_count
                and self.paid_total + self.failed_total <= self.sent_total)


def reconciliation(session: Session, batch: Batch) -> Reconciliation:
    rows = [p for p in payments(session, batch) if p.status != "cancelled"]
    paid = [p for p in rows if p.status == "paid"]
    failed = [p for p in rows if p.status == "failed"]
    return Reconciliation(batch.id, batch.control_count, batch.control_total, len(paid),  # type: ignore[arg-type]
                          _money_sum(p.amount for p in paid), len(failed), _money_sum(p.amount for p in failed),
                          len(rows) - len(paid) - len(failed))


def import_return(session: Session, site: Site, actor: Actor, batch_id: int, data: bytes, filename: str
                  ) -> Reconciliation:
    """Read the bank's return file (CSV or XLSX) and mark each payment paid or failed — all rows or none.

    Columns, found by header: the bank layout's `payment_id` and `amount` headers, 结果 (成功/失败), and optionally
    失败原因 and 银行流水号. Every exported payment of the batch must appear exactly once with its exact amount.
    """
    batch = get_batch(session, batch_id, lock=True)
    if batch.status != "exported":
        raise DibaoError(_("只有已导出、未对账的批次才能导入回盘文件"))
    layout = settings_of(site).banks[batch.bank_code]
    headers = {f: h for h, f in layout.columns}
    # A return has one line per payment sent, plus a few header and total lines.
    table = _read_table(data, filename, max_rows=batch.control_count + RETURN_EXTRA_ROWS)
    if not table:
        raise DibaoError(_("回盘文件是空的"))
    head = [cell.strip() for cell in table[0]]
    wanted = {"id": headers["payment_id"], "amount": headers["amount"], "result": "结果"}
    where: dict[str, int] = {}
    for key, title in wanted.items():
        if title not in head:
            raise DibaoError(_("回盘文件缺少“%(column)s”列", column=title), [Problem(_("缺少列"), column=title,
                                                                                file=filename)])
        where[key] = head.index(title)
    reason_at = head.index("失败原因") if "失败原因" in head else None
    ref_at = head.index("银行流水号") if "银行流水号" in head else None
    sent = {p.id: p for p in payments(session, batch) if p.status == "exported"}
    seen: dict[int, tuple[str, str | None, str | None]] = {}
    problems: list[Problem] = []
    for number, row in enumerate(table[1:], start=2):
        cells = row + [""] * (len(head) - len(row))
        try:
            payment_id = int(cells[where["id"]].strip())
            amount = Decimal(cells[where["amount"]].strip())
        except (ValueError, InvalidOperation):
            problems.append(Problem(_("流水号或金额无法识别"), row=number, file=filename))
            continue
        payment = sent.get(payment_id)
        outcome = cells[where["result"]].strip().lower()
        if payment is None:
            problems.append(Problem(_("流水号 %(id)s 不属于这个批次", id=payment_id), row=number, file=filename))
        elif payment_id in seen:
            problems.append(Problem(_("流水号 %(id)s 出现了两次", id=payment_id), row=number, file=filename))
        elif amount != payment.amount:
            problems.append(Problem(_("金额 %(got)s 与发放金额 %(sent)s 不符", got=amount, sent=payment.amount),
                                    row=number, file=filename))
        elif outcome not in _PAID | _FAILED:
            problems.append(Problem(_("结果应为“成功”或“失败”"), row=number, file=filename))
        else:
            reason = cells[reason_at].strip()[:200] if reason_at is not None else None
            reference = cells[ref_at].strip()[:64] if ref_at is not None else None
            seen[payment_id] = ("paid" if outcome in _PAID else "failed", reason or None, reference or None)
    missing = sorted(set(sent) - set(seen))
    if missing:
        problems.append(Problem(_("回盘文件缺少 %(n)s 笔款项（流水号 %(ids)s）", n=len(missing),
                                  ids=", ".join(map(str, missing[:10]))), file=filename))
    if problems:
        raise DibaoError(_("回盘文件有 %(n)s 处问题，没有导入任何结果", n=len(problems)), problems)
    now = utcnow()
    for payment_id, (status, reason, reference) in seen.items():
        session.execute(update(Payment).where(col(Payment.id) == payment_id, col(Payment.status) == "exported")
                        .values(status=status, failure_reason=reason if status == "failed" else None,
                                bank_reference=reference, settled_at=now))
    digest = hashlib.sha256(data).hexdigest()
    session.execute(update(Batch).where(col(Batch.id) == batch.id).values(status="reconciled", return_sha256=digest,
                                                                         reconciled_at=now))
    session.refresh(batch)
    result = reconciliation(session, batch)
    audit.record(session, actor, "dibao.batch.reconcile", object_type="dibao_batch", object_id=str(batch.id),
                 before={"status": "exported"}, after={
                     "status": "reconciled", "return_sha256": digest, "paid": [result.paid_count, result.paid_total],
                     "failed": [[pid, r] for pid, (s, r, _ref) in sorted(seen.items()) if s == "failed"]})
    return result


# --- transparency ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """A line of the public list: masked, no account."""

    name: str
    masked_id: str
    covered: int
    amount: Decimal


def recipients(session: Session, site: Site, village_code: str, month: dt.date) -> list[Recipient]:
    """The month's recipients of a village (approved cycles only), for the public list."""
    from .services import masked_id

    cycle = get_cycle(session, month)
    if cycle is None or cycle.status != "approved":
        return []
    rows = session.exec(select(Entitlement, Case).join(Case, col(Case.id) == Entitlement.case_id)
                        .where(Entitlement.cycle_id == cycle.id, Entitlement.village_code == village_code)
                        .order_by(col(Entitlement.id))).all()
    result = []
    for entitlement, case in rows:
        person = queries.person(session, case.applicant_id)
        result.append(Recipient(person.name if person else "", masked_id(site, person), entitlement.covered_count,
                                entitlement.amount))
    return result


@dataclass(frozen=True)
class Totals:
    households: int
    persons: int
    amount: Decimal


def county_totals(session: Session, month: dt.date) -> tuple[dict[str, Totals], dict[str, Totals]]:
    """The month's totals by village and by category (rural/urban, and each extra-support category)."""
    rows = session.exec(select(Entitlement, Case.kind).join(Case, col(Case.id) == Entitlement.case_id)
                        .where(Entitlement.month == amounts.first_of_month(month))).all()
    by_village: dict[str, list[Entitlement]] = defaultdict(list)
    by_category: dict[str, list[Entitlement]] = defaultdict(list)
    for entitlement, kind in rows:
        by_village[entitlement.village_code].append(entitlement)
        by_category[kind].append(entitlement)
        for category in filter(None, entitlement.categories.split(",")):
            by_category[category].append(entitlement)

    def total(items: list[Entitlement]) -> Totals:
        return Totals(len(items), sum(e.covered_count for e in items), _money_sum(e.amount for e in items))

    return ({k: total(v) for k, v in sorted(by_village.items())}, {k: total(v) for k, v in by_category.items()})


def monthly_totals(session: Session, village_codes: Sequence[str], last: dt.date, months: int = 12,
                   ) -> list[tuple[dt.date, Totals]]:
    """Recipients and amounts per month of the `village_codes`, for the `months` months up to the month of `last`
    (oldest first, from the first month with any entitlement; none: empty): what the county overview charts.
    Counted by the database, one row a month whatever the number of villages."""
    end = amounts.first_of_month(last)
    start = amounts.add_months(end, -(months - 1))
    rows = {month: Totals(int(households), int(persons or 0), to_money(amount or 0))
            for month, households, persons, amount in session.exec(select(  # type: ignore[call-overload]
                Entitlement.month, func.count(), func.sum(Entitlement.covered_count), func.sum(Entitlement.amount))
                .where(col(Entitlement.month) >= start, col(Entitlement.month) <= end,
                       col(Entitlement.village_code).in_(list(village_codes)))
                .group_by(col(Entitlement.month))).all()}
    if not rows:
        return []
    found, month = [], min(rows)
    while month <= end:
        found.append((month, rows.get(month, Totals(0, 0, Decimal("0.00")))))
        month = amounts.add_months(month, 1)
    return found


def audit_problems(session: Session) -> str | None:
    """The first payment or exported file that differs from its batch's audit entries (`audit_record_problems`).

    Payments are audited in their batch's entries, not one entry each: a build entry lists [payment id,
    entitlement id, amount], an export entry the file's SHA-256.
    """
    for batch in session.exec(select(Batch).order_by(col(Batch.id))):
        listed: dict[int, tuple[int, Decimal]] = {}
        exported_sha = None
        for entry in audit.history(session, "dibao_batch", str(batch.id)):
            for payment_id, entitlement_id, amount in (entry.after or {}).get("payments", []):
                listed[int(payment_id)] = (int(entitlement_id), Decimal(str(amount)))
            if entry.action == "dibao.batch.export":
                exported_sha = (entry.after or {}).get("sha256")
        payments = {p.id: p for p in session.exec(select(Payment).where(col(Payment.batch_id) == batch.id))}
        for payment_id, (entitlement_id, amount) in sorted(listed.items()):
            payment = payments.get(payment_id)
            if payment is None:
                return f"dibao_payment #{payment_id}: the row is gone, but batch {batch.id}'s audit entry lists it"
            if payment.entitlement_id != entitlement_id:
                return (f"dibao_payment #{payment_id}: column entitlement_id is {payment.entitlement_id}, "
                        f"batch {batch.id}'s audit entry recorded {entitlement_id}")
            if payment.amount != amount:
                return (f"dibao_payment #{payment_id}: column amount is {payment.amount}, batch {batch.id}'s audit "
                        f"entry recorded {amount}")
        if exported_sha is not None:
            actual = hashlib.sha256(batch.file_data or b"").hexdigest()
            if batch.file_sha256 != exported_sha or actual != exported_sha:
                return (f"dibao_batch #{batch.id}: the exported bank file (column file_data) no longer has the SHA-256 "
                        "its export entry recorded")
    return None
