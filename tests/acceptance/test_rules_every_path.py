"""Business rules that must hold on every path and for every role: the API, a signed webhook,
the record service's other callers. Each test tries the way around a rule that used to work."""

from __future__ import annotations

from decimal import Decimal

from sunmao.records import SYSTEM
from tests.acceptance.conftest import api, due, line
from tests.outbound.helpers import drive
from tests.workflow.conftest import OM


def _etag(record: dict) -> dict[str, str]:
    return {"If-Match": f'"{record["version"]}"'}


# -- 1. special processes come from the product on every path -----------------------------------

def test_a_line_takes_its_products_processes_and_may_drop_them(shopfloor: OM) -> None:
    sales = api(shopfloor, "sales1")
    body = {"customer": shopfloor.customers["B"], "due_date": due(20),
            "lines": [line(shopfloor, "special"), {**line(shopfloor, "special"), "special_processes": []}]}
    order = sales.post("/api/v1/order", body).json
    assert order["lines"][0]["special_processes"] == ["electrophoresis"]  # defaulted from the product
    assert order["lines"][1]["special_processes"] == []  # said on purpose: kept, the line stays editable
    assert order["has_special_process"] is True


# -- 3. nobody approves their own way around review ----------------------------------------------

def test_sales_cannot_lift_a_grade_or_a_credit_limit(shopfloor: OM) -> None:
    sales, boss, finance = api(shopfloor, "sales1"), api(shopfloor, "boss"), api(shopfloor, "fin1")
    customer = sales.get(f"/api/v1/customer/{shopfloor.customers['C']}").json
    for field, value in (("grade_override", "A"), ("credit_limit", "9999999")):
        refused = sales.patch(f"/api/v1/customer/{customer['id']}", {field: value}, headers=_etag(customer))
        assert refused.status_code in (403, 422), refused.json
        assert field in refused.json["errors"], refused.json
    made = sales.post("/api/v1/customer", {"company_name": "新开客户有限公司", "grade_override": "A"})
    assert made.status_code == 422 and "grade_override" in made.json["errors"]
    assert finance.patch(f"/api/v1/customer/{customer['id']}", {"grade_override": "A"},
                         headers=_etag(customer)).status_code == 422
    raised = finance.patch(f"/api/v1/customer/{customer['id']}", {"credit_limit": "300000"}, headers=_etag(customer))
    assert raised.status_code == 200 and raised.json["credit_limit"] == "300000.00"
    graded = boss.patch(f"/api/v1/customer/{customer['id']}", {"grade_override": "A"}, headers=_etag(raised.json))
    assert graded.status_code == 200 and graded.json["grade"] == "A"
    assert boss.patch(f"/api/v1/customer/{customer['id']}", {"phone": "13900000000"},
                      headers=_etag(graded.json)).status_code == 422  # management sets the grade, nothing else


def test_an_approved_order_cannot_grow_without_a_new_review(shopfloor: OM) -> None:
    sales = api(shopfloor, "sales1")
    order = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "due_date": due(20),
                                         "lines": [line(shopfloor, qty="10")]}).json
    approved = sales.post(f"/api/v1/order/{order['id']}/actions/submit", {}).json
    assert approved["status"] == "approved"  # 1,000 CNY: no review applies
    bigger = [{"id": approved["lines"][0]["id"], "qty": "1000"}]
    refused = sales.patch(f"/api/v1/order/{order['id']}", {"lines": bigger}, headers=_etag(approved))
    assert refused.status_code == 422 and "Withdraw to revise" in refused.json["errors"]["lines"][0]
    assert sales.patch(f"/api/v1/order/{order['id']}", {"remarks": "请用木箱包装"},
                       headers=_etag(approved)).status_code == 200  # remarks stay editable
    current = sales.get(f"/api/v1/order/{order['id']}").json
    revised = sales.post(f"/api/v1/order/{order['id']}/actions/revise", {"comment": "客户追加数量"},
                         headers=_etag(current))
    assert revised.status_code == 200 and revised.json["status"] == "draft"
    grown = sales.patch(f"/api/v1/order/{order['id']}", {"lines": bigger}, headers=_etag(revised.json)).json
    assert grown["amount_cny"] == "100000.00"
    again = sales.post(f"/api/v1/order/{order['id']}/actions/submit", {}).json
    assert again["status"] == "under_review" and [t["branch"] for t in shopfloor.inbox("fin1")] == ["finance"]


def test_withdrawing_an_order_under_review_cancels_its_tasks(shopfloor: OM) -> None:
    order = shopfloor.order(grade="C", qty="1000")
    shopfloor.act(order["id"], "submit", "sales1")
    assert shopfloor.inbox("fin1")
    shopfloor.act(order["id"], "revise", "sales1", comment="价格要改")
    assert shopfloor.inbox("fin1") == [] and shopfloor.inbox("fin2") == []
    assert shopfloor.runtime.records().get("order", order["id"])["status"] == "draft"


