"""Every approval pattern: sequential levels, countersign, or-sign, ratio, add approver, transfer,
return, self-approval, delegation, SLA escalation, version pinning, and the parallel-decision race."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sunmao import org
from sunmao.errors import Conflict, Forbidden
from sunmao.workflow.calendar import Calendar
from tests.workflow.conftest import OM


def T(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def use_review(om: OM, *steps: dict[str, Any]) -> None:
    """Publish the order workflow with one always-applying branch made of ``steps``."""
    apps = om.runtime.current_apps()[0]
    wf = apps["order_management"]["workflows/order_lifecycle.json"]
    wf["approvals"][0]["branches"] = [{"key": "test", "label": T("测试", "Test"), "steps": list(steps)}]
    om.runtime.publish(apps)


def step(key: str, approvers: dict[str, Any], mode: str = "any", **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": T(key, key), "approvers": approvers, "mode": mode, **extra}


def status(om: OM, order_id: int) -> str:
    return om.runtime.records().get("order", order_id)["status"]


def decide(om: OM, who: str, decision: str = "approve", comment: str | None = None) -> dict[str, Any]:
    task = om.inbox(who)[0]
    if decision == "reject" and comment is None:
        comment = "不同意"  # a rejection always carries its reason
    return om.flows.decide(task["id"], om.actors[who], decision, comment)


def test_sequential_levels_manager_then_finance(om: OM) -> None:
    use_review(om, step("manager", {"manager_of": "submitter"}, "single"), step("finance", {"role": "finance"}))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    assert om.inbox("fin1") == []  # level 2 waits for level 1
    decide(om, "boss")
    assert status(om, order["id"]) == "under_review"
    decide(om, "fin2")
    assert status(om, order["id"]) == "approved"


def test_countersign_needs_everyone(om: OM) -> None:
    use_review(om, step("both", {"role": "finance"}, "all"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    decide(om, "fin1")
    assert status(om, order["id"]) == "under_review"
    decide(om, "fin2")
    assert status(om, order["id"]) == "approved"


def test_ratio_sign(om: OM) -> None:
    use_review(om, step("panel", {"users": ["fin1", "fin2", "tech1", "prod1"]}, "ratio", ratio=0.5))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    decide(om, "fin1", "reject")
    decide(om, "tech1")
    assert status(om, order["id"]) == "under_review"
    decide(om, "prod1")  # 2 of 4 approved: the ratio is met
    assert status(om, order["id"]) == "approved"
    assert om.inbox("fin2") == []


def test_ratio_rejects_once_it_cannot_be_met(om: OM) -> None:
    use_review(om, step("panel", {"users": ["fin1", "fin2", "tech1"]}, "ratio", ratio=0.6))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    decide(om, "fin1", "reject")
    assert status(om, order["id"]) == "under_review"
    decide(om, "fin2", "reject")  # at most 1 of 3 can now approve
    assert status(om, order["id"]) == "draft"


def test_approver_from_a_record_field(om: OM) -> None:
    use_review(om, step("rep", {"user_field": "sales_rep"}, "single", allow_self=True))
    order = om.order(sales_rep="sales2")
    om.act(order["id"], "submit", "sales1")
    assert [t["record_id"] for t in om.inbox("sales2")] == [order["id"]]


def test_self_approval_is_forbidden_unless_allowed(om: OM) -> None:
    use_review(om, step("sales_team", {"role": "sales"}))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    assert om.inbox("sales1") == []
    assert len(om.inbox("sales2")) == 1


def test_add_approver_before_and_after(om: OM) -> None:
    use_review(om, step("finance", {"users": ["fin1"]}, "single"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    task = om.inbox("fin1")[0]
    om.flows.add_approver(task["id"], om.actors["fin1"], "tech1", "before", "请先确认工艺")
    assert om.inbox("fin1") == []
    decide(om, "tech1")
    assert status(om, order["id"]) == "under_review"
    task = om.inbox("fin1")[0]  # back to the one who asked
    om.flows.add_approver(task["id"], om.actors["fin1"], "boss", "after")
    decide(om, "fin1")
    assert status(om, order["id"]) == "under_review"
    decide(om, "boss")
    assert status(om, order["id"]) == "approved"


def test_transfer(om: OM) -> None:
    use_review(om, step("finance", {"users": ["fin1"]}, "single"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    task = om.inbox("fin1")[0]
    om.flows.transfer(task["id"], om.actors["fin1"], "fin2", "我在出差")
    with pytest.raises(Conflict):
        om.flows.decide(task["id"], om.actors["fin1"], "approve")
    decide(om, "fin2")
    assert status(om, order["id"]) == "approved"


def test_return_to_an_earlier_step(om: OM) -> None:
    use_review(om, step("first", {"users": ["tech1"]}, "single"), step("second", {"users": ["fin1"]}, "single"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    decide(om, "tech1")
    task = om.inbox("fin1")[0]
    om.flows.return_to(task["id"], om.actors["fin1"], "first", "图纸版本不对")
    assert om.inbox("fin1") == [] and len(om.inbox("tech1")) == 1
    decide(om, "tech1")
    decide(om, "fin1")
    assert status(om, order["id"]) == "approved"


def test_only_the_assignee_decides(om: OM) -> None:
    use_review(om, step("finance", {"users": ["fin1"]}, "single"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    task = om.inbox("fin1")[0]
    with pytest.raises(Forbidden):
        om.flows.decide(task["id"], om.actors["fin2"], "approve")


def test_delegation_with_an_end_date(om: OM) -> None:
    use_review(om, step("finance", {"users": ["fin1"]}, "single"))
    org.delegate(om.runtime.db, "fin1", "fin2", until=datetime.now(UTC) + timedelta(days=3))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    assert om.inbox("fin1") == []
    task = om.inbox("fin2")[0]
    assert task["delegated_from"] == om.actors["fin1"].id


def test_sla_escalates_to_the_manager(om: OM) -> None:
    use_review(om, step("rep", {"users": ["sales2"]}, "single", sla_hours=2, on_timeout="escalate",
                        escalate_to={"users": ["boss"]}))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    task = om.inbox("sales2")[0]
    assert task["due_at"]
    assert om.flows.sla_tick(datetime.now(UTC))["escalated"] == 0
    later = datetime.now(UTC) + timedelta(days=10)
    assert om.flows.sla_tick(later) == {"reminded": 0, "escalated": 1, "approved": 0, "rejected": 0}
    assert om.flows.sla_tick(later)["escalated"] == 0  # handled once
    assert [t["record_id"] for t in om.flows.inbox(om.actors["boss"], "mine")] == [order["id"]]
    decide(om, "boss")
    assert status(om, order["id"]) == "approved"


def test_sla_auto_decision(om: OM) -> None:
    use_review(om, step("rep", {"users": ["sales2"]}, "single", sla_hours=1, on_timeout="approve"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    om.flows.sla_tick(datetime.now(UTC) + timedelta(days=10))
    assert status(om, order["id"]) == "approved"


def test_working_hours_skip_nights_weekends_and_holidays() -> None:
    from zoneinfo import ZoneInfo

    cal = Calendar(holidays=frozenset({datetime(2026, 10, 1).date()}))
    zone = ZoneInfo("Asia/Shanghai")
    friday_late = datetime(2026, 11, 27, 17, 0, tzinfo=zone)
    assert cal.add_working_hours(friday_late, 2).astimezone(zone) == datetime(2026, 11, 30, 10, 0, tzinfo=zone)
    before_holiday = datetime(2026, 9, 30, 17, 30, tzinfo=zone)
    assert cal.add_working_hours(before_holiday, 1).astimezone(zone) == datetime(2026, 10, 2, 9, 30, tzinfo=zone)


def test_a_running_flow_keeps_its_version(om: OM) -> None:
    use_review(om, step("first", {"users": ["tech1"]}, "single"), step("second", {"users": ["fin1"]}, "single"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    use_review(om, step("only", {"users": ["boss"]}, "single"))  # a new version: one step, another approver
    decide(om, "tech1")
    assert status(om, order["id"]) == "under_review"  # still on the old two-step flow
    decide(om, "fin1")
    assert status(om, order["id"]) == "approved"
    fresh = om.order()
    om.act(fresh["id"], "submit", "sales1")
    assert [t["record_id"] for t in om.inbox("boss")] == [fresh["id"]]


def test_bulk_approve(om: OM) -> None:
    use_review(om, step("finance", {"users": ["fin1"]}, "single"))
    orders = [om.order() for _ in range(3)]
    for o in orders:
        om.act(o["id"], "submit", "sales1")
    ids = [t["id"] for t in om.inbox("fin1")]
    result = om.flows.bulk_approve(ids + [ids[0]], om.actors["fin1"])
    assert result["approved"] == ids and list(result["failed"]) == [ids[0]]
    assert {status(om, o["id"]) for o in orders} == {"approved"}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_parallel_decisions_on_postgres_exactly_one_applies(om: OM) -> None:
    use_review(om, step("finance", {"role": "finance"}, "any"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    tasks = {who: om.inbox(who)[0]["id"] for who in ("fin1", "fin2")}
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def go(who: str, decision: str) -> None:
        barrier.wait()
        try:
            om.flows.decide(tasks[who], om.actors[who], decision, "并发决定")
            outcomes[who] = "applied"
        except Conflict:
            outcomes[who] = "conflict"

    threads = [threading.Thread(target=go, args=("fin1", "approve")),
               threading.Thread(target=go, args=("fin2", "reject"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes.values()) == ["applied", "conflict"]
    final = status(om, order["id"])
    winner = next(w for w, o in outcomes.items() if o == "applied")
    assert final == ("approved" if winner == "fin1" else "draft")
    transitions = [e for e in om.flows.timeline("order", order["id"]) if e["kind"] == "transition"]
    assert len([e for e in transitions if e["transition"]["action"] in ("approve", "reject")]) == 1


def test_the_sla_job_runs_from_its_schedule(om: OM) -> None:
    from sunmao.jobs.registry import JobContext, get_job
    from sunmao.workflow.tables import task

    use_review(om, step("rep", {"users": ["sales2"]}, "single", sla_hours=1, on_timeout="approve"))
    order = om.order()
    om.act(order["id"], "submit", "sales1")
    schedule = om.runtime.snapshot().features["jobs"]
    assert any(j.job == "workflow.sla_tick" for j in schedule)
    with om.runtime.db.write() as conn:  # the hour has passed
        conn.execute(task.update().values(due_at=datetime.now(UTC) - timedelta(minutes=1)))
    result = get_job("workflow.sla_tick").fn(JobContext(om.runtime, None, 1))
    assert result["approved"] == 1
    assert status(om, order["id"]) == "approved"
