"""Monthly disbursement: the database refuses double payment, runs are idempotent and safe at the same time,
exports are frozen and hash-checked, returns reconcile, and only failed payments are re-issued."""

from __future__ import annotations

import csv
import datetime as dt
import io
import multiprocessing
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from cunwu.accounts.actor import Actor
from cunwu.audit import services as audit
from cunwu.audit.models import AuditEntry
from cunwu.db.types import utcnow
from cunwu.testing import unique_violation
from cunwu_plugins.dibao import disbursement, services
from cunwu_plugins.dibao.models import Batch, Case, Cycle, Entitlement, Payment

from .conftest import COUNTY, enrolled_case, standard

ADULT = dt.date(1980, 5, 20)
DECEMBER = dt.date(2025, 12, 1)
SYSTEM = Actor.system("test")


def _site(site_factory: Any, dialect: str = "sqlite", households: int = 3, **kwargs: Any) -> tuple[Any, list[int]]:
    site = site_factory(enabled=["dibao"], dialect=dialect, **kwargs)
    standard(site, "580", dt.date(2025, 1, 1))
    ids = [enrolled_case(site, [ADULT, ADULT], str(100 * (i % 3 + 1)), confirmed_on=dt.date(2025, 11, 20),
                         account=f"62220202001122{i:05d}") for i in range(households)]
    return site, ids


def _counts(site: Any) -> tuple[int, int, int]:
    with site.db.read() as session:
        entitlements = session.exec(select(func.count()).select_from(Entitlement)).one()
        households = session.exec(select(func.count(func.distinct(Entitlement.household_id)))).one()
        live = session.exec(select(func.count()).select_from(Payment)
                            .where(Payment.status.not_in(["failed", "cancelled"]))).one()  # type: ignore[attr-defined]
    return entitlements, households, live


def test_database_refuses_a_second_entitlement_and_a_second_live_payment(site_factory: Any, dialect: str) -> None:
    site, _ids = _site(site_factory, dialect, households=1)
    with site.db.transaction() as session:
        disbursement.run_month(session, site, SYSTEM, DECEMBER)
        disbursement.approve(session, site, SYSTEM, DECEMBER)
    with site.db.read() as session:
        entitlement = session.exec(select(Entitlement)).one()
        payment = session.exec(select(Payment)).one()
    twin = {k: v for k, v in entitlement.model_dump().items() if k != "id"}
    with pytest.raises(IntegrityError, match=unique_violation("dibao_entitlement")), site.db.transaction() as session:
        session.add(Entitlement(**twin))
    second = {k: v for k, v in payment.model_dump().items() if k != "id"} | {"attempt": 2}
    with pytest.raises(IntegrityError, match=unique_violation("dibao_payment")), site.db.transaction() as session:
        session.add(Payment(**second))
    # once the first payment failed, a second one (the re-issue) is allowed — and only one
    with site.db.transaction() as session:
        session.get(Payment, payment.id).status = "failed"  # type: ignore[union-attr]
    with site.db.transaction() as session:
        session.add(Payment(**second))
    with pytest.raises(IntegrityError, match=unique_violation("dibao_payment")), site.db.transaction() as session:
        session.add(Payment(**(second | {"attempt": 3})))
    assert _counts(site) == (1, 1, 1)


def test_rerunning_a_month_creates_nothing_new(site_factory: Any, dialect: str) -> None:
    site, _ids = _site(site_factory, dialect)
    with site.db.transaction() as session:
        first = disbursement.run_month(session, site, SYSTEM, DECEMBER)
    # incomes 100/200/300 for two persons: (580 − 50) × 2, (580 − 100) × 2, (580 − 150) × 2
    assert (first.created, first.created_total) == (3, Decimal("2880.00"))
    with site.db.transaction() as session:
        again = disbursement.run_month(session, site, SYSTEM, DECEMBER)
        audit_entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    assert (again.created, again.created_total) == (0, Decimal("0.00"))
    with site.db.transaction() as session:
        disbursement.approve(session, site, SYSTEM, DECEMBER)
        disbursement.approve(session, site, SYSTEM, DECEMBER)
        closed = disbursement.run_month(session, site, SYSTEM, DECEMBER)
    assert closed.closed and closed.created == 0
    assert _counts(site) == (3, 3, 3)
    with site.db.read() as session:
        batch = session.exec(select(Batch)).one()
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == audit_entries + 2
    assert (batch.control_count, batch.control_total) == (3, Decimal("2880.00"))


