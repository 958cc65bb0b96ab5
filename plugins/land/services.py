"""The land rules (docs/domain.md §6). Every function works in the caller's transaction and never commits; every
write of a record goes through the audit service; a refused change raises `LandError` naming the field.

Rules held here (and, for the area, again in the database by the `land_0002` trigger):
- on every date the live transferred area of a plot is at most its area (plots locked first on PostgreSQL; SQLite
  write transactions are serialised by BEGIN IMMEDIATE);
- a transfer's term ends no later than the contract right (with its extension);
- a plot with an open dispute is frozen: no new transfer, none renewed, none filed;
- a re-transfer needs the contractor's recorded written consent; an agent needs a recorded power of attorney;
- a transfer to someone outside the collective is posted first (village members' priority), and an objection to
  the posting holds it until the clerk records how it was resolved.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, col, select

from cunwu.api import (
    Actor,
    DomainError,
    NotFound,
    Notice,
    NoticeOrigin,
    NoticeTable,
    Objection,
    Problem,
    Site,
    _,
    audit,
    local_today,
    publish_notice,
    registry,
)

from . import codes, terms
from .area import fits, peak_area
from .models import (
    DISPUTE_STEPS,
    LAND_TYPES,
    PAYMENT_SCHEDULES,
    TRANSFER_FORMS,
    USES,
    Consent,
    Contract,
    Contractor,
    Dispute,
    DisputeStep,
    Issuer,
    Plot,
    PowerOfAttorney,
    RentInstalment,
    Transfer,
    TransferPlot,
    to_mu,
)
from .settings import LandSettings

PLUGIN = "land"
#: Lawful grounds on which the contractor may end a transfer early (art. 42, docs/domain.md §6.3), and agreement
#: of both sides.
TERMINATION_GROUNDS = ("changed_use", "idle_two_years", "serious_damage", "serious_breach", "agreement")
ZERO = Decimal("0")


class LandError(DomainError):
    """A land rule refused the change; nothing was written."""


def settings_of(site: Site) -> LandSettings:
    return site.settings(PLUGIN)  # type: ignore[no-any-return]


def _fail(message: str, field: str | None = None) -> LandError:
    """A refusal beside `field`; one about the record's state (not yet posted, already closed) names none: it is
    listed on top of the page, where no field of that name is."""
    return LandError(message, [Problem(message, field=field)])


def form_label(form: str) -> str:
    return {"lease": _("出租"), "subcontract": _("转包"), "shares": _("入股"), "other": _("其他方式")}.get(form, form)


def kind_label(kind: str) -> str:
    return {"villager": _("本集体经济组织成员"), "outsider": _("本集体经济组织以外的个人"),
            "organisation": _("组织（企业、合作社等）")}.get(kind, kind)


def use_label(use: str) -> str:
    return {"crops": _("粮食等农作物种植"), "vegetables": _("蔬菜种植"), "orchard": _("果园"), "forestry": _("林业"),
            "livestock": _("畜牧业"), "aquaculture": _("渔业养殖"), "other_agri": _("其他农业用途")}.get(use, use)


def land_type_label(code: str) -> str:
    return {"011": _("水田"), "012": _("水浇地"), "013": _("旱地"), "021": _("果园"), "031": _("林地"),
            "041": _("草地"), "099": _("其他农用地")}.get(code, code)


def status_label(status: str) -> str:
    return {"pending": _("待公示"), "posting": _("优先权公示中"), "held": _("有异议，暂停"), "ready": _("可签订备案"),
            "filed": _("已备案生效"), "ended": _("已到期"), "terminated": _("已解除"),
            "cancelled": _("已撤销")}.get(status, status)


def step_label(kind: str) -> str:
    return {"negotiation": _("协商"), "village_mediation": _("村调解"), "township_mediation": _("乡镇调解"),
            "arbitration": _("仲裁"), "court": _("诉讼")}.get(kind, kind)


def schedule_label(schedule: str) -> str:
    labels = {"yearly": _("每年一付"), "half_yearly": _("每半年一付"), "lump_sum": _("一次性支付")}
    return labels.get(schedule, schedule)


def ground_label(ground: str) -> str:
    return {"changed_use": _("擅自改变土地农业用途"), "idle_two_years": _("弃耕抛荒连续两年以上"),
            "serious_damage": _("给土地造成严重损害或者严重破坏土地生态环境"),
            "serious_breach": _("其他严重违约行为"), "agreement": _("双方协商一致")}.get(ground, ground)


# --- the contract register ---------------------------------------------------------------------------------------


def issuer_for(session: Session, site: Site, actor: Actor, village_code: str, group: int = 0) -> Issuer:
    """The 发包方 of the village (group 0) or of a villager group, created on first use."""
    village = site.village(village_code)
    if village is None:
        raise NotFound(_("没有这个村：%(code)s", code=village_code))
    code = codes.issuer_code(village_code, group)
    found = session.exec(select(Issuer).where(Issuer.code == code)).first()
    if found is not None:
        return found
    name = _("%(village)s股份经济合作社", village=village.name) if group == 0 else \
        _("%(village)s第%(group)s村民小组", village=village.name, group=group)
    issuer = Issuer(code=code, village_code=village_code, name=name)
    audit.create(session, actor, issuer, "land.issuer.create")
    return issuer


def register_contractor(session: Session, site: Site, actor: Actor, issuer: Issuer, household_id: int,
                        number: int | None = None) -> Contractor:
    """A household of the village as 承包方 of `issuer` (code: the next free number unless given)."""
    found = session.exec(select(Contractor).where(Contractor.issuer_id == issuer.id,
                                                  Contractor.household_id == household_id)).first()
    if found is not None:
        return found
    found_home = registry.households(session, issuer.village_code, household_id=household_id)
    home = found_home[0] if found_home else None
    if home is None:
        raise _fail(_("本村户籍登记中没有这一户"), "household_id")
    if number is None:
        last = session.exec(select(func.max(Contractor.code)).where(Contractor.issuer_id == issuer.id)).one()
        number = int(last[14:]) + 1 if last else 1
    head = home.head
    contractor = Contractor(code=codes.contractor_code(issuer.code, number), issuer_id=issuer.id,
                            village_code=issuer.village_code, household_id=household_id,
                            representative_id=head.id if head else None, name=head.name if head else "")
    audit.create(session, actor, contractor, "land.contractor.create")
    return contractor


@dataclass
class PlotInput:
    """What a clerk (or an import row) gives for a plot."""

    code: str
    name: str
    area_mu: Decimal
    land_type: str = "013"
    grade: int | None = None
    east: str = ""
    south: str = ""
    west: str = ""
    north: str = ""


def check_plot(data: PlotInput, village_code: str) -> list[Problem]:
    problems = []
    if (wrong := codes.check_plot_code(data.code, village_code)) is not None:
        problems.append(Problem(wrong, field="code"))
    if not data.name.strip() or len(data.name) > 50:
        problems.append(Problem(_("请填写地块名称（不超过 50 个字）"), field="name"))
    if not isinstance(data.area_mu, Decimal) or not data.area_mu.is_finite() or data.area_mu <= 0:
        problems.append(Problem(_("面积必须大于 0 亩"), field="area_mu"))
    elif data.area_mu >= Decimal("10000000000"):
        problems.append(Problem(_("面积过大"), field="area_mu"))
    if data.land_type not in LAND_TYPES:
        problems.append(Problem(_("土地类型不在可选范围内"), field="land_type"))
    if data.grade is not None and not 1 <= data.grade <= 10:
        problems.append(Problem(_("地力等级必须在 1 到 10 之间"), field="grade"))
    for side in ("east", "south", "west", "north"):
        if len(getattr(data, side)) > 100:
            problems.append(Problem(_("四至每一边不超过 100 个字"), field=side))
    return problems


def register_plot(session: Session, site: Site, actor: Actor, village_code: str, data: PlotInput,
                  contract: Contract | None = None) -> Plot:
    problems = check_plot(data, village_code)
    if problems:
        raise LandError(problems[0].message, problems)
    if session.exec(select(Plot).where(Plot.code == data.code)).first() is not None:
        raise _fail(_("地块编码 %(code)s 已经登记", code=data.code), "code")
    issuer = issuer_for(session, site, actor, village_code, int(data.code[12:14]))
    plot = Plot(code=data.code, issuer_id=issuer.id, village_code=village_code, name=data.name.strip(),
                area_mu=to_mu(data.area_mu), land_type=data.land_type, grade=data.grade, east=data.east,
                south=data.south, west=data.west, north=data.north,
                contract_id=contract.id if contract else None)
    audit.create(session, actor, plot, "land.plot.create")
    return plot


def register_contract(session: Session, site: Site, actor: Actor, contractor: Contractor, *, code: str,
                      start_on: dt.date, end_on: dt.date, extended_to: dt.date | None = None) -> Contract:
    if (wrong := codes.check_contract_code(code, contractor.code)) is not None:
        raise _fail(wrong, "code")
    if end_on <= start_on:
        raise _fail(_("承包期限的结束日必须晚于开始日"), "end_on")
    if extended_to is not None and extended_to <= end_on:
        raise _fail(_("延包后的结束日必须晚于原承包期结束日"), "extended_to")
    if session.exec(select(Contract).where(Contract.code == code.upper())).first() is not None:
        raise _fail(_("合同编号 %(code)s 已经登记", code=code), "code")
    contract = Contract(code=code.upper(), contractor_id=contractor.id, village_code=contractor.village_code,
                        start_on=start_on, end_on=end_on, extended_to=extended_to)
    audit.create(session, actor, contract, "land.contract.create")
    return contract


def extend_contract(session: Session, site: Site, actor: Actor, contract: Contract, extended_to: dt.date) -> Contract:
    """第二轮土地承包到期后再延长三十年 (art. 21, docs/domain.md §6.1): record the extension."""
    if extended_to <= contract.end_on:
        raise _fail(_("延包后的结束日必须晚于原承包期结束日"), "extended_to")
    audit.update(session, actor, contract, {"extended_to": extended_to}, "land.contract.extend")
    return contract


def assign_plot(session: Session, site: Site, actor: Actor, plot: Plot, contract: Contract) -> Plot:
    if plot.village_code != contract.village_code:
        raise _fail(_("地块和合同不在同一个村"), "plot")
    audit.update(session, actor, plot, {"contract_id": contract.id}, "land.plot.assign")
    return plot


def get_plot(session: Session, village_code: str, code: str) -> Plot:
    plot = session.exec(select(Plot).where(Plot.code == code, Plot.village_code == village_code)).first()
    if plot is None:
        raise NotFound(_("本村没有地块 %(code)s", code=code))
    return plot


def get_contract(session: Session, village_code: str, contract_id: int) -> Contract:
    contract = session.get(Contract, contract_id)
    if contract is None or contract.village_code != village_code:
        raise NotFound(_("本村没有这份承包合同"))
    return contract


def get_transfer(session: Session, village_code: str, ref: str, *, lock: bool = False) -> Transfer:
    query = select(Transfer).where(Transfer.village_code == village_code, Transfer.ref == ref)
    if lock:
        query = query.with_for_update()
    transfer = session.exec(query).first()
    if transfer is None:
        raise NotFound(_("本村没有流转 %(ref)s", ref=ref))
    return transfer


# --- powers of attorney and consents -----------------------------------------------------------------------------


def record_power(session: Session, site: Site, actor: Actor, contractor: Contractor, *, agent_name: str, scope: str,
                 signed_on: dt.date, valid_until: dt.date) -> PowerOfAttorney:
    """委托书: the written power of attorney an agent needs to transfer on the household's behalf (art. 36,
    docs/domain.md §6.2)."""
    if not agent_name.strip():
        raise _fail(_("请填写受托人姓名"), "agent_name")
    if not scope.strip():
        raise _fail(_("请填写委托事项"), "scope")
    if valid_until < signed_on:
        raise _fail(_("委托有效期不能早于签署日期"), "valid_until")
    power = PowerOfAttorney(village_code=contractor.village_code, contractor_id=contractor.id,
                            agent_name=agent_name.strip(), scope=scope.strip()[:200], signed_on=signed_on,
                            valid_until=valid_until, recorded_by=actor.label)
    audit.create(session, actor, power, "land.power.create")
    return power


def record_consent(session: Session, site: Site, actor: Actor, transfer: Transfer, *, signed_on: dt.date,
                   document: str) -> Consent:
    """承包方书面同意 to a re-transfer by the transferee of `transfer` (农村土地承包法 art. 46, docs/domain.md §6.2)."""
    if transfer.status != "filed":
        raise _fail(_("只有已备案生效的流转才能再流转"), "transfer")
    if not document.strip():
        raise _fail(_("请写明书面同意书的名称和存放处"), "document")
    consent = Consent(village_code=transfer.village_code, transfer_id=transfer.id, signed_on=signed_on,
                      document=document.strip()[:200], recorded_by=actor.label)
    audit.create(session, actor, consent, "land.consent.create")
    return consent


# --- transfers -----------------------------------------------------------------------------------------------------


@dataclass
class TransferInput:
    """A transfer as the clerk enters it. `plots` maps plot id → area in 亩 transferred."""

    contract_id: int
    plots: dict[int, Decimal]
    form: str
    transferee_kind: str
    transferee_name: str
    start_on: dt.date
    end_on: dt.date
    use: str = "crops"
    transferee_person_id: int | None = None
    transferee_credit_code: str | None = None
    transferee_address: str = ""
    rent_kind: str = "cash"
    rent_yuan_per_mu: Decimal = ZERO
    grain_kg_per_mu: Decimal | None = None
    grain_price: Decimal | None = None
    adjust_every_years: int | None = None
    payment_schedule: str = "yearly"
    value: Decimal | None = None
    facilities: str = ""
    breach: str = ""
    agent_name: str | None = None
    parent_ref: str | None = None


def _lock_plots(session: Session, plot_ids: list[int]) -> None:
    """On PostgreSQL, lock the plots (in id order, so two transfers never deadlock) before reading their totals."""
    if session.get_bind().dialect.name == "postgresql" and plot_ids:
        session.execute(text("SELECT id FROM land_plot WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
                        {"ids": sorted(plot_ids)})


def peak_transferred(session: Session, plot_id: int, start: dt.date, end: dt.date,
                     exclude_transfer: int | None = None) -> Decimal:
    """The largest live first-level transferred area of a plot on any date in [start, end)."""
    rows = session.exec(select(TransferPlot).where(
        TransferPlot.plot_id == plot_id, col(TransferPlot.live), col(TransferPlot.first_level),
        TransferPlot.start_on < end, TransferPlot.end_on > start)).all()
    return peak_area([r for r in rows if r.transfer_id != exclude_transfer], start, end)


def open_dispute_on(session: Session, plot_ids: list[int]) -> Dispute | None:
    if not plot_ids:
        return None
    return session.exec(select(Dispute).where(col(Dispute.plot_id).in_(plot_ids), Dispute.status == "open")).first()


def _next_ref(session: Session, village_code: str, year: int) -> str:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"land.ref.{village_code}"})
    prefix = f"LZ{year}-"
    last = session.exec(select(func.max(Transfer.ref)).where(Transfer.village_code == village_code,
                                                             col(Transfer.ref).startswith(prefix))).one()
    number = int(last[len(prefix):]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def _check_parties(session: Session, site: Site, village_code: str, data: TransferInput,
                   problems: list[Problem]) -> None:
    if data.form not in TRANSFER_FORMS:
        problems.append(Problem(_("流转方式只能是出租、转包、入股或其他合法方式；互换和转让改变承包权，请另行办理"),
                                field="form"))
    name = data.transferee_name.strip()
    if data.transferee_kind == "villager":
        person = registry.person(session, data.transferee_person_id) if data.transferee_person_id else None
        if person is None or person.village_code != village_code:
            problems.append(Problem(_("受让方应是本村户籍登记中的成员，请从名单中选择"), field="transferee_person_id"))
        elif not name:
            data.transferee_name = person.name
    elif data.transferee_kind in ("outsider", "organisation"):
        if not name or len(name) > 100:
            problems.append(Problem(_("请填写受让方名称（不超过 100 个字）"), field="transferee_name"))
        if data.transferee_kind == "organisation":
            credit = (data.transferee_credit_code or "").strip().upper()
            data.transferee_credit_code = credit
            if (wrong := codes.check_credit_code(credit)) is not None:
                problems.append(Problem(wrong, field="transferee_credit_code"))
    else:
        problems.append(Problem(_("请选择受让方类型"), field="transferee_kind"))
    if data.form == "shares" and data.transferee_kind != "organisation":
        problems.append(Problem(_("入股只能入股到合作社、企业等组织，请填写其统一社会信用代码"),
                                field="transferee_kind"))


def _check_terms(site: Site, data: TransferInput, problems: list[Problem]) -> None:
    settings = settings_of(site)
    if data.use not in USES:
        problems.append(Problem(_("流转土地只能用于农业生产（请选择用途）"), field="use"))
    if data.rent_kind == "cash":
        if data.rent_yuan_per_mu < 0:
            problems.append(Problem(_("租金不能为负数"), field="rent_yuan_per_mu"))
    elif data.rent_kind == "grain":
        if data.grain_kg_per_mu is None or data.grain_kg_per_mu <= 0:
            problems.append(Problem(_("实物租金（公斤/亩/年）必须大于 0"), field="grain_kg_per_mu"))
        if data.grain_price is None:
            data.grain_price = settings.grain_reference_price
        elif data.grain_price <= 0:
            problems.append(Problem(_("粮食参考价格必须大于 0"), field="grain_price"))
    else:
        problems.append(Problem(_("请选择租金方式"), field="rent_kind"))
    if data.adjust_every_years is None:
        data.adjust_every_years = settings.rent_adjust_years
    if not 1 <= data.adjust_every_years <= 30:
        problems.append(Problem(_("租金调整周期必须在 1 到 30 年之间"), field="adjust_every_years"))
    if data.payment_schedule not in PAYMENT_SCHEDULES:
        problems.append(Problem(_("请选择支付方式"), field="payment_schedule"))
    if data.value is not None and data.value < 0:
        problems.append(Problem(_("作价不能为负数"), field="value"))
    if data.end_on <= data.start_on:
        problems.append(Problem(_("流转结束日必须晚于开始日"), field="end_on"))


def _check_plots(session: Session, contract: Contract, data: TransferInput, parent: Transfer | None,
                 problems: list[Problem]) -> list[Plot]:
    if not data.plots:
        problems.append(Problem(_("请至少选择一块地并填写流转面积"), field="plots"))
        return []
    plots = []
    parent_rows = {r.plot_id: r for r in _rows(session, parent)} if parent else {}
    for plot_id, area in sorted(data.plots.items()):
        plot = session.get(Plot, plot_id)
        if plot is None or (parent is None and plot.contract_id != contract.id):
            problems.append(Problem(_("所选地块不属于这份承包合同"), field=f"area_{plot_id}"))
            continue
        plots.append(plot)
        if not area.is_finite() or area <= 0:
            problems.append(Problem(_("地块 %(code)s 的流转面积必须大于 0 亩", code=plot.code),
                                    field=f"area_{plot_id}"))
        elif area > plot.area_mu:
            problems.append(Problem(_("地块 %(code)s 的流转面积 %(area)s 亩超过地块面积 %(total)s 亩", code=plot.code,
                                      area=area, total=plot.area_mu), field=f"area_{plot_id}"))
        if parent is not None:
            row = parent_rows.get(plot_id)
            if row is None:
                problems.append(Problem(_("地块 %(code)s 不在原流转中，不能再流转", code=plot.code),
                                        field=f"area_{plot_id}"))
            else:
                taken = sum((r.area_mu for r in _children_rows(session, parent, plot_id)), ZERO)
                if not fits(row.area_mu, taken, area):
                    problems.append(Problem(_("地块 %(code)s 再流转面积超过原流转剩余的 %(left)s 亩", code=plot.code,
                                              left=row.area_mu - taken), field=f"area_{plot_id}"))
    return plots


def _rows(session: Session, transfer: Transfer | None) -> list[TransferPlot]:
    if transfer is None:
        return []
    return list(session.exec(select(TransferPlot).where(TransferPlot.transfer_id == transfer.id)
                             .order_by(col(TransferPlot.plot_id))).all())


def _children_rows(session: Session, parent: Transfer, plot_id: int) -> list[TransferPlot]:
    return list(session.exec(select(TransferPlot).join(Transfer, col(Transfer.id) == TransferPlot.transfer_id).where(
        Transfer.parent_id == parent.id, TransferPlot.plot_id == plot_id, col(TransferPlot.live))).all())


def create_transfer(session: Session, site: Site, actor: Actor, village_code: str, data: TransferInput) -> Transfer:
    """Register a transfer with every rule checked; outsiders' transfers then wait for the priority posting."""
    contract = get_contract(session, village_code, data.contract_id)
    contractor = session.get(Contractor, contract.contractor_id)
    assert contractor is not None
    problems: list[Problem] = []
    parent = None
    consent = None
    if data.parent_ref:
        parent = get_transfer(session, village_code, data.parent_ref)
        if parent.contract_id != contract.id or parent.status != "filed":
            problems.append(Problem(_("再流转只能基于本合同已备案生效的流转"), field="parent_ref"))
        consent = session.exec(select(Consent).where(Consent.transfer_id == parent.id)
                               .order_by(col(Consent.id).desc())).first()
        if consent is None:
            problems.append(Problem(_("再流转须有承包方的书面同意，请先登记书面同意书"), field="parent_ref"))
        elif not (terms.starts_in_time(data.start_on, parent.start_on)
                  and terms.ends_in_time(data.end_on, parent.end_on)):
            problems.append(Problem(_("再流转的期限不能超出原流转期限（%(start)s 至 %(end)s）",
                                      start=parent.start_on, end=parent.end_on), field="end_on"))
    _check_parties(session, site, village_code, data, problems)
    _check_terms(site, data, problems)
    if contract.status != "active":
        problems.append(Problem(_("这份承包合同已终止"), field="contract_id"))
    if not terms.ends_in_time(data.end_on, contract.ends):
        problems.append(Problem(_("流转期限不得超过承包期的剩余期限：承包期到 %(end)s 为止", end=contract.ends),
                                field="end_on"))
    if not terms.starts_in_time(data.start_on, contract.start_on):
        problems.append(Problem(_("流转不能早于承包期开始（%(start)s）", start=contract.start_on), field="start_on"))
    power = None
    if data.agent_name and data.agent_name.strip():
        power = session.exec(select(PowerOfAttorney).where(
            PowerOfAttorney.contractor_id == contractor.id, PowerOfAttorney.agent_name == data.agent_name.strip(),
            PowerOfAttorney.signed_on <= local_today(), PowerOfAttorney.valid_until >= local_today())).first()
        if power is None:
            problems.append(Problem(_("受托人“%(name)s”没有登记在有效期内的书面委托书，请先登记委托书",
                                      name=data.agent_name.strip()), field="agent_name"))
    _lock_plots(session, list(data.plots))
    plots = _check_plots(session, contract, data, parent, problems)
    if (dispute := open_dispute_on(session, [p.id for p in plots if p.id])) is not None:
        plot = session.get(Plot, dispute.plot_id)
        problems.append(Problem(_("地块 %(code)s 有未结的纠纷，已冻结，不能流转", code=plot.code if plot else ""),
                                field="plots"))
    if parent is None and not problems:
        for plot in plots:
            peak = peak_transferred(session, plot.id, data.start_on, data.end_on)  # type: ignore[arg-type]
            area = data.plots[plot.id]  # type: ignore[index]
            if not fits(plot.area_mu, peak, area):
                problems.append(Problem(_("地块 %(code)s 在这段期限内已流转 %(taken)s 亩，只剩 %(left)s 亩可流转",
                                          code=plot.code, taken=peak, left=plot.area_mu - peak),
                                        field=f"area_{plot.id}"))
    if problems:
        raise LandError(problems[0].message, problems)
    status = "pending" if data.transferee_kind == "outsider" else "ready"
    transfer = Transfer(
        ref=_next_ref(session, village_code, data.start_on.year), village_code=village_code, contract_id=contract.id,
        contractor_id=contractor.id, parent_id=parent.id if parent else None,
        consent_id=consent.id if consent else None,
        agent_power_id=power.id if power else None, form=data.form, transferee_kind=data.transferee_kind,
        transferee_name=data.transferee_name.strip(), transferee_person_id=data.transferee_person_id
        if data.transferee_kind == "villager" else None,
        transferee_credit_code=data.transferee_credit_code if data.transferee_kind == "organisation" else None,
        transferee_address=data.transferee_address.strip()[:200], start_on=data.start_on, end_on=data.end_on,
        use=data.use, rent_kind=data.rent_kind, rent_yuan_per_mu=data.rent_yuan_per_mu if data.rent_kind == "cash"
        else ZERO, grain_kg_per_mu=data.grain_kg_per_mu if data.rent_kind == "grain" else None,
        grain_price=data.grain_price if data.rent_kind == "grain" else None,
        adjust_every_years=data.adjust_every_years or 1, payment_schedule=data.payment_schedule, value=data.value,
        facilities=data.facilities.strip(), breach=data.breach.strip(), status=status,
        verify_token=secrets.token_hex(12), created_by=actor.label,
    )
    audit.create(session, actor, transfer, "land.transfer.create")
    for plot in plots:
        audit.create(session, actor, TransferPlot(
            transfer_id=transfer.id, plot_id=plot.id, village_code=village_code, area_mu=to_mu(data.plots[plot.id]),  # type: ignore[index]
            start_on=data.start_on, end_on=data.end_on, first_level=parent is None), "land.transfer.plot")
    return transfer


