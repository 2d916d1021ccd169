"""The war room's queries on a million orders with stage history, against the same aggregates in
hand-written SQL, on SQLite and PostgreSQL, cold and warm cache.

Data is generated with bulk INSERT ... SELECT in the database (a recursive CTE on SQLite,
generate_series on PostgreSQL), not through the record service: 1,000,000 orders with one line
each, 3,000 customers, 600 products and stock levels, and four stage rows per order.

- ours, cold: ``DashboardService.data`` per widget with the result cache emptied (permissions,
  board filters and the SQL our compiler writes);
- ours, warm: the same, served from the cache (the data versions are still read per widget);
- hand: the same aggregates written by hand as SQL text, run on the same connection pool.

Run: .venv/bin/python bench/dashboards.py   (BENCH_ORDERS=100000 for a quicker run; BENCH_DB=sqlite|postgres;
TEST_POSTGRES_URL or postgresql+psycopg://postgres@127.0.0.1:5432/test for PostgreSQL)
"""

# ruff: noqa: S608 - the generating SQL is built from this file's own constants, never from input
from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

try:
    import sunmao  # noqa: F401
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "platform"))

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pg import pg_schema  # noqa: E402
from _results import QUICK, report  # noqa: E402

from sunmao import assembly  # noqa: E402
from sunmao.dashboards.service import CACHE, DashboardService
from sunmao.records import SYSTEM
from sunmao.resources import app_path
from sunmao.runtime import Runtime

ORDERS = 5_000 if QUICK else int(os.environ.get("BENCH_ORDERS", "1000000"))
STATES = ["draft", "submitted", "under_review", "approved", "scheduled", "in_production", "qc", "ready_to_ship",
          "shipped", "paid", "closed", "on_hold", "cancelled"]
OPEN = "('submitted','under_review','approved','scheduled','in_production','qc','ready_to_ship','on_hold')"

#: The war room's widgets as one would write them by hand (period = all, no channel or grade chosen).
HAND = {
    "open_orders": f"SELECT count(*) FROM t_order WHERE deleted_at IS NULL AND status IN {OPEN}",
    "late_orders": f"SELECT count(*) FROM t_order WHERE deleted_at IS NULL AND status IN {OPEN} "
                   "AND due_date < :today",
    "due_week": f"SELECT count(*) FROM t_order WHERE deleted_at IS NULL AND status IN {OPEN} "
                "AND due_date >= :today AND due_date <= :week",
    "new_orders": "SELECT count(*) FROM t_order WHERE deleted_at IS NULL",
    "by_stage": f"SELECT status, count(*) FROM t_order WHERE deleted_at IS NULL AND status IN {OPEN} "
                "GROUP BY status ORDER BY status",
    "by_channel": "SELECT channel, count(*) AS n FROM t_order WHERE deleted_at IS NULL GROUP BY channel "
                  "ORDER BY n DESC",
    "destinations": "SELECT c.province, count(*) FROM t_order o LEFT JOIN t_customer c ON c.id = o.customer "
                    "WHERE o.deleted_at IS NULL AND o.status IN ('shipped','paid','closed') "
                    "GROUP BY c.province ORDER BY c.province",
    "stock": "SELECT p.sku, sum(s.available) AS a, sum(s.safety_stock) AS b FROM t_stock_level s "
             "LEFT JOIN t_product p ON p.id = s.product WHERE s.deleted_at IS NULL GROUP BY p.sku "
             "ORDER BY CAST(sum(s.available) AS REAL) / NULLIF(sum(s.safety_stock), 0) LIMIT 12",
    "line_load": "SELECT p.category, sum(l.qty) AS q FROM t_order_line l JOIN t_order o ON o.id = l.parent_id "
                 "LEFT JOIN t_product p ON p.id = l.product WHERE o.deleted_at IS NULL "
                 "AND o.status IN ('scheduled','in_production','qc') GROUP BY p.category ORDER BY q DESC",
    "export": "SELECT c.country, count(*) FROM t_order o LEFT JOIN t_customer c ON c.id = o.customer "
              "WHERE o.deleted_at IS NULL AND o.currency <> 'CNY' GROUP BY c.country ORDER BY c.country",
}