def test_insert_ignore_returns_only_the_rows_it_inserted(site_factory: Any, dialect: str) -> None:
    site = site_factory(enabled=["dibao"], dialect=dialect)
    months = [dt.date(2025, m, 1) for m in (1, 2, 3)]

    def rows(chosen: list[dt.date]) -> list[dict[str, Any]]:
        return [{"month": m, "status": "computed", "created_at": utcnow()} for m in chosen]

    returning = (Cycle.id, Cycle.month)
    with site.db.transaction() as session:
        first = disbursement._insert_ignore(session, Cycle, rows(months[1:2]), returning=returning)
        second = disbursement._insert_ignore(session, Cycle, rows(months), returning=returning)
        third = disbursement._insert_ignore(session, Cycle, rows(months), returning=returning)
        assert disbursement._insert_ignore(session, Cycle, rows(months)) == []
        count = session.exec(select(func.count()).select_from(Cycle)).one()
    assert [r.month for r in first] == [months[1]]
    assert [r.month for r in second] == [months[0], months[2]]  # in id order
    assert second[0].id < second[1].id and third == [] and count == 3


def test_a_run_overtaken_by_another_counts_and_audits_only_its_own_rows(site_factory: Any, dialect: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    site, _ids = _site(site_factory, dialect)
    load_members = disbursement.queries.member_birth_dates

    def paid_meanwhile(session: Any, households: Any, month: dt.date) -> Any:
        """Another run pays the first household after this run read the unpaid cases, before it inserts."""
        case = session.exec(select(Case).order_by(Case.id)).first()
        cycle = session.exec(select(Cycle).where(Cycle.month == month)).one()
        session.add(Entitlement(cycle_id=cycle.id, month=month, case_id=case.id, household_id=case.household_id,
                                village_code=case.village_code, covered_count=2, standard=Decimal("580"),
                                amount=Decimal("1060.00"), rule="the other run"))
        session.flush()
        return load_members(session, households, month)

    monkeypatch.setattr(disbursement.queries, "member_birth_dates", paid_meanwhile)
    with site.db.transaction() as session:
        result = disbursement.run_month(session, site, SYSTEM, DECEMBER)
    assert (result.created, result.created_total) == (2, Decimal("1820.00"))  # 960 + 860, not the 1060 again
    with site.db.read() as session:
        rows = session.exec(select(Entitlement).order_by(Entitlement.id)).all()
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "dibao.cycle.compute")).one()
        assert audit.verify_chain(session)[1] is None
    assert len(rows) == 3 and rows[0].rule == "the other run"
    assert entry.after["entitlements"] == [[r.id, r.household_id, f"{r.amount}"] for r in rows[1:]]  # type: ignore[index]


def _run_in_process(folder: str, url: str, month: str, barrier: Any, results: Any) -> None:
    """One payment run in its own process, with its own engine, released at the same moment as the others."""
    from cunwu.db.engine import Database
    from cunwu.runtime import Site
    from cunwu.sites import load_site

    config = load_site(Path(folder))
    config.database_url = url
    site = Site(config, db=Database(url))
    actor = Actor.system(f"run-{os.getpid()}")
    barrier.wait(timeout=60)
    with site.db.transaction() as session:
        result = disbursement.run_month(session, site, actor, services.parse_month(month))
        disbursement.approve(session, site, actor, services.parse_month(month))
    site.db.dispose()
    results.put(result.created)