def rows_of(session: Session, transfer: Transfer) -> list[tuple[TransferPlot, Plot]]:
    return [(row, session.get(Plot, row.plot_id)) for row in _rows(session, transfer)]  # type: ignore[misc]


def area_of(session: Session, transfer: Transfer) -> Decimal:
    return sum((r.area_mu for r in _rows(session, transfer)), ZERO)


def effective_status(transfer: Transfer, today: dt.date | None = None) -> str:
    """The state a person sees: a posting whose window is over is ready; a filed transfer past its end has ended."""
    today = today or local_today()
    if transfer.status == "posting" and transfer.posting_ends_on is not None and today > transfer.posting_ends_on:
        return "ready"
    if transfer.status == "filed" and transfer.end_on <= today:
        return "ended"
    return transfer.status


def post_for_priority(session: Session, site: Site, actor: Actor, transfer: Transfer) -> Transfer:
    """Post a transfer to an outsider on the village board: members may claim priority on equal terms (art. 38(5),
    docs/domain.md §6.2)."""
    if transfer.status != "pending":
        raise _fail(_("只有待公示的流转可以公示"))
    settings = settings_of(site)
    days = settings.priority_posting_days
    area = area_of(session, transfer)
    contractor = session.get(Contractor, transfer.contractor_id)
    body = _("承包方%(owner)s拟将承包地 %(area)s 亩的经营权以%(form)s方式流转给本集体经济组织以外的%(to)s，"
             "期限 %(start)s 至 %(end)s，租金见附表。本集体经济组织成员在同等条件下享有优先权，"
             "如需主张优先权或有异议，请在公示期 %(days)s 天内在本页提出或告知村委会。",
             owner=contractor.name if contractor else "", area=f"{area:.2f}", form=form_label(transfer.form),
             to=transfer.transferee_name, start=transfer.start_on, end=transfer.end_on, days=days)
    table = NoticeTable(columns=[_("地块编码"), _("地块名称"), _("流转面积（亩）")],
                        rows=[[plot.code, plot.name, f"{row.area_mu:.2f}"] for row, plot in rows_of(session, transfer)],
                        caption=_("拟流转地块"))
    notice = publish_notice(
        session, site, actor, village_code=transfer.village_code, stream="village", category="土地流转",
        title=_("土地经营权流转优先权公示：%(ref)s", ref=transfer.ref), body=body, window_days=days,
        origin=NoticeOrigin(kind=PLUGIN, ref=str(transfer.id),
                            url=f"/v/{transfer.village_code}/p/land/transfers/{transfer.ref}"),
        table=table,
    )
    audit.update(session, actor, transfer, {"status": "posting", "notice_id": notice.id,
                                            "posting_ends_on": notice.window_end}, "land.transfer.post")
    return transfer


