"""Scan to ship through the real stack, on SQLite and PostgreSQL: gate, stock, shipment, label.

One scan is one transaction: either the order ships, a shipment with a waybill and its label
exists, every line's quantity left the stock (one movement per product), or nothing at all was
written — not a shipment, not a movement, not an audit entry, not an outbox event.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from sunmao import shipping
from sunmao.records import SYSTEM
from sunmao.records.query import ListQuery
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from sunmao.web import create_wsgi
from tests.screens import demo
from tests.screens.conftest import Browser


@pytest.fixture
def shop(runtime: Runtime) -> Iterator[tuple[Runtime, dict[str, Any], Browser]]:
    demo.install(runtime)
    demo.users(runtime)
    data = demo.seed(runtime, orders=4)
    yield runtime, data, Browser(create_wsgi(runtime)).login("warehouse")


def _set_state(runtime: Runtime, order_id: int, **values: Any) -> None:
    table = runtime.snapshot().tables["order"]
    with runtime.db.write() as conn:
        conn.execute(table.update().where(table.c.id == order_id).values(**values))


def _ready(runtime: Runtime, order_id: int, **values: Any) -> None:
    _set_state(runtime, order_id, **{"status": "ready_to_ship", "qc_status": "passed",
                                     "credit_released": True, **values})


def _stock(runtime: Runtime) -> dict[int, Decimal]:
    table = runtime.snapshot().tables["stock_level"]
    with runtime.db.read() as conn:
        return {r.product: Decimal(r.on_hand) for r in conn.execute(sa.select(table.c.product, table.c.on_hand))}


def _footprint(runtime: Runtime, order_id: int) -> dict[str, Any]:
    """Everything a scan could write."""
    snap = runtime.snapshot()
    with runtime.db.read() as conn:
        def count(table: sa.Table) -> int:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

        order = snap.tables["order"]
        row = conn.execute(sa.select(order.c.status, order.c.version, order.c.waybill_no)
                           .where(order.c.id == order_id)).one()
        counts = {name: count(snap.tables[name]) for name in ("shipment", "stock_move", "payment")}
        counts.update(audit=count(sm.audit), outbox=count(sm.outbox), files=count(sm.file))
    return {"order": tuple(row), "stock": _stock(runtime), **counts}


def _needs(order: dict[str, Any]) -> dict[int, Decimal]:
    needs: dict[int, Decimal] = {}
    for line in order["lines"]:
        needs[line["product"]] = needs.get(line["product"], Decimal(0)) + Decimal(line["qty"])
    return needs


def test_blocked_by_the_gate_writes_nothing(shop: tuple[Runtime, dict[str, Any], Browser]) -> None:
    runtime, data, warehouse = shop
    order = data["orders"][2]
    _ready(runtime, order["id"], qc_status="pending")
    before = _footprint(runtime, order["id"])
    qc = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert qc.status_code == 409, qc.json
    assert qc.json["done"] is False and qc.json["matched"]["id"] == order["id"]
    assert any("QC has not passed" in r for r in qc.json["reasons"]), qc.json
    assert _footprint(runtime, order["id"]) == before

    _ready(runtime, order["id"], credit_released=False)
    before = _footprint(runtime, order["id"])
    unpaid = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert unpaid.status_code == 409, unpaid.json
    assert any("Payment is not confirmed" in r for r in unpaid.json["reasons"]), unpaid.json
    assert _footprint(runtime, order["id"]) == before
    assert before["shipment"] == 0 and before["stock_move"] == len(data["products"])  # the opening balances


def test_not_enough_stock_is_refused_and_writes_nothing(shop: tuple[Runtime, dict[str, Any], Browser]) -> None:
    runtime, data, warehouse = shop
    order = data["orders"][2]  # three lines
    _ready(runtime, order["id"])
    needs = _needs(order)
    short_product = order["lines"][1]["product"]
    level = runtime.records().list("stock_level", actor=SYSTEM)["items"]
    level_id = next(r["id"] for r in level if r["product"] == short_product)
    runtime.records().create("stock_move", {"product": short_product, "kind": "adjust",
                                            "qty": str(needs[short_product] - 5 - 5000)})  # a stocktake found less
    runtime.records().update("stock_level", level_id, {"reserved": "3"})
    before = _footprint(runtime, order["id"])
    refused = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert refused.status_code == 409, refused.json
    sku = next(p["sku"] for p in data["products"] if p["id"] == short_product)
    assert sku in refused.json["message"] and "short by 8" in refused.json["message"], refused.json
    assert _footprint(runtime, order["id"]) == before

    zh = warehouse.client.post("/app/scan", json={"code": order["name"]},
                               headers={"X-CSRFToken": warehouse.token, "Accept-Language": "zh-CN"})
    assert zh.status_code == 409 and "库存不足" in zh.json["message"] and "缺 8" in zh.json["message"], zh.json
    assert _footprint(runtime, order["id"]) == before


def test_scan_ships_deducts_stock_and_prints_the_label(shop: tuple[Runtime, dict[str, Any], Browser]) -> None:
    runtime, data, warehouse = shop
    order = data["orders"][2]
    _ready(runtime, order["id"])
    stock_before = _stock(runtime)
    payments_before = _footprint(runtime, order["id"])["payment"]

    started = time.perf_counter()
    shipped = warehouse.post_json("/app/scan", {"code": order["name"], "packages": 3})
    elapsed = time.perf_counter() - started
    print(f"\nscan-to-ship round trip ({runtime.db.dialect}): {elapsed * 1000:.0f} ms")
    assert shipped.status_code == 200, shipped.json
    assert elapsed < 1.0

    body = shipped.json
    records = runtime.records()
    record = records.get("order", order["id"])
    assert record["status"] == "shipped" and record["waybill_no"] == body["waybill"] and record["shipped_at"]
    assert body["waybill"].startswith("SM")

    shipments = records.list("shipment", actor=SYSTEM)["items"]
    assert len(shipments) == 1
    shipment = shipments[0]
    assert shipment["order"] == order["id"] and shipment["waybill_no"] == body["waybill"]
    assert shipment["courier"] == "local" and shipment["packages"] == 3 and shipment["label"]
    assert body["document"]["id"] == shipment["id"]

    needs = _needs(order)
    after = _stock(runtime)
    for product, qty in needs.items():
        assert after[product] == stock_before[product] - qty
    assert {p: q for p, q in after.items() if p not in needs} == \
        {p: q for p, q in stock_before.items() if p not in needs}
    moves = [m for m in records.list("stock_move", ListQuery(limit=500), actor=SYSTEM)["items"]
             if m["kind"] != "adjust"]
    assert sorted((m["product"], Decimal(m["qty"])) for m in moves) == sorted((p, -q) for p, q in needs.items())
    assert all(m["kind"] == "out" and m["order"] == order["id"] and m["shipment"] == shipment["id"] for m in moves)
    assert _footprint(runtime, order["id"])["payment"] == payments_before + 1  # the ship action's receivable

    label = warehouse.get(body["label_url"])
    assert label.status_code == 200 and label.mimetype == "application/pdf" and label.data.startswith(b"%PDF")
    assert Browser(create_wsgi(runtime)).login("production").get(body["label_url"]).status_code in (403, 404)

    before = _footprint(runtime, order["id"])
    again = warehouse.post_json("/app/scan", {"code": order["name"]})
    assert again.status_code == 409 and again.json["done"] is False, again.json
    assert _footprint(runtime, order["id"]) == before


def test_local_numbering_is_the_registered_courier_adapter(runtime: Runtime) -> None:
    adapter = shipping.courier("local", runtime.db)
    assert isinstance(adapter, shipping.CourierAdapter) and "local" in shipping.couriers()
    first = adapter.create_waybill({"name": "SO-202611-00001"}, {"packages": 1})
    second = adapter.create_waybill({"name": "SO-202611-00001"}, {"packages": 1})
    assert first.number != second.number and first.number[:2] == "SM" and len(first.number) == 14
    adapter.cancel(first.number)
    with pytest.raises(Exception, match="sf"):
        shipping.courier("sf", runtime.db)
