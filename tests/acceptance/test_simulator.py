"""The workflow designer's simulator goes where the real run goes: on every case of the routing
table (tests/acceptance/test_routing.py) the branches it says a submit opens are the branches the
real submit opens — and simulating writes nothing (rows, runs, tasks, audit and outbox unchanged)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from sunmao.designer.flows import simulate
from sunmao.storage import system as sm
from sunmao.workflow.tables import run as run_table
from sunmao.workflow.tables import task as task_table
from tests.acceptance.conftest import api, due, line
from tests.acceptance.test_routing import CASES
from tests.workflow.conftest import OM


def _counts(om: OM) -> dict[str, int]:
    snap = om.runtime.snapshot()
    tables = {"order": snap.tables["order"], "run": run_table, "task": task_table, "audit": sm.audit,
              "outbox": sm.outbox}
    with om.runtime.db.read() as conn:
        return {k: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() for k, t in tables.items()}


@pytest.mark.parametrize(("grade", "currency", "qty", "product", "days", "expected"), CASES)
def test_the_simulators_path_is_the_real_runs_path(shopfloor: OM, grade: str, currency: str, qty: str, product: str,
                                                   days: int, expected: set[str]) -> None:
    sales = api(shopfloor, "sales1")
    order = sales.post("/api/v1/order", {"customer": shopfloor.customers[grade], "currency": currency,
                                         "due_date": due(days), "lines": [line(shopfloor, product, qty)]}).json
    before = _counts(shopfloor)
    sim = simulate(shopfloor.runtime.db, shopfloor.runtime.snapshot(), "order", "submit", record_id=order["id"],
                   as_user="sales1")
    assert _counts(shopfloor) == before  # nothing written
    assert sim["refused"] is None and not sim["problems"]
    simulated = {b["key"] for b in sim["branches"] if b["applies"]}
    assert simulated == expected
    assert sim["state"] == ("approved" if not expected else "under_review")

    submitted = sales.post(f"/api/v1/order/{order['id']}/actions/submit", {})
    assert submitted.status_code == 200, submitted.json
    real = {t["branch"] for who in ("fin1", "tech1", "prod1") for t in shopfloor.inbox(who)}
    assert simulated == real
    assert sim["state"] == submitted.json["status"]
    people = {p for b in sim["branches"] if b["applies"] for s in b["steps"][:1] for p in s["people"]}
    assert people == {who for who in ("fin1", "fin2", "tech1", "prod1") if shopfloor.inbox(who)}


def test_the_simulator_says_why_and_works_on_a_typed_sample(shopfloor: OM) -> None:
    sim = simulate(shopfloor.runtime.db, shopfloor.runtime.snapshot(), "order", "submit",
                   values={"customer": shopfloor.customers["C"], "due_date": due(20),
                           "lines": [line(shopfloor, "plain", "600")]})
    finance = next(b for b in sim["branches"] if b["key"] == "finance")
    assert finance["applies"] and finance["result"] is True
    assert finance["inputs"]["customer.grade"] == "C" and float(finance["inputs"]["amount_cny"]) == 60000
    assert [t["to"] for t in sim["transitions"]] == ["submitted", "under_review"]
    assert sim["as_user"] == "sales1"
    with shopfloor.runtime.db.read() as conn:  # the typed sample was never stored
        assert conn.execute(sa.select(sa.func.count()).select_from(shopfloor.runtime.snapshot().tables["order"])
                            ).scalar() == 0


def test_a_refused_action_says_why(shopfloor: OM) -> None:
    sales = api(shopfloor, "sales1")
    order = sales.post("/api/v1/order", {"customer": shopfloor.customers["B"], "due_date": due(20),
                                         "lines": [line(shopfloor)]}).json
    sim = simulate(shopfloor.runtime.db, shopfloor.runtime.snapshot(), "order", "submit", record_id=order["id"],
                   as_user="fin1")
    assert sim["refused"] is not None and "sales" in sim["refused"]["en"]
    bad = simulate(shopfloor.runtime.db, shopfloor.runtime.snapshot(), "order", "submit", record_id=order["id"],
                   values={"lines": []})
    assert bad["problems"] and "lines" in bad["problems"][0]["errors"]
