"""Lists, round 2: bulk actions over ticked rows, list settings per user, and editing cells in place.

Every row goes through the workflow or the record service as the signed-in user, so a refused
row says why and the others go through; a role that may not act gets 403 or a per-row refusal.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from sunmao import assembly
from sunmao.records import SYSTEM
from sunmao.runtime import Runtime
from sunmao.web import create_wsgi
from tests.screens import demo
from tests.screens.conftest import Browser


def _orders(runtime: Runtime, n: int) -> list[dict[str, Any]]:
    """``n`` fresh draft orders (the module's shared demo orders stay as they are)."""
    records = runtime.records()
    customer = records.list("customer")["items"][0]
    product = records.list("product")["items"][0]
    return [records.create("order", {"customer": customer["id"], "order_date": "2026-12-01",
                                     "due_date": "2027-01-15", "priority": "normal",
                                     "lines": [{"product": product["id"], "qty": "10", "unit_price": "1.50",
                                                "unit": "pc"}]}) for _ in range(n)]


def test_bulk_transition_goes_row_by_row_with_reasons(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, _data = oms
    a, b, c = _orders(runtime, 3)
    sales = browse("sales")
    first = sales.post_json("/app/order/bulk", {"op": "transition", "action": "submit", "ids": [a["id"]]})
    assert first.status_code == 200 and first.json == {"done": [a["id"]], "refused": []}
    response = sales.post_json("/app/order/bulk", {"op": "transition", "action": "submit",
                                                   "ids": [a["id"], b["id"], c["id"]]})
    assert response.status_code == 200
    body = response.json
    assert body["done"] == [b["id"], c["id"]]
    assert [r["id"] for r in body["refused"]] == [a["id"]]
    assert body["refused"][0]["name"] == a["name"] and body["refused"][0]["reason"]
    records = runtime.records()
    assert all(records.get("order", x["id"])["status"] != "draft" for x in (a, b, c))  # small orders pass review


def test_bulk_transition_refused_for_a_role_that_may_not_act(oms: tuple[Runtime, dict[str, Any]],
                                                              browse: Any) -> None:
    runtime, _data = oms
    (order,) = _orders(runtime, 1)
    response = browse("warehouse").post_json("/app/order/bulk", {"op": "transition", "action": "submit",
                                                                 "ids": [order["id"]]})
    assert response.status_code == 403
    assert "action" in response.json["errors"]
    assert runtime.records().get("order", order["id"])["status"] == "draft"


def test_bulk_assign_and_set_field_validate_each_row(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, _data = oms
    x, y = _orders(runtime, 2)
    manager_cannot = browse("finance").post_json("/app/order/bulk", {"op": "assign", "view": "orders",
                                                                     "ids": [x["id"]], "value": "sales"})
    assert manager_cannot.status_code == 403  # finance may read orders, not change them
    sales = browse("sales")
    assigned = sales.post_json("/app/order/bulk", {"op": "assign", "view": "orders", "ids": [x["id"], y["id"]],
                                                   "value": "sales"})
    assert assigned.status_code == 200 and assigned.json["done"] == [x["id"], y["id"]]
    records = runtime.records()
    assert records.get("order", x["id"])["sales_rep"] == "sales"
    urgent = sales.post_json("/app/order/bulk", {"op": "set", "field": "priority", "value": "urgent",
                                                 "ids": [x["id"], y["id"]]})
    assert urgent.json == {"done": [x["id"], y["id"]], "refused": []}
    assert records.get("order", y["id"])["priority"] == "urgent"
    bad = sales.post_json("/app/order/bulk", {"op": "set", "field": "priority", "value": "whenever",
                                              "ids": [x["id"], y["id"]]})
    assert bad.status_code == 200 and bad.json["done"] == []
    assert {r["id"] for r in bad.json["refused"]} == {x["id"], y["id"]}
    assert records.get("order", x["id"])["priority"] == "urgent"  # nothing half-written
    locked = sales.post_json("/app/order/bulk", {"op": "set", "field": "status", "value": "approved",
                                                 "ids": [x["id"]]})
    assert locked.status_code == 403 and "field" in locked.json["errors"]


def test_bulk_input_mistakes_name_the_field(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    sales = browse("sales")
    for body, field in (({"op": "explode", "ids": [1]}, "op"), ({"op": "set", "ids": []}, "ids"),
                        ({"op": "set", "ids": ["1"]}, "ids"), ({"op": "set", "ids": [1], "field": "nope"}, "field"),
                        ({"op": "assign", "ids": [1], "value": "sales"}, "view"),
                        ({"op": "set", "ids": list(range(1, 502)), "field": "priority"}, "ids")):
        response = sales.post_json("/app/order/bulk", body)
        assert response.status_code == 400, (body, response.status_code)
        assert field in response.json["errors"], (body, response.json)
    assert sales.post_json("/app/order/bulk", {"op": "set", "ids": [1], "field": "priority"},
                           csrf=False).status_code == 400  # no CSRF token: refused before anything runs


def test_rows_out_of_reach_are_refused_one_by_one(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, _data = oms
    theirs, = _orders(runtime, 1)
    runtime.records().update("order", theirs["id"], {"sales_rep": "someone_else"}, actor=SYSTEM)
    response = browse("sales").post_json("/app/order/bulk", {"op": "set", "field": "priority", "value": "urgent",
                                                             "ids": [theirs["id"], 987654]})
    assert response.json["done"] == []
    assert {r["id"] for r in response.json["refused"]} == {theirs["id"], 987654}
    assert runtime.records().get("order", theirs["id"])["priority"] == "normal"


def test_export_and_print_take_exactly_the_ticked_rows(oms: tuple[Runtime, dict[str, Any]], browse: Any) -> None:
    runtime, data = oms
    picked = [o["id"] for o in data["orders"][:3]]
    manager = browse("manager")
    exported = manager.get("/app/order/export.csv?ids=" + ",".join(map(str, picked)))
    assert exported.status_code == 200
    names = [r[0] for r in list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))[1:]]
    assert sorted(names) == sorted(o["name"] for o in data["orders"][:3])
    assert manager.get("/app/order/export.csv?ids=1,abc").status_code == 422
    pdf = manager.get("/app/order/print-selected?ids=" + ",".join(map(str, picked)))
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.data.count(b"/Type /Page\n") + pdf.data.count(b"/Type /Page ") + pdf.data.count(b"/Type/Page") >= 3
    assert manager.get("/app/order/print-selected?ids=").status_code == 400
    assert manager.get("/app/order/print-selected/nope?ids=1").status_code == 404


def test_inline_edit_saves_or_shows_the_services_message(oms: tuple[Runtime, dict[str, Any]],
                                                           browse: Any) -> None:
    runtime, _data = oms
    (order,) = _orders(runtime, 1)
    sales = browse("sales")
    page = sales.get("/app/order").text
    assert f'data-id="{order["id"]}"' in page and 'data-edit="due_date"' in page
    ok = sales.post_json(f"/app/order/{order['id']}/cell", {"field": "due_date", "value": "2027-02-01",
                                                            "version": order["version"]})
    assert ok.status_code == 200 and ok.json["value"] == "2027-02-01" and ok.json["version"] == order["version"] + 1
    bad = sales.post_json(f"/app/order/{order['id']}/cell", {"field": "due_date", "value": "not a date",
                                                             "version": ok.json["version"]})
    assert bad.status_code == 422 and "due_date" in bad.json["errors"]
    stale = sales.post_json(f"/app/order/{order['id']}/cell", {"field": "due_date", "value": "2027-03-01",
                                                               "version": order["version"]})
    assert stale.status_code == 412  # someone changed it meanwhile: never overwritten
    assert runtime.records().get("order", order["id"])["due_date"] == "2027-02-01"
    assert browse("production").post_json(f"/app/order/{order['id']}/cell",
                                          {"field": "due_date", "value": "2027-02-02"}).status_code == 403
    assert 'data-edit=' not in browse("production").get("/app/order").text


def test_columns_density_and_multi_value_filters_are_in_the_address(oms: tuple[Runtime, dict[str, Any]],
                                                                    browse: Any) -> None:
    runtime, _data = oms
    (submitted,) = _orders(runtime, 1)
    browse("sales").post_json("/app/order/bulk", {"op": "transition", "action": "submit", "ids": [submitted["id"]]})
    state = runtime.records().get("order", submitted["id"])["status"]
    assert state != "draft"
    manager = browse("manager")
    page = manager.get("/app/order?cols=status,customer,bogus&density=compact").text
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert head.index('data-key="status"') < head.index('data-key="customer"')
    assert 'data-key="due_date"' not in head and "bogus" not in head
    assert "density-compact" in page
    both = manager.get(f"/app/order?status__in=draft&status__in={state}").text
    only = manager.get(f"/app/order?status__in={state}").text
    assert submitted["name"] in both and submitted["name"] in only
    drafts = [o["name"] for o in runtime.records().list("order")["items"] if o["status"] == "draft"]
    assert drafts and drafts[0] in both and drafts[0] not in only
    assert f'name="status__in" value="{state}" checked' in only
    ranged = manager.get(f"/app/order?due_date__ge=2027-01-15&due_date__le=2027-01-15&status__in={state}").text
    assert submitted["name"] in ranged
    saved = manager.post_form("/app/order/saved-views", {"label": "审核中", "query":
                                                         "status__in=submitted&cols=status,customer&density=compact"})
    assert saved.status_code == 302
    listed = manager.get("/app/order").text
    assert "cols=status,customer&amp;density=compact" in listed or "cols=status%2Ccustomer" in listed


@pytest.mark.postgres
def test_bulk_work_and_list_settings_on_postgresql(pg_schema_url: str) -> None:
    """The same bulk submit, ticked export and two-value filter against PostgreSQL."""
    runtime = assembly.runtime(pg_schema_url, check_interval=0)
    runtime.setup()
    try:
        demo.install(runtime)
        demo.users(runtime)
        demo.seed(runtime, orders=2)
        a, b, c = _orders(runtime, 3)
        sales = Browser(create_wsgi(runtime)).login("sales")
        sales.post_json("/app/order/bulk", {"op": "transition", "action": "submit", "ids": [a["id"]]})
        both = sales.post_json("/app/order/bulk", {"op": "transition", "action": "submit",
                                                   "ids": [a["id"], b["id"], c["id"]]}).json
        assert both["done"] == [b["id"], c["id"]] and [r["id"] for r in both["refused"]] == [a["id"]]
        exported = sales.get(f"/app/order/export.csv?ids={a['id']},{c['id']}").data.decode("utf-8-sig")
        assert sorted(r[0] for r in list(csv.reader(io.StringIO(exported)))[1:]) == sorted([a["name"], c["name"]])
        state = runtime.records().get("order", a["id"])["status"]
        page = sales.get(f"/app/order?status__in=draft&status__in={state}&cols=status,due_date").text
        assert a["name"] in page and 'data-key="customer"' not in page[page.index("<thead>"):page.index("</thead>")]
        cell = sales.post_json(f"/app/order/{b['id']}/cell", {"field": "remarks", "value": "<b>急</b>"})
        assert cell.status_code == 200 and runtime.records().get("order", b["id"])["remarks"] == "<b>急</b>"
    finally:
        runtime.db.dispose()
