"""Bulk work in the review inbox: ten orders approved in one action without a page reload, timed
against ten one-by-one approvals with a reload each (the figure for the closing note); a task
transferred with a comment leaves my inbox in place."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.test_screens import _actor

pytestmark = pytest.mark.browser


def _orders_under_review(server: dict[str, Any], count: int) -> list[dict[str, Any]]:
    from sunmao.workflow import WorkflowService

    runtime, data = server["runtime"], server["data"]
    sales = _actor(runtime, "sales")
    service = WorkflowService(runtime.db, runtime.snapshot())
    made = []
    for i in range(count):
        order = runtime.records().create("order", {
            "customer": data["customers"][1]["id"], "due_date": (date.today() + timedelta(days=1)).isoformat(),
            "lines": [{"product": data["products"][4]["id"], "qty": str(5 + i), "unit_price": "45.00"}]}, actor=sales)
        service.transition("order", order["id"], "submit", sales)
        made.append(order)
    return made


def test_bulk_approve_ten_orders_in_one_action(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    one_by_one = _orders_under_review(server, 10)
    t = tab()
    t.login("production")
    page = t.page
    # before: one card at a time, each decision a form post and a page reload (the page as it was)
    started = time.perf_counter()
    for order in one_by_one:
        t.goto("/app/inbox")
        card = page.locator("article.task", has_text=order["name"])
        with page.expect_navigation():
            card.locator("form.task-actions").evaluate(
                "f => { const d = document.createElement('input'); d.type = 'hidden'; d.name = 'decision';"
                " d.value = 'approve'; f.appendChild(d); f.submit(); }")
    before = time.perf_counter() - started
    assert all(runtime.records().get("order", o["id"])["status"] == "approved" for o in one_by_one)
    # after: tick all, one click
    bulk = _orders_under_review(server, 10)
    t.goto("/app/inbox")
    page.locator("article.task", has_text=bulk[-1]["name"]).wait_for()
    started = time.perf_counter()
    loads: list[str] = []
    page.on("load", lambda _p: loads.append(page.url))
    for order in bulk:
        page.locator("article.task", has_text=order["name"]).locator("[data-pick]").check()
    page.fill("[data-bulk-comment]", "批量通过：常规件")
    shot = time.perf_counter()
    t.shot("inbox-bulk-desktop")
    started += time.perf_counter() - shot  # the screenshot is not the person's time
    page.click("[data-bulk=approve]")
    page.locator("[data-bulk-status]").filter(has_text="已处理 10 条").wait_for()
    after = time.perf_counter() - started
    assert not loads, "the page reloaded"
    for order in bulk:
        assert page.locator("article.task", has_text=order["name"]).count() == 0
        assert runtime.records().get("order", order["id"])["status"] == "approved"
    print(f"\nten approvals: one by one with reloads {before:.2f} s, bulk {after:.2f} s")


def test_transfer_and_return_in_place(tab: Any, server: dict[str, Any]) -> None:
    runtime, data = server["runtime"], server["data"]
    customer = data["customers"][1]["id"]
    runtime.records().create("payment", {"customer": customer, "amount": "3200.00", "currency": "CNY",
                                         "due_date": (date.today() - timedelta(days=10)).isoformat()})
    first, second = _orders_under_review(server, 2)
    t = tab()
    t.expected_statuses.add(422)
    t.login("production")
    page = t.page
    t.goto("/app/inbox")
    card = page.locator("article.task", has_text=first["name"])
    needs = card.locator(".needs").inner_text()  # what the approver needs: the customer's credit and arrears
    assert "信用额度" in needs and "200,000.00" in needs and "逾期未收" in needs and "3,200.00" in needs, needs
    card.locator("[data-pick]").check()
    page.click("[data-bulk=transfer]")  # nobody named: asked, nothing sent
    assert "用户名" in page.locator("[data-bulk-status]").inner_text()
    page.fill("[data-bulk-user]", "manager")
    page.fill("[data-bulk-comment]", "请经理定夺")
    page.click("[data-bulk=transfer]")
    card.wait_for(state="detached")
    other = page.locator("article.task", has_text=second["name"])
    other.locator("[data-pick]").check()
    page.fill("[data-bulk-comment]", "单价需复核")
    page.click("[data-bulk=return]")
    page.locator("[data-bulk-status]").filter(has_text="已处理 1 条").wait_for()
    assert runtime.records().get("order", first["id"])["status"] == "under_review"