# -- 4. defaults that depend on other fields ------------------------------------------------------

def test_defaults_follow_the_customer_and_the_terms(shopfloor: OM) -> None:
    records = shopfloor.runtime.records()
    records.update("customer", shopfloor.customers["A"], {"payment_terms": "net_30"}, actor=SYSTEM)
    records.update("customer", shopfloor.customers["C"], {"payment_terms": "advance"}, actor=SYSTEM)
    sales = api(shopfloor, "sales1")
    order = sales.post("/api/v1/order", {"customer": shopfloor.customers["A"], "due_date": due(20),
                                         "lines": [line(shopfloor)]}).json
    assert (order["priority"], order["payment_terms"], order["advance_payment_required"]) == ("urgent", "net_30", False)
    moved = sales.patch(f"/api/v1/order/{order['id']}", {"customer": shopfloor.customers["C"]},
                        headers=_etag(order)).json
    assert (moved["priority"], moved["payment_terms"], moved["advance_payment_required"]) == \
        ("normal", "advance", True)  # nobody had set them: they follow the customer
    chosen = sales.post("/api/v1/order", {"customer": shopfloor.customers["A"], "priority": "normal",
                                          "due_date": due(20), "lines": [line(shopfloor)]}).json
    assert chosen["priority"] == "normal"  # a value the user chose wins


def test_payment_before_shipment_gates_production(shopfloor: OM) -> None:
    order = shopfloor.runtime.records().create("order", {
        "customer": shopfloor.customers["B"], "payment_terms": "advance", "due_date": due(20),
        "lines": [line(shopfloor)]}, actor=shopfloor.actors["sales1"])
    assert order["advance_payment_required"] is True
    shopfloor.act(order["id"], "submit", "sales1")
    shopfloor.act(order["id"], "schedule", "prod1")
    refused = api(shopfloor, "prod1").post(f"/api/v1/order/{order['id']}/actions/start_production", {})
    assert refused.status_code == 409 and "advance payment" in refused.json["detail"]
    finance = api(shopfloor, "fin1")
    by_hand = finance.post(f"/api/v1/order/{order['id']}/actions/confirm_payment", {})
    assert by_hand.status_code == 409  # the gate follows matched money, not a click
    received = finance.post("/api/v1/receipt", {"received_on": due(0), "amount": order["amount"],
                                                "reference": f"货款 {order['name']}"})
    assert received.status_code == 201, received.json
    drive(shopfloor.runtime, lambda: shopfloor.runtime.records().get("order", order["id"])["payment_status"] == "paid")
    assert shopfloor.act(order["id"], "start_production", "prod1")["status"] == "in_production"


# -- 5. stock is the sum of its movements, on every path ------------------------------------------

def test_receipts_raise_on_hand_and_issues_cannot_overdraw(shopfloor: OM) -> None:
    warehouse = api(shopfloor, "wh1")
    product = shopfloor.products["plain"]
    level = shopfloor.runtime.records().create("stock_level", {"product": product}, actor=SYSTEM)
    assert Decimal(level["on_hand"]) == 0
    receipt = warehouse.post("/api/v1/stock_move", {"product": product, "kind": "in", "qty": "1200"})
    assert receipt.status_code == 201, receipt.json
    assert Decimal(warehouse.get(f"/api/v1/stock_level/{level['id']}").json["on_hand"]) == 1200
    wrong_sign = warehouse.post("/api/v1/stock_move", {"product": product, "kind": "out", "qty": "100"})
    assert wrong_sign.status_code == 422 and "qty" in wrong_sign.json["errors"]
    overdraw = warehouse.post("/api/v1/stock_move", {"product": product, "kind": "out", "qty": "-1500"})
    assert overdraw.status_code == 422 and "Available stock cannot be negative" in str(overdraw.json["errors"])
    assert warehouse.post("/api/v1/stock_move", {"product": product, "kind": "out", "qty": "-200"}).status_code == 201
    assert Decimal(warehouse.get(f"/api/v1/stock_level/{level['id']}").json["on_hand"]) == 1000
    for term in ("HB-M8-30", "六角螺栓"):
        found = warehouse.get(f"/api/v1/stock_level?q={term}").json["items"]
        assert [r["id"] for r in found] == [level["id"]], term
        assert warehouse.get(f"/api/v1/stock_move?q={term}").json["total"] == 2
    assert warehouse.get("/api/v1/stock_level?q=不存在的产品").json["items"] == []
