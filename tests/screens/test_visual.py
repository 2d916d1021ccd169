"""Boards and the visual language: kanban moves through the workflow, late records, colours."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from sunmao.clock import today
from sunmao.records import SYSTEM
from sunmao.records.query import ListQuery


def _orders(runtime: Any, *states: str, **values: Any) -> list[dict[str, Any]]:
    """Orders already in ``states`` (created as history, as an import of old orders would)."""
    records = runtime.records()
    customer = records.list("customer", ListQuery(limit=1))["items"][0]
    product = records.list("product", ListQuery(limit=1))["items"][0]
    line = {"product": product["id"], "qty": "10", "unit_price": "5.00"}
    return records.create_many("order", [
        {"customer": customer["id"], "order_date": (today() - timedelta(days=3)).isoformat(),
         "due_date": (today() + timedelta(days=10)).isoformat(), "lines": [line], "status": state, **values}
        for state in states], actor=SYSTEM, history=True)


def _move(browser: Any, order: dict[str, Any], value: str, **extra: Any) -> Any:
    return browser.post_json(f"/app/order/{order['id']}/move",
                             {"field": "status", "value": value, "version": order["version"], **extra})


def _status(runtime: Any, order: dict[str, Any]) -> str:
    return runtime.records().get("order", order["id"])["status"]


def test_a_drop_on_the_next_state_takes_the_workflow_action(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    response = _move(browse("production"), order, "scheduled")
    assert response.status_code == 200, response.text
    assert response.json["action"] == "schedule"
    assert _status(runtime, order) == "scheduled"


@pytest.mark.parametrize(("role", "state", "values", "target", "status", "says"), [
    # a role the action is not for: told who may
    ("sales", "approved", {}, "scheduled", 403, "only production may take “Schedule”"),
    # a failed guard: the guard's own message
    ("production", "scheduled", {"advance_payment_required": True}, "in_production", 409,
     "cannot take “Start production”: The advance payment must be confirmed before production starts"),
    # no action leads there
    ("admin", "approved", {}, "shipped", 409, "a record cannot go straight from “Approved” to “Shipped”"),
])
def test_a_refused_move_says_why_and_changes_nothing(oms: Any, browse: Any, role: str, state: str,
                                                     values: dict[str, Any], target: str, status: int,
                                                     says: str) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, state, **values)
    response = _move(browse(role), order, target)
    assert (response.status_code, response.json["detail"]) == (status, says)
    assert _status(runtime, order) == state


def test_an_action_needing_a_comment_asks_for_it_then_takes_it(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    manager = browse("manager")
    asked = _move(manager, order, "on_hold")
    assert asked.status_code == 422
    assert asked.json["needs"] == {"action": "hold", "label": "Put on hold", "comment": True, "fields": []}
    assert asked.json["detail"] == "“Put on hold” needs a comment"
    assert _status(runtime, order) == "approved"
    done = _move(manager, order, "on_hold", comment="客户要求延期")
    assert done.status_code == 200, done.text
    assert _status(runtime, order) == "on_hold"


def test_an_action_needing_fields_names_them(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "ready_to_ship", qc_status="passed", payment_status="confirmed")
    warehouse = browse("warehouse")
    asked = _move(warehouse, order, "shipped")
    assert asked.status_code == 422
    assert [f["key"] for f in asked.json["needs"]["fields"]] == ["waybill_no"]
    assert "needs" in asked.json["detail"]
    assert _status(runtime, order) == "ready_to_ship"


def test_a_stale_card_is_a_conflict_not_an_overwrite(oms: Any, browse: Any) -> None:
    runtime, _data = oms
    [order] = _orders(runtime, "approved")
    runtime.records().update("order", order["id"], {"remarks": "changed meanwhile"})
    response = _move(browse("production"), order, "scheduled")
    assert response.status_code == 412
    assert _status(runtime, order) == "approved"
