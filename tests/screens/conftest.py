"""Fixtures of the screen tests: the order app with a small demo set, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from sunmao import assembly
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.screens import demo

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture(scope="module")
def oms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Runtime, dict[str, Any]]]:
    """One order-management database per test module (installing the app takes a second or two)."""
    path: Path = tmp_path_factory.mktemp("oms") / "sunmao.db"
    runtime = assembly.runtime(f"sqlite:///{path}", check_interval=0)
    runtime.setup()
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=6)
    yield runtime, data
    runtime.db.dispose()


class Browser:
    """A cookie-keeping client that signs in through the login form, like a person."""

    def __init__(self, wsgi: Any):
        self.client = Client(wsgi)
        self.token = ""

    def csrf(self, html: str) -> str:
        m = CSRF.search(html)
        assert m, "no CSRF token on the page"
        return m.group(1) or m.group(2)

    def login(self, username: str, password: str = demo.PASSWORD) -> Browser:
        page = self.client.get("/login")
        response = self.client.post("/login", data={"username": username, "password": password,
                                                     "csrf_token": self.csrf(page.text)})
        assert response.status_code == 302, response.text[:500]
        self.token = self.csrf(self.client.get("/app").text)
        return self

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, **kw)

    def post_form(self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kw: Any) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def post_json(self, path: str, body: Any, *, csrf: bool = True) -> Any:
        headers = {"X-CSRFToken": self.token} if csrf else {}
        headers["Accept-Language"] = "en"
        return self.client.post(path, json=body, headers=headers)


@pytest.fixture
def browse(oms: tuple[Runtime, dict[str, Any]]) -> Any:
    runtime, _data = oms
    wsgi = create_wsgi(runtime)

    def make(username: str | None = None) -> Browser:
        b = Browser(wsgi)
        return b.login(username) if username else b

    return make
