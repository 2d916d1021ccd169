"""Deliveries arriving at the same moment, on SQLite and PostgreSQL.

A provider that retries on a timeout can deliver the same order twice within milliseconds, and
a shop that splits a checkout into single-item orders sends them together. Each delivery is
one transaction: the copy that loses the race for the idempotency key answers with the first
copy's answer, and the items of one checkout end up as lines of one order.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.test import Client, TestResponse

from tests.inbound.conftest import Shop, dumps, woo_signature
from tests.inbound.payloads import woo_order

THREADS = 6


def _at_once(shop: Shop, bodies: list[bytes]) -> list[TestResponse]:
    """Post every body from its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(bodies))
    answers: list[Any] = [None] * len(bodies)

    def send(i: int) -> None:
        client = Client(shop.client.application)
        headers = {"Accept-Language": "en", "Content-Type": "application/json",
                   "X-WC-Webhook-Signature": woo_signature(bodies[i]), "X-WC-Webhook-Topic": "order.created",
                   "X-WC-Webhook-Delivery-ID": f"race-{i}"}
        barrier.wait(timeout=30)
        answers[i] = client.post("/hooks/web_shop", data=bodies[i], headers=headers)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(a is not None for a in answers), "a delivery got no answer"
    return answers


def test_copies_of_one_order_at_the_same_moment_make_one_order(shop: Shop) -> None:
    before = shop.count("order")
    answers = _at_once(shop, [dumps(woo_order(4401))] * THREADS)
    assert [a.status_code for a in answers] == [200] * THREADS
    assert len({a.json["order"]["id"] for a in answers}) == 1  # everyone is told the same order
    assert shop.count("order") == before + 1
    statuses = sorted(d["status"] for d in shop.deliveries())
    assert statuses == ["duplicate"] * (THREADS - 1) + ["processed"]
    firsts = {a.headers.get("X-Sunmao-Duplicate-Of") for a in answers} - {None}
    assert firsts == {str(next(d["id"] for d in shop.deliveries() if d["status"] == "processed"))}


def test_items_of_one_checkout_at_the_same_moment_make_one_order(shop: Shop) -> None:
    items = [("BLT-M8-30", 2000, 0.35), ("NUT-M8", 2000, 0.12), ("HNG-304-100", 50, 6.8), ("BLT-M8-30", 10, 0.35)]
    bodies = [dumps(woo_order(4500 + i, lines=[item], checkout="co_race_1")) for i, item in enumerate(items)]
    answers = _at_once(shop, bodies)
    assert [a.status_code for a in answers] == [200] * len(items)
    assert sorted(a.json.get("action", "created") for a in answers) == ["created"] + ["merged"] * (len(items) - 1)
    order_ids = {a.json["order"]["id"] for a in answers}
    assert len(order_ids) == 1
    order = shop.order(order_ids.pop())
    assert sorted(line["qty"] for line in order["lines"]) == sorted(f"{qty}.00" for _sku, qty, _price in items)
    assert order["amount"] == "1283.50"
