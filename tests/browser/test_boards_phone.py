"""Boards in the browser: a kanban drag takes the workflow action (or snaps back and says why)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_designer import drag

pytestmark = pytest.mark.browser


def _orders(server: dict[str, Any], *states: str, **values: Any) -> list[dict[str, Any]]:
    from sunmao.records import SYSTEM

    runtime, data = server["runtime"], server["data"]
    return runtime.records().create_many("order", [{
        "customer": data["customers"][0]["id"], "order_date": date.today().isoformat(),
        "due_date": (date.today() + timedelta(days=3)).isoformat(), "status": state,
        "lines": [{"product": data["products"][0]["id"], "qty": "10", "unit_price": "0.85"}], **values}
        for state in states], actor=SYSTEM, history=True)


def _column(page: Any, state: str) -> Any:
    return page.locator(f'.kanban-cards[data-value="{state}"]')


def _saved(page: Any, order: dict[str, Any]) -> None:
    """The card carries the record's new version once the server took the move."""
    page.locator(f'.kanban-card[data-id="{order["id"]}"]:not([data-version="{order["version"]}"])').wait_for()


def _top_of(page: Any, state: str) -> Any:
    """Where a person drops a card: the top of the column (a long column runs below the screen)."""
    cards = _column(page, state).locator(".kanban-card")
    return cards.first if cards.count() else _column(page, state)


def test_drag_a_card_to_the_next_state_and_a_refused_drag_explains(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    go, held = _orders(server, "approved", "scheduled", advance_payment_required=True)
    t = tab(width=1800)
    t.expected_statuses |= {409}
    t.login("production")
    t.goto("/app/views/order_board")
    page = t.page
    card = page.locator(f'.kanban-card[data-id="{go["id"]}"]')
    drag(t, card, _top_of(page, "scheduled"))
    _saved(page, go)
    assert runtime.records().get("order", go["id"])["status"] == "scheduled"
    page.reload()
    assert _column(page, "scheduled").locator(f'[data-id="{go["id"]}"]').count() == 1  # it stays
    # the guard refuses: the card goes back to its column and the board says why
    stuck = page.locator(f'.kanban-card[data-id="{held["id"]}"]')
    drag(t, stuck, _top_of(page, "in_production"))
    status = page.locator(".kanban-status.bad")
    status.wait_for()
    assert "该订单需先确认预付款才能开始生产" in status.inner_text()
    assert _column(page, "scheduled").locator(f'[data-id="{held["id"]}"]').count() == 1
    assert runtime.records().get("order", held["id"])["status"] == "scheduled"


def test_a_drag_needing_a_comment_asks_for_it(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    [order] = _orders(server, "approved")
    t = tab(width=1800)
    t.expected_statuses |= {403, 422}
    t.login("manager")
    t.goto("/app/views/order_board")
    page = t.page
    drag(t, page.locator(f'.kanban-card[data-id="{order["id"]}"]'), _top_of(page, "draft"))
    dialog = page.locator("dialog.kanban-needs[open]")
    dialog.wait_for()
    assert dialog.locator("h2").inner_text() == "撤回修改"
    dialog.get_by_label("评论").fill("客户改了数量")
    dialog.get_by_role("button", name="确定").click()
    _saved(page, order)
    assert runtime.records().get("order", order["id"])["status"] == "draft"
    assert _column(page, "draft").locator(f'[data-id="{order["id"]}"]').count() == 1
    # a role the action is not for: the card snaps back, the board names who may
    [other] = _orders(server, "approved")
    page.reload()
    drag(t, page.locator(f'.kanban-card[data-id="{other["id"]}"]'), _top_of(page, "scheduled"))
    status = page.locator(".kanban-status.bad")
    status.wait_for()
    assert "production" in status.inner_text()
    assert _column(page, "approved").locator(f'[data-id="{other["id"]}"]').count() == 1
    assert runtime.records().get("order", other["id"])["status"] == "approved"


PHONE = {"width": 390, "height": 844}


def test_phone_calendar_is_an_agenda_and_gantt_labels_keep_the_digits(tab: Any, server: dict[str, Any]) -> None:
    orders = _orders(server, "scheduled", "in_production")
    t = tab(**PHONE)
    t.login("production")
    t.goto("/app/views/due_calendar")
    page = t.page
    assert not page.locator(".calendar").is_visible()  # the month grid gives way to the agenda
    entry = page.locator(".agenda-item", has_text=orders[0]["name"])
    assert entry.is_visible()
    assert entry.bounding_box()["height"] >= 44  # a touch target
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    t.shot("calendar-phone")
    t.goto("/app/views/order_gantt")
    for order in orders:
        label = page.locator(f'.gantt-label a[aria-label="{order["name"]}"] .gantt-short')
        assert label.is_visible()
        text = label.inner_text()
        assert text and order["name"].endswith(text) and text[-1].isdigit()
        assert label.evaluate("e => e.closest('.gantt-label').scrollWidth <= e.closest('.gantt-label').clientWidth + 1")
    t.shot("gantt-phone")


SMALL_TARGETS = """() => Array.from(document.querySelectorAll(
    'a, button, summary, select, textarea, input:not([type=hidden])')).filter(e => {
  const r = e.getBoundingClientRect(), css = getComputedStyle(e);
  if (!r.width || !r.height || css.visibility === 'hidden') return false;
  if (e.tagName === 'A' && css.display === 'inline') return false;  // a link inside a sentence (WCAG 2.5.8)
  if (e.type === 'checkbox' || e.type === 'radio') {  // a box of 24 px, its row or label the 44 px target
    const hit = (e.closest('label, td, th') || e).getBoundingClientRect();
    return r.height < 24 || hit.height < 44;
  }
  return r.height < 44;
}).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : '')
        + (e.name ? '[' + e.name + ']' : '') + ' ' + Math.round(e.getBoundingClientRect().height) + 'px')"""


def test_phone_touch_targets_and_four_orders_per_screen(tab: Any, server: dict[str, Any]) -> None:
    order = server["data"]["orders"][2]
    t = tab(**PHONE)
    t.login("sales")
    page = t.page
    small = {}
    for path in ("/app", "/app/order", f"/app/order/{order['id']}", "/app/views/due_calendar", "/app/inbox"):
        t.goto(path)
        found = page.evaluate(SMALL_TARGETS)
        if found:
            small[path] = found
    assert not small, f"touch targets under 44 px: {small}"
    t.goto("/app/order")
    cards = page.locator(".list-table tbody tr")
    fully_visible = [b for b in (cards.nth(i).bounding_box() for i in range(cards.count()))
                     if b["y"] >= 0 and b["y"] + b["height"] <= 844]
    heights = [round(cards.nth(i).bounding_box()["height"]) for i in range(min(6, cards.count()))]
    page.evaluate("window.scrollTo(0, document.querySelector('.list-table tbody tr').getBoundingClientRect().top"
                  " + window.scrollY - 60)")
    in_view = page.evaluate("Array.from(document.querySelectorAll('.list-table tbody tr')).filter(r => {"
                            " const b = r.getBoundingClientRect(); return b.top >= 54 && b.bottom <= 844; }).length")
    assert in_view >= 4, f"{in_view} order cards in one phone screen (heights {heights}, {len(fully_visible)})"
    t.shot("order-list-phone")


def _three_line_order(tab: Any, server: dict[str, Any], path: str, lines: str) -> tuple[Any, dict[str, Any], Any]:
    """A phone tab signed in as sales on ``path`` of the demo order with three lines, and its lines."""
    order = server["data"]["orders"][2]
    t = tab(**PHONE)
    t.login("sales")
    t.goto(path.format(id=order["id"]))
    cards = t.page.locator(lines)
    assert cards.count() == 3
    return t, order, cards


def test_a_phone_order_with_three_lines_fits_in_two_screens(tab: Any, server: dict[str, Any]) -> None:
    t, _order, cards = _three_line_order(tab, server, "/app/order/{id}", ".kv .grid-table tbody tr")
    page = t.page
    for i in range(3):
        card = cards.nth(i)
        assert card.bounding_box()["height"] <= 160, f"line {i + 1} is a compact card"
        assert card.locator('td[data-label="数量"]').is_visible()  # each value says what it is
    assert page.locator(".kv .grid-table thead").is_hidden()
    # the order — its head, actions, every filled field and its lines — ends before the second screen does;
    # the comment box and the timeline follow below
    end = page.evaluate("document.querySelector('#timeline').getBoundingClientRect().top + window.scrollY")
    assert end <= 2 * 844, f"the order takes {end:.0f} px"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SCREENSHOTS / "order-record-3-lines-phone.png"), full_page=True)


