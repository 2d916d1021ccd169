"""Approving orders that explode through a 3-level BOM into dispatch orders, against a hand-written explosion.

The order app's ``approve`` transition declares a ``generate`` (``docs/engine.md``, Generating
records): each order line's product is exploded through its BOM (3 levels, 40 components, scrap
rates), summed per production line, and one dispatch order per line is created through the
record service, linked back to the order. This bench approves ``N`` orders that way
(``WorkflowService.transition``: the state change, its journal, the explosion, the dispatch
orders and their events, one transaction per order) and, in the same run and interleaved, ``N``
other orders by hand: the same state change through ``RecordService.update(transition=...)``,
then an explosion written out for this BOM (the BOM read in one query, recursion in Python) and
the same dispatch orders written with ``RecordService.create_many`` in the same transaction.
Both sides must store the same dispatch orders (checked). On SQLite.

Run: .venv/bin/python bench/explode.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _results import QUICK, report

from sunmao import assembly
from sunmao.clock import today
from sunmao.records import SYSTEM, RecordService
from sunmao.resources import app_path
from sunmao.workflow import WorkflowService

LINES = ("A", "B", "C", "D")


def build_plant(records: RecordService) -> tuple[int, dict[str, int]]:
    """A finished good of 4 sub-assemblies (one per line) × 3 parts × 2 materials + 2 bought parts: 40 components."""
    lines = {c: records.create("production_line", {"code": c, "line_name": f"{c} 线", "leader": f"lead.{c}"})["id"]
             for c in LINES}
    seq = iter(range(1, 10_000))

    def product(kind: str) -> int:
        return records.create("product", {"sku": f"{kind}-{next(seq):04d}", "product_name": kind, "unit": "pc",
                                          "price": "1"})["id"]

    fg = product("FG")
    top = []
    for i, line in enumerate(LINES):
        sub = product("SUB")
        top.append({"component": sub, "qty": str(1 + i % 2), "scrap_rate": "0.02", "production_line": lines[line]})
        parts = []
        for j in range(3):
            part = product("PART")
            parts.append({"component": part, "qty": str(2 + j), "scrap_rate": "0.05",
                          "production_line": lines[LINES[(i + j + 1) % 4]]})
            records.create("bom", {"product": part, "lines": [
                {"component": product("MAT"), "qty": "0.5", "scrap_rate": "0.1", "production_line": lines[line]},
                {"component": product("MAT"), "qty": "3", "production_line": lines[LINES[(i + 2) % 4]]}]})
        parts.append({"component": product("BUY"), "qty": "4"})  # bought: not dispatched
        records.create("bom", {"product": sub, "lines": parts})
    records.create("bom", {"product": fg, "production_line": lines["A"], "lines": top})
    return fg, lines


def hand_explode(conn: sa.Connection, snapshot: Any, order_lines: list[tuple[int, Decimal]]
                 ) -> dict[int, dict[tuple[int, int, int | None], Decimal]]:
    """The same explosion written for this app: line → {(item, level, parent): qty}."""
    bom, bom_line = snapshot.tables["bom"], snapshot.tables["bom_line"]
    rows = conn.execute(sa.select(bom.c.product, bom.c.production_line, bom_line.c.component, bom_line.c.qty,
                                  bom_line.c.scrap_rate, bom_line.c.production_line)
                        .join(bom_line, bom_line.c.parent_id == bom.c.id)
                        .where(bom.c.deleted_at.is_(None), bom.c.active.is_(True))
                        .order_by(bom.c.id, bom_line.c.idx)).all()
    children: dict[int, list[tuple[int, Decimal, Decimal, int | None]]] = defaultdict(list)
    assembled: dict[int, int | None] = {}
    for product, head_line, component, qty, scrap, line in rows:
        assembled[product] = head_line
        children[product].append((component, Decimal(str(qty)), Decimal(str(scrap or 0)), line))
    out: dict[int, dict[tuple[int, int, int | None], Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def walk(item: int, qty: Decimal, level: int) -> None:
        for component, per, scrap, line in children.get(item, ()):
            need = qty * per * (1 + scrap)
            if line is not None:
                out[line][(component, level, item)] += need
            walk(component, need, level + 1)

    for item, qty in order_lines:
        if assembled.get(item) is not None:
            out[assembled[item]][(item, 0, None)] += qty
        walk(item, qty, 1)
    return out


def approve_by_hand(runtime: Any, records: RecordService, order_id: int) -> None:
    snapshot = runtime.snapshot()
    with runtime.db.write() as conn:
        order = records.update("order", order_id, {}, actor=SYSTEM, transition="approve", conn=conn)
        exploded = hand_explode(conn, snapshot, [(row["product"], Decimal(row["qty"])) for row in order["lines"]])
        table = snapshot.tables["dispatch_order"]
        existing = set(conn.execute(sa.select(table.c.production_line).where(
            table.c.order == order_id, table.c.deleted_at.is_(None))).scalars())
        records.create_many("dispatch_order", [
            {"order": order_id, "production_line": line, "due_date": order["due_date"],
             "lines": [{"product": item, "level": level, "parent_product": parent,
                        "qty": str(qty.quantize(Decimal("0.001"), ROUND_HALF_UP))}
                       for (item, level, parent), qty in rows.items()]}
            for line, rows in sorted(exploded.items(), key=lambda kv: str(kv[0])) if line not in existing],
            actor=SYSTEM, skip_read_only=True, conn=conn)


def stored(runtime: Any, order_id: int) -> list[tuple[Any, ...]]:
    snap = runtime.snapshot()
    d, dl = snap.tables["dispatch_order"], snap.tables["dispatch_line"]
    with runtime.db.read() as conn:
        return sorted(tuple(r) for r in conn.execute(
            sa.select(d.c.production_line, dl.c.product, dl.c.level, dl.c.parent_product, dl.c.qty)
            .join(dl, dl.c.parent_id == d.c.id).where(d.c.order == order_id)))


def main(n: int = 1000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runtime = assembly.runtime(f"sqlite:///{Path(tmp) / 'bench.db'}")
        runtime.setup()
        runtime.install_app(app_path("order_management"))
        records = runtime.records()
        fg, _lines = build_plant(records)
        customers = [c["id"] for c in records.create_many("customer", [
            {"company_name": f"宁波精工五金有限公司{i:03d}"} for i in range(n // 5 + 1)])]
        due = (today() + timedelta(days=30)).isoformat()
        orders = records.create_many("order", [
            {"customer": customers[i % len(customers)], "due_date": due, "currency": "CNY", "status": "under_review",
             "lines": [{"product": fg, "qty": str(10 + i % 7), "unit_price": "100"}]} for i in range(2 * n)],
            actor=SYSTEM, history=True)
        flows = WorkflowService(runtime.db, runtime.snapshot())
        engine_time = hand_time = 0.0
        for i in range(n):
            a, b = orders[2 * i]["id"], orders[2 * i + 1]["id"]
            started = time.perf_counter()
            flows.transition("order", a, "approve", SYSTEM)
            engine_time += time.perf_counter() - started
            started = time.perf_counter()
            approve_by_hand(runtime, records, b)
            hand_time += time.perf_counter() - started
        first, second = orders[0]["id"], orders[1]["id"]
        engine_rows, hand_rows = stored(runtime, first), stored(runtime, second)
        assert [r[:4] for r in engine_rows] == [r[:4] for r in hand_rows], "the two explosions differ"
        components = len(engine_rows)
        with runtime.db.read() as conn:
            made = conn.execute(sa.select(sa.func.count()).select_from(runtime.snapshot().tables["dispatch_order"])
                                ).scalar()
        again = time.perf_counter()
        for order in orders[: 2 * n : 2][:100]:  # idempotent: a second generate creates nothing
            with runtime.db.write() as conn:
                gen = flows.workflows["order"].transitions["approve"].generates[0]
                stored_order = records.fetch(conn, "order", order["id"])
                assert gen.run(records, conn, stored_order, {}, SYSTEM) == []
        again = time.perf_counter() - again
        print(f"{n} orders approved through the engine's generate, {n} by hand; {components} dispatch lines "
              f"per order in {len(LINES)} dispatch orders ({made} dispatch orders in all)")
        print(f"engine: {engine_time:.2f} s, {n / engine_time:.0f} orders/s ({engine_time / n * 1000:.2f} ms/order)")
        print(f"hand:   {hand_time:.2f} s, {n / hand_time:.0f} orders/s ({hand_time / n * 1000:.2f} ms/order)")
        print(f"ratio engine/hand: {engine_time / hand_time:.2f}×")
        report("approve + explode the BOM into dispatch orders: engine's generate vs by hand", engine_time / n * 1000,
               "ms/order", baseline=hand_time / n * 1000, ratio=engine_time / hand_time, goal="≤ 1.2× by hand",
               met=engine_time / hand_time <= 1.2)
        print(f"second generate of 100 approved orders (nothing to create): {again / 100 * 1000:.2f} ms/order")


if __name__ == "__main__":
    sizes = [a for a in sys.argv[1:] if a.isdigit()]
    main(int(sizes[0]) if sizes else 30 if QUICK else 1000)
