"""Submit → decision time for rule-clear orders, against a plain edit of the same order.

The three-tier review approves an order that no tier applies to at once. This measures what
that costs a user: the time from pressing "submit" to the order being approved (one request:
the guard, the branch rules over the order and its customer, the automatic approval, two
timeline entries and their events), beside a plain field edit of an order (one record-service
write) in the same run, on the demo data, on SQLite.

Run: .venv/bin/python bench/workflow.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _results import QUICK, demo_runtime, report

from sunmao.clock import today
from sunmao.records import SYSTEM, Actor
from sunmao.records.query import ListQuery
from sunmao.workflow import WorkflowService

N = 20 if QUICK else 300


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runtime = demo_runtime(f"sqlite:///{Path(tmp) / 'bench.db'}")
        records = runtime.records()
        flows = WorkflowService(runtime.db, runtime.snapshot())
        sales = Actor(id=None, username="bench", roles=frozenset({"sales"}))
        customers = [c for c in records.list("customer", ListQuery(limit=500))["items"] if c["grade"] != "A"]
        product = records.list("product", ListQuery(limit=1, filters=[("special_processes", "is_null", "true")]))
        product = product["items"][0] if product["items"] else records.list("product", ListQuery(limit=1))["items"][0]
        due = (today() + timedelta(days=20)).isoformat()
        orders = records.create_many("order", [
            {"customer": customers[i % len(customers)]["id"], "due_date": due,
             "lines": [{"product": product["id"], "qty": "10", "unit_price": "12.50"}]} for i in range(2 * N)],
            actor=SYSTEM)
        edit, submit = [], []
        for order in orders[:N]:
            started = time.perf_counter()
            records.update("order", order["id"], {"remarks": "请按图纸加工"}, actor=sales)
            edit.append(time.perf_counter() - started)
        for order in orders[N:]:
            started = time.perf_counter()
            result = flows.transition("order", order["id"], "submit", sales)
            submit.append(time.perf_counter() - started)
            assert result["status"] == "approved", result["status"]
        for name, samples in (("plain edit (baseline)", edit), ("submit → approved", submit)):
            samples.sort()
            print(f"{name:24s} p50 {1000 * statistics.median(samples):6.2f} ms   "
                  f"p95 {1000 * samples[int(0.95 * len(samples))]:6.2f} ms")
        ratio = statistics.median(submit) / statistics.median(edit)
        print(f"ratio submit/edit (p50): {ratio:.2f}x over {N} rule-clear orders each")
        report("submit → approved, rule-clear order (p50), vs a plain edit of an order",
               1000 * statistics.median(submit), "ms", baseline=1000 * statistics.median(edit), ratio=ratio)


if __name__ == "__main__":
    main()