def transfer_of_notice(session: Session, notice: Notice) -> Transfer | None:
    if getattr(notice, "origin_kind", None) != PLUGIN or not str(getattr(notice, "origin_ref", "") or "").isdigit():
        return None
    return session.get(Transfer, int(notice.origin_ref))


def objection_to_posting(session: Session, site: Site, objection: Objection, notice: Notice) -> Transfer | None:
    """An objection (e.g. a member claiming priority) holds the transfer; later objections are on the record."""
    transfer = transfer_of_notice(session, notice)
    if transfer is None or transfer.status not in ("posting", "held"):
        return transfer
    body = str(getattr(objection, "body", ""))[:500]
    if transfer.status == "posting":
        audit.update(session, Actor.system(PLUGIN), transfer, {"status": "held", "hold_reason": body},
                     "land.transfer.objection")
    return transfer


def release_hold(session: Session, site: Site, actor: Actor, transfer: Transfer, resolution: str) -> Transfer:
    """The clerk records how the objection was resolved (e.g. the member did not match the terms); the posting
    then runs to its end as before."""
    if transfer.status != "held":
        raise _fail(_("这项流转没有因异议暂停"))
    if not resolution.strip():
        raise _fail(_("请写明异议的处理结果"), "resolution")
    notes = [*transfer.notes, _("异议处理：%(text)s", text=resolution.strip()[:500])]
    audit.update(session, actor, transfer, {"status": "posting", "notes": notes}, "land.transfer.release")
    return transfer


