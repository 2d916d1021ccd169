"""The war room and the KPI board in Chromium: every widget draws, no console error, no request leaves
127.0.0.1; screenshots at desktop, wall-screen (1920×1080) and phone widths."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


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
        "b.querySelector('.main-svg, .number-card, table, .denied'))", timeout=30000)
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
