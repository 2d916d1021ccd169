"""Guarded actions along the order lifecycle: roles, gates, the timeline, no bypass by any adapter."""

from __future__ import annotations

import pytest

from sunmao.errors import Conflict, Forbidden, TransitionRefused, ValidationFailed
from sunmao.records import SYSTEM
from tests.conftest import Api
from tests.workflow.conftest import OM


def _to_ready(om: OM, order_id: int) -> None:
    om.act(order_id, "submit", "sales1")
    for action, who in (("schedule", "prod1"), ("start_production", "prod1"), ("finish_production", "prod1"),
                        ("qc_pass", "qc1")):
        om.act(order_id, action, who)


def test_ship_gate_names_each_missing_condition(om: OM) -> None:
    order = om.order(qty="5")
    om.act(order["id"], "submit", "sales1")
    om.act(order["id"], "schedule", "prod1")
    om.act(order["id"], "start_production", "prod1")
    om.act(order["id"], "finish_production", "prod1")
    om.act(order["id"], "qc_fail", "qc1", comment="毛刺超标")
    om.act(order["id"], "finish_production", "prod1")
    # QC is pending again and payment is not confirmed: both conditions are named.
    om.runtime.records().update("order", order["id"], {}, actor=SYSTEM)
    with pytest.raises(Conflict):  # shipping is not an action of the QC state at all
        om.act(order["id"], "ship", "wh1", values={"waybill_no": "SF1234567890"})
    om.act(order["id"], "qc_pass", "qc1")
    with pytest.raises(TransitionRefused) as refused:
        om.act(order["id"], "ship", "wh1", values={"waybill_no": "SF1234567890"})
    assert set(refused.value.errors) == {"g_payment_confirmed"}
    assert refused.value.errors["g_payment_confirmed"][0].en == "Payment is not confirmed: the goods cannot ship"
    assert refused.value.extra["inputs"]["payment_status"] == "pending"
    om.act(order["id"], "confirm_payment", "fin1")
    with pytest.raises(ValidationFailed) as missing:
        om.act(order["id"], "ship", "wh1")
    assert "waybill_no" in missing.value.errors
    shipped = om.act(order["id"], "ship", "wh1", values={"waybill_no": "SF1234567890"})
    assert shipped["status"] == "shipped" and shipped["shipped_at"] and shipped["waybill_no"] == "SF1234567890"


def test_qc_gate_blocks_shipping_when_qc_did_not_pass(om: OM) -> None:
    order = om.order(qty="5")
    _to_ready(om, order["id"])
    om.act(order["id"], "confirm_payment", "fin1")
    table = om.runtime.snapshot().tables["order"]
    with om.runtime.db.write() as conn:  # a QC result overwritten behind the workflow's back
        conn.execute(table.update().where(table.c.id == order["id"]).values(qc_status="failed"))
    with pytest.raises(TransitionRefused) as refused:
        om.act(order["id"], "ship", "wh1", values={"waybill_no": "YT9"})
    assert set(refused.value.errors) == {"g_qc_passed"}


def test_production_waits_for_the_advance_payment(om: OM) -> None:
    order = om.order(qty="5", advance=True)
    om.act(order["id"], "submit", "sales1")
    om.act(order["id"], "schedule", "prod1")
    with pytest.raises(TransitionRefused) as refused:
        om.act(order["id"], "start_production", "prod1")
    assert "advance payment" in refused.value.detail.en
    receipt = om.runtime.records().create("receipt", {  # the advance arrives and is matched to the order
        "received_on": order["order_date"], "amount": order["amount"], "reference": order["name"]},
        actor=om.actors["fin1"])
    om.runtime.records().create("allocation", {"receipt": receipt["id"], "order": order["id"],
                                               "amount": order["amount"]}, actor=om.actors["fin1"])
    assert om.act(order["id"], "start_production", "prod1")["status"] == "in_production"


