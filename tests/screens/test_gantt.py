"""The Gantt view: a bar per record from its start to its end date, in the reader's scope."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from sunmao.clock import today
from sunmao.meta.errors import MetadataError
from sunmao.records import SYSTEM
from sunmao.records.query import ListQuery


def test_orders_show_as_bars_from_order_date_to_due_date(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    records = runtime.records()
    customer = records.list("customer", ListQuery(limit=1))["items"][0]
    product = records.list("product", ListQuery(limit=1))["items"][0]
    line = {"product": product["id"], "qty": "10", "unit_price": "5.00"}
    start, due = today() - timedelta(days=3), today() + timedelta(days=10)
    scheduled, draft = records.create_many("order", [
        {"customer": customer["id"], "order_date": start.isoformat(), "due_date": due.isoformat(), "lines": [line],
         "status": "scheduled"},
        {"customer": customer["id"], "order_date": start.isoformat(), "due_date": due.isoformat(), "lines": [line],
         "status": "draft"}], actor=SYSTEM, history=True)
    page = browse("production").get("/app/views/order_gantt")
    assert page.status_code == 200
    bar = re.search(rf'data-record="{scheduled["id"]}"[^>]*style="left: ([\d.]+)%; width: ([\d.]+)%', page.text)
    assert bar, "the scheduled order has a bar"
    left, width = float(bar.group(1)), float(bar.group(2))
    assert left == pytest.approx(100 * 4 / 42, abs=0.01)  # the window opens 7 days before today
    assert width == pytest.approx(100 * 14 / 42, abs=0.01)  # order date to due date, both days included
    assert f'data-record="{draft["id"]}"' not in page.text  # the view's filter: drafts are not planned work
    later = browse("production").get(f"/app/views/order_gantt?from={(today() + timedelta(days=60)).isoformat()}")
    assert f'data-record="{scheduled["id"]}"' not in later.text


def test_a_gantt_view_must_name_date_fields(oms: Any) -> None:
    runtime, _data = oms
    apps = runtime.current_apps()[0]
    apps["order_management"]["views/order_gantt.json"]["gantt"]["end_field"] = "remarks"
    with pytest.raises(MetadataError) as info:
        runtime.publish(apps, dry_run=True)
    assert any(p.path == "$.gantt.end_field" for p in info.value.problems)
