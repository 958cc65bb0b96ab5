"""The 低保 row: the plugin's monthly run against one hand-written INSERT … SELECT computing the same amounts.

The statement applies the same rules as `cunwu_plugins.dibao.disbursement.run_month` (see plugins/dibao/amounts.py):
the assessment in force, the standard in force for the site's area and the case's kind, cases enrolled (or stopped)
and paid from that month, reviews not overdue, a usable bank account, every covered person still in the household;
gap or tiered base with the minimum share, the highest one extra-support share per person (就高不叠加), each person's
amount rounded half-up to the fen and summed; phase-out months paying the held amount. It computes in integer fen
(shares scaled by 10,000), so it is exact on both databases. It writes amounts only (no rule text, no categories, no
audit entry): it is the floor. Both runs go to fresh copies of the county database, and the amounts per household
are compared afterwards: a mismatch is reported in the row's note.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from tests.benchmarks.county import County
from tests.benchmarks.report import Result, not_measured

KEY, TITLE = "dibao_month", "低保 monthly run, whole county"
SCALE = 10_000  # shares (0.20) become integers (2000)


def _d(share: Any) -> int:
    scaled = Decimal(share) * SCALE
    if scaled != scaled.to_integral_value():
        raise ValueError(f"share {share} has more than four decimals")
    return int(scaled)


def insert_select(dialect: str, settings: Any) -> str:
    """The statement for `dialect` ("sqlite" | "postgresql") under the site's 低保 settings."""
    pg = dialect == "postgresql"

    def fen(expr: str) -> str:  # Money: integer fen on SQLite, NUMERIC(14,2) yuan on PostgreSQL
        return f"CAST(ROUND({expr} * 100) AS BIGINT)" if pg else expr

    def money(expr: str) -> str:
        return f"CAST(({expr}) AS NUMERIC) / 100" if pg else f"({expr})"

    greatest = "GREATEST" if pg else "MAX"
    month = "CAST(:month AS DATE)" if pg else ":month"
    if pg:
        age = f"CAST(EXTRACT(YEAR FROM AGE({month}, p.birth_date)) AS INTEGER)"
        elements = "json_array_elements(k.covered) AS j(value)"
        person_id = "CAST(j.value->>'person_id' AS INTEGER)"
        flag = "COALESCE(CAST(j.value->>'{0}' AS BOOLEAN), FALSE)"
        length = "json_array_length({0})"
        months_since = (f"((EXTRACT(YEAR FROM {month}) - EXTRACT(YEAR FROM k.effective_month)) * 12 "
                        f"+ EXTRACT(MONTH FROM {month}) - EXTRACT(MONTH FROM k.effective_month))")
    else:
        age = ("(CAST(strftime('%Y', :month) AS INTEGER) - CAST(strftime('%Y', p.birth_date) AS INTEGER) "
               "- (strftime('%m-%d', :month) < strftime('%m-%d', p.birth_date)))")
        elements = "json_each(k.covered) AS j"
        person_id = "CAST(json_extract(j.value, '$.person_id') AS INTEGER)"
        flag = "COALESCE(json_extract(j.value, '$.{0}'), 0)"
        length = "json_array_length({0})"
        months_since = ("((CAST(strftime('%Y', :month) AS INTEGER) "
                        "- CAST(strftime('%Y', k.effective_month) AS INTEGER)) * 12 "
                        "+ CAST(strftime('%m', :month) AS INTEGER) - CAST(strftime('%m', k.effective_month) "
                        "AS INTEGER))")
    extra = settings.extra_support
    shares = {c: _d(extra.get(c, 0)) for c in ("elderly", "minor", "severe_disability", "serious_illness")}
    extra_d = (f"{greatest}(CASE WHEN {age} >= {settings.elderly_age} THEN {shares['elderly']} ELSE 0 END, "
               f"CASE WHEN {age} < {settings.minor_age} THEN {shares['minor']} ELSE 0 END, "
               f"CASE WHEN q.severe THEN {shares['severe_disability']} ELSE 0 END, "
               f"CASE WHEN q.ill THEN {shares['serious_illness']} ELSE 0 END)")
    if settings.method == "gap":
        base = f"(k.std * k.size - k.income) * {SCALE}"
    else:
        steps = " ".join(f"WHEN k.income * {SCALE} < {_d(t.max_income_share)} * k.std * k.size "
                         f"THEN {_d(t.benefit_share)} * k.std * k.size" for t in settings.tiers)
        base = f"CASE {steps} END"
    base = f"{greatest}({base}, {_d(settings.minimum_share_of_standard)} * k.std * k.size)"
    den = f"(k.size * {SCALE})"
    banks = ", ".join("'" + code.replace("'", "''") + "'" for code in settings.banks) or "NULL"
    return f"""
WITH latest AS (
  SELECT a.case_id, a.mode, {fen('a.household_income')} AS income, a.household_size AS size, a.covered,
         {fen('a.held_amount')} AS held, a.effective_month
  FROM dibao_assessment a
  WHERE a.effective_month = (SELECT max(b.effective_month) FROM dibao_assessment b
                             WHERE b.case_id = a.case_id AND b.effective_month <= {month})
),
cases AS (
  SELECT c.id, c.household_id, c.village_code, l.mode, l.income, l.size, l.covered, l.held, l.effective_month,
         {length.format('l.covered')} AS n_covered,
         (SELECT {fen('s.monthly_amount')} FROM dibao_standard s
          WHERE s.area = :area AND s.kind = c.kind AND s.effective_from <= {month}
          ORDER BY s.effective_from DESC LIMIT 1) AS std
  FROM dibao_case c JOIN latest l ON l.case_id = c.id
  WHERE c.status IN ('enrolled', 'stopped') AND c.first_month IS NOT NULL AND c.first_month <= {month}
    AND NOT (c.status = 'enrolled' AND c.next_review_on IS NOT NULL AND c.next_review_on < {month})
    AND c.account_number <> '' AND c.bank_code IN ({banks})
    AND NOT EXISTS (SELECT 1 FROM dibao_entitlement e WHERE e.household_id = c.household_id AND e.month = {month})
),
covered AS (
  SELECT k.id AS case_id, {person_id} AS person_id, {flag.format('severe_disability')} AS severe,
         {flag.format('serious_illness')} AS ill
  FROM cases k, {elements}
  WHERE k.mode = 'pay'
),
lines AS (
  SELECT k.id AS case_id, k.household_id, k.village_code, k.std, k.n_covered, {base} AS base_num,
         {extra_d} * k.std * k.size AS extra_num, {den} AS den
  FROM cases k
  JOIN covered q ON q.case_id = k.id
  JOIN registry_membership m ON m.household_id = k.household_id AND m.person_id = q.person_id
       AND m.start_date <= {month} AND (m.end_date IS NULL OR m.end_date > {month})
  JOIN registry_person p ON p.id = m.person_id
  WHERE k.std IS NOT NULL AND k.income < k.std * k.size
),
paid AS (
  SELECT case_id, household_id, village_code, std, count(*) AS n,
         sum((2 * (base_num + extra_num) + den) / (2 * den)) AS total,
         sum((2 * base_num + den) / (2 * den)) AS base
  FROM lines GROUP BY case_id, household_id, village_code, std, n_covered
  HAVING count(*) = n_covered
)
INSERT INTO dibao_entitlement (cycle_id, month, case_id, household_id, village_code, covered_count, standard,
                               amount, extras, categories, rule, created_at)
SELECT :cycle, {month}, case_id, household_id, village_code, n, {money('std')}, {money('total')},
       {money('total - base')}, '', '', :now FROM paid WHERE total > 0
UNION ALL
SELECT :cycle, {month}, k.id, k.household_id, k.village_code, k.n_covered, {money('0')},
       {money('k.held')}, {money('0')}, '', '', :now
FROM cases k WHERE k.mode = 'phase_out' AND k.held > 0 AND {months_since} + 1 <= {settings.phase_out_months}
"""


