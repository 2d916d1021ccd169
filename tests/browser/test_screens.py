"""What a person does in the browser: sign in, enter an order, import, approve, scan, track."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sunmao.records import Actor

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None

PHONE = {"width": 390, "height": 844}


def _count(runtime: Any, entity: str) -> int:
    table = runtime.snapshot().tables[entity]
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(table.c.deleted_at.is_(None))).scalar()


def _actor(runtime: Any, username: str) -> Actor:
    from sunmao.storage import system as sm

    with runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.user).where(sm.user.c.username == username)).mappings().one()
    return Actor(id=row["id"], username=username, roles=frozenset(row["roles"]))


def _pick(page: Any, box: str, text: str) -> None:
    """Type into a link field and pick the first match, as a person would."""
    page.locator(f"{box} .link-text").fill(text)
    option = page.locator(f"{box} .link-list li[role=option]").first
    option.wait_for()
    option.click()


def test_sign_in_enter_an_order_with_three_lines(tab: Any, server: dict[str, Any]) -> None:
    t = tab()
    t.goto("/login")
    t.shot("login-desktop")
    t.login("sales")
    t.shot("home-desktop")
    t.goto("/app/order")
    t.page.wait_for_selector("table.list-table")
    t.shot("order-list-desktop")
    page = t.page
    t.goto("/app/order/new")
    # A conditional field: the channel's order number appears only once a channel is chosen.
    external = page.locator('[data-field-wrap="external_order_id"]')
    assert external.is_hidden()
    _pick(page, '[data-field-wrap="channel"]', "线下")
    external.wait_for(state="visible")
    page.fill("#f-external_order_id", "PO-BROWSER-1")
    _pick(page, '[data-field-wrap="customer"]', "鑫达")
    assert page.locator("#f-shipping_address").input_value().startswith("浙江宁波")  # filled from the customer
    page.fill("#f-due_date", (date.today() + timedelta(days=30)).isoformat())
    rows = page.locator('[data-grid="lines"] tbody tr[data-row]')
    for i, (search, qty) in enumerate((("BLT", "1000"), ("HNG", "20"), ("FLG", "3"))):
        if i:
            page.click('[data-grid="lines"] [data-add-row]')
        row = f'[data-grid="lines"] tbody tr[data-row]:nth-child({i + 1})'
        _pick(page, f'{row} [data-cell="product"]', search)
        page.locator(f'{row} [data-cell="qty"] input').fill(qty)
    assert rows.count() == 3
    assert page.locator('[data-grid="lines"] tbody tr:nth-child(1) [data-cell="unit_price"] input').input_value() \
        == "0.85"  # the product's price, filled in
    page.locator('[data-grid="lines"] tbody tr:nth-child(2) [data-cell="discount_pct"] input').fill("10")
    # 1000 × 0.85 + 20 × 6.50 × 0.9 + 3 × 45.00 = 850 + 117 + 135 = 1,102.00
    expect(page.locator("#f-amount")).to_contain_text("1,102.00")
    assert "117.00" in page.locator('[data-grid="lines"] tbody tr:nth-child(2) [data-cell="amount"]').inner_text()
    assert "1,023" in page.locator("#f-total_qty").inner_text()
    t.shot("order-form-desktop")
    page.click("[data-save]")
    page.wait_for_url(re.compile(r".*/app/order/\d+$"))
    assert "PO-BROWSER-1" in page.content()
    t.shot("order-record-desktop")
    runtime = server["runtime"]
    saved = runtime.records().get("order", int(page.url.rsplit("/", 1)[1]))
    assert saved["amount"] == "1102.00" and len(saved["lines"]) == 3


def test_inline_error_and_language_switch(tab: Any) -> None:
    t = tab()
    t.expected_statuses.add(422)  # the invalid save below
    t.login("sales")
    page = t.page
    t.goto("/app/order/new")
    _pick(page, '[data-field-wrap="customer"]', "恒通")
    _pick(page, '[data-grid="lines"] tbody tr:nth-child(1) [data-cell="product"]', "NUT")
    page.locator('[data-grid="lines"] tbody tr:nth-child(1) [data-cell="qty"] input').fill("abc")
    page.click("[data-save]")
    due = page.locator('[data-error-for="due_date"]')
    due.wait_for(state="visible")
    assert "此字段必填" in due.inner_text()
    assert "应为数字" in page.locator('[data-grid="lines"] tbody tr:nth-child(1) [data-cell-error="qty"]').inner_text()
    # Urgent orders need remarks: the required mark appears as the priority changes.
    page.select_option("#f-priority", "urgent")
    assert "is-required" in (page.locator('[data-field-wrap="remarks"]').get_attribute("class") or "")
    t.shot("order-form-errors-desktop")
    page.click("[data-lang-switch]")
    page.wait_for_selector("text=New Sales order")
    assert page.locator('[data-field-wrap="due_date"] .field-label').inner_text().startswith("Due date")
    page.click("[data-lang-switch]")
    page.wait_for_selector("text=新建销售订单")


def _xlsx(path: Path, rows: list[list[Any]]) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def test_import_one_bad_row_then_a_good_file(tab: Any, server: dict[str, Any], tmp_path: Path) -> None:
    runtime = server["runtime"]
    before = _count(runtime, "customer")
    rows = [["客户名称", "联系电话", "城市"], ["嘉兴恒远紧固件有限公司", "13500001111", "嘉兴"],
            ["湖州新力机械有限公司", "99-bad", "湖州"], ["绍兴联合模具有限公司", "0575-88001234", "绍兴"]]
    t = tab()
    t.login("sales")
    page = t.page
    for attempt, name in enumerate(("bad.xlsx", "good.xlsx")):
        if attempt:
            rows[2][1] = "0572-22334455"
        t.goto("/app/import?entity=customer")
        page.select_option("#imp-entity", "customer")
        page.set_input_files("#imp-file", str(_xlsx(tmp_path / name, rows)))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_url(re.compile(r".*/app/import/[0-9a-f-]+$"))
        page.click("button[name=step][value=preview]")
        if attempt == 0:
            page.wait_for_selector("[data-import-errors]")
            bad = page.locator('tr[data-row-number="3"] td.problems')  # the sheet's own row number
            assert "电话号码格式不正确" in bad.inner_text()
            t.shot("import-preview-errors-desktop")
            assert page.locator("[data-commit]").count() == 0
            assert _count(runtime, "customer") == before
        else:
            page.click("[data-commit]")
            page.wait_for_selector("[data-import-done]")
            assert _count(runtime, "customer") == before + 3


def test_approve_from_the_inbox(tab: Any, server: dict[str, Any]) -> None:
    from sunmao.workflow import WorkflowService

    runtime = server["runtime"]
    data = server["data"]
    sales = _actor(runtime, "sales")
    order = runtime.records().create("order", {
        "customer": data["customers"][1]["id"], "due_date": (date.today() + timedelta(days=1)).isoformat(),
        "lines": [{"product": data["products"][4]["id"], "qty": "5", "unit_price": "45.00"}]}, actor=sales)
    service = WorkflowService(runtime.db, runtime.snapshot())
    service.transition("order", order["id"], "submit", sales)
    assert runtime.records().get("order", order["id"])["status"] == "under_review"
    t = tab()
    t.login("production")
    t.goto("/app/inbox")
    card = t.page.locator("article.task", has_text=order["name"])
    card.wait_for()
    t.shot("inbox-desktop")
    card.locator("[data-decide=approve]").click()
    card.wait_for(state="detached")  # handled in place: no page reload
    assert runtime.records().get("order", order["id"])["status"] == "approved"
    t.goto(f"/app/order/{order['id']}")
    assert "审批通过" in t.page.locator("#timeline").inner_text()


def test_scan_to_ship_blocked_then_shipped(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    order = server["data"]["orders"][7]
    table = runtime.snapshot().tables["order"]
    with runtime.db.write() as conn:
        conn.execute(table.update().where(table.c.id == order["id"]).values(
            status="ready_to_ship", qc_status="passed", payment_status="pending"))
    t = tab()
    t.expected_statuses.add(409)  # the ship gate refuses the first scan
    t.login("warehouse")
    t.goto("/app/scan")
    page = t.page
    page.fill("#scan-code", order["name"])
    page.keyboard.press("Enter")  # what a USB scanner sends after the code
    page.wait_for_selector(".scan-result.blocked")
    assert "付款未确认" in page.locator(".scan-result").inner_text()
    with runtime.db.write() as conn:
        conn.execute(table.update().where(table.c.id == order["id"]).values(credit_released=True))
    page.fill("#scan-code", order["name"])
    page.keyboard.press("Enter")
    page.wait_for_selector(".scan-result.ok")
    assert runtime.records().get("order", order["id"])["status"] == "shipped"
    assert page.evaluate("document.activeElement.id") == "scan-code"  # ready for the next package
    t.shot("scan-desktop")


def test_portal_lookup(tab: Any, server: dict[str, Any]) -> None:
    order = server["data"]["orders"][2]  # 苏州恒通, phone 0512-66881234
    t = tab()
    t.goto("/portal")
    t.page.fill("input[name=number]", order["name"])
    t.page.fill("input[name=phone]", "1234")
    t.page.click("button[type=submit]")
    t.page.wait_for_selector("[data-portal-order]")
    assert order["name"] in t.page.inner_text("[data-portal-order]")
    t.shot("portal-desktop")


def test_other_pages_and_phone_screenshots(tab: Any, server: dict[str, Any]) -> None:
    desk = tab()
    desk.login("manager")
    for path, name in (("/app/views/order_board", "kanban-desktop"), ("/app/views/due_calendar", "calendar-desktop"),
                       ("/app/views/production_queue", "production-queue-desktop"), ("/app/trash", None),
                       ("/app/customer", None), ("/app/product/1", None)):
        desk.goto(path)
        desk.page.wait_for_load_state()
        if name:
            desk.shot(name)
    admin = tab()
    admin.login("admin")
    admin.goto("/admin/admin_users/")
    admin.shot("admin-users-desktop")
    phone = tab(**PHONE)
    phone.goto("/login")
    phone.shot("login-phone")
    phone.login("sales")
    order = server["data"]["orders"][0]
    for path, name in (("/app/order", "order-list-phone"), ("/app/order/new", "order-form-phone"),
                       (f"/app/order/{order['id']}", "order-record-phone")):
        phone.goto(path)
        phone.page.wait_for_load_state()
        phone.shot(name)
    phone.page.click(".nav-toggle")
    phone.page.wait_for_selector("#nav.open")
    phone.shot("menu-phone")
    scan = tab(**PHONE)
    scan.login("warehouse")
    scan.goto("/app/scan")
    scan.shot("scan-phone")
    visitor = tab(**PHONE)
    visitor.goto("/portal")
    visitor.shot("portal-phone")
    width = phone.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the record page scrolls sideways on a phone ({width}px)"


def test_export_download(tab: Any) -> None:
    t = tab()
    t.login("manager")
    t.goto("/app/order")
    with t.page.expect_download() as download:
        t.page.click("text=Excel")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.active.max_row >= 15
