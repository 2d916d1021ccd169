"""The intake path: pings, idempotency, held orders and replay, skipped test orders, every kind
of bad input, and the normalisation of units, amounts, dates and time zones."""

from __future__ import annotations

import json
import os
from decimal import Decimal

from click.testing import CliRunner

from sunmao.cli import main as cli
from sunmao.hooks.inbound import list_deliveries, replay
from tests.inbound.conftest import Shop, dumps
from tests.inbound.payloads import local, wecom_submission, woo_order


def test_pings_and_challenges_create_nothing(shop: Shop) -> None:
    shop.add_channel({
        "kind": "channel", "key": "events_api", "label": {"zh": "事件", "en": "Events"}, "mode": "push",
        "auth": {"type": "bearer", "secrets": ["wecom_form_token"]},
        "pings": [{"id": "url_verification", "when": {"==": [{"var": "body.type"}, "url_verification"]},
                   "respond": {"json": {"challenge": {"var": "body.challenge"}}}}],
        "target": {"entity": "order"}, "fields": {"due_date": "due", "customer": "customer_id"}})
    before = shop.counts()
    woo_ping = shop.client.post("/hooks/web_shop", data="webhook_id=12",
                                content_type="application/x-www-form-urlencoded")
    assert woo_ping.status_code == 200 and woo_ping.json == {"status": "ok", "webhook_id": "12"}
    echo = shop.client.get("/hooks/wecom_form?msg_signature=5d1e&timestamp=1732500000&nonce=83&echostr=Zx81pQ")
    assert echo.status_code == 200 and echo.get_data(as_text=True) == "Zx81pQ"
    challenge = shop.post("events_api", b'{"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV"}')
    assert challenge.status_code == 200 and challenge.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV"}
    plain_get = shop.client.get("/hooks/web_shop")
    assert plain_get.status_code == 401  # not a ping: it must be signed like any delivery
    assert shop.counts() == before
    assert [d["status"] for d in shop.deliveries()] == ["ignored", "ignored", "ignored", "rejected"]


def test_repeated_delivery_returns_the_first_answer_and_a_change_updates(shop: Shop) -> None:
    order = woo_order(901)
    first = shop.web_shop(order)
    assert first.status_code == 200
    after_first = shop.counts()
    again = shop.web_shop(order, headers={"X-WC-Webhook-Delivery-ID": "e0c2"})  # providers change delivery ids
    assert (again.status_code, again.json) == (first.status_code, first.json)
    assert again.headers["X-Sunmao-Duplicate-Of"] == str(first.json["delivery"])
    assert shop.counts() == after_first
    assert [d["status"] for d in shop.deliveries()] == ["processed", "duplicate"]

    changed = woo_order(901, modified=local(hours=-7).isoformat(), lines=[("BLT-M8-30", 1500, 0.33)])
    update = shop.web_shop(changed)
    assert update.status_code == 200 and update.json["action"] == "updated"
    assert update.json["order"]["id"] == first.json["order"]["id"]
    stored = shop.order(first.json["order"]["id"])
    assert [(line["qty"], line["unit_price"]) for line in stored["lines"]] == [("1500.00", "0.33")]
    assert shop.count("order") == 1


def test_unknown_sku_is_held_then_replayed(shop: Shop) -> None:
    before = shop.counts()
    payload = woo_order(950, lines=[("BLT-M8-30", 1000, 0.35), ("FLG-DN50", 20, 38.5)])
    sent = shop.web_shop(payload)
    assert sent.status_code == 202, sent.json
    assert sent.json["status"] == "held"
    assert sent.json["holds"][0]["code"] == "unknown_record"
    assert "FLG-DN50" in sent.json["holds"][0]["message"] and sent.json["holds"][0]["path"] == "lines[1].product"
    assert shop.counts() == before  # nothing half-written: no customer, no order
    held = list_deliveries(shop.runtime.db, status="held")
    assert [d["id"] for d in held] == [sent.json["delivery"]]

    shop.runtime.records().create("product", {"sku": "FLG-DN50", "product_name": "法兰", "unit": "pc",
                                              "price": "38.50", "cost": "24.00"})
    result = CliRunner().invoke(cli, ["hooks", "replay", str(sent.json["delivery"])],
                                env={**os.environ, "DATABASE_URL": str(shop.runtime.db.url.render_as_string(False))})
    assert result.exit_code == 0, result.output
    assert result.output.startswith("200 ")
    order = shop.order(json.loads(result.output[4:])["order"]["id"])
    assert [line["qty"] for line in order["lines"]] == ["1000.00", "20.00"]
    assert [line["unit"] for line in order["lines"]] == ["pc", "pc"]  # the shop sends none: the product's
    assert order["amount"] == "1120.00"
    assert list_deliveries(shop.runtime.db)[0]["status"] == "processed"
    # The provider resending the same order now gets the new answer and creates nothing more.
    again = shop.web_shop(payload)
    assert (again.status_code, again.json) == (200, json.loads(result.output[4:]))
    assert shop.count("order") == 1


