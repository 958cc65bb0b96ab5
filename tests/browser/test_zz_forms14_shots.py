"""Throw-away: phone screenshots of the converted forms with errors showing (not committed)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from cunwu.accounts.actor import Actor
from cunwu.registry import services as registry
from cunwu.registry.resident_id import generate_resident_id

V = "130926100201"
OUT = "/tmp/forms14_shots"


def test_shots(phone: Any, live_server: Any, login: Any) -> None:
    page = phone
    actor = Actor.system("test")
    with live_server.site.db.transaction() as session:
        head = registry.create_person(session, live_server.site, actor, village_code=V, data={
            "name": "赵大山", "resident_id": generate_resident_id("130926", dt.date(1958, 4, 2), 301)})
        registry.create_household(session, live_server.site, actor, village_code=V, number="0042", head=head,
                                  created_on=dt.date(2020, 1, 1))
    login(page, live_server, "clerk", role="clerk", scope=V)
    u = live_server.url

    def shot(name: str) -> None:
        page.wait_for_timeout(600)
        width = page.evaluate("document.documentElement.scrollWidth")
        print(name, width)
        page.screenshot(path=f"{OUT}/{name}.png", full_page=True)

    page.goto(f"{u}/v/{V}/registry/persons/new")
    page.fill("input[name=name]", "刘志强")
    page.fill("input[name=resident_id]", "13092619900203")
    page.fill("input[name=phone]", "138")
    page.fill("input[name=start_date]", "2025-01-01")
    page.evaluate("document.querySelector('input[name=start_date]').type='text'")
    page.fill("input[name=start_date]", "2025-13-40")
    page.click("form.form button[type=submit]")
    shot("registry_person_new")

    page.goto(f"{u}/v/{V}/meetings/new")
    page.evaluate("for (const e of document.querySelectorAll('input')) if (e.type !== 'hidden') e.type='text'")
    page.fill("input[name=title]", "修路议事")
    page.fill("input[name=starts_at]", "明天上午")
    page.fill("input[name=notice_on]", "2025-02-30")
    page.click("form.form button[type=submit]")
    shot("meetings_new")

    page.goto(f"{u}/v/{V}/notices/manage/new")
    page.fill("input[name=title]", " ")
    page.evaluate("document.querySelector('input[name=title]').removeAttribute('required');"
                  "document.querySelector('input[name=window_days]').removeAttribute('pattern')")
    page.fill("input[name=window_days]", "七天")
    page.fill("textarea[name=body]", "全村低保名单")
    page.click("button[value=save]")
    shot("notices_draft")

    page.goto(f"{u}/v/{V}/notices/manage/finance")
    page.fill("input[name=opening]", "10000")
    page.fill("textarea[name=income]", "上级转移支付 5000\n土地承包费 1200.50")
    page.fill("textarea[name=expenditure]", "路灯电费 300.25")
    page.fill("input[name=closing]", "15000")
    page.wait_for_selector("#finance-check:has-text('收支不平')")
    shot("finance_live")
    page.fill("input[name=opening]", "一万")
    page.click("form.form button[type=submit]")
    shot("finance_errors")

    page.goto(f"{u}/v/{V}/p/yishi/new")
    page.fill("input[name=title]", "硬化村东道路")
    page.fill("input[name=budget]", "六万")
    page.fill("input[name=workdays_per_labourer]", "3")
    page.fill("input[name=money_per_person]", "16")
    page.wait_for_selector("#cap-check:has-text('超过')")
    shot("yishi_live")
    page.fill("input[name=money_per_person]", "10元")
    page.check("input[name=origin][value=committee]")
    page.click("button:has-text('提交提议')")
    shot("yishi_proposal")

    page.goto(f"{u}/v/{V}/p/dibao/new?household=0042")
    page.fill("input[name=account_number]", "6222 ١٢٣")
    page.evaluate("const s=document.querySelector('select[name=bank_code]'); const o=document.createElement('option'); o.value='NOPE'; o.text='NOPE'; s.add(o); s.value='NOPE'")
    page.fill("input[name=account_holder]", "赵大山")
    page.click("button:has-text('受理申请')")
    shot("dibao_application")

    page.goto(f"{u}/v/{V}/registry/representatives")
    page.click("text=设定代表及其联系户")
    page.fill("form[action$='/representatives'] input[name=resident_id]", "130926199001011234")
    page.fill("input[name=households]", "0099")
    page.click("form[action$='/representatives'] button[type=submit]")
    shot("registry_representatives")

    page.goto(f"{u}/v/{V}/p/land/")
    page.evaluate("for (const e of document.querySelectorAll('input')) if (e.type === 'date') e.type='text'")
    page.fill("input[name=household]", "0777")
    page.fill("input[name=start_on]", "1998-02-30")
    page.click("form[action$='/p/land/contracts'] button[type=submit]")
    shot("land_contract")

    page.goto(f"{u}/v/{V}/p/coop/")
    page.evaluate("for (const e of document.querySelectorAll('input')) { if (e.type === 'date' || e.type === 'number') e.type='text'; e.removeAttribute('required'); }")
    page.fill("input[name=name]", "东街村果蔬专业合作社")
    page.fill("input[name=credit_code]", "93130926MA0ABCDE1X")
    page.fill("input[name=registered_on]", "2024-02-30")
    page.fill("input[name=patronage_percent]", "六十")
    page.click("form[action$='/p/coop/new'] button[type=submit]")
    shot("coop_new")
