# ruff: noqa: S608 - the SQL here is built from the bench's own constants
"""Lists and record pages over a million orders: the engine against the same queries written by
hand, in the same run.

The data: realistic orders (the demo's, copied by ``sunmao demo --scale order=N``: customers,
lines, payments, stage history). Give a database that holds them with ``SCALE_URL`` (made with
``DATABASE_URL=… sunmao setup && sunmao demo --scale order=1000000``); without it, the bench
makes one on SQLite (50,000 orders; ``--quick``: the small test set copied to 3,000).

Measured (p95 over the runs, ms), each beside its hand-written SQL:
* a filtered, sorted first page (open orders by due date) with its capped count;
* page 50 of the same list by keyset;
* the same first page as a sales rep who sees only their own orders (row rules) vs admin;
* an order's record page as a person gets it (HTML, lines, timeline), beside its data read by hand;
* the process's memory (RSS) after the list runs.

Goals (issue 19): lists p95 < 50 ms and ≤ 1.5× hand SQL; restricted ≤ 1.2× admin; record < 50 ms.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _results import QUICK, demo_runtime, p95_ms, report  # noqa: E402

from sunmao import assembly  # noqa: E402
from sunmao.records import SYSTEM, Actor, replicate  # noqa: E402
from sunmao.records.query import ListQuery  # noqa: E402
from sunmao.runtime import Runtime  # noqa: E402

REPEAT = 5 if QUICK else 31
OPEN = ("submitted", "under_review", "approved", "scheduled", "in_production", "qc", "ready_to_ship", "on_hold")


def p95(fn: Any) -> float:
    fn()  # warm: the first call pays for compiled statements and caches
    return p95_ms(fn, REPEAT)[0]


def made(tmp: str) -> Runtime:
    runtime = demo_runtime(f"sqlite:///{tmp}/scale.db")
    started = time.perf_counter()
    replicate.replicate(runtime.db, runtime.snapshot(), ["order", "customer", "contact", "payment"],
                        target=3_000 if QUICK else 50_000, step_days=7)
    print(f"copied to {replicate.counts(runtime.db, runtime.snapshot(), ['order'])['order']:,} orders "
          f"in {time.perf_counter() - started:.1f} s")
    return runtime


def run(runtime: Runtime) -> None:
    db = runtime.db.dialect
    records = runtime.records()
    with runtime.db.read() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM t_order")).scalar()
        rep = conn.execute(sa.text("SELECT sales_rep FROM t_order WHERE sales_rep IS NOT NULL GROUP BY sales_rep "
                                   "ORDER BY count(*) DESC LIMIT 1")).scalar()
        sample = conn.execute(sa.text("SELECT parent_id FROM t_order_line GROUP BY parent_id "
                                      "ORDER BY count(*) DESC, parent_id LIMIT 1")).scalar()
    rep = rep or "nobody"
    sales = Actor(id=None, username=rep, roles=frozenset({"sales"}))
    status = ",".join(OPEN)
    query = ListQuery(filters=[("status", "in", status)], sort=[("due_date", False)], limit=50)
    print(f"{db}: {total:,} orders; sales rep {rep}; record #{sample}")

    def first_page(actor: Actor = SYSTEM) -> dict:
        return records.list("order", query, actor=actor)

    cursor = first_page().get("next")
    for _ in range(48):
        if cursor is None:
            break
        cursor = records.list("order", ListQuery(filters=query.filters, sort=query.sort, limit=50, after=cursor),
                              actor=SYSTEM).get("next")
    deep = ListQuery(filters=query.filters, sort=query.sort, limit=50, after=cursor)
    in_list = ", ".join(f"'{s}'" for s in OPEN)
    where = f"deleted_at IS NULL AND status IN ({in_list})"

    def hand_first(extra: str = "") -> None:
        with runtime.db.read() as conn:
            conn.execute(sa.text(f"SELECT * FROM t_order WHERE {where}{extra} ORDER BY due_date, id LIMIT 50")).all()
            conn.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM t_order WHERE {where}{extra} "
                                 "LIMIT 10001) AS c")).scalar()

    last = records.list("order", deep, actor=SYSTEM)["items"]
    edge = (last[0]["due_date"], last[0]["id"]) if last else (date.today(), 0)

    def hand_deep() -> None:
        with runtime.db.read() as conn:
            conn.execute(sa.text(f"SELECT * FROM t_order WHERE {where} AND (due_date > :d OR (due_date = :d AND "
                                 "id >= :i)) ORDER BY due_date, id LIMIT 50"), {"d": edge[0], "i": edge[1]}).all()
            conn.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM t_order WHERE {where} LIMIT 10001) AS c"))

    mine = " AND (sales_rep = :rep OR sales_rep IS NULL)"
    ours_first, hand_1 = p95(first_page), p95(hand_first)
    ours_deep, hand_d = p95(lambda: records.list("order", deep, actor=SYSTEM)), p95(hand_deep)
    ours_sales = p95(lambda: first_page(sales))

    def hand_sales() -> None:
        with runtime.db.read() as conn:
            conn.execute(sa.text(f"SELECT * FROM t_order WHERE {where}{mine} ORDER BY due_date, id LIMIT 50"),
                         {"rep": rep}).all()
            conn.execute(sa.text(f"SELECT count(*) FROM (SELECT 1 FROM t_order WHERE {where}{mine} LIMIT 10001) c"),
                         {"rep": rep}).scalar()
    hand_s = p95(hand_sales)

    from sunmao import accounts
    from sunmao.web import create_wsgi
    from tests.screens.conftest import Browser

    password = "Bench-pass-2026!"  # noqa: S105 - a bench's own user
    try:
        accounts.create_user(runtime.db, "bench_admin", password, ["admin"])
    except (ValueError, sa.exc.IntegrityError):
        pass  # made by an earlier run on this database
    person = Browser(create_wsgi(runtime)).login("bench_admin", password)

    def record_page() -> None:
        page = person.get(f"/app/order/{sample}")
        assert page.status_code == 200, page.status_code

    def hand_record() -> None:
        with runtime.db.read() as conn:
            conn.execute(sa.text("SELECT * FROM t_order WHERE id = :i"), {"i": sample}).one()
            conn.execute(sa.text("SELECT * FROM t_order_line WHERE parent_id = :i ORDER BY idx"), {"i": sample}).all()
            conn.execute(sa.text("SELECT * FROM sm_stage WHERE entity = 'order' AND record_id = :i ORDER BY id"),
                         {"i": sample}).all()
    ours_rec, hand_rec = p95(record_page), p95(hand_record)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = [
        (f"open orders by due date, first page + capped count, over {total:,} orders", ours_first, hand_1,
         "p95 < 50 ms and ≤ 1.5× hand SQL", ours_first < 50 and ours_first / hand_1 <= 1.5),
        ("page 50 of the same list by keyset", ours_deep, hand_d, "p95 < 50 ms and ≤ 1.5× hand SQL",
         ours_deep < 50 and ours_deep / hand_d <= 1.5),
        ("the first page as a sales rep (row rules) vs hand SQL", ours_sales, hand_s, "p95 < 50 ms and ≤ 1.5×",
         ours_sales < 50 and ours_sales / hand_s <= 1.5),
        ("the record page (HTML: order, lines, timeline) vs its data by hand", ours_rec, hand_rec, "p95 < 50 ms",
         ours_rec < 50),
    ]
    print(f"{'':58} {'ours p95':>9} {'hand p95':>9} {'ratio':>6}  goal")
    for label, ours, hand, goal, met in rows:
        print(f"{label[:58]:58} {ours:9.1f} {hand:9.1f} {ours / hand:5.2f}×  {goal}: {'met' if met else 'NOT met'}")
        report(label, ours, "ms", baseline=hand, ratio=ours / hand, goal=goal, met=met, db=db)
    restricted = ours_sales / ours_first
    print(f"sales rep / admin, first page: {restricted:.2f}× (goal ≤ 1.2×); peak RSS of this process {rss:.0f} MB")
    report("the first page: sales rep (row rules) vs admin", ours_sales, "ms", baseline=ours_first, ratio=restricted,
           goal="≤ 1.2× admin", met=restricted <= 1.2, db=db)
    report("peak memory of the bench process after the lists", rss, "MB", goal="< 150 MB", met=rss < 150, db=db)


def main() -> None:
    url = os.environ.get("SCALE_URL")
    if url and not QUICK:
        run(assembly.runtime(url))
        return
    with tempfile.TemporaryDirectory() as tmp:
        runtime = made(tmp)
        run(runtime)
        runtime.db.dispose()


if __name__ == "__main__":
    main()
