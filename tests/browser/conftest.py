"""A real server (waitress in a thread) and Debian's Chromium driven by Playwright.

Never ``playwright install``: the browser is /usr/bin/chromium. Without it or without the
playwright package these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sunmao import assembly
from tests.conftest import require_service
from tests.screens import demo

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from waitress.server import create_server

    from sunmao.web import create_wsgi

    path = tmp_path_factory.mktemp("browser") / "sunmao.db"
    runtime = assembly.runtime(f"sqlite:///{path}", check_interval=0.5)
    runtime.setup()
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=14)
    port = _free_port()
    httpd = create_server(create_wsgi(runtime), host="127.0.0.1", port=port, threads=8)
    thread = threading.Thread(target=httpd.run, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{port}", "runtime": runtime, "data": data}
    httpd.close()
    runtime.db.dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        require_service("chromium", f"{CHROMIUM} is missing (apt-get install chromium fonts-wqy-microhei)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_service("playwright", "the playwright package is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Page:
    """A browser tab that records console errors and uncaught exceptions of every page it visits."""

    def __init__(self, browser: Any, base: str, *, width: int = 1366, height: int = 900, locale: str = "zh-CN"):
        self.context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                           accept_downloads=True)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        #: HTTP statuses a scenario provokes on purpose (a validation error is a 422 the page shows inline);
        #: Chromium logs every 4xx fetch as a console error, any other is still a failure.
        self.expected_statuses: set[int] = set()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.errors.append(f"{self.page.url}: {e}"))

    def _console(self, message: Any) -> None:
        if message.type != "error":
            return
        if any(f"status of {code} " in message.text for code in self.expected_statuses):
            return
        self.errors.append(f"{self.page.url}: {message.text}")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def login(self, username: str) -> None:
        self.goto("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", demo.PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/app")

    def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def close(self) -> None:
        self.context.close()


def open_tabs(chromium: Any, base: str) -> Iterator[Any]:
    """Yield a maker of tabs on ``base``; at the end close them and fail on any console error."""
    opened: list[Page] = []

    def make(**kw: Any) -> Page:
        page = Page(chromium, base, **kw)
        opened.append(page)
        return page

    yield make
    errors = [e for p in opened for e in p.errors]
    for p in opened:
        p.close()
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def tab(chromium: Any, server: dict[str, Any]) -> Iterator[Any]:
    yield from open_tabs(chromium, server["url"])