def pick_month(site: Any) -> dt.date:
    """This month, or the month after the latest cycle already in the data (a run there would add nothing)."""
    with site.db.read() as session:
        latest = session.execute(text("SELECT max(month) FROM dibao_cycle")).scalar()
    today = dt.date.today().replace(day=1)
    if latest is None:
        return today
    latest = dt.date.fromisoformat(str(latest)[:10])
    following = (latest.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return max(today, following)


def amounts_of(site: Any, month: dt.date) -> dict[int, Decimal]:
    from sqlmodel import select

    from cunwu_plugins.dibao.models import Entitlement

    with site.db.read() as session:
        return {e.household_id: e.amount for e in session.exec(select(Entitlement).where(Entitlement.month == month))}


def run_product(site: Any, month: dt.date) -> tuple[float, int]:
    from cunwu.accounts.actor import Actor
    from cunwu_plugins.dibao import disbursement

    gc.collect()  # start both sides from a clean heap (see batch._timed)
    started = time.perf_counter()
    with site.db.transaction() as session:
        result = disbursement.run_month(session, site, Actor.system("benchmark"), month)
    return time.perf_counter() - started, result.created


def run_floor(site: Any, month: dt.date) -> tuple[float, int]:
    from cunwu.db.types import utcnow
    from cunwu_plugins.dibao.services import area_of, settings_of

    statement = text(insert_select(site.db.dialect, settings_of(site)))
    sqlite = site.db.is_sqlite
    gc.collect()
    started = time.perf_counter()
    with site.db.transaction() as session:
        # the cycle row, as the run makes it (one row)
        session.execute(text("INSERT INTO dibao_cycle (month, status, created_at) VALUES (:m, 'computed', :now)"),
                        {"m": month.isoformat() if sqlite else month, "now": utcnow().replace(tzinfo=None)
                         if sqlite else utcnow()})
        cycle = session.execute(text("SELECT id FROM dibao_cycle WHERE month = :m"),
                                {"m": month.isoformat() if sqlite else month}).scalar()
        session.execute(statement, {
            "month": month.isoformat() if sqlite else month, "area": area_of(site), "cycle": cycle,
            "now": utcnow().replace(tzinfo=None).isoformat(sep=" ") if sqlite else utcnow()})
    seconds = time.perf_counter() - started
    with site.db.read() as session:  # sqlite3 reports no rowcount for a statement starting with WITH
        created = session.execute(text("SELECT count(*) FROM dibao_entitlement WHERE cycle_id = :c"),
                                  {"c": cycle}).scalar()
    return seconds, int(created or 0)


def run_dibao(county: County, log: Callable[[str], None]) -> Result:
    try:
        from cunwu_plugins.dibao import disbursement  # noqa: F401
    except ImportError as exc:
        return not_measured(KEY, TITLE, "s", f"the 低保 plugin has no monthly run ({exc})")
    site = county.site()
    try:
        with site.db.read() as session:
            enrolled = session.execute(text("SELECT count(*) FROM dibao_case WHERE status = 'enrolled'")).scalar()
        month = pick_month(site)
    finally:
        site.db.dispose()
    if not enrolled:
        return not_measured(KEY, TITLE, "s", "no enrolled 低保 households in the county data")
    timings: dict[str, tuple[float, int]] = {}
    amounts: dict[str, dict[int, Decimal]] = {}
    for label, runner in (("floor", run_floor), ("product", run_product)):
        log(f"低保 {month:%Y-%m} for {enrolled:,} enrolled households: {label} …")
        url = county.copy_url(f"dibao_{label}")
        copy = county.site(url=url)
        try:
            timings[label] = runner(copy, month)
            amounts[label] = amounts_of(copy, month)
        except Exception as exc:
            return not_measured(KEY, TITLE, "s", f"{label} failed: {exc!r}"[:300])
        finally:
            copy.db.dispose()
            county.drop_copy(url)
    seconds, created = timings["product"]
    floor_seconds, floor_created = timings["floor"]
    result = Result(KEY, f"{TITLE} ({created:,} households)", "s", measured=seconds,
                    floor_title="INSERT … SELECT", floor=floor_seconds, ratio=seconds / floor_seconds,
                    target_op="<=", target_value=3.0)
    differ = {h for h in amounts["product"].keys() | amounts["floor"].keys()
              if amounts["product"].get(h) != amounts["floor"].get(h)}
    result.detail.update(month=month.isoformat(), enrolled=enrolled, created=created, floor_created=floor_created,
                         total=str(sum(amounts["product"].values(), Decimal(0))), amounts_differ=len(differ))
    if differ:
        sample = sorted(differ)[:5]
        result.note = (f"the floor's amounts differ for {len(differ)} households, e.g. "
                       + ", ".join(f"{h}: {amounts['product'].get(h)} vs {amounts['floor'].get(h)}" for h in sample))
    return result
