"""Demo notices: for each village a realistic year of 三务公开 — monthly finance statements that reconcile, quarterly
village affairs, party affairs, a few corrections and answered objections, and notices whose window is open today.
At `scale == "county"` the board is filled to about 30,000 notices across the site, in batches."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from cunwu.accounts.actor import Actor
from cunwu.notices import services
from cunwu.notices.services import FinanceInput, NoticeOrigin, NoticeTable, as_of
from cunwu.plugin_types import DemoContext
from cunwu.privacy import mask
from cunwu.registry.resident_id import generate_resident_id

if TYPE_CHECKING:
    from cunwu.runtime import Site

COUNTY_TARGET = 30_000
BATCH = 500

INCOME = [("上级转移支付", 20000, 60000), ("村集体土地承包费", 3000, 15000), ("坑塘租赁费", 800, 4000),
          ("一事一议财政奖补资金", 10000, 40000), ("集体厂房出租收入", 2000, 9000), ("社会捐赠", 500, 3000)]
SPENDING = [("村干部误工补贴", 6000, 12000), ("路灯电费", 400, 1500), ("保洁员工资", 2400, 3600),
            ("办公用品及报刊费", 200, 900), ("村内道路维修", 2000, 15000), ("绿化苗木采购", 1000, 6000),
            ("困难群众慰问", 500, 3000), ("水利设施维护", 800, 5000)]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = ["建国", "秀英", "桂兰", "志强", "玉兰", "国庆", "淑珍", "振华", "红梅", "海燕", "德明", "长海"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _yuan(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _months_back(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the `count` months before today's month, oldest first."""
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        first = (first - dt.timedelta(days=1)).replace(day=1)
        months.append(first)
    return list(reversed(months))


def _finance_year(session: Session, site: Site, actor: Actor, rng: random.Random, code: str, name: str,
                  today: dt.date, skip_recent: int = 0) -> int:
    balance = _yuan(rng, 50000, 200000)
    count = 0
    for month in _months_back(today, 12)[:12 - skip_recent]:
        income = [(item, _yuan(rng, low, high)) for item, low, high in rng.sample(INCOME, rng.randint(2, 4))]
        spent = [(item, _yuan(rng, low, high)) for item, low, high in rng.sample(SPENDING, rng.randint(3, 6))]
        closing = balance + sum(a for _i, a in income) - sum(a for _i, a in spent)
        figures = FinanceInput("month", month, balance, income, spent, closing)
        published = min(today, (month + dt.timedelta(days=35)).replace(day=rng.randint(3, 9)))
        with as_of(published):
            services.publish_notice(
                session, site, actor, village_code=code, stream="finance", category="月度收支",
                title=f"{name}{month.year}年{month.month}月财务收支公开",
                body="以上收支经村务监督委员会审核。对公开内容有疑问的，可在公示期内提出异议。", finance=figures)
        balance = closing
        count += 1
    return count


VILLAGE_ITEMS = [
    ("惠民补贴", "{y}年第{q}季度耕地地力保护补贴发放公示",
     "本季度耕地地力保护补贴已通过“一卡通”发放到户，标准为每亩 **{rate} 元**。\n\n"
     "各户发放明细见下表，如有疑问请在公示期内提出。"),
    ("工程项目", "村内道路硬化工程（第{q}期）验收公示",
     "工程由村民代表会议决定实施，总长 {length} 米，宽 4 米，造价 **{cost} 元**，已于本月完成验收。"),
    ("集体资产资源", "{y}年第{q}季度集体资产资源发包情况公示",
     "本季度共发包坑塘 2 处、机动地 {area} 亩，均经村民代表会议表决，采取公开竞价方式。"),
    ("四议两公开", "关于村文化广场提升改造的决议公示",
     "经党支部会提议、两委会商议、党员大会审议、村民代表会议决议，同意对村文化广场进行提升改造。"),
]
PARTY_ITEMS = [
    ("党费收缴", "{y}年第{q}季度党费收缴情况公示", "本季度应缴党费党员 {n} 名，已全部按时足额缴纳。"),
    ("主题党日", "{y}年{m}月主题党日活动安排",
     "时间：本月 10 日上午 9 时\n\n地点：村党群服务中心\n\n内容：学习党的基层组织建设有关规定。"),
    ("党员发展", "关于确定 {person} 同志为发展对象的公示", "经支部委员会研究，拟确定其为发展对象，公示期 7 天。"),
]