def file_transfer(session: Session, site: Site, actor: Actor, transfer: Transfer) -> list[str]:
    """备案: the village files the signed transfer; it takes effect, its rent falls due, and an 入股 to an
    organisation is announced to other plugins (`land_shares_contributed`). Returns their notes."""
    status = effective_status(transfer)
    if status == "pending":
        raise _fail(_("流转给本集体经济组织以外的人，须先进行优先权公示"))
    if status == "posting":
        raise _fail(_("优先权公示期到 %(end)s 结束，之后才能签订备案", end=transfer.posting_ends_on))
    if status == "held":
        raise _fail(_("公示期间有异议，须先处理异议"))
    if status != "ready":
        raise _fail(_("这项流转现在不能备案（%(status)s）", status=status_label(status)))
    rows = _rows(session, transfer)
    if (dispute := open_dispute_on(session, [r.plot_id for r in rows])) is not None:
        raise _fail(_("地块有未结的纠纷（%(parties)s），已冻结，不能备案", parties=dispute.parties), "plots")
    area = sum((r.area_mu for r in rows), ZERO)
    contractor = session.get(Contractor, transfer.contractor_id)
    assert contractor is not None
    notes: list[str] = []
    audit.update(session, actor, transfer, {"status": "filed", "filed_on": local_today()}, "land.transfer.file")
    for start, end, amount in terms.instalments(transfer, area):
        audit.create(session, actor, RentInstalment(
            transfer_id=transfer.id, village_code=transfer.village_code, household_id=contractor.household_id,
            period_start=start, period_end=end, due_on=start, amount=amount), "land.rent.due")
    if transfer.form == "shares" and transfer.transferee_kind == "organisation" and transfer.parent_id is None:
        contribution = {
            "transfer_id": transfer.id, "transfer_ref": transfer.ref, "village_code": transfer.village_code,
            "household_id": contractor.household_id, "person_id": contractor.representative_id,
            "transferee_credit_code": transfer.transferee_credit_code or "",
            "transferee_name": transfer.transferee_name,
            "area_mu": area, "plot_codes": [session.get(Plot, r.plot_id).code for r in rows],  # type: ignore[union-attr]
            "start": transfer.start_on, "end": transfer.end_on, "value": transfer.value,
        }
        notes = [str(n) for n in site.call("land_shares_contributed", session=session, site=site, actor=actor,
                                           contribution=contribution)]
        if notes:
            audit.update(session, actor, transfer, {"notes": [*transfer.notes, *notes]}, "land.transfer.shares_noted")
    return notes


