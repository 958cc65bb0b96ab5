"""Refused land, co-op and coverage forms on a 390 px phone (#14): with every problem beside its field and the
summary on top, the page still has no sideways scroll and every control keeps its label.

The browser checks dates and `required` before posting; the test lifts those checks (as an old phone or a typed
URL would) so that the server's refusal is what is shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

VILLAGE = "130926100201"
SUBMIT = """([selector, values]) => {
  const form = document.querySelector(selector);
  for (const [name, value] of Object.entries(values)) {
    const control = form.querySelector(`[name="${name}"]`);
    control.removeAttribute('required');
    if (control.type === 'date') control.type = 'text';
    control.value = value;
  }
  form.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'));
  form.submit();
}"""


def _post(page: Any, selector: str, values: dict[str, str]) -> None:
    with page.expect_navigation():
        page.evaluate(SUBMIT, [selector, values])
    assert "请改正以下" in page.content(), page.url


@pytest.mark.browser
def test_refused_forms_fit_a_phone(browser: Any, live_server_factory: Any, login: Any, phone_fits: Any) -> None:
    from cunwu_plugins.land import services as land
    from tests.plugins.coop.conftest import make_coop
    from tests.plugins.coverage.conftest import record, village
    from tests.plugins.land.conftest import CLERK, contract, make_transfer

    server = live_server_factory(enabled=["land", "coop", "coverage"])
    site = server.site
    plots = contract(site)
    ref = make_transfer(site, plots, start_on=dt.date(2025, 7, 1), end_on=dt.date(2027, 1, 1))
    with site.db.transaction() as session:
        land.file_transfer(session, site, CLERK, land.get_transfer(session, VILLAGE, ref))
    coop_id, _members = make_coop(site)
    village(site, households=12, prefix="W")
    station = record(site, VILLAGE, "station", name="综治工作站", founded_on=dt.date(2024, 1, 1), members=5)
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    base = f"{server.url}/v/{VILLAGE}/p"
    try:
        login(page, server, "clerk", role="clerk", scope=VILLAGE)
        contract_url = f"{base}/land/contracts/{plots.contract_id}"
        cases = [
            (contract_url, "form[action$='/plots']", {"area_mu": "二亩", "grade": "x", "name": "东洼地"}),
            (contract_url, "form[action$='/powers']", {"agent_name": "", "signed_on": "2026-02-30"}),
            (f"{base}/land/disputes", "form[action$='/disputes']", {"plot": "1309261002019999999", "parties": ""}),
            (f"{base}/land/transfers/{ref}", "form[action*='/rent/']", {"amount": "四千", "paid_on": "2026-13-01"}),
            (f"{base}/coop/{coop_id}/", "form[action$='/members']",
             {"resident_id": "130926199001011234", "joined_on": "2024-02-30"}),
            (f"{base}/coop/{coop_id}/ledger", "form[action$='/contributions']",
             {"member": "77", "contributed_on": "2024-01-32"}),
            (f"{base}/coop/{coop_id}/ledger", "form[action$='/trades']",
             {"quantity": "三吨", "traded_on": "x", "product": "玉米", "amount": "1"}),
            (f"{base}/coop/{coop_id}/assembly", "form[action$='/assemblies']",
             {"held_on": "2024-02-30", "title": "年会"}),
            (f"{base}/coverage/", f"form[action$='/organisations/{station}/dissolve']",
             {"dissolved_on": "2025-02-29", "dissolve_reason": ""}),
            (f"{base}/coverage/", f"form[action$='/organisations/{station}/meetings']", {"held_on": "2025-02-29"}),
            (f"{base}/coverage/groups", "form[action$='/groups/new']", {"number": "一", "name": "东头"}),
        ]
        for url, selector, values in cases:
            page.goto(url)
            _post(page, selector, values)
            assert page.locator("main .field-error").count() >= 1, selector  # beside a field, not only on top
            phone_fits(page)
    finally:
        context.close()
