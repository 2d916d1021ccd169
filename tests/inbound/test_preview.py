"""The channel designer's preview: a sample payload goes through the intake's own path and shows
the order it would make and its problems — and nothing is kept (no order, customer, delivery,
audit entry or outbox event)."""

# ruff: noqa: S105 - test secrets

from __future__ import annotations

import copy

from sunmao.hooks.inbound.intake import channels
from sunmao.hooks.inbound.preview import preview_delivery

from .conftest import Shop, dumps, woo_signature
from .payloads import woo_order


def _preview(shop: Shop, payload: dict, headers: dict | None = None) -> dict:
    snap = shop.runtime.snapshot()
    return preview_delivery(shop.runtime.db, snap, channels(snap)["web_shop"], dumps(payload), headers, lang="en")


def test_a_signed_sample_shows_its_order_and_writes_nothing(shop: Shop) -> None:
    payload = woo_order()
    body = dumps(payload)
    before = shop.counts(), len(shop.deliveries())
    seen = _preview(shop, payload, {"X-WC-Webhook-Signature": woo_signature(body)})
    assert (shop.counts(), len(shop.deliveries())) == before
    assert seen["signature"] == "ok" and seen["status"] == 200, seen
    assert seen["order"]["external_order_id"] == str(payload["id"])
    assert seen["order"]["lines"] and seen["customer"]["company_name"]
    real = shop.web_shop(payload)
    assert real.status_code == 200
    order = shop.order(real.json["order"]["id"])
    assert [ln["qty"] for ln in order["lines"]] == [ln["qty"] for ln in seen["order"]["lines"]]
    assert order["amount"] == seen["order"]["amount"]


def test_an_unsigned_sample_with_an_unknown_sku_says_both(shop: Shop) -> None:
    payload = copy.deepcopy(woo_order())
    payload["line_items"][0]["sku"] = "NO-SUCH-SKU"
    seen = _preview(shop, payload)
    assert seen["signature"] == "bad"
    kinds = {p["kind"] for p in seen["problems"]}
    assert kinds == {"signature", "hold"}, seen["problems"]
    assert seen["status"] == 202 and seen["order"] is None
    assert shop.counts()["order"] == 0 and not shop.deliveries()


def test_a_payload_missing_a_required_value_names_the_source_path(shop: Shop) -> None:
    payload = copy.deepcopy(woo_order())
    del payload["id"]
    seen = _preview(shop, payload)
    assert seen["status"] == 422
    problem = next(p for p in seen["problems"] if p["kind"] == "delivery")
    assert "external_order_id" in problem["errors"]
