"""The operations manager changes logic, not forms: a review threshold and the scoring weights,
as named settings, with the impact on real records previewed before publishing and the rule
builder's test panel — then a staff user sees the effect. Real server, Debian's Chromium."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from sunmao.records import SYSTEM
from tests.browser.test_designer import (
    OPS,
    check_and_publish,
    expect,
    inbox_of,
    new_draft,
    open_doc,
    saved,
    submit_as_sales,
)
from tests.browser.test_designer import plant as plant  # noqa: PLC0414 - a plant of this module's own
from tests.browser.test_designer import tab as tab  # noqa: PLC0414

pytestmark = pytest.mark.browser

SETTINGS = "order_management/settings/order_settings.json"
FLOW = "order_management/workflows/order_lifecycle.json"


def _order(plant: dict[str, Any], customer: int, amount: int) -> dict[str, Any]:
    product = plant["data"]["products"][0]
    return plant["runtime"].records().create("order", {
        "customer": customer, "due_date": (date.today() + timedelta(days=20)).isoformat(), "sales_rep": "sales",
        "lines": [{"product": product["id"], "qty": str(amount // 100), "unit_price": "100.00", "unit": "pc"}]},
        actor=SYSTEM)


def test_a_finance_threshold_raised_to_80000_lets_a_60000_order_skip_finance(tab: Any, plant: dict[str, Any]) -> None:
    runtime = plant["runtime"]
    b_customer = runtime.records().create("customer", {"company_name": "宁波乙级紧固件有限公司", "phone": "13800138002",
                                                        "grade_override": "B"}, actor=SYSTEM)["id"]
    o60, o90 = _order(plant, b_customer, 60000), _order(plant, b_customer, 90000)

    started = time.perf_counter()
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "财务审核阈值提到 8 万")
    open_doc(ops, draft, SETTINGS)
    threshold = ops.page.locator('[data-setting="finance_review_threshold"]')
    expect(threshold).to_have_value("50000")
    threshold.fill("80000")
    saved(ops)
    ops.page.click(".im-run")
    finance = ops.page.locator('[data-im-kind="approval"][data-im-key$=".finance"]')
    expect(finance).to_contain_text("将不再进入", timeout=20000)
    finance.locator("summary").first.click()
    expect(finance.locator("a", has_text=o60["name"])).to_be_visible()
    expect(finance.locator("a", has_text=o90["name"])).to_have_count(0)
    ops.shot("designer-settings-impact-desktop")

    # the review condition in the rule builder: the threshold is a named setting, and the test panel
    # runs the rule on the 60,000 order in the browser's rule engine beside the server's answer
    ops.goto(f"/designer/drafts/{draft}/rules?at=" + quote(f"{FLOW}|$.approvals[0].branches[0].when"))
    expect(ops.page.locator("[data-rb-builder] .rb-cond")).to_have_count(2)
    expect(ops.page.locator("[data-rb-builder] .rb-setting")).to_have_value("finance_review_threshold")
    ops.page.fill(".rb-test-id", str(o60["id"]))
    ops.page.click(".rb-test-run")
    expect(ops.page.locator("[data-rb-same]")).to_have_attribute("data-rb-same", "yes")
    expect(ops.page.locator("[data-rb-browser]")).to_contain_text("false")
    ops.page.fill(".rb-test-id", str(o90["id"]))
    ops.page.click(".rb-test-run")
    expect(ops.page.locator("[data-rb-browser]")).to_contain_text("true")
    expect(ops.page.locator("[data-rb-same]")).to_have_attribute("data-rb-same", "yes")
    ops.shot("designer-rule-builder-desktop")
    check_and_publish(ops, draft, "财务审核阈值 5 万 → 8 万")
    assert time.perf_counter() - started < 60  # the whole scenario, publish included

    # sales submits both orders; finance finds only the 90,000 one in the inbox
    submit_as_sales(tab, o60, o90)
    records = runtime.records()
    assert records.get("order", o60["id"])["status"] == "approved"
    assert records.get("order", o90["id"])["status"] == "under_review"
    fin = inbox_of(tab, "finance")
    expect(fin.page.locator("main")).to_contain_text(o90["name"])
    expect(fin.page.locator("main")).not_to_contain_text(o60["name"])


def test_b_new_scoring_weights_move_customers_grades_after_publish(tab: Any, plant: dict[str, Any]) -> None:
    runtime = plant["runtime"]
    records = runtime.records()
    punctual = records.create("customer", {"company_name": "台州守时阀门有限公司", "phone": "13800138003"},
                              actor=SYSTEM)
    due = date.today() - timedelta(days=20)
    for early in (1, 2):
        records.create("payment", {"customer": punctual["id"], "amount": "100.00", "due_date": due.isoformat(),
                                   "paid_date": (due - timedelta(days=early)).isoformat()}, actor=SYSTEM)
    assert records.get("customer", punctual["id"])["grade"] == "C"  # 40 points: 0.4 × an on-time rate of 1

    started = time.perf_counter()
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "评分权重：更看重按时付款")
    open_doc(ops, draft, SETTINGS)
    for key, value in (("score_weight_on_time", "0.8"), ("score_weight_orders", "0.1"), ("score_weight_margin", "0.1")):
        ops.page.locator(f'[data-setting="{key}"]').fill(value)
    saved(ops)
    ops.page.click(".im-run")
    grade = ops.page.locator('[data-im-kind="computed"][data-im-key="grade"]')
    expect(grade).to_contain_text("C → A", timeout=20000)
    grade.locator("summary", has_text="C → A").click()
    expect(grade.locator("a", has_text=punctual["name"])).to_be_visible()
    # the grade formula, opened in the builder from the entity editor: an if-chain it cannot draw stays JSON,
    # settings and all, exactly as written
    open_doc(ops, draft, "order_management/entities/customer.json")
    ops.page.locator('[data-dz-fields] .dz-frow[data-id="f_grade"]').click()
    ops.page.locator(".rb-open").first.click()
    raw = ops.page.locator(".rb-inline .rb-raw .rb-json").first
    expect(raw).to_have_value(re.compile('"setting":"grade_a_min_score"'))
    ops.goto(f"/designer/drafts/{draft}/check")  # the same preview sits beside the plan before publishing
    ops.page.click("[data-dz-impact] .im-run")
    expect(ops.page.locator('[data-dz-impact] [data-im-key="grade"]')).to_contain_text("C → A", timeout=20000)
    check_and_publish(ops, draft, "评分权重 0.8 / 0.1 / 0.1")
    assert time.perf_counter() - started < 60  # the whole scenario, publish included

    sales = tab()
    sales.login("sales")
    sales.goto(f"/app/customer/{punctual['id']}")
    expect(sales.page.locator("main")).to_contain_text("A类（重点客户）")
    assert records.get("customer", punctual["id"])["grade"] == "A"
