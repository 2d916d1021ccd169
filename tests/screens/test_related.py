"""Related lists on a record page, declared in the entity's metadata (``related``): a customer's
orders, payments and contacts, each with its count and a link to the whole filtered list."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sunmao.meta.errors import MetadataError


def _section(page: str, key: str) -> str:
    m = re.search(rf'<section class="card related" id="related-{key}".*?</section>', page, re.S)
    assert m, f"no related list {key}"
    return m.group(0)


def test_a_customer_lists_its_orders_payments_and_contacts(oms: tuple[Any, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    customer = data["customers"][0]
    records = runtime.records()
    records.create("contact", {"customer": customer["id"], "contact_name": "陈采购", "mobile": "13900001111"})
    records.create("payment", {"customer": customer["id"], "amount": "1200.00", "due_date": "2026-12-31"})
    other = data["customers"][1]
    records.create("contact", {"customer": other["id"], "contact_name": "别家联系人", "mobile": "13900002222"})
    mine = [o for o in records.list("order", None)["items"] if o["customer"] == customer["id"]]
    page = browse("manager").get(f"/app/customer/{customer['id']}").text
    orders = _section(page, "order-customer")
    assert f'<span class="count">{len(mine)}</span>' in orders
    assert all(o["name"] in orders for o in mine)
    assert f'href="/app/order?customer={customer["id"]}"' in orders
    contacts = _section(page, "contact-customer")
    assert "陈采购" in contacts and "别家联系人" not in contacts
    assert '<span class="count">1</span>' in _section(page, "payment-customer")
    listed = browse("manager").get(f"/app/order?customer={customer['id']}").text  # the link's list: the same orders
    assert all(o["name"] in listed for o in mine)
    assert not any(o["name"] in listed for o in records.list("order", None)["items"]
                   if o["customer"] != customer["id"])


def test_related_lists_are_read_as_the_user(oms: tuple[Any, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    page = browse("warehouse").get(f"/app/customer/{data['customers'][0]['id']}").text
    assert 'id="related-order-customer"' in page and 'id="related-contact-customer"' in page
    assert 'id="related-payment-customer"' not in page  # warehouse may not read payments
    en = browse("manager")
    en.get("/lang/en")
    english = en.get(f"/app/customer/{data['customers'][0]['id']}").text
    assert "Orders" in _section(english, "order-customer") and "View all" in english


def test_a_related_list_must_name_a_link_back(oms: tuple[Any, dict[str, Any]]) -> None:
    runtime, _data = oms
    apps = runtime.current_apps()[0]
    apps["order_management"]["entities/customer.json"]["related"][0]["field"] = "contact"
    with pytest.raises(MetadataError) as info:
        runtime.publish(apps, dry_run=True)
    assert any(p.path == "$.related[0].field" for p in info.value.problems)
    apps["order_management"]["entities/customer.json"]["related"][0] = {"entity": "order", "field": "customer",
                                                                        "columns": ["nope"]}
    with pytest.raises(MetadataError) as info:
        runtime.publish(apps, dry_run=True)
    assert any(p.path == "$.related[0]" and "nope" in p.message for p in info.value.problems)


def test_the_filtered_list_says_whose_records_it_shows(oms: tuple[Any, dict[str, Any]], browse: Any) -> None:
    _runtime, data = oms
    customer = data["customers"][0]
    page = browse("manager").get(f"/app/order?customer={customer['id']}&sort=-due_date").text
    chip = re.search(r'<a class="chip on" href="([^"]*)"[^>]*>([^<]*)</a>', page[page.index("link-chips"):])
    assert chip and customer["company_name"] in chip.group(2)
    assert "customer=" not in chip.group(1) and "sort=-due_date" in chip.group(1)  # removing it keeps the rest
    assert f'<input type="hidden" name="customer" value="{customer["id"]}">' in page  # a search keeps it