def cancel_transfer(session: Session, site: Site, actor: Actor, transfer: Transfer, reason: str) -> Transfer:
    """Withdraw a transfer not yet filed (the parties did not sign): its plots are free again."""
    if transfer.status not in ("pending", "posting", "held", "ready"):
        raise _fail(_("已备案的流转不能撤销，只能依法解除"))
    if not reason.strip():
        raise _fail(_("请写明撤销原因"), "reason")
    for row in _rows(session, transfer):
        audit.update(session, actor, row, {"live": False}, "land.transfer.plot_release")
    audit.update(session, actor, transfer, {"status": "cancelled", "end_reason": reason.strip()[:200],
                                            "ended_on": local_today()}, "land.transfer.cancel")
    return transfer


def terminate_transfer(session: Session, site: Site, actor: Actor, transfer: Transfer, *, ground: str,
                       on: dt.date) -> Transfer:
    """解除: only on a lawful ground (art. 42, docs/domain.md §6.3) or by agreement; the area is free from `on`."""
    if transfer.status != "filed":
        raise _fail(_("只有已备案生效的流转可以解除"))
    if ground not in TERMINATION_GROUNDS:
        raise _fail(_("解除流转须有法定事由或双方协商一致"), "ground")
    if not transfer.start_on <= on < transfer.end_on:
        raise _fail(_("解除日期必须在流转期限内"), "on")
    for row in _rows(session, transfer):
        changes = {"live": False} if on <= row.start_on else {"end_on": on}
        audit.update(session, actor, row, changes, "land.transfer.plot_release")
    audit.update(session, actor, transfer, {"status": "terminated", "ended_on": on,
                                            "end_reason": ground_label(ground)}, "land.transfer.terminate")
    return transfer


