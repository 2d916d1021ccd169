"""The operations manager in the designer, and a staff user who sees the effect — a real server,
Debian's Chromium, no mocks. Each scenario ends in another browser context, as another person."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from sunmao import accounts
from sunmao.runtime import Runtime
from tests.browser.conftest import SCREENSHOTS, Page, chromium, open_tabs  # noqa: F401 - the chromium fixture
from tests.screens import demo

pytestmark = pytest.mark.browser

try:
    from playwright.sync_api import expect
except ImportError:  # the chromium fixture skips (or fails under CI) with the reason
    expect = None

OPS = "ops"


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A plant of its own (these scenarios publish): the order app, demo data, staff and an ops manager."""
    from waitress.server import create_server

    from sunmao.designer import packages
    from sunmao.resources import app_path
    from sunmao.web import create_wsgi

    path = tmp_path_factory.mktemp("designer") / "sunmao.db"
    runtime = Runtime(f"sqlite:///{path}", check_interval=0.2)
    runtime.setup()
    packages.install(runtime, app_path("order_management"))
    demo.users(runtime)
    accounts.create_user(runtime.db, OPS, demo.PASSWORD, ["designer", "manager"], display_name="运营经理")
    data = demo.seed(runtime, orders=14)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = create_server(create_wsgi(runtime), host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{port}", "runtime": runtime, "data": data}
    httpd.close()
    runtime.db.dispose()


@pytest.fixture
def tab(chromium: Any, plant: dict[str, Any]) -> Iterator[Any]:  # noqa: F811 - chromium is the imported fixture
    yield from open_tabs(chromium, plant["url"])


# -- what the ops manager does ---------------------------------------------------------------------

def new_draft(t: Page, title: str) -> int:
    t.goto("/designer")
    t.page.fill("[data-dz-new-draft] input[name=title]", title)
    t.page.click("[data-dz-new-draft] button")
    t.page.wait_for_url("**/designer/drafts/*")
    return int(t.page.url.rstrip("/").split("/")[-1])


def open_doc(t: Page, draft: int, address: str) -> None:
    t.goto(f"/designer/drafts/{draft}/doc/{address}")


def saved(t: Page) -> None:
    """Wait until the status line says every change is saved (and never saw a failure)."""
    expect(t.page.locator("[data-dz-status]")).to_have_attribute("data-state", "saved", timeout=15000)


def add_field(t: Page, zh: str, en: str, key: str, type_label: str) -> None:
    form = t.page.locator("[data-dz-add-field]")
    form.locator("input[name=zh]").fill(zh)
    form.locator("input[name=en]").fill(en)
    form.locator("input[name=key]").fill(key)
    form.locator("select[name=type]").select_option(label=type_label)
    form.locator("button[type=submit]").click()
    expect(t.page.locator('[data-dz-props] [data-prop="key"]')).to_have_value(key)


def check_and_publish(t: Page, draft: int, comment: str) -> int:
    t.goto(f"/designer/drafts/{draft}/check")
    expect(t.page.locator("[data-dz-verdict]")).to_have_attribute("data-ok", "1", timeout=30000)
    t.page.fill("[data-dz-comment]", comment)
    started = time.perf_counter()
    t.page.click("[data-dz-publish]")
    done = t.page.locator("[data-published]")
    done.wait_for(timeout=30000)
    t.publish_seconds = time.perf_counter() - started
    return int(done.get_attribute("data-published"))


def drag(t: Page, source: Any, target: Any) -> None:
    """Drag with the mouse, in steps, as SortableJS expects a person to."""
    source.scroll_into_view_if_needed()
    box, goal = source.bounding_box(), target.bounding_box()
    page = t.page
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(150)
    page.mouse.move(box["x"] + box["width"] / 2 + 8, box["y"] + box["height"] / 2 + 8, steps=4)
    page.wait_for_timeout(100)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + goal["height"] / 2, steps=15)
    page.wait_for_timeout(150)
    page.mouse.move(goal["x"] + goal["width"] / 2 + 2, goal["y"] + goal["height"] / 2 + 2, steps=2)
    page.wait_for_timeout(150)
    page.mouse.up()


# -- (a) a select field with three colours, placed in the order form, filled in by sales ------------------

def test_a_coating_colour_for_orders_then_sales_fills_it_in(tab: Any, plant: dict[str, Any]) -> None:
    ops = tab()
    ops.login(OPS)
    draft = new_draft(ops, "订单加涂层颜色")
    open_doc(ops, draft, "order_management/entities/order.json")
    add_field(ops, "涂层颜色", "Coating colour", "coating_color", "单选")
    page = ops.page
    props = page.locator("[data-dz-props]")
    for i, (value, zh, en, colour) in enumerate((("black", "哑光黑", "Matt black", "#222222"),
                                                   ("silver", "银色", "Silver", "#a6acaf"),
                                                   ("red", "中国红", "China red", "#c0392b"))):
        if i:
            props.locator("[data-dz-add-option]").click()
        props.locator(f'[data-option-value="{i}"]').fill(value)
        props.locator(f'[data-option-zh="{i}"]').fill(zh)
        props.locator(f'[data-option-en="{i}"]').fill(en)
        props.locator(f'[data-option-color="{i}"]').fill(colour)
    saved(ops)
    ops.shot("designer-entity-desktop")

    open_doc(ops, draft, "order_management/forms/order.json")
    page.fill("[data-dz-palette-search]", "涂层")
    chip = page.locator('[data-dz-palette] [data-field="coating_color"]')
    drag(ops, chip, page.locator('[data-drop="0"] [data-field="customer"]'))
    expect(page.locator('[data-drop="0"] [data-field="coating_color"]')).to_be_visible()
    saved(ops)
    frame = page.frame_locator("[data-dz-preview]")
    expect(frame.locator('[data-field-wrap="coating_color"]')).to_be_visible(timeout=15000)
    ops.shot("designer-form-desktop")

    version = check_and_publish(ops, draft, "订单增加涂层颜色")
    ops.shot("designer-published-desktop")
    assert ops.publish_seconds < 60

    sales = tab()
    sales.login("sales")
    order = plant["data"]["orders"][1]
    sales.goto(f"/app/order/{order['id']}/edit")
    sales.page.select_option("#f-coating_color", "silver")
    sales.page.click("[data-save]")
    sales.page.wait_for_url(f"**/app/order/{order['id']}")
    expect(sales.page.locator("body")).to_contain_text("银色")
    assert plant["runtime"].records().get("order", order["id"])["coating_color"] == "silver"
    assert plant["runtime"].current_version() == version
