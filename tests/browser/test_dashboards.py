"""The war room and the KPI board in Chromium: every widget draws, no console error, no request leaves
127.0.0.1; screenshots at desktop, wall-screen (1920×1080) and phone widths."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest

from sunmao import assembly
from sunmao.records import SYSTEM
from sunmao.records.stages import replace_history
from sunmao.runtime import Runtime
from tests.browser.conftest import _free_port
from tests.screens import demo

pytestmark = pytest.mark.browser
PATH = ["draft", "submitted", "approved", "scheduled", "in_production", "qc", "ready_to_ship", "shipped", "paid"]


def _history(runtime: Runtime, data: dict[str, Any], rnd: random.Random) -> None:
    """Sixty orders over two months, each as far along its path as its age says, with its stage history;
    an export customer, safety stock, and customer feedback — something for every widget to show."""
    records = runtime.records()
    products = data["products"]
    buyer = records.create("customer", {"company_name": "Midwest Fastener Supply LLC", "country": "United States",
                                        "phone": "+1 312 555 0147", "payment_terms": "advance"})
    customers = data["customers"] + [buyer]
    now = datetime.now(UTC)
    payloads, paths = [], []
    for i in range(60):
        age = rnd.randint(0, 60)
        customer = customers[i % len(customers)]
        steps = min(len(PATH) - 1, age // 4 + rnd.randint(0, 2))
        state = PATH[steps] if rnd.random() > 0.05 else "on_hold"
        ordered = (now - timedelta(days=age)).date()
        payloads.append({
            "customer": customer["id"], "order_date": ordered.isoformat(),
            "due_date": (ordered + timedelta(days=rnd.randint(10, 40))).isoformat(), "status": state,
            "currency": "USD" if customer is buyer else "CNY", "exchange_rate": "7.10" if customer is buyer else None,
            "channel": data["channels"][0]["id"] if i % 3 == 0 else None, "sales_rep": "sales" if i % 2 else None,
            "qc_status": "passed" if steps >= 6 else "pending",
            "shipped_at": (now - timedelta(days=max(age - 20, 0))).isoformat() if steps >= 7 else None,
            "waybill_no": f"SF{1000 + i}" if steps >= 7 else None,
            "lines": [{"product": products[(i + j) % len(products)]["id"], "qty": str(rnd.randint(5, 400)),
                       "unit_price": products[(i + j) % len(products)]["price"]} for j in range(1 + i % 3)]})
        paths.append((now - timedelta(days=age), steps if state != "on_hold" else 3, state))
    created = records.create_many("order", payloads, actor=SYSTEM, history=True)
    with runtime.db.write() as conn:
        for order, (start, steps, state) in zip(created, paths, strict=True):
            moment, stays = start, []
            for k in range(steps + 1):
                stays.append((PATH[k], moment, None, None))
                moment += timedelta(hours=rnd.randint(2, 40))
            if state == "on_hold":
                stays.append(("on_hold", moment, "hold", None))
            replace_history(conn, runtime.snapshot(), "order", order["id"], [s for s in stays if s[1] <= now])
    for level in records.list("stock_level")["items"]:
        records.update("stock_level", level["id"], {"safety_stock": str(rnd.choice([800, 3000, 6000]))}, actor=SYSTEM)
    for order in created[::4]:
        records.create("survey", {"order": order["id"], "score": rnd.choice([6, 8, 9, 10, 10]),
                                  "kind": rnd.choice(["survey", "survey", "survey", "complaint"])}, actor=SYSTEM)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server of its own: the shared one keeps its small, all-draft data for the screen tests."""
    from waitress.server import create_server

    from sunmao.web import create_wsgi

    runtime = assembly.runtime(f"sqlite:///{tmp_path_factory.mktemp('boards') / 'sunmao.db'}", check_interval=0.5)
    runtime.setup()
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=6)
    _history(runtime, data, random.Random(16))
    port = _free_port()
    httpd = create_server(create_wsgi(runtime), host="127.0.0.1", port=port, threads=8)
    threading.Thread(target=httpd.run, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{port}", "runtime": runtime, "data": data}
    httpd.close()
    runtime.db.dispose()


def _watch(tab: Any) -> list[str]:
    outside: list[str] = []
    tab.page.on("request", lambda r: outside.append(r.url) if urlsplit(r.url).hostname not in ("127.0.0.1", None)
                and not r.url.startswith(("data:", "blob:")) else None)
    return outside


def _drawn(tab: Any, board: str) -> None:
    tab.goto(f"/dashboards/{board}?period=all")
    count = tab.page.locator("[data-widget]").count()
    assert count > 0
    tab.page.wait_for_function(
        "() => [...document.querySelectorAll('[data-widget] [data-body]')].every(b => "
        "b.querySelector('.main-svg, .number-card, table, .denied, .empty'))", timeout=30000)
    assert tab.page.locator(".denied").count() == 0


@pytest.mark.parametrize("board", ["war_room", "kpi"])
def test_board_renders_every_widget(tab: Any, board: str) -> None:
    page = tab()
    outside = _watch(page)
    page.login("manager")
    _drawn(page, board)
    page.page.wait_for_timeout(500)
    page.shot(f"dashboard-{board}-desktop")
    assert not outside


def test_wall_screen_fits_1920_by_1080(tab: Any) -> None:
    page = tab(width=1920, height=1080)
    outside = _watch(page)
    page.login("manager")
    page.goto("/dashboards/wall/war_room?period=all")
    page.page.wait_for_function("() => document.querySelectorAll('.main-svg').length >= 5", timeout=30000)
    page.page.wait_for_timeout(800)
    height = page.page.evaluate("() => document.documentElement.scrollHeight")
    assert height <= 1080
    page.shot("dashboard-war-room-wall")
    assert not outside


def test_phone_and_drill_down(tab: Any) -> None:
    page = tab(width=390, height=844)
    page.login("manager")
    _drawn(page, "war_room")
    page.shot("dashboard-war-room-phone")
    page.page.locator('[data-widget="open_orders"] .number-card').click()
    page.page.wait_for_url("**/app/order?*")
    assert "status__in=" in page.page.url


def test_a_chart_downloads_as_png(tab: Any) -> None:
    page = tab()
    page.login("manager")
    _drawn(page, "war_room")
    with page.page.expect_download() as download:
        page.page.locator('[data-widget="by_stage"] [data-png]').click()
    assert download.value.suggested_filename == "war_room-by_stage.png"


def test_wall_keeps_its_figures_through_a_network_blip_and_rotates(tab: Any) -> None:
    page = tab(width=1920, height=1080)
    page.login("manager")
    page.goto("/dashboards/wall/war_room?period=all&refresh=10&seconds=14")
    drawn = "() => [...document.querySelectorAll('[data-widget] [data-body]')].filter(b => " \
            "b.querySelector('.main-svg, .number-card')).length"
    page.page.wait_for_function(f"() => ({drawn})() === document.querySelectorAll('[data-widget]').length",
                                timeout=30000)
    cells = page.page.evaluate(drawn)
    page.page.route("**/dashboards/*/w/*", lambda route: route.abort())  # the network drops
    page.page.wait_for_function("() => document.querySelector('[data-board-status]').classList.contains('stale')",
                                timeout=30000)
    assert page.page.evaluate(drawn) == cells  # nothing went blank
    assert "网络中断" in page.page.locator("[data-board-status]").inner_text()
    page.page.unroute("**/dashboards/*/w/*")
    page.errors.clear()  # the refused fetches were logged on purpose
    page.page.wait_for_function("() => document.querySelector('[data-wall-title]').textContent === '经营指标'",
                                timeout=30000)  # the playlist moved on to the KPI board
    page.page.wait_for_function("() => document.querySelectorAll('.main-svg, .number-card').length >= 6",
                                timeout=30000)
    page.page.wait_for_timeout(500)
    page.shot("dashboard-kpi-wall")
    page.errors[:] = [e for e in page.errors if "ERR_FAILED" not in e]  # late reports of the refused fetches
