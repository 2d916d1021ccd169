"""In the order form, a default that depends on other fields follows them until the user sets
it — and what is saved is what the server's default says, as on every other path."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from sunmao.records import SYSTEM
from tests.browser.test_screens import _pick

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None


@pytest.fixture(scope="module")
def customers(server: dict[str, Any]) -> dict[str, dict[str, Any]]:
    records = server["runtime"].records()
    return {
        "key": records.create("customer", {"company_name": "杭州万向重点客户有限公司", "grade_override": "A",
                                           "payment_terms": "net_30", "phone": "13700000001"}, actor=SYSTEM),
        "prepay": records.create("customer", {"company_name": "温州预付五金有限公司", "payment_terms": "advance",
                                              "phone": "13700000002"}, actor=SYSTEM),
        "key2": records.create("customer", {"company_name": "嘉兴恒力重点客户有限公司", "grade_override": "A",
                                            "payment_terms": "net_60", "phone": "13700000003"}, actor=SYSTEM),
    }


def _order_form(t: Any, customer: str) -> Any:
    page = t.page
    t.goto("/app/order/new")
    _pick(page, '[data-field-wrap="customer"]', customer)
    page.fill("#f-due_date", (date.today() + timedelta(days=30)).isoformat())
    _pick(page, '[data-grid="lines"] tbody tr[data-row]:nth-child(1) [data-cell="product"]', "NUT")
    page.locator('[data-grid="lines"] tbody tr:nth-child(1) [data-cell="qty"] input').fill("100")
    return page


def _save(t: Any, server: dict[str, Any]) -> dict[str, Any]:
    with t.page.expect_navigation(url="**/app/order/*"):
        t.page.click("[data-save]")
    order_id = int(t.page.url.rstrip("/").rsplit("/", 1)[1])
    return server["runtime"].records().get("order", order_id)


def test_a_key_accounts_order_is_urgent_and_advance_terms_gate(tab: Any, server: dict[str, Any],
                                                             customers: dict[str, Any]) -> None:
    t = tab()
    t.login("sales")
    page = _order_form(t, "万向重点")
    expect(page.locator("#f-priority")).to_have_value("urgent")  # the server's default for an A customer
    expect(page.locator("#f-payment_terms")).to_have_value("net_30")
    expect(page.locator("#f-advance_payment_required")).not_to_be_checked()
    page.fill("#f-remarks", "重点客户加急")  # the form asks a reason for an urgent order
    t.shot("order-form-defaults-desktop")
    saved = _save(t, server)
    assert (saved["priority"], saved["payment_terms"], saved["advance_payment_required"]) == ("urgent", "net_30",
                                                                                              False)

    page = _order_form(t, "温州预付")
    expect(page.locator("#f-priority")).to_have_value("normal")
    expect(page.locator("#f-payment_terms")).to_have_value("advance")
    expect(page.locator("#f-advance_payment_required")).to_be_checked()  # 款到发货: the advance gate applies
    saved = _save(t, server)
    assert saved["advance_payment_required"] is True and saved["payment_terms"] == "advance"


def test_a_value_the_user_chose_is_kept(tab: Any, server: dict[str, Any], customers: dict[str, Any]) -> None:
    t = tab()
    t.login("sales")
    page = _order_form(t, "万向重点")
    expect(page.locator("#f-priority")).to_have_value("urgent")
    page.select_option("#f-priority", "normal")  # this order is not urgent, whatever the grade says
    _pick(page, '[data-field-wrap="customer"]', "恒力重点")  # another A customer: the terms follow, not the priority
    expect(page.locator("#f-payment_terms")).to_have_value("net_60")
    expect(page.locator("#f-priority")).to_have_value("normal")
    saved = _save(t, server)
    assert (saved["priority"], saved["customer"]) == ("normal", customers["key2"]["id"])