def test_concurrent_runs_in_separate_processes_pay_once(site_factory: Any, pg: str) -> None:
    site, _ids = _site(site_factory, pg, households=12)
    folder = str(site.config.path)
    context = multiprocessing.get_context("fork")  # the test module is not importable by name
    barrier = context.Barrier(4)
    results = context.Queue()
    workers = [context.Process(target=_run_in_process, args=(folder, site.db.url, "2025-12", barrier, results))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    created = sorted(results.get(timeout=5) for _ in workers)
    assert sum(created) == 12 and created.count(0) == 3  # one process inserted everything, the others nothing
    assert _counts(site) == (12, 12, 12)
    with site.db.read() as session:
        per_entitlement = session.exec(select(Payment.entitlement_id, func.count()).group_by(Payment.entitlement_id)
                                       ).all()
        assert {n for _e, n in per_entitlement} == {1} and len(per_entitlement) == 12
        assert len(session.exec(select(Batch)).all()) == 1


def test_cli_runs_started_together_pay_once(site_factory: Any, pg: str, tmp_path: Path) -> None:
    site, _ids = _site(site_factory, pg, households=5)
    env = {**os.environ, "CUNWU_SITES_DIR": str(site.config.path.parent), "CUNWU_DATABASE_URL": site.db.url}
    command = [sys.executable, "-m", "cunwu", "dibao", "run-month", "2025-12", "--site", site.slug, "--approve"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    assert _counts(site) == (5, 5, 5)
    assert sum("新增 5 户" in err for _out, err in outputs) == 1
    assert sum("新增 0 户" in err for _out, err in outputs) == 2


def _exported(site: Any, fmt: str = "csv") -> Batch:
    with site.db.transaction() as session:
        disbursement.run_month(session, site, SYSTEM, DECEMBER)
        disbursement.approve(session, site, SYSTEM, DECEMBER)
        batch = disbursement.batches(session)[0]
        return disbursement.export_batch(session, site, COUNTY, batch.id, fmt)  # type: ignore[arg-type]


def test_export_is_frozen_and_a_tampered_file_is_detected(site_factory: Any, dialect: str) -> None:
    site, _ids = _site(site_factory, dialect)
    batch = _exported(site)
    data = batch.file_data or b""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["流水号", "账号", "户名", "金额", "摘要"]
    assert [r[3] for r in rows[1:]] == ["1060.00", "960.00", "860.00"]
    assert disbursement.verify_file(batch, data)
    assert not disbursement.verify_file(batch, data.replace(b"1060.00", b"1060.01"))
    assert not disbursement.verify_file(batch, data.replace(b"6222020200112200000", b"6222020200112299999"))
    with pytest.raises(services.DibaoError, match="已于"), site.db.transaction() as session:
        disbursement.export_batch(session, site, COUNTY, batch.id, "xlsx")  # type: ignore[arg-type]
    with site.db.read() as session:
        again = disbursement.get_batch(session, batch.id)  # type: ignore[arg-type]
        assert again.file_sha256 == batch.file_sha256 and again.file_data == data
        assert {p.status for p in disbursement.payments(session, again)} == {"exported"}
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "dibao.batch.export")).one()
        assert entry.after["sha256"] == batch.file_sha256  # type: ignore[index]


def test_xlsx_export_keeps_account_numbers_as_text(site_factory: Any) -> None:
    from openpyxl import load_workbook

    site, _ids = _site(site_factory)
    batch = _exported(site, "xlsx")
    sheet = load_workbook(io.BytesIO(batch.file_data or b"")).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("流水号", "账号", "户名", "金额", "摘要")
    assert values[1][1] == "6222020200112200000"
    assert disbursement.verify_file(batch, batch.file_data or b"")


def _return_file(batch: Batch, failed: set[int], amount_change: dict[int, str] | None = None) -> bytes:
    rows = list(csv.reader(io.StringIO((batch.file_data or b"").decode("utf-8-sig"))))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["流水号", "金额", "结果", "失败原因", "银行流水号"])
    for row in rows[1:]:
        pid = int(row[0])
        writer.writerow([pid, (amount_change or {}).get(pid, row[3]), "失败" if pid in failed else "成功",
                         "账户已销户" if pid in failed else "", f"B{pid}"])
    return out.getvalue().encode("utf-8")


def test_return_file_reconciles_and_only_failed_payments_are_reissued(site_factory: Any, dialect: str) -> None:
    site, ids = _site(site_factory, dialect)
    batch = _exported(site)
    with site.db.read() as session:
        first, second, _third = disbursement.payments(session, batch)
    with pytest.raises(services.DibaoError, match="没有导入任何结果") as wrong, site.db.transaction() as session:
        disbursement.import_return(session, site, COUNTY, batch.id, _return_file(batch, set(), {first.id: "1060.10"}),  # type: ignore[arg-type]
                                   "return.csv")
    assert "与发放金额 1060.00 不符" in wrong.value.problems[0].message
    with site.db.read() as session:
        assert {p.status for p in disbursement.payments(session, batch)} == {"exported"}
    with site.db.transaction() as session:
        result = disbursement.import_return(session, site, COUNTY, batch.id, _return_file(batch, {second.id}),  # type: ignore[arg-type]
                                            "return.csv")
    assert (result.sent_count, result.sent_total) == (3, Decimal("2880.00"))
    assert (result.paid_count, result.paid_total) == (2, Decimal("1920.00"))
    assert (result.failed_count, result.failed_total) == (1, Decimal("960.00"))
    assert result.paid_total + result.failed_total == result.sent_total and result.balanced
    # the clerk corrects the account of the failed household, then the failed payment alone is re-issued
    with site.db.transaction() as session:
        case = services.get_case(session, ids[1])
        services.update_account(session, site, COUNTY, case, bank_code="PSBC", account_number="6210 9812 3456 7890",
                                account_holder="新户名")
        reissued = disbursement.reissue_failed(session, site, COUNTY, DECEMBER)
        assert disbursement.reissue_failed(session, site, COUNTY, DECEMBER) == []
    assert [(b.bank_code, b.round, b.control_count, b.control_total) for b in reissued] == [
        ("PSBC", 1, 1, Decimal("960.00"))]
    with site.db.read() as session:
        payment = disbursement.payments(session, reissued[0])[0]
        old = session.get(Payment, second.id)
    assert (payment.entitlement_id, payment.attempt, payment.account_number) == (second.entitlement_id, 2,
                                                                                 "6210981234567890")
    assert old.account_number == "6222020200112200001" and old.failure_reason == "账户已销户"  # type: ignore[union-attr]
    assert _counts(site) == (3, 3, 3)


