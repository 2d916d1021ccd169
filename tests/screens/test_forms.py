"""Saving forms: the record service's messages inline, form rules enforced on the server too."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sunmao.runtime import Runtime


def _order(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    product = data["products"][0]
    return {"customer": data["customers"][0]["id"], "order_date": date.today().isoformat(),
            "due_date": (date.today() + timedelta(days=20)).isoformat(), "currency": "CNY", "priority": "normal",
            "lines": [{"product": product["id"], "qty": "100", "unit_price": product["price"]},
                      {"product": data["products"][1]["id"], "qty": "200", "unit_price": "0.12",
                       "discount_pct": "10"}],
            **extra}


def test_create_and_edit_an_order(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    page = sales.get("/app/order/new")
    assert page.status_code == 200 and 'id="form-meta"' in page.text
    created = sales.post_json("/app/order/new", {"values": _order(data)})
    assert created.status_code == 201, created.json
    record = runtime.records().get("order", created.json["id"])
    assert record["amount"] == "106.60"  # 100 × 0.85 + 200 × 0.12 × 0.9
    assert created.json["redirect"] == f"/app/order/{record['id']}"
    edit = sales.get(f"/app/order/{record['id']}/edit")
    assert edit.status_code == 200 and record["name"] in edit.text
    lines = [{"id": record["lines"][0]["id"], "product": data["products"][0]["id"], "qty": "10",
              "unit_price": "0.85"}]
    saved = sales.post_json(f"/app/order/{record['id']}/edit",
                            {"values": {"lines": lines, "remarks": "改数量"}, "version": record["version"]})
    assert saved.status_code == 200, saved.json
    assert runtime.records().get("order", record["id"])["amount"] == "8.50"
    stale = sales.post_json(f"/app/order/{record['id']}/edit", {"values": {"remarks": "旧版本"},
                                                                "version": record["version"]})
    assert stale.status_code == 412


def test_errors_come_back_per_field_like_the_api(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    sales = browse("sales")
    bad = _order(data, due_date=(date.today() - timedelta(days=400)).isoformat())
    bad["lines"][1]["qty"] = "abc"
    response = sales.post_json("/app/order/new", {"values": bad})
    assert response.status_code == 422
    assert response.headers["Content-Type"] == "application/problem+json"
    errors = response.json["errors"]
    assert "Not a valid number." in errors["lines[1].qty"]
    assert errors["due_date"] == ["The due date cannot be before the order date"]
    api = sales.client.post("/api/v1/order", json=bad, headers={"X-CSRFToken": sales.token,
                                                                "Accept-Language": "en"})
    assert api.json["errors"] == errors


def test_form_rules_are_enforced_on_the_server(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    sales = browse("sales")
    # A channel makes the channel's order number visible and required.
    response = sales.post_json("/app/order/new", {"values": _order(data, channel=data["channels"][0]["id"])})
    assert response.status_code == 422
    assert response.json["errors"]["external_order_id"] == ["This field is required."]
    # An urgent order needs remarks.
    response = sales.post_json("/app/order/new", {"values": _order(data, priority="urgent")})
    assert response.json["errors"]["remarks"] == ["This field is required."]
    # Without a channel the hidden field's value is ignored, not saved.
    response = sales.post_json("/app/order/new", {"values": _order(data, external_order_id="SHOULD-NOT-SAVE")})
    assert response.status_code == 201
    assert runtime.records().get("order", response.json["id"])["external_order_id"] is None


def test_default_form_for_an_entity_without_a_form(browse: Any) -> None:
    page = browse("sales").get("/app/customer/new")
    assert page.status_code == 200
    assert 'data-field="company_name"' in page.text and 'data-field="payment_terms"' in page.text
    # a credit limit is finance's: shown to sales, not editable by them
    assert 'data-field-wrap="credit_limit"' in page.text and 'data-field="credit_limit"' not in page.text