def test_roles_and_state_are_enforced(om: OM) -> None:
    order = om.order(qty="5")
    with pytest.raises(Forbidden):
        om.act(order["id"], "submit", "wh1")
    with pytest.raises(Forbidden):  # approval outcomes are the engine's, never a person's
        om.act(order["id"], "approve", "root")
    with pytest.raises(Conflict):
        om.act(order["id"], "ship", "wh1")
    with pytest.raises(ValidationFailed) as direct:
        om.runtime.records().update("order", order["id"], {"status": "shipped"}, actor=om.actors["sales1"])
    assert "status" in direct.value.errors
    with pytest.raises(Forbidden):  # a warehouse clerk may not edit other fields along with an action
        om.act(order["id"], "submit", "sales1")
        om.act(order["id"], "schedule", "prod1", values={"remarks": "改一下"})


def test_timeline_records_every_step_with_guard_inputs(om: OM) -> None:
    order = om.order(qty="5")
    _to_ready(om, order["id"])
    om.act(order["id"], "confirm_payment", "fin1")
    om.act(order["id"], "ship", "wh1", values={"waybill_no": "SF1"})
    entries = [e for e in om.flows.timeline("order", order["id"]) if e["kind"] == "transition"]
    path = [(e["transition"]["from"], e["transition"]["to"]) for e in entries]
    assert path == [("draft", "submitted"), ("submitted", "approved"), ("approved", "scheduled"),
                    ("scheduled", "in_production"), ("in_production", "qc"), ("qc", "ready_to_ship"),
                    ("ready_to_ship", "ready_to_ship"), ("ready_to_ship", "shipped")]
    ship = entries[-1]
    assert ship["user"] == "wh1"
    assert ship["transition"]["inputs"] == {"payment_status": "confirmed", "qc_status": "passed"}


def test_actions_over_the_api(om: OM) -> None:
    from sunmao.web import create_wsgi

    token = __import__("sunmao.accounts", fromlist=["create_token"]).create_token(om.runtime.db, "sales1", "t")
    api = Api(create_wsgi(om.runtime), token)
    order = om.order(qty="5")
    listed = api.get(f"/api/v1/order/{order['id']}/actions").json["items"]
    assert [a["key"] for a in listed] == ["submit", "cancel"]
    response = api.post(f"/api/v1/order/{order['id']}/actions/submit", json={"comment": "请审核"},
                        headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.json["status"] == "approved"
    stale = api.post(f"/api/v1/order/{order['id']}/actions/cancel", json={"comment": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    refused = api.post(f"/api/v1/order/{order['id']}/actions/close", json={})
    assert refused.status_code == 409 and refused.headers["Content-Type"] == "application/problem+json"
    timeline = api.get(f"/api/v1/order/{order['id']}/timeline").json["items"]
    assert [e["kind"] for e in timeline] == ["created", "transition", "transition"]


def test_shipping_creates_the_receivable_and_tells_finance(om: OM) -> None:
    from datetime import timedelta

    import sqlalchemy as sa

    from sunmao.clock import today
    from sunmao.records.query import ListQuery
    from sunmao.storage import system as sm

    order = om.order(qty="5", payment_terms="net_30")
    _to_ready(om, order["id"])
    om.act(order["id"], "confirm_payment", "fin1")
    om.act(order["id"], "ship", "wh1", values={"waybill_no": "SF2"})
    payments = om.runtime.records().list("payment", ListQuery(filters=[("order", "eq", str(order["id"]))]))["items"]
    assert len(payments) == 1
    assert payments[0]["amount"] == "500.00" and payments[0]["customer"] == order["customer"]
    assert payments[0]["due_date"] == (today() + timedelta(days=30)).isoformat()
    with om.runtime.db.read() as conn:
        query = sa.select(sm.outbox.c.payload).where(sm.outbox.c.topic == "workflow.notify")
        notes = conn.execute(query).scalars().all()
    assert len(notes) == 1
    assert sorted(notes[0]["user_ids"]) == sorted([om.actors["fin1"].id, om.actors["fin2"].id])
    assert notes[0]["message"]["en"].startswith("The order has shipped")
