"""A signed webhook delivery with numbers no column holds is refused with a 4xx problem, never a 500,
and the raw delivery stays stored (replayable), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.inbound.conftest import Shop, dumps, shop  # noqa: F401 - the fixture
from tests.inbound.payloads import woo_order


@pytest.mark.parametrize("quantity", [Decimal("1e30"), "1e30", 10**25])
def test_a_signed_delivery_with_a_quantity_beyond_its_column_is_refused(shop: Shop, quantity: object) -> None:  # noqa: F811
    order = woo_order(9301, lines=[("BLT-M8-30", 0, 0.35)])
    order["line_items"][0]["quantity"] = "QTY"
    body = dumps(order).replace(b'"QTY"', str(quantity).encode() if not isinstance(quantity, str)
                                else json.dumps(quantity).encode())
    before = shop.counts()
    response = shop.web_shop(body)
    assert 400 <= response.status_code < 500, (response.status_code, response.data[:500])
    problem = response.json
    assert response.headers["Content-Type"] == "application/problem+json"
    messages = [m for msgs in problem["errors"].values() for m in msgs]
    assert any("Out of range" in m for m in messages), problem
    assert shop.counts() == before  # nothing written but the delivery
    [stored] = shop.deliveries()
    assert stored["status"] == "rejected" and stored["http_status"] == response.status_code
    assert bytes(stored["body"]) == body and stored["verified"]
