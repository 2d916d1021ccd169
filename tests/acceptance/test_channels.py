"""Orders that arrive by webhook obey the same rules, carry the shop's whole total, and a lookup
that finds nothing is said out loud instead of leaving a field empty in silence."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from sunmao import resources
from sunmao.meta.package import load_package
from sunmao.records import SYSTEM
from tests.acceptance.conftest import demo_module
from tests.inbound.conftest import Shop, shop  # noqa: F401 - the fixture is used by name
from tests.inbound.payloads import wecom_submission, woo_order


def test_a_webhook_order_of_a_special_product_goes_to_tech_review(shop: Shop) -> None:  # noqa: F811
    records = shop.runtime.records()
    records.update("product", shop.product_ids["HNG-304-100"], {"special_processes": ["electrophoresis"]},
                   actor=SYSTEM)
    sent = shop.wecom(wecom_submission(lines=[{"产品编码": "hng-304-100", "数量": "20", "单位": "件",
                                               "单价(元)": "6.80"}]))
    assert sent.status_code == 200, sent.json
    order = shop.order(sent.json["order"]["id"])
    assert order["lines"][0]["special_processes"] == ["electrophoresis"] and order["has_special_process"]


def test_the_stored_total_equals_the_shops_total(shop: Shop) -> None:  # noqa: F811
    payload = woo_order(4101, lines=[("BLT-M8-30", 1000, 0.35), ("HNG-304-100", 10, 6.8)])
    # WooCommerce: lines at their price before the coupon (subtotal), the coupon and shipping on the order
    payload["line_items"][0].update(subtotal="400.00", total="350.00", price=0.35)
    payload["line_items"][1].update(subtotal="68.00", total="68.00", price=6.8)
    payload.update(discount_total="50.00", shipping_total="15.00", total="433.00")
    sent = shop.web_shop(payload)
    assert sent.status_code == 200, sent.json
    order = shop.order(sent.json["order"]["id"])
    assert (order["goods_amount"], order["shipping_fee"], order["order_discount"]) == ("468.00", "15.00", "50.00")
    assert order["amount"] == payload["total"] == "433.00"


def test_a_web_shop_order_finds_its_channel(shop: Shop) -> None:  # noqa: F811
    sent = shop.web_shop(woo_order(4102))
    assert sent.status_code == 200 and "warnings" not in sent.json
    assert shop.order(sent.json["order"]["id"])["channel"] == shop.channel_ids["WEB_SHOP"]


def test_an_unresolved_lookup_is_a_warning_on_the_delivery_and_on_publish(shop: Shop) -> None:  # noqa: F811
    records = shop.runtime.records()
    records.update("channel", shop.channel_ids["WEB_SHOP"], {"channel_code": "WEBSHOP"}, actor=SYSTEM)
    sent = shop.web_shop(woo_order(4103))
    assert sent.status_code == 200, sent.json  # the order is still taken
    assert shop.order(sent.json["order"]["id"])["channel"] is None
    [warning] = [w for w in sent.json["warnings"] if w["path"] == "channel"]
    assert "WEB_SHOP" in warning["message"] and "left empty" in warning["message"]
    assert shop.deliveries()[-1]["outcome"]["warnings"][0]["code"] == "lookup_not_found"
    apps, texts = shop.runtime.current_apps()
    published = shop.runtime.publish(apps, texts=texts)
    assert any("web_shop" in w.en and "'WEB_SHOP'" in w.en for w in published.warnings), published.warnings


@pytest.mark.parametrize("channel", ["web_shop", "wecom_form", "alibaba"])
def test_the_demo_seeds_every_code_the_channels_look_up(channel: str) -> None:
    """The bundled channels' constant lookups name channel codes the demo data really creates."""
    codes = {code for _key, code, _name, _kind in demo_module().CHANNELS}
    doc = load_package(resources.app_path("order_management")).documents[f"channels/{channel}.json"]
    wanted = {spec["value"] for spec in _sources(doc) if "lookup" in spec and spec["lookup"]["entity"] == "channel"}
    assert wanted and wanted <= codes, (wanted, codes)


def _sources(doc: dict) -> list[dict]:
    found = list(doc.get("fields", {}).values()) + list(doc.get("lines", {}).get("fields", {}).values())
    found += list(doc.get("customer", {}).get("fields", {}).values())
    return [s for s in found if isinstance(s, dict)]


def test_the_demo_rates_cover_every_currency() -> None:
    rates = demo_module().RATE_SERIES
    order = json.loads((resources.app_path("order_management") / "entities" / "order.json").read_text())
    currencies = {o["value"] for f in order["fields"] if f["key"] == "currency" for o in f["options"]}
    assert currencies - {"CNY"} == set(rates) and all(Decimal(str(v[0])) > 0 for v in rates.values())


def test_a_shops_change_to_an_approved_order_is_held_for_a_person(shop: Shop) -> None:  # noqa: F811
    """Past review the shop cannot change an order by itself: the change is held (answered 2xx, so
    the shop does not retry and switch its webhook off), the order stays as approved, and after the
    order is withdrawn to revise, replaying the held delivery applies it."""
    from sunmao import accounts
    from sunmao.hooks.inbound.intake import replay
    from sunmao.workflow import WorkflowService

    first = shop.web_shop(woo_order(4201, lines=[("BLT-M8-30", 1000, 0.35)]))
    order_id = first.json["order"]["id"]
    sales = accounts.create_user(shop.runtime.db, "sales9", "correct horse battery", ["sales"]).actor
    flows = WorkflowService(shop.runtime.db, shop.runtime.snapshot())
    assert flows.transition("order", order_id, "submit", sales)["status"] == "approved"
    changed = woo_order(4201, lines=[("BLT-M8-30", 9000, 0.35)], modified="2099-01-01T00:00:00")
    held = shop.web_shop(changed)
    assert held.status_code == 202 and held.json["status"] == "held", held.json
    assert "Withdraw to revise" in held.json["holds"][0]["message"]
    assert shop.order(order_id)["lines"][0]["qty"] == "1000.00"
    flows.transition("order", order_id, "revise", sales, comment="客户改了数量")
    done = replay(shop.runtime.db, shop.runtime.snapshot(), held.json["delivery"])
    assert done.status == 200 and shop.order(order_id)["lines"][0]["qty"] == "9000.00"
