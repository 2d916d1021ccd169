"""(e) The operations manager adds a chart to the war room in the designer and sees it on the board:
the fifth of the standard designer changes, in Debian's Chromium against a real server.

The manager role alone does not open the designer (it needs the designer role, as every designer
change does): the operations manager here holds both, as in the other designer scenarios. It lives
with the other browser tests: one Playwright (the session's ``chromium``) per test process."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from tests.browser.conftest import SCREENSHOTS, Page
from tests.browser.test_designer import check_and_publish, new_draft, open_doc, plant, saved, tab  # noqa: F401

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None

WAR_ROOM = "order_management/dashboards/war_room.json"


def local_only(t: Page) -> list[str]:
    """Every request the tab makes that leaves 127.0.0.1 (none may: no CDN, no tile server)."""
    away: list[str] = []
    t.page.on("request", lambda r: away.append(r.url) if urlparse(r.url).scheme in ("http", "https") and
              urlparse(r.url).hostname != "127.0.0.1" else None)
    return away


def test_e_a_manager_adds_a_chart_in_the_designer_and_sees_it_on_the_board(tab: Any, plant: dict[str, Any]  # noqa: F811
                                                                            ) -> None:
    t: Page = tab()
    away = local_only(t)
    t.login("ops")
    draft = new_draft(t, "作战室加渠道柱状图")
    open_doc(t, draft, WAR_ROOM)
    page = t.page
    cells = page.locator("[data-dz-cell]")
    expect(cells).to_have_count(10)
    expect(page.locator('[data-dz-cell="stock"] .cell-plot .main-svg').first).to_be_visible(timeout=15000)

    page.select_option("[data-dz-new-type]", "bar")
    page.click("[data-dz-add-widget]")
    cell = page.locator('[data-dz-cell="bar_1"]')
    expect(cell).to_be_visible()
    panel = page.locator("[data-dz-widget-panel]")
    expect(panel).to_have_attribute("data-dz-editing", "bar_1")
    panel.locator('[data-dz-w="title_zh"]').fill("按渠道订单")
    panel.locator('[data-dz-w="title_en"]').fill("Orders by channel")
    expect(panel.locator('[data-dz-w="entity"]')).to_have_value("order")
    panel.locator('[data-dz-group-field="0"]').select_option("channel")
    expect(panel.locator('[data-dz-measure-op="0"]')).to_have_value("count")

    # the mouse: drag the new cell one column to the right, then widen it by its corner
    x_before = int(panel.locator('[data-dz-w="x"]').input_value())
    box = cell.locator(".cell-head").bounding_box()
    column = page.locator("[data-dz-board-grid]").bounding_box()["width"] / 12
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 30 + column, box["y"] + box["height"] / 2, steps=8)
    page.mouse.up()
    expect(panel.locator('[data-dz-w="x"]')).to_have_value(str(x_before + 1))
    corner = cell.locator("[data-dz-resize]").bounding_box()
    page.mouse.move(corner["x"] + 8, corner["y"] + 8)
    page.mouse.down()
    page.mouse.move(corner["x"] + 8 + 2 * column, corner["y"] + 8, steps=8)
    page.mouse.up()
    expect(panel.locator('[data-dz-w="w"]')).to_have_value("6")
    # the keyboard: arrows move the focused cell, Shift+arrows resize it
    cell.focus()
    page.keyboard.press("ArrowLeft")
    expect(panel.locator('[data-dz-w="x"]')).to_have_value(str(x_before))
    page.keyboard.press("Shift+ArrowDown")
    expect(panel.locator('[data-dz-w="h"]')).to_have_value("4")
    # the number inputs: the exact place
    for name, value in (("x", "0"), ("w", "6"), ("h", "3")):
        field = panel.locator(f'[data-dz-w="{name}"]')
        field.fill(value)
        field.press("Tab")
    placed = cell.evaluate("c => ['--x', '--y', '--w', '--h'].map(v => c.style.getPropertyValue(v).trim())")
    assert placed == ["1", "9", "6", "3"]  # CSS grid lines count from 1: column 0, row 8

    expect(cell).to_have_attribute("data-preview", "ok", timeout=15000)
    expect(cell.locator(".cell-plot .main-svg").first).to_be_visible()
    expect(cell.locator(".cell-head h2")).to_have_text("按渠道订单")
    assert page.locator('[data-dz-cell="bar_1"] .cell-plot .bars path').count() >= 1  # a bar per channel
    saved(t)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "designer-board-editor-desktop.png"), full_page=True)

    # an edit like any other: a widget added by mistake goes away with undo
    page.select_option("[data-dz-new-type]", "number")
    page.click("[data-dz-add-widget]")
    expect(cells).to_have_count(12)
    saved(t)
    page.click("[data-dz-undo]")
    expect(cells).to_have_count(11)
    expect(page.locator('[data-dz-cell="number_1"]')).to_have_count(0)
    saved(t)

    version = check_and_publish(t, draft, "作战室：按渠道订单柱状图")
    assert version >= 2

    board = t.page
    board.goto(t.base + "/dashboards/war_room")
    shown = board.locator('[data-widget="bar_1"]')
    expect(shown.locator(".cell-head h2")).to_have_text("按渠道订单")
    expect(shown.locator(".cell-plot .main-svg").first).to_be_visible(timeout=15000)
    assert shown.locator(".cell-plot .bars path").count() >= 1
    for wid in ("open_orders", "by_stage", "by_channel", "stock"):  # the rest of the board still draws
        expect(board.locator(f'[data-widget="{wid}"] [data-body] > *').first).to_be_visible(timeout=15000)
    assert away == []