def test_test_orders_are_skipped(shop: Shop) -> None:
    skipped = shop.web_shop(woo_order(960, note="测试订单，请勿发货"))
    assert skipped.status_code == 200 and skipped.json["status"] == "ignored"
    assert skipped.json["reason"] == "A test order"
    draft = shop.web_shop(woo_order(961, status="checkout-draft"))
    assert draft.json["status"] == "ignored"
    assert shop.count("order") == 0


def test_bad_input_is_rejected_precisely_and_kept(shop: Shop) -> None:
    before = shop.counts()
    no_qty = woo_order(970)
    del no_qty["line_items"][0]["quantity"]
    no_lines = woo_order(971, lines=[])
    bad_date = woo_order(972, due="2026-02-30")
    cases = [
        (b'{"id": 973, "line_items": [', 400, "malformed-body", "malformed JSON at line 1 column 28: Expecting value"),
        (dumps(no_qty), 422, "validation", None),
        (dumps(no_lines), 422, "validation", None),
        (dumps(bad_date), 422, "validation", None),
        (dumps(woo_order(974, note="x" * 300_000)), 413, "too-large", "262144 bytes"),
    ]
    for body, status, kind, detail in cases:
        answer = shop.web_shop(body)
        assert answer.status_code == status, (kind, answer.json)
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert answer.json["type"].endswith(f"/{kind}")
        if detail:
            assert detail in answer.json["detail"]
    problems = [d["outcome"]["problem"] for d in shop.deliveries()]
    assert problems[1]["errors"] == {"lines[0].qty": ["missing required value at quantity (Quantity)"]}
    assert "line_items must be a non-empty list" in problems[2]["errors"]["lines"][0]
    assert problems[3]["errors"]["due_date"] == ["meta_data[key=_delivery_date].value: '2026-02-30' is not a "
                                                 "valid date"]
    stored = shop.deliveries()
    assert [d["status"] for d in stored] == ["rejected"] * 5
    assert bytes(stored[0]["body"]) == cases[0][0]  # the raw delivery is kept
    assert stored[4]["truncated"] and len(stored[4]["body"]) == 262144
    assert shop.counts() == before  # nothing else written: no record, audit entry or event


def test_rejected_delivery_replays_after_the_mapping_is_fixed(shop: Shop) -> None:
    sent = shop.wecom(wecom_submission("SUB-77", lines=[{"产品编码": "NUT-M8", "数量": "2000", "单位": "盒",
                                                         "单价(元)": "0.12"}]))
    assert sent.status_code == 422  # 盒 is no unit of ours
    assert "unit" in json.dumps(sent.json["errors"])
    apps, texts = shop.runtime.current_apps()
    doc = apps["order_management"]["channels/wecom_form.json"]
    doc["lines"]["fields"]["unit"]["map"]["盒"] = "set"
    shop.runtime.publish(apps, texts=texts)
    answer = replay(shop.runtime.db, shop.runtime.snapshot(), sent.json["delivery"])
    assert answer.status == 200
    assert shop.order(answer.body["order"]["id"])["lines"][0]["unit"] == "set"


def test_units_amounts_dates_and_time_zones_are_normalised(shop: Shop) -> None:
    sent = shop.wecom(wecom_submission("SUB-88", tax_id="91330205 MA2H4L7X3K", phone="0574-0000 0000",
                                       due="2099年1月5日",
                                       lines=[{"产品编码": "wsh-m8", "数量": "1.5", "单位": "吨",
                                               "单价(元)": "14,500"}]))
    assert sent.status_code == 200, sent.json
    order = shop.order(sent.json["order"]["id"])
    assert order["customer"] == shop.customer_ids["宁波鑫达五金制品有限公司"]  # matched by tax id
    assert order["due_date"] == "2099-01-05"
    assert order["channel"] == shop.channel_ids["WECOM"]
    assert order["external_order_id"] == "SUB-88"
    line = order["lines"][0]
    assert (line["unit"], line["qty"], line["unit_price"]) == ("kg", "1500.00", "14.50")  # 1.5 t at 14,500/t

    shop.add_channel({
        "kind": "channel", "key": "pos", "label": {"zh": "门店收银", "en": "Shop till"}, "mode": "push",
        "time_zone": "America/New_York", "auth": {"type": "bearer", "secrets": ["wecom_form_token"]},
        "target": {"entity": "order"},
        "fields": {"order_date": "sold_at", "due_date": "sold_at", "customer": {"value": 2}},
        "lines": {"field": "lines", "from": "items", "fields": {
            "product": {"from": "sku", "lookup": {"entity": "product", "by": "sku"}},
            "qty": "qty", "unit_price": {"from": "price_cents", "factor": "0.01"}}}})
    till = shop.post("pos", dumps({"sold_at": "2026-11-25T21:30:00", "items": [
        {"sku": "HNG-304-100", "qty": 3, "price_cents": 680}]}), {"Authorization": "Bearer wecom-form-token-7d2e91"})
    assert till.status_code == 200, till.json
    order = shop.order(till.json["order"]["id"])
    assert order["order_date"] == "2026-11-26"  # 21:30 in New York is the next morning in Shanghai
    assert order["lines"][0]["unit_price"] == "6.80" and order["amount"] == "20.40"
    assert Decimal(order["total_qty"]) == 3
