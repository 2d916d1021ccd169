"""The operations manager in the flow and channel designers, and a staff user who sees the effect:
(c) a review branch for orders to a new export country, simulated and then followed by a real
order; (d) a channel for a shop the app does not bundle, made from a pasted sample payload, that
takes a signed delivery which a sales user then finds as an order. A real server, Debian's
Chromium, no mocks."""

# ruff: noqa: S105 - test secrets

from __future__ import annotations

import time
from typing import Any

import pytest

from sunmao.records import SYSTEM
from tests.browser.test_designer import OPS, check_and_publish, new_draft, open_doc, plant, saved, tab  # noqa: F401

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None

FLOW = "order_management/workflows/order_lifecycle.json"
WHEN = '{"==": [{"var": "customer.country"}, "巴西"]}'


def _brazil_order(plant: dict[str, Any]) -> dict[str, Any]:  # noqa: F811
    """A draft order of a customer in a country the plant has not exported to before."""
    records = plant["runtime"].records()
    data = plant["data"]
    customer = records.create("customer", {"company_name": "巴西圣保罗汽配进口公司", "country": "巴西",
                                           "grade_override": "B", "phone": "13700137000"}, actor=SYSTEM)
    return records.create("order", {"customer": customer["id"], "due_date": "2027-03-01", "sales_rep": "sales",
                                    "lines": [{"product": data["products"][0]["id"], "qty": "10",
                                               "unit_price": "12.00"}]}, actor=SYSTEM)


# -- (c) orders to a new export country need the manager --------------------------------------------------

def test_c_a_review_branch_for_a_new_export_country_simulated_then_followed(tab: Any,  # noqa: F811
                                                                              plant: dict[str, Any]) -> None:  # noqa: F811
    order = _brazil_order(plant)
    started = time.perf_counter()
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "新出口国家经理审批")
    open_doc(ops, draft, FLOW)
    page = ops.page
    expect(page.locator('[data-fz-state="draft"]')).to_be_visible()
    page.locator('[data-fz-transition="submit"]').first.click()
    expect(page.locator("[data-fz-panel] [data-fz-approval]")).to_have_value("review")

    page.click('[data-fz-add-branch="review"]')
    branch = page.locator(".fz-branch").last
    branch.locator("[data-fz-branch-key]").fill("export_manager")
    branch.locator("[data-fz-branch-key]").dispatch_event("change")
    branch.locator('[data-fz-label="zh"]').first.fill("新出口国家经理审批")
    branch.locator('[data-fz-label="en"]').first.fill("Manager: new export country")
    branch.locator("[data-fz-when]").fill(WHEN)
    step = branch.locator(".fz-step").first
    step.locator('[data-fz-label="zh"]').fill("经理审批")
    step.locator("[data-fz-approver-kind]").select_option("role")
    step.locator("[data-fz-approver-value]").fill("manager")
    saved(ops)
    ops.shot("designer-flow-desktop")

    sim = page.locator("[data-fz-sim]")
    sim.locator("[data-fz-sim-action]").select_option("submit")
    sim.locator("[data-fz-sim-record]").fill(order["name"])
    sim.locator("[data-fz-sim-user]").select_option("sales")
    sim.locator("[data-fz-sim-run]").click()
    result = page.locator("[data-fz-sim-result]")
    expect(result.locator('[data-fz-sim-branch="export_manager"]')).to_have_attribute("data-applies", "yes")
    expect(result.locator('[data-fz-sim-branch="finance"]')).to_have_attribute("data-applies", "no")
    expect(result.locator('[data-fz-sim-branch="export_manager"]')).to_contain_text("customer.country = \"巴西\"")
    expect(result.locator('[data-fz-sim-branch="export_manager"] [data-fz-sim-step]')).to_contain_text("manager")
    expect(result.locator("[data-fz-sim-path]")).to_have_attribute("data-fz-sim-path", "submitted,under_review")
    ops.shot("designer-flow-simulator-desktop")
    assert plant["runtime"].records().get("order", order["id"])["status"] == "draft"  # nothing written

    check_and_publish(ops, draft, "新出口国家要经理审批")
    assert time.perf_counter() - started < 60

    sales = tab()
    sales.login("sales")
    sales.goto(f"/app/order/{order['id']}")
    sales.page.click('[data-action="submit"]')
    sales.page.wait_for_load_state()
    manager = tab()
    manager.login("manager")
    manager.goto("/app/inbox")
    card = manager.page.locator("article.task", has_text=order["name"])
    expect(card).to_be_visible()
    expect(card).to_contain_text("经理审批")
    assert plant["runtime"].records().get("order", order["id"])["status"] == "under_review"
