"""The three-tier review routes each order to exactly the reviews its facts call for."""

from __future__ import annotations

import pytest

from tests.workflow.conftest import OM

# grade, amount (qty × 100.00), special process, days to due → review branches expected
CASES = [
    ("B", "500", False, 20, set()),                      # 50,000 exactly: not above the threshold
    ("B", "500.01", False, 20, {"finance"}),             # 50,001: finance review
    ("A", "900", False, 20, set()),                      # A customers skip the finance tier
    ("C", "900", False, 20, {"finance"}),
    ("B", "10", True, 20, {"tech"}),                     # electrophoretic coating: technical feasibility
    ("B", "10", False, 3, set()),                        # due in exactly 3 days: no capacity check
    ("B", "10", False, 2, {"capacity"}),                 # under 3 days: production supervisor
    ("B", "10", False, 0, {"capacity"}),
    ("C", "1000", True, 1, {"finance", "tech", "capacity"}),
    ("A", "1000", True, 1, {"tech", "capacity"}),
]


@pytest.mark.parametrize(("grade", "qty", "special", "due_in", "expected"), CASES)
def test_review_tiers_route_by_rule(om: OM, grade: str, qty: str, special: bool, due_in: int,
                                    expected: set[str]) -> None:
    order = om.order(grade=grade, qty=qty, price="100.00", special=special, due_in=due_in)
    result = om.act(order["id"], "submit", "sales1")
    tasks = [t for who in ("fin1", "tech1", "prod1") for t in om.inbox(who)]
    assert {t["branch"] for t in tasks} == expected
    assert result["status"] == ("approved" if not expected else "under_review")


def test_rule_clear_order_is_approved_at_once(om: OM) -> None:
    order = om.order(grade="B", qty="5")
    approved = om.act(order["id"], "submit", "sales1")
    assert approved["status"] == "approved"
    kinds = [(e["kind"], (e.get("transition") or {}).get("action")) for e in om.flows.timeline("order", order["id"])]
    assert kinds == [("created", None), ("transition", "submit"), ("transition", "approve")]


def test_parallel_tiers_all_must_approve(om: OM) -> None:
    order = om.order(grade="C", qty="1000", special=True, due_in=1)
    om.act(order["id"], "submit", "sales1")
    fin = om.inbox("fin1")[0]
    om.flows.decide(fin["id"], om.actors["fin1"], "approve", "额度内")
    assert om.runtime.records().get("order", order["id"])["status"] == "under_review"
    om.flows.decide(om.inbox("tech1")[0]["id"], om.actors["tech1"], "approve")
    om.flows.decide(om.inbox("prod1")[0]["id"], om.actors["prod1"], "approve", "可插单")
    assert om.runtime.records().get("order", order["id"])["status"] == "approved"
    # The or-sign finance step closed the second finance reviewer's task too.
    assert om.inbox("fin2") == []


def test_one_rejection_sends_the_order_back(om: OM) -> None:
    order = om.order(grade="C", qty="1000", special=True)
    om.act(order["id"], "submit", "sales1")
    om.flows.decide(om.inbox("tech1")[0]["id"], om.actors["tech1"], "reject", "电泳线排满")
    assert om.runtime.records().get("order", order["id"])["status"] == "draft"
    assert om.inbox("fin1") == [] and om.inbox("fin2") == []
    decisions = [e for e in om.flows.timeline("order", order["id"]) if e["kind"] == "decision"]
    assert decisions[0]["decision"] == "rejected" and decisions[0]["comment"] == "电泳线排满"


def test_a_customer_orders_come_first_in_every_inbox(om: OM) -> None:
    first = om.order(grade="B", special=True)
    second = om.order(grade="A", special=True)
    om.act(first["id"], "submit", "sales1")
    om.act(second["id"], "submit", "sales1")
    assert [t["record_id"] for t in om.inbox("tech1")] == [second["id"], first["id"]]


def test_thresholds_are_metadata(om: OM) -> None:
    apps = om.runtime.current_apps()[0]
    wf = apps["order_management"]["workflows/order_lifecycle.json"]
    wf["approvals"][0]["branches"][0]["when"]["and"][1][">"][1] = 100000
    om.runtime.publish(apps)
    order = om.order(grade="B", qty="800")  # 80,000: under the new threshold
    assert om.act(order["id"], "submit", "sales1")["status"] == "approved"
