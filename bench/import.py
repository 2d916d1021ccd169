"""Rows per second of the Excel importer, beside a loop of record-service creates of the same orders, on SQLite.

The workbook: a sales office's order sheet (``apps/order_management/imports/sales_office_orders.json``
recognises its headers) with a title row, ``--rows`` order rows (default 10,000) forming about
``rows / 3.3`` orders of 1–6 lines each, customers named by company name and phone (in a
spelling other than the stored one), products by SKU, dates as real dates and as text, and a
totals row. Built once with openpyxl; the same bytes go to every run.

Measured, each on a fresh database seeded the same way (customers and products), in this order:

1. **dry run**: read the workbook (python-calamine), find the header, map the columns by the
   template, group rows into orders, find customers and products, and write every order through
   ``RecordService.create_many`` in savepoints of a transaction that is rolled back;
2. **import**: the same, committed;
3. **baseline**: a loop of ``RecordService.create("order", payload)`` — one transaction per order —
   of the very same orders, with customer and product ids already known (no file, no look-ups).

Both sides write the same orders and lines (the bench checks the counts and the amounts); the
importer's figures include reading the file and every look-up. Prints rows/s, orders/s and the
ratio of the import's time to the loop's.

Run: ``.venv/bin/python bench/import.py [--rows 10000] [--customers 400] [--products 150]``.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

import sqlalchemy as sa  # noqa: E402
from _results import QUICK, report  # noqa: E402

from sunmao import assembly  # noqa: E402
from sunmao.imports.plan import prepare  # noqa: E402
from sunmao.imports.runner import run_import  # noqa: E402
from sunmao.records import SYSTEM  # noqa: E402
from sunmao.resources import app_path  # noqa: E402
from sunmao.runtime import Runtime  # noqa: E402

HEADERS = ["订单号", "下单日期", "交货日期", "客户名称", "联系电话", "产品编码", "数量", "单价", "备注"]


def seed(runtime: Runtime, rng: random.Random, customers: int, products: int
         ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    records = runtime.records()
    made_customers = records.create_many("customer", [
        {"company_name": f"宁波第{i:04d}五金制品有限公司", "phone": f"138{i:08d}", "city": "宁波",
         "payment_terms": "net_30", "credit_limit": "500000"} for i in range(customers)])
    made_products = records.create_many("product", [
        {"sku": f"BLT-{i:04d}", "product_name": f"六角螺栓{i}", "spec": f"M{6 + i % 10}", "unit": "pc",
         "price": str(Decimal(rng.randint(10, 5000)) / 100), "cost": "0.30"} for i in range(products)])
    return made_customers, made_products


def orders_of(rng: random.Random, rows: int, customers: list[dict[str, Any]], products: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
    """The orders the workbook holds, ``rows`` lines in all."""
    out: list[dict[str, Any]] = []
    made = 0
    start = date(2026, 12, 1)
    while made < rows:
        n = min(rng.randint(1, 6), rows - made)
        customer = rng.choice(customers)
        order_date = start + timedelta(days=rng.randint(0, 20))
        lines = [(rng.choice(products), rng.randint(1, 50) * 10) for _ in range(n)]
        out.append({"no": f"PO-{len(out) + 1:06d}", "order_date": order_date,
                    "due_date": order_date + timedelta(days=rng.randint(10, 40)), "customer": customer,
                    "lines": lines})
        made += n
    return out


def workbook(orders: list[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("12月订单")
    ws.append(["2026年12月 销售订单台账"])
    ws.append([])
    ws.append(HEADERS)
    total = 0
    for i, order in enumerate(orders):
        phone = order["customer"]["phone"]
        spelled = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}" if i % 2 else f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
        due = order["due_date"] if i % 3 else f"{order['due_date']:%Y年%m月%d日}"
        for j, (product, qty) in enumerate(order["lines"]):
            first = j == 0
            ws.append([order["no"], order["order_date"] if first else None, due if first else None,
                       order["customer"]["company_name"] if first else None, spelled if first else None,
                       product["sku"], qty, float(product["price"]), None])
            total += qty
    ws.append(["合计", None, None, None, None, None, total, None, None])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def fresh(folder: Path, name: str, customers: int, products: int) -> tuple[Runtime, list, list]:
    runtime = assembly.runtime(f"sqlite:///{folder / name}.db", check_interval=0)
    runtime.setup()
    runtime.install_app(app_path("order_management"))
    made = seed(runtime, random.Random(7), customers, products)
    return runtime, *made


def totals(runtime: Runtime) -> tuple[int, int, Decimal]:
    snap = runtime.snapshot()
    orders, lines = snap.tables["order"], snap.tables["order_line"]
    with runtime.db.read() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(orders)).scalar()
        m = conn.execute(sa.select(sa.func.count()).select_from(lines)).scalar()
        amount = conn.execute(sa.select(sa.func.sum(orders.c.amount))).scalar()
    return n, m, Decimal(str(amount or 0)).quantize(Decimal("0.01"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 rows: only shows that it runs")
    parser.add_argument("--rows", type=int, default=300 if QUICK else 10_000)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--products", type=int, default=150)
    args = parser.parse_args()
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        ours, customers, products = fresh(folder, "import", args.customers, args.products)
        orders = orders_of(random.Random(11), args.rows, customers, products)
        data = workbook(orders)
        print(f"workbook: {args.rows:,} order rows, {len(orders):,} orders, {len(data) / 1024:.0f} KiB; "
              f"{args.customers} customers, {args.products} products seeded")
        records = ours.records()

        started = time.perf_counter()
        prepared = prepare(records, "order", data, "订单台账.xlsx")
        read_s = time.perf_counter() - started
        assert prepared.template is not None and len(prepared.table.rows) == args.rows
        started = time.perf_counter()
        dry = run_import(records, SYSTEM, prepared.table, prepared.plan, prepared.targets)
        dry_s = time.perf_counter() - started + read_s
        assert not dry.problems, [p.text("en") for p in dry.problems[:5]]
        started = time.perf_counter()
        prepared = prepare(records, "order", data, "订单台账.xlsx")
        done = run_import(records, SYSTEM, prepared.table, prepared.plan, prepared.targets, commit=True)
        import_s = time.perf_counter() - started
        assert done.committed and done.created == len(orders) and not done.linked_created

        base, customers_b, products_b = fresh(folder, "loop", args.customers, args.products)
        ids_c = {c["company_name"]: c["id"] for c in customers_b}
        ids_p = {p["sku"]: p["id"] for p in products_b}
        service = base.records()
        payloads = [{"external_order_id": o["no"], "order_date": o["order_date"].isoformat(),
                     "due_date": o["due_date"].isoformat(), "customer": ids_c[o["customer"]["company_name"]],
                     "lines": [{"product": ids_p[p["sku"]], "qty": str(q), "unit_price": p["price"]}
                               for p, q in o["lines"]]} for o in orders]
        started = time.perf_counter()
        for payload in payloads:
            service.create("order", payload)
        loop_s = time.perf_counter() - started

        same = totals(ours) == totals(base)
        print(f"same orders, lines and amounts on both sides: {same} {totals(ours)}")
        if not same:
            print(f"  import {totals(ours)} vs loop {totals(base)}")
            sys.exit(1)
        print()
        print(f"{'':34s} {'seconds':>8s} {'rows/s':>9s} {'orders/s':>9s}")
        for label, seconds in (("read + find header + map (calamine)", read_s), ("dry run (incl. read)", dry_s),
                               ("import (incl. read)", import_s), ("baseline: loop of create()", loop_s)):
            print(f"{label:34s} {seconds:8.2f} {args.rows / seconds:9.0f} {len(orders) / seconds:9.0f}")
        print()
        print(f"ratio import / loop of creates (time): {import_s / loop_s:.2f}x")
        print(f"ratio dry run / loop of creates (time): {dry_s / loop_s:.2f}x")
        report(f"import of a {args.rows:,}-row workbook vs a loop of create()", import_s, "s", baseline=loop_s,
               ratio=import_s / loop_s, goal="no slower than the loop", met=import_s <= loop_s)
        report(f"dry run of a {args.rows:,}-row workbook vs a loop of create()", dry_s, "s", baseline=loop_s,
               ratio=dry_s / loop_s)
        ours.db.dispose()
        base.db.dispose()
    print(f"\ntotal run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