def _quarterly(session: Session, site: Site, actor: Actor, rng: random.Random, code: str, today: dt.date) -> int:
    count = 0
    starts = [m for m in _months_back(today, 12) if m.month in (1, 4, 7, 10)]
    for start in starts:
        quarter = (start.month - 1) // 3 + 1
        day = start + dt.timedelta(days=rng.randint(5, 40))
        category, title, body = rng.choice(VILLAGE_ITEMS)
        values = {"y": start.year, "q": quarter, "rate": rng.choice([98, 105, 112]), "length": rng.randint(300, 1500),
                  "cost": f"{rng.randint(80, 400) * 1000:,}", "area": rng.randint(20, 120), "m": start.month,
                  "n": rng.randint(25, 60), "person": _name(rng)}
        table = None
        if category == "惠民补贴":
            rows = []
            for _ in range(rng.randint(8, 15)):
                born = dt.date(rng.randint(1950, 1990), rng.randint(1, 12), rng.randint(1, 28))
                area = rng.randint(3, 15)
                rows.append([_name(rng)[0] + "*" + _name(rng)[-1],
                             mask(generate_resident_id("130926", born, rng.randint(1, 999))), str(area),
                             f"{area * values['rate']:.2f}"])
            table = NoticeTable(["户主", "身份证号", "面积（亩）", "金额（元）"], rows,
                                "补贴发放明细（身份证号已按规定遮蔽）")
        with as_of(min(day, today)):
            notice = services.publish_notice(session, site, actor, village_code=code, stream="village",
                                             category=category, title=title.format(**values),
                                             body=body.format(**values), table=table)
        count += 1
        p_category, p_title, p_body = PARTY_ITEMS[quarter % len(PARTY_ITEMS)]
        with as_of(min(day + dt.timedelta(days=3), today)):
            services.publish_notice(session, site, actor, village_code=code, stream="party", category=p_category,
                                    title=p_title.format(**values), body=p_body.format(**values))
        count += 1
        if quarter in (2, 4):  # a correction, a new version linked to the old
            with as_of(min(day + dt.timedelta(days=2), today)):
                services.correct_notice(session, site, actor, notice.id, title=notice.title,
                                        body=notice.body + "\n\n（联系人：村委会文书，电话见村务公开栏。）",
                                        note="补充联系人")
    return count


def _dibao_with_objection(session: Session, site: Site, actor: Actor, rng: random.Random, code: str, name: str,
                          today: dt.date, day: dt.date, answer: bool) -> None:
    rows = [[_name(rng), f"{rng.randint(1, 8)}组", str(rng.randint(1, 4)), f"{rng.choice([620, 650, 680])}.00"]
            for _ in range(rng.randint(4, 9))]
    with as_of(day):
        notice = services.publish_notice(
            session, site, actor, village_code=code, stream="village", category="低保", window_days=7,
            title=f"{name}{day.year}年第{(day.month - 1) // 3 + 1}批低保拟保对象公示",
            body="经入户调查、民主评议，拟将以下家庭纳入最低生活保障，公示期 7 天。",
            table=NoticeTable(["户主", "组别", "保障人数", "月保障金（元）"], rows, "拟保对象名单"))
    with as_of(day + dt.timedelta(days=2)):
        objection = services.raise_objection(
            session, site, None, notice.id, body=f"第{rows[0][1]}的{rows[0][0][0]}某家有营运货车一辆，是否符合条件？",
            name=_name(rng), phone=f"13{rng.randint(100000000, 999999999)}")
    if answer:
        with as_of(min(day + dt.timedelta(days=4), today)):
            services.answer_objection(session, site, actor, objection.id,
                                      "经村务监督委员会入户核实，该车辆已于去年转让，行驶证已过户，符合条件。")


def _bulk(session: Session, site: Site, actor: Actor, rng: random.Random, codes: list[str], names: dict[str, str],
          today: dt.date, target: int, progress: Any) -> None:
    """County scale: several years of 村务 notices, committed in batches so memory and locks stay small."""
    done = 0
    per_village = target // max(len(codes), 1)
    for code in codes:
        for i in range(per_village):
            day = today - dt.timedelta(days=rng.randint(30, 5 * 365))
            category, title, body = VILLAGE_ITEMS[i % len(VILLAGE_ITEMS)]
            values = {"y": day.year, "q": (day.month - 1) // 3 + 1, "rate": 105, "length": 300 + i % 900,
                      "cost": f"{(80 + i % 300) * 1000:,}", "area": 20 + i % 90, "m": day.month, "n": 30,
                      "person": _name(rng)}
            with as_of(day):
                services.publish_notice(session, site, actor, village_code=code, stream="village",
                                        category=category, title=f"{names[code]} · " + title.format(**values),
                                        body=body.format(**values))
            done += 1
            if done % BATCH == 0:
                session.commit()
                session.expunge_all()
                progress("notices", BATCH)


def build(session: Session, site: Site, demo: DemoContext) -> None:
    rng = demo.rng
    actor = Actor.system("demo:notices")
    today = services.local_today()
    count = 0
    for index, village in enumerate(site.config.villages):
        # The last village is behind with its finance statements, so the calendar has something to show.
        late = 2 if index == len(site.config.villages) - 1 and index > 0 else 0
        count += _finance_year(session, site, actor, rng, village.code, village.name, today, skip_recent=late)
        count += _quarterly(session, site, actor, rng, village.code, today)
        _dibao_with_objection(session, site, actor, rng, village.code, village.name, today,
                              today - dt.timedelta(days=rng.randint(60, 200)), answer=True)
        # The notice whose window is open today, with an objection still waiting for the clerk.
        _dibao_with_objection(session, site, actor, rng, village.code, village.name, today, today - dt.timedelta(2),
                              answer=index % 2 == 0)
        with as_of(today):
            services.publish_notice(session, site, actor, village_code=village.code, stream="village",
                                    category="会议决议", title=f"{village.name}村民代表会议决议公示",
                                    body="会议应到代表 25 人，实到 22 人，表决通过《村规民约》修订稿。",
                                    origin=NoticeOrigin("clerk"))
        count += 3
    demo.progress("notices", count)
    if demo.scale == "county":
        names = {v.code: v.name for v in site.config.villages}
        _bulk(session, site, actor, rng, list(names), names, today, COUNTY_TARGET - count, demo.progress)
