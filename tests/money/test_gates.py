"""The payment gates follow matched money on every path: workflow, API, scan; no hand-set flag opens them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sunmao import accounts
from sunmao.errors import TransitionRefused, ValidationFailed
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.conftest import Api
from tests.money.conftest import match, order, receive
from tests.outbound.helpers import drive
from tests.screens import demo
from tests.screens.conftest import Browser
from tests.workflow.conftest import OM


def _to_scheduled(om: OM, order_id: int) -> None:
    om.act(order_id, "submit", "sales1")
    om.act(order_id, "schedule", "prod1")


def test_production_waits_for_matched_advance_money_not_for_a_click(om: OM) -> None:
    o = om.order(qty="5", advance=True)
    _to_scheduled(om, o["id"])
    with pytest.raises(TransitionRefused) as refused:
        om.act(o["id"], "start_production", "prod1")
    assert "advance payment" in refused.value.detail.en
    with pytest.raises(TransitionRefused) as by_hand:  # finance cannot open it by hand any more
        om.act(o["id"], "confirm_payment", "fin1")
    assert set(by_hand.value.errors) == {"g_credit_terms"}
    receive(om, "200.00", memo=o["name"])  # part of it: still closed
    match(om)
    with pytest.raises(TransitionRefused):
        om.act(o["id"], "start_production", "prod1")
    receive(om, "300.00", memo=o["name"])
    match(om)
    assert order(om, o["id"])["payment_status"] == "paid"
    assert om.act(o["id"], "start_production", "prod1")["status"] == "in_production"


def test_a_deposit_share_opens_production(om: OM) -> None:
    o = om.order(qty="10", advance=True, advance_pct="0.3")  # 1000.00, 30 % deposit
    assert o["advance_due"] == "300.00" and o["advance_open"] == "300.00"
    _to_scheduled(om, o["id"])
    r = receive(om, "300.00", payer="宁波B类五金有限公司", memo="定金")  # the deposit's amount, from the customer
    match(om)
    after = order(om, o["id"])
    assert after["payment_status"] == "confirmed" and after["paid_amount"] == "300.00"
    assert after["open_amount"] == "700.00"
    assert om.act(o["id"], "start_production", "prod1")["status"] == "in_production"
    assert r["id"]


def test_credit_orders_are_still_released_by_finance(om: OM) -> None:
    o = om.order(qty="5", payment_terms="net_30")
    assert o["advance_payment_required"] is False and o["payment_status"] == "pending"
    released = om.act(o["id"], "confirm_payment", "fin1")
    assert released["payment_status"] == "confirmed" and released["credit_released"] is True


def test_payment_status_cannot_be_written(om: OM) -> None:
    o = om.order(qty="5", advance=True)
    for field, value in (("payment_status", "paid"), ("paid_amount", "500.00")):
        with pytest.raises(ValidationFailed) as refused:
            om.runtime.records().update("order", o["id"], {field: value}, actor=om.actors["sales1"])
        assert set(refused.value.errors) == {field}
    assert order(om, o["id"])["payment_status"] == "pending"


def test_record_payment_needs_the_whole_amount_matched(om: OM) -> None:
    o = om.order(qty="5", payment_terms="net_30")
    om.act(o["id"], "submit", "sales1")
    for action, who in (("schedule", "prod1"), ("start_production", "prod1"), ("finish_production", "prod1"),
                        ("qc_pass", "qc1"), ("confirm_payment", "fin1")):
        om.act(o["id"], action, who)
    om.act(o["id"], "ship", "wh1", values={"waybill_no": "SF9"})
    with pytest.raises(TransitionRefused) as refused:
        om.act(o["id"], "record_payment", "fin1")
    assert set(refused.value.errors) == {"g_fully_paid"}
    receive(om, "500.00", memo=o["name"])
    match(om)
    assert om.act(o["id"], "record_payment", "fin1")["status"] == "paid"


# -- the scan and the API, with matching driven by the job queue as in production ----------------


@pytest.fixture
def plant(runtime: Runtime) -> Iterator[tuple[Runtime, dict[str, Any]]]:
    demo.install(runtime)
    demo.users(runtime)
    yield runtime, demo.seed(runtime, orders=4)


def _ready(runtime: Runtime, order_id: int) -> None:
    table = runtime.snapshot().tables["order"]
    with runtime.db.write() as conn:  # the order made and inspected; its money untouched
        conn.execute(table.update().where(table.c.id == order_id).values(status="ready_to_ship", qc_status="passed"))


def test_an_unpaid_advance_order_cannot_ship_by_scan_or_api_until_its_money_is_matched(
        plant: tuple[Runtime, dict[str, Any]]) -> None:
    runtime, data = plant
    o = data["orders"][1]  # 慈溪宏盛汽配: payment before shipment
    assert o["advance_payment_required"] is True
    _ready(runtime, o["id"])
    wsgi = create_wsgi(runtime)
    warehouse = Browser(wsgi).login("warehouse")
    api = Api(wsgi, accounts.create_token(runtime.db, "warehouse", "t"))

    scan = warehouse.post_json("/app/scan", {"code": o["name"]})
    assert scan.status_code == 409 and any("Payment is not confirmed" in r for r in scan.json["reasons"])
    shipped = api.post(f"/api/v1/order/{o['id']}/actions/ship", json={"values": {"waybill_no": "SF100"}})
    assert shipped.status_code in (409, 422), shipped.json
    assert "Payment is not confirmed" in str(shipped.json)

    finance = Api(wsgi, accounts.create_token(runtime.db, "finance", "t"))
    hand = finance.post(f"/api/v1/order/{o['id']}/actions/confirm_payment", json={})
    assert hand.status_code in (409, 422) and "released by matched receipts" in str(hand.json)
    created = finance.post("/api/v1/receipt", json={
        "received_on": "2026-12-01", "amount": o["amount"], "payer_name": "慈溪宏盛汽配有限公司",
        "reference": f"货款{o['name']}", "bank_ref": "B20261201001"})
    assert created.status_code == 201, created.json
    # nobody runs the matcher: the new receipt's event queues it, the pump performs it
    drive(runtime, lambda: runtime.records().get("order", o["id"])["payment_status"] == "paid")
    scan = warehouse.post_json("/app/scan", {"code": o["name"]})
    assert scan.status_code == 200 and scan.json["done"] is True, scan.json
    assert runtime.records().get("order", o["id"])["status"] == "shipped"
