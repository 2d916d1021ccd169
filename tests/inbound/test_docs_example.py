"""The worked example of docs/channels.md: a Shopify store added to a copy of the order app.

The channel document and the test order are the files the page shows
(``docs/examples/shopify.json`` and ``shopify-order.json``), installed the way the page says
(listed in ``app.json``, ``install_app``); if either drifts from the engine, this fails.
"""

# ruff: noqa: S105, S106 - the secrets below are test fixtures

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

from sunmao import resources
from sunmao.hooks.inbound import replay, set_secret

from .conftest import Shop, woo_signature

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
SECRET = "shpss_7d1c4e0a9b"


def _package(tmp_path: Path, *, listed: bool) -> Path:
    """A copy of the bundled app with the example channel in it (listed in app.json or not)."""
    package = tmp_path / "my_app"
    shutil.copytree(resources.app_path("order_management"), package)
    shutil.copy(EXAMPLES / "shopify.json", package / "channels" / "shopify.json")
    if listed:
        manifest = json.loads((package / "app.json").read_text(encoding="utf-8"))
        manifest["documents"].append("channels/shopify.json")
        (package / "app.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return package


def _send(shop: Shop, body: bytes, secret: str = SECRET):  # type: ignore[no-untyped-def]
    # Shopify's signature is WooCommerce's: base64 of the HMAC-SHA256 of the body
    return shop.post("shopify", body, {"X-Shopify-Hmac-Sha256": woo_signature(body, secret),
                                       "X-Shopify-Topic": "orders/create"})


def test_a_channel_file_not_listed_in_the_manifest_is_not_installed(shop: Shop, tmp_path: Path) -> None:
    shop.runtime.install_app(_package(tmp_path, listed=False))
    answer = _send(shop, (EXAMPLES / "shopify-order.json").read_bytes())
    assert answer.status_code == 404
    assert answer.json["type"].endswith("unknown-channel")


def test_the_shopify_example_makes_the_order_the_page_shows(shop: Shop, tmp_path: Path) -> None:
    shop.runtime.install_app(_package(tmp_path, listed=True))
    body = (EXAMPLES / "shopify-order.json").read_bytes()

    held = _send(shop, body)  # no SHOPIFY channel record yet, and a secret is needed first
    assert held.status_code == 503 and held.json["type"].endswith("channel-not-ready")

    set_secret(shop.runtime.db, "shopify_webhook", SECRET)
    records = shop.runtime.records()
    records.create_many("product", [
        {"sku": "BKT-0001", "product_name": "刹车片支架", "spec": "适用大众朗逸 前轮左", "unit": "pc",
         "price": "25.70"},
        {"sku": "BRG-0001", "product_name": "轴承座", "spec": "UCP204", "unit": "pc", "price": "18.10"},
    ])
    without_record = _send(shop, body)
    assert without_record.status_code == 202
    assert {h["path"] for h in without_record.json["holds"]} == {"channel", "customer.source_channel"}

    channel = records.create("channel", {"channel_code": "SHOPIFY", "channel_name": "Shopify 店铺",
                                         "channel_type": "web_shop"})
    sent = replay(shop.runtime.db, shop.runtime.snapshot(), without_record.json["delivery"])
    assert sent.status == 200, sent.body
    order = shop.order(sent.body["order"]["id"])
    assert order["channel"] == channel["id"]
    assert (order["external_order_id"], order["order_date"], order["due_date"]) == \
        ("5820139012345", "2026-12-07", "2026-12-28")
    assert order["advance_payment_required"] is False
    assert [(line["description"], line["amount"]) for line in order["lines"]] == [
        ("刹车片支架 适用大众朗逸 前轮左", "1028.00"), ("轴承座 UCP204", "1810.00")]
    assert [Decimal(order[k]) for k in ("goods_amount", "shipping_fee", "order_discount", "amount")] == [
        Decimal("2838.00"), Decimal("12.00"), Decimal("102.80"), Decimal("2747.20")]  # amount = Shopify's total_price
    assert order["remarks"] == "Shopify #1001；买家留言：请用纸箱包装"
    customer = records.get("customer", order["customer"])
    assert (customer["company_name"], customer["phone"]) == ("杭州信达机械有限公司", "13957102233")

    again = _send(shop, body)
    assert again.status_code == 200 and again.headers["X-Sunmao-Duplicate-Of"] == str(sent.delivery)
    assert _send(shop, body, secret="another").status_code == 401
