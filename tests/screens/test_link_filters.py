"""Dependent link filters declared in metadata (``link_filter``): an order's contact must belong to
the order's customer. The picker asks only for those records, and the record service refuses any
other on every write path (API, form, an edit that changes the customer), naming the field."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sunmao.meta.errors import MetadataError
from sunmao.resources import app_path
from sunmao.runtime import Runtime


def _contacts(runtime: Runtime, data: dict[str, Any]) -> tuple[dict, dict]:
    records = runtime.records()
    first, second = data["customers"][0], data["customers"][1]
    own = records.create("contact", {"customer": first["id"], "contact_name": "陈采购", "mobile": "13900001111"})
    other = records.create("contact", {"customer": second["id"], "contact_name": "刘老板", "mobile": "13900002222"})
    return own, other


def _order(data: dict[str, Any], customer: int, contact: int) -> dict[str, Any]:
    product = data["products"][0]
    return {"customer": customer, "contact": contact, "order_date": "2026-12-01", "due_date": "2027-01-15",
            "payment_terms": "net_30",
            "lines": [{"product": product["id"], "qty": "10", "unit_price": product["price"], "unit": "pc"}]}


def test_a_contact_of_another_customer_is_refused_by_the_api(oms: tuple[Runtime, dict[str, Any]],
                                                             browse: Any) -> None:
    runtime, data = oms
    own, other = _contacts(runtime, data)
    customer = data["customers"][0]["id"]
    sales = browse("sales")
    refused = sales.post_json("/api/v1/order", _order(data, customer, other["id"]))
    assert refused.status_code == 422, refused.text
    assert "contact" in refused.json["errors"], refused.json
    message = refused.json["errors"]["contact"][0]
    assert message.startswith("Contact: the chosen Contact #") and "Customer" in message
    zh = sales.client.post("/api/v1/order", json=_order(data, customer, other["id"]),
                           headers={"X-CSRFToken": sales.token, "Accept-Language": "zh"})
    assert zh.json["errors"]["contact"][0].startswith("联系人：所选联系人")
    made = sales.post_json("/api/v1/order", _order(data, customer, own["id"]))
    assert made.status_code == 201, made.text
    # an edit that moves the order to another customer but keeps the contact is refused too
    moved = sales.client.patch(f"/api/v1/order/{made.json['id']}", json={"customer": data["customers"][1]["id"]},
                               headers={"X-CSRFToken": sales.token, "Accept-Language": "en"})
    assert moved.status_code == 422 and "contact" in moved.json["errors"]
    both = sales.client.patch(f"/api/v1/order/{made.json['id']}",
                              json={"customer": data["customers"][1]["id"], "contact": other["id"]},
                              headers={"X-CSRFToken": sales.token, "Accept-Language": "en"})
    assert both.status_code == 200, both.text
    # the record service itself (imports, hooks, jobs) refuses it the same way
    with pytest.raises(Exception) as caught:
        runtime.records().create("order", _order(data, customer, other["id"]))
    assert "contact" in caught.value.errors  # type: ignore[attr-defined]


def test_the_picker_asks_only_for_the_customers_contacts(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    page = sales.get("/app/order/new").text
    assert 'data-to="contact"' in page and "data-filter=\"{&#34;customer&#34;: &#34;customer&#34;}\"" in page
    customer = data["customers"][0]["id"]
    listed = sales.get(f"/api/v1/contact?customer={customer}").json["items"]
    assert listed and {c["customer"] for c in listed} == {customer}


def test_a_link_filter_must_name_fields_that_exist(tmp_path: Any) -> None:
    from sunmao import assembly

    app = tmp_path / "oms"
    import shutil

    shutil.copytree(app_path("order_management"), app)
    path = app / "entities" / "order.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    contact = next(f for f in doc["fields"] if f["key"] == "contact")
    contact["link_filter"] = {"client": "customer", "customer": "buyer"}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    runtime = assembly.runtime(f"sqlite:///{tmp_path / 'x.db'}", check_interval=0)
    runtime.setup()
    with pytest.raises(MetadataError) as caught:
        runtime.install_app(app)
    text = str(caught.value)
    assert "no field 'client'" in text and "no field 'buyer'" in text
    runtime.db.dispose()
