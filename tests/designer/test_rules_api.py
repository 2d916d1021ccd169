"""The rule builder's routes on the designer API: where the rules are, what a rule may read, the
server's test answer (with the draft's settings) and the impact preview, over the real WSGI stack."""

from __future__ import annotations

from datetime import date, timedelta

from sunmao.records import SYSTEM
from sunmao.runtime import Runtime
from tests.conftest import make_api

FLOW = "order_management/workflows/order_lifecycle.json"
SETTINGS = "order_management/settings/order_settings.json"


def test_rules_fields_test_and_impact_through_the_api(order_app: Runtime) -> None:
    design = make_api(order_app, "dora", ["designer"])
    records = order_app.records()
    customer = records.create("customer", {"company_name": "宁波乙级五金", "phone": "13800138000",
                                           "grade_override": "B"}, actor=SYSTEM)
    product = records.create("product", {"sku": "HB-M8", "product_name": "螺栓", "unit": "pc", "price": "1.00"},
                             actor=SYSTEM)
    order = records.create("order", {"customer": customer["id"], "due_date": (date.today() + timedelta(days=20))
                                     .isoformat(), "lines": [{"product": product["id"], "qty": "600",
                                                              "unit_price": "100.00"}]}, actor=SYSTEM)
    draft = design.post("/api/v1/_design/drafts", json={"title": "阈值"}).json["id"]
    base = f"/api/v1/_design/drafts/{draft}"

    listed = design.get(f"{base}/rules").json
    finance = next(r for r in listed["items"] if r["address"] == FLOW and r["path"].endswith("branches[0].when"))
    assert finance["entity"] == "order"
    assert {"address": FLOW, "path": "$.approvals[0].branches[0].when.and[1].>[1]"} in \
        listed["used"]["finance_review_threshold"]
    fields = {f["path"]: f for f in design.get(f"{base}/rules/fields/order").json["items"]}
    assert fields["customer.grade"]["type"] == "string" or fields["customer.grade"]["options"]
    assert "lines.qty" not in fields  # a child table's rows are not read by path

    answer = design.post(f"{base}/rules/test", json={"rule": finance["rule"], "entity": "order",
                                                      "record_id": order["id"]}).json
    assert answer["result"] is True and answer["rule"]["and"][1][">"][1] == 50000
    assert answer["data"]["customer"]["grade"] == "B" and answer["data"]["amount_cny"] == 60000
    typed = design.post(f"{base}/rules/test", json={"rule": {">": [{"var": "x"}, {"setting": "nope"}]},
                                                     "sample": {"x": 1}})
    assert typed.status_code == 422 and "finance_review_threshold" in typed.text

    doc = design.get(f"{base}/documents/{SETTINGS}").json["document"]
    doc["parameters"][0]["value"] = 80000
    saved = design.client.put(f"{base}/documents/{SETTINGS}", json={"document": doc},
                              headers={**design._headers(), "If-Match": '"0"'})
    assert saved.status_code == 200
    after = design.post(f"{base}/rules/test", json={"rule": finance["rule"], "entity": "order",
                                                     "record_id": order["id"]}).json
    assert after["result"] is False  # the draft's threshold, not the published one
    impact = design.post(f"{base}/impact", json={"sample": 50}).json
    (item,) = [i for i in impact["items"] if i["kind"] == "approval"]
    assert item["counts"] == {"before": 1, "after": 0, "left": 1, "joined": 0}
    assert item["records"]["left"] == [{"id": order["id"], "name": order["name"]}]
    assert design.post(f"{base}/impact", json={"sample": 0}).status_code == 422
