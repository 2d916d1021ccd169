"""The order-line grid like a spreadsheet, the dependent contact picker, in a real browser.

Keyboard only: a 3-line order typed without the mouse (keys counted for the closing note);
Enter in a quantity moves down and never submits; a 3×3 block pasted from Excel fills rows and
columns with a bad cell marked in place; the product suggestions lie on top of everything (the
element at an option's position is the option); the contact picker offers only the customer's
contacts and the API refuses another customer's."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest

pytestmark = pytest.mark.browser

GRID = '[data-grid="lines"] tbody tr[data-row]'


def _row(i: int) -> str:
    return f"{GRID}:nth-child({i + 1})"


class Keys:
    """Presses keys on a page and counts them: a character typed is one key."""

    def __init__(self, page: Any):
        self.page = page
        self.count = 0

    def type(self, text: str) -> None:
        self.page.keyboard.type(text, delay=5)
        self.count += len(text)

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def tab_to(self, selector: str) -> None:
        """Tab from field to field until ``selector`` has the focus, as a person does."""
        for _ in range(30):
            if self.page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
                return
            self.press("Tab")
        raise AssertionError(f"Tab never reached {selector}")


def _suggestions(page: Any, box: str) -> Any:
    option = page.locator(f"{box} .link-list li[role=option]").first
    option.wait_for()
    return option


def test_a_three_line_order_by_keyboard_only(tab: Any, server: dict[str, Any]) -> None:
    t = tab()
    t.login("sales")
    page = t.page
    t.goto("/app/order/new")
    keys = Keys(page)
    page.focus("#f-customer")  # the first field of the form
    keys.type("鑫达")
    _suggestions(page, '[data-field-wrap="customer"]')
    keys.press("Enter")
    keys.tab_to("#f-due_date")
    due = date.today() + timedelta(days=30)
    keys.type(due.strftime("%m%d%Y"))  # a date input takes the digits of its locale's order
    keys.tab_to(f'{_row(0)} [data-cell="product"] .link-text')
    for i, (sku, qty) in enumerate((("BLT", "1000"), ("HNG", "20"), ("FLG", "3"))):
        keys.type(sku)
        _suggestions(page, f'{_row(i)} [data-cell="product"]')
        keys.press("Enter")  # picks the suggestion; the cursor moves on to the quantity
        page.locator(f'{_row(i)} [data-cell="qty"] input:focus').wait_for()
        keys.type(qty)
        keys.press("Enter")  # a new line, the cursor in its product: never a submit
        assert page.url.endswith("/app/order/new")
    assert page.locator(GRID).count() == 4  # three lines and the spare one Enter added
    page.locator("#f-amount").filter(has_text="1,115.00").wait_for()  # 850 + 130 + 135: totals live
    assert "NaN" not in page.locator('[data-grid="lines"]').inner_text()
    t.shot("order-grid-keyboard-desktop")
    keys.press("Control+s")
    page.wait_for_url(re.compile(r".*/app/order/\d+$"))
    saved = server["runtime"].records().get("order", int(page.url.rsplit("/", 1)[1]))
    assert len(saved["lines"]) == 3 and saved["amount"] == "1115.00"  # the spare row is not a line
    print(f"\nkeyboard-only 3-line order: 0 clicks, {keys.count} keys")
    assert keys.count <= 50, keys.count  # 14 of them Tabs from the customer to the due date and the grid


def test_enter_in_a_quantity_does_not_submit_and_a_half_line_shows_no_nan(tab: Any) -> None:
    t = tab()
    t.login("sales")
    page = t.page
    t.goto("/app/order/new")
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.method + " " + r.url))
    qty = page.locator(f'{_row(0)} [data-cell="qty"] input')
    qty.click()
    page.keyboard.type("12")
    page.keyboard.press("Enter")
    assert not [r for r in requests if r.startswith("POST") and not r.endswith("/_preview")]
    assert page.url.endswith("/app/order/new")
    assert page.locator(GRID).count() == 2
    assert page.evaluate("document.activeElement.closest('[data-cell]').dataset.cell") == "product"
    assert page.locator(f'{_row(0)} [data-cell="amount"]').inner_text().strip() in ("", "金额")
    assert "NaN" not in page.content()
    # Ctrl+Delete removes the line the cursor is in
    page.keyboard.press("Control+Delete")
    assert page.locator(GRID).count() == 1


def _paste(page: Any, selector: str, text: str) -> None:
    page.locator(selector).focus()
    page.evaluate("""([selector, text]) => {
        const data = new DataTransfer();
        data.setData('text/plain', text);
        document.querySelector(selector).dispatchEvent(
            new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true}));
    }""", [selector, text])


def test_paste_a_block_from_excel(tab: Any) -> None:
    t = tab()
    t.login("sales")
    page = t.page
    t.goto("/app/order/new")
    block = "BLT-M8x30\t螺栓 M8\t1000\r\nNUT-M8\t螺母 M8\t2000\r\nHNG-100\t合页\t二十\r\n"
    _paste(page, f'{_row(0)} [data-cell="product"] .link-text', block)
    page.locator(f'{_row(2)} [data-cell-error="qty"]').filter(has_text="不是数字").wait_for()
    assert page.locator(GRID).count() == 3
    for i, (name, text, qty) in enumerate((("六角螺栓", "螺栓 M8", "1000"), ("六角螺母", "螺母 M8", "2000"),
                                           ("不锈钢合页", "合页", "二十"))):
        assert page.locator(f'{_row(i)} [data-cell="product"] .link-text').input_value().startswith(name)
        assert page.locator(f'{_row(i)} [data-cell="product"] input[data-field]').input_value() != ""
        assert page.locator(f'{_row(i)} [data-cell="description"] [data-input]').input_value() == text
        assert page.locator(f'{_row(i)} [data-cell="qty"] input').input_value() == qty
    assert page.locator(f'{_row(0)} [data-cell="unit_price"] input').input_value() == "0.85"  # from the product
    page.locator("#f-amount").filter(has_text="1,090.00").wait_for()  # 1000 × 0.85 + 2000 × 0.12
    page.evaluate("document.querySelector('[data-grid=lines]').scrollIntoView({block: 'center'})")
    t.shot("order-grid-paste-desktop")


def test_the_product_suggestions_are_on_top(tab: Any) -> None:
    for size in ({"width": 1366, "height": 900}, {"width": 390, "height": 844}):
        t = tab(**size)
        t.login("sales")
        page = t.page
        t.goto("/app/order/new")
        box = f'{_row(0)} [data-cell="product"]'
        page.locator(f"{box} .link-text").scroll_into_view_if_needed()
        page.locator(f"{box} .link-text").fill("N")
        options = page.locator(f"{box} .link-list li[role=option]")
        options.first.wait_for()
        for i in range(options.count()):
            hit = options.nth(i).evaluate("""li => {
                const r = li.getBoundingClientRect();
                const el = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return el !== null && li.contains(el);
            }""")
            assert hit, f"suggestion {i} is covered at {size}"
        t.shot("order-grid-suggestions-" + ("desktop" if size["width"] > 1000 else "phone"))
        options.first.click()
        assert page.locator(f"{box} input[data-field]").input_value() != ""


def test_the_contact_picker_offers_only_the_customers_contacts(tab: Any, server: dict[str, Any]) -> None:
    runtime, data = server["runtime"], server["data"]
    records = runtime.records()
    mine = records.create("contact", {"customer": data["customers"][2]["id"], "contact_name": "顾采购",
                                      "mobile": "13900003333"})
    theirs = records.create("contact", {"customer": data["customers"][3]["id"], "contact_name": "顾老板",
                                        "mobile": "13900004444"})
    t = tab()
    t.expected_statuses.add(422)
    t.login("sales")
    page = t.page
    t.goto("/app/order/new")
    page.locator('[data-field-wrap="customer"] .link-text').fill("恒通")
    _suggestions(page, '[data-field-wrap="customer"]').click()
    page.locator("#f-contact").fill("顾")
    option = _suggestions(page, '[data-field-wrap="contact"]')
    page.wait_for_timeout(300)
    names = page.locator('[data-field-wrap="contact"] .link-list li[role=option]').all_inner_texts()
    assert any("顾采购" in n for n in names) and not any("顾老板" in n for n in names)
    option.click()
    # another customer chosen: the contact that no longer fits is cleared
    page.locator('[data-field-wrap="customer"] .link-text').fill("利丰")
    _suggestions(page, '[data-field-wrap="customer"]').click()
    assert page.locator('[data-field-wrap="contact"] input[data-field]').input_value() == ""
    answer = page.evaluate("""async ([customer, contact, product]) => {
        const token = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch('/api/v1/order', {method: 'POST', headers: {'Content-Type': 'application/json',
            'X-CSRFToken': token, 'Accept-Language': 'en'}, body: JSON.stringify({customer, contact,
            due_date: '2030-01-01', lines: [{product, qty: '1', unit_price: '1'}]})});
        return [r.status, await r.json()];
    }""", [data["customers"][2]["id"], theirs["id"], data["products"][0]["id"]])
    assert answer[0] == 422 and "contact" in answer[1]["errors"], answer
    assert mine["id"] != theirs["id"]


def test_search_orders_by_short_name_and_pinyin_initials(tab: Any, server: dict[str, Any]) -> None:
    t = tab()
    t.login("sales")
    page = t.page
    first = server["data"]["customers"][0]  # 宁波鑫达五金制品有限公司, short name 鑫达五金
    for q in ("鑫达五金", "xdwj"):
        t.goto("/app/order?q=" + q)
        page.wait_for_selector("table.list-table")
        rows = page.locator("table.list-table tbody tr")
        assert rows.count() >= 1, q
        assert all("鑫达" in text for text in rows.all_inner_texts()), q
    t.shot("order-list-search-pinyin-desktop")
    # the customer picker finds by pinyin initials and tells similar names apart by city and phone
    t.goto("/app/order/new")
    page.locator('[data-field-wrap="customer"] .link-text').fill("hsqp")
    option = _suggestions(page, '[data-field-wrap="customer"]')
    assert "宏盛汽配" in option.inner_text() and "慈溪" in option.inner_text()
    assert first["id"]