def renew_transfer(session: Session, site: Site, actor: Actor, transfer: Transfer, end_on: dt.date) -> Transfer:
    """续签: a new transfer on the same terms from the old end to `end_on`, checked like any new one."""
    if transfer.status != "filed":
        raise _fail(_("只有已备案生效的流转可以续签"))
    rows = _rows(session, transfer)
    data = TransferInput(
        contract_id=transfer.contract_id, plots={r.plot_id: r.area_mu for r in rows}, form=transfer.form,
        transferee_kind=transfer.transferee_kind, transferee_name=transfer.transferee_name,
        transferee_person_id=transfer.transferee_person_id, transferee_credit_code=transfer.transferee_credit_code,
        transferee_address=transfer.transferee_address, start_on=transfer.end_on, end_on=end_on, use=transfer.use,
        rent_kind=transfer.rent_kind, rent_yuan_per_mu=transfer.rent_yuan_per_mu,
        grain_kg_per_mu=transfer.grain_kg_per_mu, grain_price=transfer.grain_price,
        adjust_every_years=transfer.adjust_every_years, payment_schedule=transfer.payment_schedule,
        value=transfer.value, facilities=transfer.facilities, breach=transfer.breach,
    )
    return create_transfer(session, site, actor, transfer.village_code, data)


