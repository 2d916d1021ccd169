"""Lists, round 2, in a real browser: bulk work on ticked rows, exporting exactly them, a column
chooser that survives a reload, a two-value status filter, a validation error in an edited cell,
and a customer's page listing its orders."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from sunmao.records.query import ListQuery
from tests.browser.test_screens import _actor

pytestmark = pytest.mark.browser


def _drafts(server: dict[str, Any], count: int) -> tuple[str, list[dict[str, Any]]]:
    """``count`` draft orders sharing a channel order number prefix the list's search finds."""
    runtime, data = server["runtime"], server["data"]
    tag = f"LST{uuid.uuid4().hex[:6].upper()}"
    made = [runtime.records().create("order", {
        "customer": data["customers"][3]["id"], "external_order_id": f"{tag}-{i}",
        "order_date": date.today().isoformat(), "due_date": (date.today() + timedelta(days=20)).isoformat(),
        "lines": [{"product": data["products"][1]["id"], "qty": str(10 + i), "unit_price": "0.12"}]},
        actor=_actor(runtime, "sales")) for i in range(count)]
    return tag, made


def _tick(page: Any, order: dict[str, Any]) -> None:
    page.locator(f'tr[data-id="{order["id"]}"] input[name="ids"]').check()


def test_tick_three_orders_and_submit_them_one_refused_with_its_reason(tab: Any, server: dict[str, Any]) -> None:
    from sunmao.workflow import WorkflowService

    runtime = server["runtime"]
    tag, (a, b, c) = _drafts(server, 3)
    WorkflowService(runtime.db, runtime.snapshot()).transition("order", a["id"], "submit", _actor(runtime, "sales"))
    t = tab()
    t.login("sales")
    t.goto(f"/app/order?q={tag}")
    page = t.page
    for order in (a, b, c):
        _tick(page, order)
    assert page.locator("[data-bulk-count]").inner_text() == "3"
    page.select_option("[data-bulk-action]", "submit")
    page.click('[data-bulk-run="transition"]')
    refused = page.locator(f'[data-refused-id="{a["id"]}"]')
    refused.wait_for()
    assert a["name"] in refused.inner_text() and len(refused.inner_text()) > len(a["name"]) + 2  # and why
    assert "2" in page.locator("[data-bulk-result] .done").inner_text()
    records = runtime.records()
    assert records.get("order", b["id"])["status"] != "draft" and records.get("order", c["id"])["status"] != "draft"
    page.locator(f'tr[data-id="{a["id"]}"].refused').wait_for()  # the refused row stays, marked
    t.shot("order-list-bulk-desktop")


def test_export_of_the_ticked_rows_has_exactly_those(tab: Any, server: dict[str, Any]) -> None:
    tag, (a, _b, c) = _drafts(server, 3)
    t = tab()
    t.login("manager")
    t.goto(f"/app/order?q={tag}")
    page = t.page
    _tick(page, a)
    _tick(page, c)
    with page.expect_download() as info:
        page.click('[data-export-selected="csv"]')
    text = open(info.value.path(), encoding="utf-8-sig").read()
    names = [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]
    assert sorted(names) == sorted([a["name"], c["name"]])


def test_hide_and_reorder_columns_then_reload(tab: Any, server: dict[str, Any]) -> None:
    t = tab()
    t.login("manager")
    t.goto("/app/order")
    page = t.page
    page.click("[data-columns] summary")
    page.locator('li[data-col="customer"] input').uncheck()
    status_up = page.locator('li[data-col="status"] [data-move="-1"]')
    for _ in range(6):
        status_up.click()
    assert page.locator("li[data-col]").first.get_attribute("data-col") == "status"
    with page.expect_navigation():
        page.click("[data-columns-apply]")
    page.reload()
    keys = page.locator("table[data-list] thead th[data-key]").evaluate_all("ths => ths.map(t => t.dataset.key)")
    assert keys[:2] == ["name", "status"] and "customer" not in keys
    page.click('.density a:has-text("紧凑")')
    page.reload()
    assert "density-compact" in (page.locator("table[data-list]").get_attribute("class") or "")
    assert "customer" not in page.locator("table[data-list] thead").inner_html()  # still hidden


def test_filter_status_by_two_values(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    t = tab()
    t.login("manager")
    t.goto("/app/order")
    page = t.page
    page.click(".filter-panel summary")
    page.check('input[name="status__in"][value="draft"]')
    page.check('input[name="status__in"][value="approved"]')
    with page.expect_navigation():
        page.click('form.filters button[type="submit"]')
    ids = page.locator("table[data-list] tbody tr[data-id]").evaluate_all("rs => rs.map(r => +r.dataset.id)")
    statuses = {runtime.records().get("order", i)["status"] for i in ids}
    assert statuses == {"draft", "approved"}
    assert page.locator('input[name="status__in"][value="approved"]').is_checked()  # the filter shows itself


def test_inline_edit_shows_the_validation_error_in_the_cell(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    tag, (order,) = _drafts(server, 1)
    t = tab()
    t.expected_statuses.add(422)
    t.login("sales")
    t.goto(f"/app/order?q={tag}")
    page = t.page
    cell = page.locator(f'tr[data-id="{order["id"]}"] td[data-edit="due_date"]')
    cell.dblclick()
    editor = cell.locator("input[data-field-input]")
    editor.fill((date.today() - timedelta(days=3)).isoformat())
    editor.press("Enter")
    error = cell.locator(".cell-error")
    error.wait_for()
    page.wait_for_function("el => el.textContent.length > 0", arg=error.element_handle())
    assert "交货日期不能早于下单日期" in error.inner_text()
    assert runtime.records().get("order", order["id"])["due_date"] == order["due_date"]  # nothing saved
    later = (date.today() + timedelta(days=40)).isoformat()
    editor.fill(later)
    editor.press("Enter")
    cell.locator("input").wait_for(state="detached")
    assert runtime.records().get("order", order["id"])["due_date"] == later
    assert page.url.endswith(f"q={tag}")  # still on the list: editing a cell did not open the record


def test_a_customer_page_lists_its_orders(tab: Any, server: dict[str, Any]) -> None:
    runtime, data = server["runtime"], server["data"]
    customer = data["customers"][3]
    t = tab()
    t.login("manager")
    t.goto(f"/app/customer/{customer['id']}")
    section = t.page.locator("#related-order-customer")
    mine = runtime.records().list("order", ListQuery(filters=[("customer", "eq", str(customer["id"]))],
                                                     limit=200))["items"]
    assert mine
    text = section.inner_text()
    assert mine[0]["name"] in text
    section.scroll_into_view_if_needed()
    t.shot("customer-related-desktop")
    with t.page.expect_navigation():
        section.locator("a", has_text="查看全部").click()
    assert f"customer={customer['id']}" in t.page.url
    listed = t.page.locator("table[data-list] tbody tr[data-id]").evaluate_all("rs => rs.map(r => +r.dataset.id)")
    assert set(listed) == {o["id"] for o in mine}