def _series(dialect: str, n: int) -> str:
    """A relation ``g(i)`` of 1..n."""
    if dialect == "postgresql":
        return f"generate_series(1, {n}) AS g(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) AS g"


def generate(runtime: Runtime) -> None:
    db = runtime.db
    dialect = "postgresql" if not db.is_sqlite else "sqlite"
    now = "now()" if dialect == "postgresql" else "'2026-11-25 02:00:00.000000'"
    day = ("(DATE '2026-05-01' + (g.i % 200))" if dialect == "postgresql"
           else "date('2026-05-01', '+' || (g.i % 200) || ' days')")
    due = ("(DATE '2026-05-20' + (g.i % 210))" if dialect == "postgresql"
           else "date('2026-05-20', '+' || (g.i % 210) || ' days')")
    states = "CASE g.i % 13 " + " ".join(f"WHEN {k} THEN '{s}'" for k, s in enumerate(STATES)) + " END"
    provinces = ["浙江省", "江苏省", "广东省", "上海市", "安徽省", "山东省"]
    province = "CASE g.i % 6 " + " ".join(f"WHEN {k} THEN '{p}'" for k, p in enumerate(provinces)) + " END"
    categories = ["fastener", "hardware", "stamping", "die_casting", "machining", "auto_part"]
    category = "CASE g.i % 6 " + " ".join(f"WHEN {k} THEN '{c}'" for k, c in enumerate(categories)) + " END"
    sys_cols = "name, version, created_at, updated_at"

    def sys_vals(prefix: str) -> str:
        return f"'{prefix}' || g.i, 1, {now}, {now}"

    statements = [
        f"INSERT INTO t_channel (id, {sys_cols}, channel_code, channel_name) "
        f"SELECT g.i, {sys_vals('CH-')}, 'C' || g.i, '渠道' || g.i FROM {_series(dialect, 5)}",
        f"INSERT INTO t_customer (id, {sys_cols}, company_name, province, country, source_channel) "
        f"SELECT g.i, {sys_vals('CUS-')}, '客户' || g.i, {province}, "
        f"CASE WHEN g.i % 20 = 0 THEN 'United States' ELSE '中国' END, 1 + g.i % 5 FROM {_series(dialect, 3000)}",
        f"INSERT INTO t_product (id, {sys_cols}, sku, product_name, category) "
        f"SELECT g.i, {sys_vals('PRD-')}, 'SKU-' || g.i, '产品' || g.i, {category} FROM {_series(dialect, 600)}",
        f"INSERT INTO t_stock_level (id, {sys_cols}, product, on_hand, reserved, available, safety_stock) "
        f"SELECT g.i, {sys_vals('STK-')}, g.i, 100 + g.i % 900, 0, 100 + g.i % 900, 300 FROM {_series(dialect, 600)}",
        f"INSERT INTO t_order (id, {sys_cols}, customer, channel, order_date, due_date, currency, status, amount, "
        f"amount_cny, total_qty, sales_rep) SELECT g.i, {sys_vals('SO-')}, 1 + g.i % 3000, 1 + g.i % 5, {day}, {due}, "
        f"CASE WHEN g.i % 20 = 0 THEN 'USD' ELSE 'CNY' END, {states}, 100 + g.i % 10000, 100 + g.i % 10000, "
        f"1 + g.i % 500, 'rep' || (g.i % 12) FROM {_series(dialect, ORDERS)}",
        f"INSERT INTO t_order_line (id, parent_id, idx, product, qty, unit_price, amount) "
        f"SELECT g.i, g.i, 0, 1 + g.i % 600, 1 + g.i % 500, 1, 1 + g.i % 500 FROM {_series(dialect, ORDERS)}",
    ]
    for k, state in enumerate(["draft", "submitted", "approved", "scheduled"]):
        entered = (f"(now() - interval '{200 - k} days' + (g.i % 1000) * interval '1 minute')"
                   if dialect == "postgresql" else
                   f"datetime('2026-05-01', '+{k} days', '+' || (g.i % 1000) || ' minutes')")
        left = "NULL" if k == 3 else entered.replace(f"{200 - k} days", f"{199 - k} days").replace(
            f"'+{k} days'", f"'+{k + 1} days'")
        statements.append(
            "INSERT INTO sm_stage (entity, record_id, state, entered_at, left_at, entered_work, left_work, action) "
            f"SELECT 'order', g.i, '{state}', {entered}, {left}, {k} * 32400 + g.i % 1000, "
            f"{'NULL' if k == 3 else f'{k + 1} * 32400 + g.i % 1000'}, NULL FROM {_series(dialect, ORDERS)}")
    with db.write() as conn:
        for sql in statements:
            conn.exec_driver_sql(sql.replace("%", "%%") if dialect == "postgresql" else sql)
        if dialect == "postgresql":
            for table in ("t_order", "t_order_line", "t_customer", "sm_stage", "t_stock_level", "t_product"):
                conn.exec_driver_sql(f"ANALYZE {table}")
        else:
            conn.exec_driver_sql("ANALYZE")


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def run(url: str, label: str) -> None:
    runtime = assembly.runtime(url, check_interval=60)
    runtime.setup()
    runtime.install_app(app_path("order_management"))
    started = time.perf_counter()
    generate(runtime)
    print(f"[{label}] generated {ORDERS:,} orders, lines and {4 * ORDERS:,} stage rows in "
          f"{time.perf_counter() - started:.1f} s")
    service = DashboardService(runtime.records())
    board = service.board("war_room", SYSTEM)
    state = service.state(board, {"period": "all"})
    widgets = [w for w in board.widgets if w.query is not None]
    from sunmao.clock import today

    params = {"today": today(), "week": today().fromordinal(today().toordinal() + 7)}

    def ours() -> None:
        for w in widgets:
            service.data(board, w, SYSTEM, state)

    def cold() -> None:
        CACHE.clear()
        ours()

    def hand() -> None:
        with runtime.db.read() as conn:
            for sql in HAND.values():
                conn.execute(sa.text(sql), params).all()

    hand()
    cold()  # warm the database's own caches first: the comparison is of the SQL, not the disk
    t_hand, t_cold = timed(hand), timed(cold)
    ours()
    t_warm = timed(ours)
    print(f"[{label}] whole war room ({len(widgets)} widgets): hand-written SQL {t_hand * 1000:.0f} ms; "
          f"ours cold {t_cold * 1000:.0f} ms ({t_cold / t_hand:.2f}×); ours warm cache {t_warm * 1000:.1f} ms "
          f"({t_warm / t_hand:.3f}×)")
    db = runtime.db.dialect
    report(f"war room, {len(widgets)} widgets over {ORDERS:,} orders, cold cache, vs hand-written SQL", t_cold * 1000,
           "ms", baseline=t_hand * 1000, ratio=t_cold / t_hand, db=db)
    report(f"war room over {ORDERS:,} orders, warm cache, vs hand-written SQL", t_warm * 1000, "ms",
           baseline=t_hand * 1000, ratio=t_warm / t_hand, db=db)
    for w in widgets:
        def one_ours(w=w) -> None:  # type: ignore[no-untyped-def]
            CACHE.clear()
            service.data(board, w, SYSTEM, state)

        def one_hand(sql=HAND[w.id]) -> None:  # type: ignore[no-untyped-def]
            with runtime.db.read() as conn:
                conn.execute(sa.text(sql), params).all()
        a, b = timed(one_ours, 3), timed(one_hand, 3)
        print(f"    {w.id:14s} ours {a * 1000:8.1f} ms   hand {b * 1000:8.1f} ms   ratio {a / b:5.2f}")
    runtime.db.dispose()


def main() -> None:
    which = os.environ.get("BENCH_DB", "both")  # sqlite, postgres or both
    if which in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite")
    if which not in ("postgres", "both"):
        return
    with pg_schema() as url:
        if url is not None:
            run(url, "PostgreSQL")

if __name__ == "__main__":
    main()
