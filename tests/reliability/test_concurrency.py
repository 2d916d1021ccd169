"""What many people (and shops) doing the same thing at the same moment must not break: stock never
goes below zero and always equals the sum of its movements, a record's concurrent updates are
never lost, names stay unique across processes. On SQLite and PostgreSQL (where writers really
run side by side)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sunmao import assembly
from sunmao.errors import SunmaoError
from sunmao.records import SYSTEM
from tests.workflow.conftest import OM, om  # noqa: F401 - the fixture is used by name

THREADS = 8


def _at_once(work: list[Any]) -> list[Any]:
    """Run each callable in its own thread, released together; their results or exceptions."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = [None] * len(work)

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = work[i]()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_issues_at_the_same_moment_never_take_stock_below_zero(om: OM) -> None:  # noqa: F811
    records = om.runtime.records()
    product = om.products["plain"]
    level = records.create("stock_level", {"product": product}, actor=SYSTEM)
    records.create("stock_move", {"product": product, "qty": "100", "kind": "in"}, actor=SYSTEM)
    issue = {"product": product, "qty": "-30", "kind": "out"}
    outcomes = _at_once([lambda: records.create("stock_move", dict(issue), actor=om.actors["wh1"])
                         for _ in range(THREADS)])
    made = [o for o in outcomes if isinstance(o, dict)]
    refused = [o for o in outcomes if isinstance(o, SunmaoError)]
    assert len(made) + len(refused) == THREADS, [o for o in outcomes if not isinstance(o, dict | SunmaoError)]
    assert len(made) == 3  # 100 covers three issues of 30, whoever comes first
    stock = records.get("stock_level", level["id"])
    table = om.runtime.snapshot().tables["stock_move"]
    with om.runtime.db.read() as conn:
        total = conn.execute(sa.select(sa.func.sum(table.c.qty)).where(table.c.deleted_at.is_(None))).scalar_one()
    assert Decimal(stock["on_hand"]) == Decimal(total) == Decimal("10")


def test_updates_of_different_fields_at_the_same_moment_all_stay(om: OM) -> None:  # noqa: F811
    """Without If-Match each update changes only what it names, on the locked row: nobody's change is lost."""
    records = om.runtime.records()
    customer = om.customers["B"]
    changes = [{"remarks": "月底对账"}, {"address": "宁波市北仑区"}, {"phone": "13900139000"},
               {"city": "宁波"}, {"credit_limit": "80000.00"}, {"email": "buyer@nbjg.cn"}]
    outcomes = _at_once([lambda c=c: records.update("customer", customer, dict(c), actor=SYSTEM) for c in changes])
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    final = records.get("customer", customer)
    for change in changes:
        key, value = next(iter(change.items()))
        assert str(final[key]) == value, key
    assert final["version"] >= len(changes) + 1


def _create_widgets(url: str, lab_dir: str, count: int, start: Any) -> list[str]:

    runtime = assembly.runtime(url, check_interval=0)
    records = runtime.records()
    start.wait(60)
    names = [records.create("widget", {"title": f"p{i}"})["name"] for i in range(count)]
    runtime.db.dispose()
    return names


def test_names_stay_unique_across_processes(lab: Any, db_url: str, lab_dir: Any) -> None:
    """Two processes numbering the same series at once (gunicorn workers, a worker and a web process)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager:
        start = manager.Event()
        with context.Pool(2) as pool:
            pending = [pool.apply_async(_create_widgets, (db_url, str(lab_dir), 40, start)) for _ in range(2)]
            start.set()
            names = [n for p in pending for n in p.get(timeout=180)]
    assert len(names) == 80 and len(set(names)) == 80
    numbers = sorted(int(n.rsplit("-", 1)[1]) for n in names)
    assert numbers == list(range(numbers[0], numbers[0] + 80))  # no gaps either: the counter is transactional