def test_phone_order_lines_are_compact_cards_edited_in_a_sheet(tab: Any, server: dict[str, Any]) -> None:
    runtime = server["runtime"]
    t, order, lines = _three_line_order(tab, server, "/app/order/{id}/edit", ".edit-grid tbody tr[data-row]")
    page = t.page
    assert all(lines.nth(i).bounding_box()["height"] <= 160 for i in range(3)), "each line is a compact card"
    first = lines.first
    qty = first.locator('td[data-cell="qty"] input')
    assert not qty.is_visible()  # the card shows the product and the amount; the rest is in the sheet
    first.locator('td[data-cell="product"] input:visible').first.click()
    assert qty.is_visible()
    sheet = first.bounding_box()
    assert abs(sheet["y"] + sheet["height"] - 844) <= 1 and sheet["width"] == 390  # over the bottom of the screen
    page.evaluate("window.scrollTo(0, 0)")
    qty.fill("25")
    t.shot("order-grid-sheet-phone")
    page.locator("h1").first.click()  # the focus leaves the line: the sheet closes
    assert not qty.is_visible() and first.bounding_box()["height"] <= 160
    assert "162.50" in first.locator("output.ro").first.inner_text()  # 25 × 6.50, live
    with page.expect_navigation():
        page.locator("button[type=submit]", has_text="保存").click()
    saved = runtime.records().get("order", order["id"])
    assert str(saved["lines"][0]["qty"]).startswith("25")
