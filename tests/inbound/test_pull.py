"""The Alibaba.com pull channel against an order API on 127.0.0.1 that checks the signature
exactly as the open platform documents it, pages its results and filters by modification time."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from sunmao.errors import SunmaoError
from sunmao.hooks.inbound import pull, set_secret
from sunmao.hooks.inbound.pull import read_cursor
from tests.inbound.conftest import Shop
from tests.inbound.payloads import PACIFIC, SHANGHAI, alibaba_order, local

APP_KEY, APP_SECRET, TOKEN = "34018291", "f3c9a1d07b5e4c2a9e6d", "50002300a1b2c3"


class FakeAlibaba(ThreadingHTTPServer):
    """The order list API: signed POSTs, ``page``/``page_size`` paging, ``modify_date_start`` filter."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.orders: list[dict[str, Any]] = []
        self.requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/rest"


def _expected_sign(params: dict[str, str], secret: str) -> str:
    # Written from the platform's documentation, independently of the code under test.
    joined = "".join(key + params[key] for key in sorted(params) if key != "sign")
    return hmac.new(secret.encode("utf-8"), joined.encode("utf-8"), hashlib.sha256).hexdigest().upper()


class _Handler(BaseHTTPRequestHandler):
    server: FakeAlibaba

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("Content-Length", "0"))
        params = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
        self.server.requests.append(params)
        problems = []
        for name, wanted in (("app_key", APP_KEY), ("sign_method", "sha256"), ("method", "alibaba.seller.order.list"),
                             ("access_token", TOKEN)):
            if params.get(name) != wanted:
                problems.append(f"{name}={params.get(name)!r}")
        if abs(int(params.get("timestamp", "0")) / 1000 - time.time()) > 600:
            problems.append("timestamp")
        if params.get("sign") != _expected_sign(params, APP_SECRET):
            problems.append("sign")
        if problems:
            self._send({"error_response": {"code": "IncompleteSignature", "msg": ", ".join(problems),
                                           "request_id": "0ba2887315178178017221014"}})
            return
        since = params.get("modify_date_start", "")
        matching = sorted((o for o in self.server.orders if o["gmt_modified"] >= since),
                          key=lambda o: (o["gmt_modified"], o["trade_id"]))
        page, size = int(params["page"]), int(params["page_size"])
        self._send({"result": {"total_count": len(matching), "order_list": matching[(page - 1) * size:page * size]},
                    "request_id": "0ba2887315178178017221015"})


@pytest.fixture
def provider() -> Iterator[FakeAlibaba]:
    server = FakeAlibaba()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _point_channel_at(shop: Shop, url: str) -> None:
    apps, texts = shop.runtime.current_apps()
    doc = apps["order_management"]["channels/alibaba.json"]
    doc["pull"]["base_url"] = url
    doc["pull"]["page_size"] = 2
    shop.runtime.publish(apps, texts=texts)


def test_pull_pages_signed_requests_and_keeps_a_cursor(shop: Shop, provider: FakeAlibaba) -> None:
    db = shop.runtime.db
    for name, value in (("alibaba_app_key", APP_KEY), ("alibaba_app_secret", APP_SECRET),
                        ("alibaba_access_token", TOKEN)):
        set_secret(db, name, value)
    _point_channel_at(shop, provider.url)
    t0 = local(PACIFIC, hours=-5)
    provider.orders = [
        alibaba_order("2100001", modified=t0, sku="BLT-M8-30"),
        alibaba_order("2100002", modified=local(PACIFIC, hours=-4), sku="NUT-M8", qty="20000"),
        alibaba_order("2100003", modified=local(PACIFIC, hours=-3), sku="SCR-M4-12"),  # unknown SKU: held
        alibaba_order("2100004", modified=local(PACIFIC, hours=-2), status="unpay"),  # skipped
        alibaba_order("2100005", modified=local(PACIFIC, hours=-1), sku="HNG-304-100", qty="300"),
    ]

    result = pull(db, shop.runtime.snapshot(), "alibaba")
    assert result.errors == []
    assert (result.pages, result.fetched) == (3, 5)
    assert result.statuses == {"processed": 3, "held": 1, "ignored": 1}
    assert result.cursor_after == provider.orders[-1]["gmt_modified"]
    assert [r["page"] for r in provider.requests] == ["1", "2", "3"]
    assert provider.requests[0]["role"] == "seller" and provider.requests[0]["page_size"] == "2"
    first_since = datetime.strptime(provider.requests[0]["modify_date_start"], "%Y-%m-%d %H:%M:%S")
    assert abs((local(PACIFIC, hours=-72) - first_since).total_seconds()) < 60  # Pacific local, 72 h back
    assert shop.count("order") == 3
    assert shop.count("customer") == 3  # Acme Industrial created once, then matched by e-mail
    first = next(d for d in shop.deliveries() if d["status"] == "processed")
    order = shop.order(first["outcome"]["order"]["id"])
    assert order["external_order_id"] == "2100001" and order["currency"] == "USD"
    assert order["channel"] == shop.channel_ids["ALIBABA"]
    # gmt_create is US Pacific local time; the order date is the date in Shanghai at that instant.
    created = datetime.strptime(provider.orders[0]["gmt_create"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=PACIFIC)
    assert order["order_date"] == created.astimezone(SHANGHAI).date().isoformat()

    # Next run: asks from the cursor on; the boundary order comes again (a duplicate, nothing made),
    # a changed order updates its record, a new one is created.
    provider.requests.clear()
    changed = alibaba_order("2100002", modified=local(PACIFIC, minutes=-30), sku="NUT-M8", qty="25000")
    provider.orders[1] = changed
    provider.orders.append(alibaba_order("2100006", modified=local(PACIFIC, minutes=-10), sku="WSH-M8", qty="50"))
    again = pull(db, shop.runtime.snapshot(), "alibaba")
    assert provider.requests[0]["modify_date_start"] == result.cursor_after
    assert again.statuses == {"duplicate": 1, "processed": 2}
    assert shop.count("order") == 4
    by_external = {o["external_order_id"]: o for o in shop.runtime.records().list("order")["items"]}
    assert shop.order(by_external["2100002"]["id"])["lines"][0]["qty"] == "25000.00"
    assert again.cursor_after == provider.orders[-1]["gmt_modified"]

    # A wrong app secret: the provider refuses the signature, the run fails loudly, the cursor stays.
    set_secret(db, "alibaba_app_secret", "not-the-secret", keep_previous=False)
    with pytest.raises(SunmaoError) as failed:
        pull(db, shop.runtime.snapshot(), "alibaba")
    assert failed.value.status == 502 and "IncompleteSignature" in str(failed.value.detail)
    assert "sign" in str(failed.value.detail)
    assert read_cursor(db, "alibaba") == again.cursor_after
