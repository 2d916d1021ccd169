"""The impact preview: its counts are what publishing and re-running the same records gives, and
it writes nothing (every table's row count, the outbox and the notices stay as they were)."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from sunmao.clock import today
from sunmao.designer.impact import preview
from sunmao.records import SYSTEM
from sunmao.runtime import Runtime
from sunmao.snapshot import compile_snapshot
from tests.workflow.conftest import OM
from tests.workflow.conftest import om as om  # noqa: F401,PLC0414 - the order app's fixture

SETTINGS = "settings/order_settings.json"


def _with(runtime: Runtime, **values: Any) -> dict[str, dict[str, Any]]:
    apps = copy.deepcopy(runtime.current_apps()[0])
    for p in apps["order_management"][SETTINGS]["parameters"]:
        if p["key"] in values:
            p["value"] = values[p["key"]]
    return apps


def _footprint(runtime: Runtime) -> dict[str, Any]:
    """Every table's row count, and every record's version (an update would move one)."""
    with runtime.db.read() as conn:
        tables = sa.inspect(conn).get_table_names()
        counts: dict[str, Any] = {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar()
                                   for t in tables}
        for key, ce in runtime.snapshot().compiled.items():
            if "version" in ce.table.c:
                counts[f"{key}.versions"] = conn.execute(sa.select(sa.func.sum(ce.table.c.version))).scalar()
    return counts


def _finance(app: OM, order_ids: list[int]) -> set[int]:
    """The orders with a finance review task (the real routing)."""
    return {t["record_id"] for t in _tasks(app) if t["branch"] == "finance"} & set(order_ids)


def _tasks(app: OM) -> list[dict[str, Any]]:
    from sunmao.workflow.tables import task

    with app.runtime.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(task.c.record_id, task.c.branch)).mappings()]


def _batch(app: OM) -> list[int]:
    # grade, qty × 100.00: 40,000 · 60,000 · 70,000 · 90,000 · 100,000 (B); 60,000 · 85,000 (C); 90,000 (A)
    cases = [("B", "400"), ("B", "600"), ("B", "700"), ("B", "900"), ("B", "1000"), ("C", "600"), ("C", "850"),
             ("A", "900")]
    return [app.order(grade=g, qty=q, price="100.00")["id"] for g, q in cases]


def test_threshold_preview_equals_the_routing_before_and_after_publish(om: OM) -> None:  # noqa: F811
    runtime = om.runtime
    before_batch = _batch(om)
    for order_id in before_batch:  # routed by the published threshold, 50,000
        om.act(order_id, "submit", "sales1")
    routed_before = _finance(om, before_batch)
    after_batch = _batch(om)
    apps = _with(runtime, finance_review_threshold=80000)
    draft = compile_snapshot(99, apps, features=runtime.compilers)

    footprint = _footprint(runtime)
    findings = preview(runtime, runtime.snapshot(), draft, sample=500)
    assert _footprint(runtime) == footprint  # nothing written: rows, outbox, notices, record versions

    (running,) = [f for f in findings if f.kind == "runs"]  # the first batch's reviews stay on version 1
    assert running.counts == {"running": 6}
    assert {r["id"] for r in running.records["running"]} == routed_before
    (finance,) = [f for f in findings if f.kind == "approval"]
    assert finance.key == "order_review.finance" or finance.key.endswith(".finance")
    assert finance.examined == 16
    left = {r["id"] for r in finance.records["left"]}
    assert finance.records["joined"] == []
    # the preview's "before" is what the published version really did with the first batch
    would_before = (set(before_batch) & routed_before) | (left & set(before_batch))
    assert would_before == routed_before
    assert finance.counts["before"] == 2 * len(routed_before) == 12

    runtime.publish(apps)
    for order_id in after_batch:  # routed by the new threshold, 80,000
        om.act(order_id, "submit", "sales1")
    routed_after = _finance(om, after_batch)
    same_cases = {after_batch[i] for i, order_id in enumerate(before_batch) if order_id in routed_before}
    assert routed_after == same_cases - left  # the preview's "after" is what the new version really did
    assert finance.counts["after"] == 2 * len(routed_after) == 6
    assert "would skip" in finance.words.en and "6" in finance.words.en


def _payment(app: OM, customer: int, days_late: int) -> None:
    due = today() - timedelta(days=20)
    app.runtime.records().create("payment", {"customer": customer, "amount": "100.00", "due_date": due.isoformat(),
                                            "paid_date": (due + timedelta(days=days_late)).isoformat()}, actor=SYSTEM)


def test_weights_preview_equals_the_grades_after_publish(om: OM) -> None:  # noqa: F811
    runtime = om.runtime
    records = runtime.records()
    made = {}
    for name, lateness in (("punctual", (-2, -1)), ("half", (-1, 9)), ("late", (5, 9))):
        made[name] = records.create("customer", {"company_name": f"宁波{name}五金", "phone": "13800138001"},
                                    actor=SYSTEM)["id"]
        for days in lateness:
            _payment(om, made[name], days)
    big = om.runtime.records().create("order", {  # 60,000 from the punctual customer: finance review today
        "customer": made["punctual"], "due_date": (today() + timedelta(days=20)).isoformat(), "sales_rep": "sales1",
        "lines": [{"product": om.products["plain"], "qty": "600", "unit_price": "100.00"}]}, actor=om.actors["sales1"])
    grades_before = {c["id"]: (c["grade"], c["score"]) for c in
                     (records.get("customer", i) for i in [*made.values(), *om.customers.values()])}
    apps = _with(runtime, score_weight_on_time=0.8, grade_b_min_score=40)
    draft = compile_snapshot(99, apps, features=runtime.compilers)

    footprint = _footprint(runtime)
    found = preview(runtime, runtime.snapshot(), draft)
    findings = {f.key: f for f in found if f.kind == "computed"}
    assert _footprint(runtime) == footprint
    # the review condition did not change, but the customer it reads becomes an A: the order skips finance
    (finance,) = [f for f in found if f.kind == "approval"]
    assert finance.records["left"] == [{"id": big["id"], "name": big["name"]}] and finance.counts["joined"] == 0

    result = runtime.publish(apps)
    assert "customer" in result.recomputed
    after = {i: (records.get("customer", i)["grade"], records.get("customer", i)["score"]) for i in grades_before}
    moved_grades = {i: (grades_before[i][0], after[i][0]) for i in after if after[i][0] != grades_before[i][0]}
    previewed = {r["id"]: (r["from"], r["to"]) for r in findings["grade"].records["changed"]}
    assert previewed == moved_grades
    assert moved_grades == {made["punctual"]: ("B", "A"), made["half"]: ("C", "B")}  # punctual has an order too
    assert findings["grade"].counts == {"changed": 2, "B → A": 1, "C → B": 1}
    moved_scores = {i for i in after if after[i][1] != grades_before[i][1]}
    assert {r["id"] for r in findings["score"].records["changed"]} == moved_scores
    om.act(big["id"], "submit", "sales1")  # re-run after publishing: no finance review, as previewed
    assert _finance(om, [big["id"]]) == set()
