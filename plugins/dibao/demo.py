"""Demo data: standards with history, ~5 % of households enrolled (4 % at county scale), a few applications at each
stage (one in 民主评议 after an objection), and two paid months with one failed payment re-issued.

Households already in 低保 when the demo county "started using Cunwu" are loaded in bulk (one audit entry per
chunk), the way a county migrates its existing ledger: that keeps the county-scale demo fast. Everything after
that goes through the services, as a clerk would do it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col

from cunwu.api import Actor, DemoContext, Site, audit, local_today
from cunwu.api import registry as queries

from . import amounts, disbursement, services
from .models import Assessment, Case, Decision, Income

CHUNK = 500


def _account(rng: random.Random) -> str:
    return "622202" + "".join(str(rng.randrange(10)) for _ in range(13))


def _incomes(rng: random.Random, members: list[queries.Member], standard: Decimal) -> list[tuple[int, str, Decimal]]:
    """Monthly incomes whose total stays below the line (between 10 % and 85 % of it per person)."""
    target = standard * len(members) * Decimal(rng.randrange(10, 85)) / 100
    earners = members[: max(1, len(members) // 2)]
    share = (target / len(earners)).quantize(Decimal("1"))
    kinds = ("wages", "farming", "pension", "transfer")
    return [(m.person.id, kinds[i % len(kinds)], share) for i, m in enumerate(earners)]  # type: ignore[misc]


def _enrol_existing(session: Session, site: Site, actor: Actor, demo: DemoContext,
                    chosen: list[queries.HouseholdMembers], confirmed_on: dt.date) -> list[int]:
    """Load households already receiving 低保 (status enrolled, first assessment, confirm decision) in bulk."""
    settings = services.settings_of(site)
    banks = sorted(settings.banks)
    first = amounts.first_payment_month(confirmed_on)
    standard = services.standard_for(session, site, first, "rural")
    ids: list[int] = []
    for start in range(0, len(chosen), CHUNK):
        part = chosen[start:start + CHUNK]
        case_rows, plans = [], []
        for entry in part:
            members = entry.members
            disabled = [m for m in members if m.person.disability_grade in services.SEVERE_GRADES]
            single = bool(disabled) and len(members) > 2 and demo.rng.random() < 0.5
            covered = disabled[:1] if single else members
            category = "unstable" if demo.rng.random() < 0.3 else "stable"
            incomes = _incomes(demo.rng, members, standard)
            case_rows.append({
                "village_code": entry.household.village_code, "household_id": entry.household.id,
                "applicant_id": members[0].person.id, "kind": "rural", "review_category": category,
                "status": "enrolled", "applied_on": confirmed_on - dt.timedelta(days=30),
                "check_due_on": confirmed_on, "household_size": len(members),
                "covered": [{"person_id": m.person.id, "severe_disability": m.person.disability_grade in
                             services.SEVERE_GRADES, "serious_illness": False} for m in covered],
                "township_opinion": "历史在保对象", "opinion_by": actor.label, "opinion_on": confirmed_on,
                "reviewed_democratically": False, "decided_on": confirmed_on, "decided_by": actor.label,
                "first_month": first, "next_review_on": amounts.next_review_date(confirmed_on, category, settings),
                "bank_code": banks[demo.rng.randrange(len(banks))], "account_number": _account(demo.rng),
                "account_holder": members[0].person.name,
            })
            plans.append(incomes)
        new_ids = [row.id for row in session.execute(insert(Case).values(case_rows).returning(col(Case.id)))]
        income_rows, assessment_rows, decision_rows = [], [], []
        for case_id, row, incomes in zip(new_ids, case_rows, plans, strict=True):
            total = sum((amount for _p, _k, amount in incomes), Decimal("0.00"))
            income_rows += [{"case_id": case_id, "village_code": row["village_code"], "person_id": person_id,
                             "kind": kind, "monthly_amount": amount, "note": "", "withdrawn": False}
                            for person_id, kind, amount in incomes]
            assessment_rows.append({"case_id": case_id, "village_code": row["village_code"], "effective_month": first,
                                    "mode": "pay", "household_income": total,
                                    "household_size": row["household_size"], "covered": row["covered"]})
            decision_rows.append({"case_id": case_id, "village_code": row["village_code"], "kind": "confirm",
                                  "effective_month": first, "reasons": "历史在保对象导入", "decided_on": confirmed_on,
                                  "decided_by": actor.label})
        session.execute(insert(Income).values(income_rows))
        session.execute(insert(Assessment).values(assessment_rows))
        session.execute(insert(Decision).values(decision_rows))
        audit.record(session, actor, "dibao.demo.import", object_type="dibao_case", object_id=str(new_ids[0]),
                     before=None, after={"cases": new_ids, "confirmed_on": confirmed_on})
        ids += new_ids
        demo.progress("dibao", len(part))
    return ids


def _stage(session: Session, site: Site, clerk: Actor, town: Actor, entry: queries.HouseholdMembers, stage: str,
           rng: random.Random) -> Case:
    """An application taken through the services up to `stage`."""
    members = entry.members
    case = services.apply(session, site, clerk, village_code=entry.household.village_code,
                          household_id=entry.household.id, applicant_id=members[0].person.id,  # type: ignore[arg-type]
                          covered=[m.person.id for m in members], bank_code="RCC",  # type: ignore[misc]
                          account_number=_account(rng), account_holder=members[0].person.name)
    standard = services.standard_for(session, site, amounts.first_payment_month(local_today()), "rural")
    for person_id, kind, amount in _incomes(rng, members, standard):
        services.record_income(session, site, clerk, case, person_id=person_id, kind=kind, monthly_amount=amount)
    if stage == "applied":
        return case
    services.record_property(session, site, clerk, case, dict.fromkeys(services.settings_of(site).property_checks,
                                                                        True))
    services.record_visit(session, site, clerk, case, visited_on=local_today(), visitors="村文书、包村干部",
                          findings="家庭成员身体状况较差，收入来源单一，住房简陋")
    if stage == "refused":
        return services.give_opinion(session, site, town, case, approve=False,
                                     opinion="经核查，家庭成员名下有一辆小轿车，不符合条件")
    services.give_opinion(session, site, town, case, approve=True, opinion="经入户调查和核对，符合低保条件")
    if stage == "proposed":
        return case
    services.post_case(session, site, clerk, case)
    if stage == "democratic_review":
        from cunwu.api import raise_objection

        raise_objection(session, site, None, case.notice_id, body="听说这户的儿子在城里开店，收入不低，请核实",  # type: ignore[arg-type]
                        name="村民甲", phone="13800001111")
    return case


def _return_file(batch: Any, failed: set[int]) -> bytes:
    rows = list(csv.reader(io.StringIO((batch.file_data or b"").decode("utf-8-sig"))))
    head = rows[0]
    id_at, amount_at = 0, head.index("金额") if "金额" in head else head.index("发放金额")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([head[id_at], head[amount_at], "结果", "失败原因", "银行流水号"])
    for row in rows[1:]:
        pid = int(row[id_at])
        writer.writerow([pid, row[amount_at], "失败" if pid in failed else "成功",
                         "账户已冻结" if pid in failed else "", f"BK{pid:08d}"])
    return out.getvalue().encode("utf-8")


def _pay(session: Session, site: Site, county: Actor, month: dt.date, fail_one: bool) -> None:
    """A paid month: run, approve, export, return (one failure when asked), re-issue the failure, pay it."""
    disbursement.run_month(session, site, county, month)
    cycle = disbursement.approve(session, site, county, month)
    failed_done = False
    for batch in disbursement.batches(session, cycle):
        batch = disbursement.export_batch(session, site, county, batch.id, "csv")  # type: ignore[arg-type]
        failed: set[int] = set()
        if fail_one and not failed_done:
            failed = {disbursement.payments(session, batch)[0].id}  # type: ignore[set-item]
            failed_done = True
        disbursement.import_return(session, site, county, batch.id, _return_file(batch, failed), "return.csv")  # type: ignore[arg-type]
    if failed_done:
        for batch in disbursement.reissue_failed(session, site, county, month):
            batch = disbursement.export_batch(session, site, county, batch.id, "csv")  # type: ignore[arg-type]
            disbursement.import_return(session, site, county, batch.id, _return_file(batch, set()), "return.csv")  # type: ignore[arg-type]


def build(session: Session, site: Site, demo: DemoContext) -> None:
    county = Actor.system("demo 县民政局")
    clerk = Actor.system("demo 村文书")
    town = Actor.system("demo 乡镇民政")
    for kind, amount, day, note in (("rural", "580", dt.date(2025, 1, 1), "2025 年农村低保标准"),
                                    ("rural", "600", dt.date(2026, 1, 1), "2026 年农村低保标准"),
                                    ("urban", "800", dt.date(2025, 1, 1), "2025 年城市低保标准"),
                                    ("urban", "830", dt.date(2026, 1, 1), "2026 年城市低保标准")):
        services.set_standard(session, site, county, kind=kind, monthly_amount=Decimal(amount), effective_from=day,
                              note=note)
    this_month = amounts.first_of_month(local_today())
    last_month = amounts.add_months(this_month, -1)
    confirmed_on = amounts.add_months(last_month, -2) + dt.timedelta(days=14)
    share = 0.04 if demo.scale == "county" else 0.06
    enrolled: list[queries.HouseholdMembers] = []
    staged: list[queries.HouseholdMembers] = []
    for village in site.config.villages:
        homes = [h for h in queries.households(session, village.code) if h.members]
        demo.rng.shuffle(homes)
        count = max(1, round(len(homes) * share)) if homes else 0
        enrolled += homes[:count]
        if village.code == site.config.villages[0].code:
            staged = homes[count:count + 6]
    demo.progress("dibao", 0)
    _enrol_existing(session, site, county, demo, enrolled, confirmed_on)
    stages = ("applied", "applied", "proposed", "posting", "democratic_review", "refused")
    for entry, stage in zip(staged, stages, strict=False):
        _stage(session, site, clerk, town, entry, stage, demo.rng)
    _pay(session, site, county, last_month, fail_one=False)
    _pay(session, site, county, this_month, fail_one=True)