# --- rent ledger ---------------------------------------------------------------------------------------------------


def instalment_state(site: Site, item: RentInstalment, today: dt.date | None = None) -> str:
    """paid | due | overdue | upcoming, as the ledger shows it."""
    today = today or local_today()
    if item.paid_amount >= item.amount:
        return "paid"
    if item.due_on > today:
        return "upcoming"
    overdue = item.due_on + dt.timedelta(days=settings_of(site).rent_overdue_after_days)
    return "overdue" if today > overdue else "due"


def rent_state_label(state: str) -> str:
    return {"paid": _("已付清"), "due": _("应付"), "overdue": _("逾期未付"), "upcoming": _("未到期")}.get(state, state)


def record_payment(session: Session, site: Site, actor: Actor, item: RentInstalment, amount: Decimal,
                   paid_on: dt.date) -> RentInstalment:
    if amount <= 0:
        raise _fail(_("付款金额必须大于 0"), "amount")
    if item.paid_amount + amount > item.amount:
        raise _fail(_("付款后将超过应付金额 %(due)s 元（已付 %(paid)s 元）", due=item.amount, paid=item.paid_amount),
                    "amount")
    if paid_on > local_today():
        raise _fail(_("付款日期不能晚于今天"), "paid_on")
    audit.update(session, actor, item, {"paid_amount": item.paid_amount + amount, "paid_on": paid_on},
                 "land.rent.paid")
    return item


def rent_of(session: Session, transfer: Transfer) -> list[RentInstalment]:
    return list(session.exec(select(RentInstalment).where(RentInstalment.transfer_id == transfer.id)
                             .order_by(col(RentInstalment.due_on))).all())


@dataclass
class RentLine:
    household_id: int
    name: str
    due: Decimal
    paid: Decimal
    overdue: Decimal


def rent_ledger(session: Session, site: Site, village_code: str, today: dt.date | None = None) -> list[RentLine]:
    """Per contractor household: rent fallen due so far, paid, and overdue."""
    today = today or local_today()
    names = {c.household_id: c.name for c in session.exec(select(Contractor).where(
        Contractor.village_code == village_code)).all()}
    lines: dict[int, RentLine] = {}
    for item in session.exec(select(RentInstalment).where(RentInstalment.village_code == village_code,
                                                           RentInstalment.due_on <= today)).all():
        line = lines.setdefault(item.household_id, RentLine(item.household_id, names.get(item.household_id, ""),
                                                            ZERO, ZERO, ZERO))
        line.due += item.amount
        line.paid += item.paid_amount
        if instalment_state(site, item, today) == "overdue":
            line.overdue += item.amount - item.paid_amount
    return sorted(lines.values(), key=lambda line: (-line.overdue, line.name))


# --- disputes -------------------------------------------------------------------------------------------------------


def open_dispute(session: Session, site: Site, actor: Actor, plot: Plot, *, parties: str, subject: str,
                 opened_on: dt.date) -> Dispute:
    if not parties.strip():
        raise _fail(_("请填写纠纷当事人"), "parties")
    if not subject.strip():
        raise _fail(_("请写明争议事项"), "subject")
    if opened_on > local_today():
        raise _fail(_("受理日期不能晚于今天"), "opened_on")
    dispute = Dispute(village_code=plot.village_code, plot_id=plot.id, parties=parties.strip()[:200],
                      subject=subject.strip(), opened_on=opened_on)
    audit.create(session, actor, dispute, "land.dispute.open")
    return dispute


def steps_of(session: Session, dispute: Dispute) -> list[DisputeStep]:
    return list(session.exec(select(DisputeStep).where(DisputeStep.dispute_id == dispute.id)
                             .order_by(col(DisputeStep.id))).all())


def add_step(session: Session, site: Site, actor: Actor, dispute: Dispute, *, kind: str, on_date: dt.date,
             outcome: str) -> DisputeStep:
    """A dated step with its outcome. Steps go forward: negotiation → mediation → arbitration → court (a stage may
    repeat, e.g. a second mediation session, but never go back)."""
    if dispute.status != "open":
        raise _fail(_("纠纷已经结案"))
    if kind not in DISPUTE_STEPS:
        raise _fail(_("请选择调处环节"), "kind")
    if not outcome.strip():
        raise _fail(_("请写明这一步的结果"), "outcome")
    previous = steps_of(session, dispute)
    if previous and DISPUTE_STEPS.index(kind) < DISPUTE_STEPS.index(previous[-1].kind):
        raise _fail(_("调处环节不能倒退：上一步是%(last)s", last=step_label(previous[-1].kind)), "kind")
    earliest = previous[-1].on_date if previous else dispute.opened_on
    if on_date < earliest or on_date > local_today():
        raise _fail(_("日期必须在 %(start)s 到今天之间", start=earliest), "on_date")
    step = DisputeStep(dispute_id=dispute.id, village_code=dispute.village_code, kind=kind, on_date=on_date,
                       outcome=outcome.strip(), recorded_by=actor.label)
    audit.create(session, actor, step, "land.dispute.step")
    return step


def close_dispute(session: Session, site: Site, actor: Actor, dispute: Dispute, *, outcome: str,
                  closed_on: dt.date) -> Dispute:
    """Closing a dispute (settled, mediated, awarded or judged) unfreezes the plot."""
    if dispute.status != "open":
        raise _fail(_("纠纷已经结案"))
    if not outcome.strip():
        raise _fail(_("请写明结案结果"), "outcome")
    if closed_on < dispute.opened_on or closed_on > local_today():
        raise _fail(_("结案日期必须在受理日期和今天之间"), "closed_on")
    audit.update(session, actor, dispute, {"status": "closed", "closed_on": closed_on, "outcome": outcome.strip()},
                 "land.dispute.close")
    return dispute