def test_cli_run_month_is_idempotent(site_factory: Any, tmp_path: Path) -> None:
    site, _ids = _site(site_factory)
    env = {**os.environ, "CUNWU_SITES_DIR": str(site.config.path.parent), "CUNWU_DATABASE_URL": site.db.url}
    command = [sys.executable, "-m", "cunwu", "dibao", "run-month", "2025-12", "--site", site.slug]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "新增 3 户，金额 2880.00 元" in first.stderr
    assert "新增 0 户，金额 0.00 元" in second.stderr
    bad = subprocess.run([*command[:5], "2025-13", "--site", site.slug], env=env, capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and "YYYY-MM" in bad.stderr


def test_xlsx_return_file_and_a_second_bank_layout(site_factory: Any) -> None:
    from openpyxl import Workbook

    site, ids = _site(site_factory, households=2)
    with site.db.transaction() as session:
        for case_id in ids:
            services.update_account(session, site, COUNTY, services.get_case(session, case_id), bank_code="PSBC",
                                    account_number="6210981234567890", account_holder="户主")
    batch = _exported(site)
    rows = list(csv.reader(io.StringIO((batch.file_data or b"").decode("utf-8-sig"))))
    assert batch.bank_code == "PSBC" and rows[0] == ["序号", "姓名", "卡号", "发放金额", "所属期", "村代码"]
    assert rows[1][2:5] == ["6210981234567890", "1060.00", "2025-12"]
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "发放金额", "结果", "失败原因"])
    for row in rows[1:]:
        sheet.append([int(row[0]), float(row[3]), "成功", None])  # banks send numbers as numbers
    data = io.BytesIO()
    book.save(data)
    with site.db.transaction() as session:
        result = disbursement.import_return(session, site, COUNTY, batch.id, data.getvalue(), "回盘.xlsx")  # type: ignore[arg-type]
    assert (result.paid_count, result.paid_total, result.failed_count) == (2, Decimal("2020.00"), 0)


def test_bank_layout_settings_are_checked(site_factory: Any) -> None:
    from cunwu.sites import SiteConfigError

    bad = '[plugins.dibao.banks.ABC]\nname = "某银行"\ncolumns = [["账号", "account_number"], ["金额", "amount"]]\n'
    with pytest.raises(SiteConfigError, match="payment_id"):
        site_factory(enabled=["dibao"], extra_toml=bad, migrate=False)
    good = bad.replace('[["账号"', '[["编号", "payment_id"], ["账号"')
    site = site_factory(enabled=["dibao"], extra_toml=good, migrate=False)
    assert services.settings_of(site).banks["ABC"].columns[0] == ("编号", "payment_id")


@pytest.mark.parametrize("junk", [b"this is not a workbook", b"PK\x03\x04" + b"\x00" * 40])
def test_a_junk_file_named_xlsx_as_bank_return_is_refused_with_its_name(site_factory: Any, junk: bytes) -> None:
    site, _ids = _site(site_factory, "sqlite")
    batch = _exported(site)
    with site.db.read() as session:
        entries = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(services.DibaoError, match=r"回盘\.xlsx 不是有效的 Excel 表格"), \
            site.db.transaction() as session:
        disbursement.import_return(session, site, COUNTY, batch.id, junk, "回盘.xlsx")  # type: ignore[arg-type]
    with site.db.read() as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == entries
        assert {p.status for p in disbursement.payments(session, batch)} == {"exported"}