def get_dispute(session: Session, village_code: str, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or dispute.village_code != village_code:
        raise NotFound(_("本村没有这起纠纷"))
    return dispute


# --- summaries and ledgers -------------------------------------------------------------------------------------------


def plot_states(session: Session, village_code: str, today: dt.date | None = None) -> dict[int, str]:
    """Plot id → "disputed" | "transferred" | "contracted" | "free" on `today` (the map's colours)."""
    today = today or local_today()
    states: dict[int, str] = {}
    for plot_id, contract_id in session.exec(select(Plot.id, Plot.contract_id).where(
            Plot.village_code == village_code)).all():
        states[plot_id] = "contracted" if contract_id else "free"  # type: ignore[index]
    for plot_id in session.exec(select(TransferPlot.plot_id).join(
            Transfer, col(Transfer.id) == TransferPlot.transfer_id).where(
            TransferPlot.village_code == village_code, col(TransferPlot.live), Transfer.status == "filed",
            TransferPlot.start_on <= today, TransferPlot.end_on > today)).all():
        states[plot_id] = "transferred"
    for plot_id in session.exec(select(Dispute.plot_id).where(Dispute.village_code == village_code,
                                                              Dispute.status == "open")).all():
        states[plot_id] = "disputed"
    return states


@dataclass
class LedgerRow:
    """One filed transfer in the township ledger (流转台账)."""

    village_code: str
    ref: str
    contractor: str
    transferee: str
    form: str
    area: Decimal
    start_on: dt.date
    end_on: dt.date
    rent_per_mu: Decimal
    registrable: bool
    expiring: bool


@dataclass
class VillageTotals:
    village_code: str
    contracted: Decimal = ZERO
    transferred: Decimal = ZERO
    by_form: dict[str, Decimal] | None = None
    registrable: int = 0
    expiring: int = 0
    transfers: int = 0

    @property
    def share(self) -> Decimal:
        if not self.contracted:
            return ZERO
        return (self.transferred / self.contracted * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)


@cache
def _ledger_queries() -> tuple[Any, Any]:
    """The ledger's two statements, built once a process: a township's or county's page asks them on every load,
    and building a SELECT of 13 columns, three joins and six conditions cost more than running it (cProfile, the
    quick county's township). The villages and the day are parameters."""
    codes, today = bindparam("codes", expanding=True), bindparam("today")
    contracted = (select(Plot.village_code, func.sum(Plot.area_mu))
                  .where(col(Plot.village_code).in_(codes), col(Plot.contract_id).is_not(None))
                  .group_by(col(Plot.village_code)))
    # The columns the ledger and the rent arithmetic read (`terms.RentTerms`), not whole records.
    in_force = (select(Transfer.village_code, Transfer.ref, Transfer.transferee_name, Transfer.form,
                       Transfer.start_on, Transfer.end_on, Transfer.rent_kind, Transfer.rent_yuan_per_mu,
                       Transfer.grain_kg_per_mu, Transfer.grain_price, Transfer.payment_schedule,
                       func.sum(TransferPlot.area_mu).label("area"), Contractor.name)
                .join(TransferPlot, col(TransferPlot.transfer_id) == Transfer.id)
                .join(Contractor, col(Contractor.id) == Transfer.contractor_id)
                .where(col(Transfer.village_code).in_(codes), Transfer.status == "filed",
                       col(Transfer.parent_id).is_(None), col(TransferPlot.live), TransferPlot.start_on <= today,
                       TransferPlot.end_on > today)
                .group_by(col(Transfer.id), col(Contractor.name))
                .order_by(col(Transfer.village_code), col(Transfer.ref)))
    return contracted, in_force


def ledger(session: Session, site: Site, village_codes: list[str],
           today: dt.date | None = None) -> tuple[list[LedgerRow], dict[str, VillageTotals]]:
    """The filed first-level transfers in force today in the villages, and per-village totals (the roll-up)."""
    today = today or local_today()
    horizon = today + dt.timedelta(days=settings_of(site).expiring_within_days)
    totals = {code: VillageTotals(code, by_form=defaultdict(lambda: ZERO)) for code in village_codes}
    if not village_codes:
        return [], totals
    contracted, in_force = _ledger_queries()
    connection = session.connection()  # plain rows: no ORM entity is loaded, so no ORM result machinery
    for code, area in connection.execute(contracted, {"codes": village_codes}):
        totals[code].contracted = _as_mu(area)
    rows = []
    rent_per_mu, registrable = terms.rent_per_mu, terms.registrable
    for transfer in connection.execute(in_force, {"codes": village_codes, "today": today}):
        area = _as_mu(transfer.area)
        row = LedgerRow(transfer.village_code, transfer.ref, transfer.name, transfer.transferee_name, transfer.form,
                        area, transfer.start_on, transfer.end_on, rent_per_mu(transfer),
                        registrable(transfer.start_on, transfer.end_on), transfer.end_on <= horizon)
        rows.append(row)
        total = totals[transfer.village_code]
        total.transferred += area
        total.by_form[transfer.form] += area  # type: ignore[index]
        total.transfers += 1
        total.registrable += row.registrable
        total.expiring += row.expiring
    return rows, totals


def _as_mu(value: Any) -> Decimal:
    """A SUM over the `Mu` column comes back raw (an integer of 1/10000 亩 on SQLite, a NUMERIC on PostgreSQL)."""
    if isinstance(value, int):
        return (Decimal(value) / 10000).quantize(Decimal("0.0001"))
    return to_mu(value if value is not None else 0)


def village_summary(session: Session, site: Site, village_code: str, today: dt.date | None = None, *,
                    states: dict[int, str] | None = None) -> dict[str, Any]:
    """The public summary: plots, contracted and transferred area by form, disputes open. No personal data.
    `states`: the village's `plot_states` on `today`, when the caller has them already (the map)."""
    _rows_found, totals = ledger(session, site, [village_code], today)
    states = plot_states(session, village_code, today) if states is None else states
    total = totals[village_code]
    return {"plots": len(states), "contracted": total.contracted, "transferred": total.transferred,
            "share": total.share, "by_form": dict(total.by_form or {}), "transfers": total.transfers,
            "disputed": sum(1 for s in states.values() if s == "disputed")}
