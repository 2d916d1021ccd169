"""List pages over a large table: keyset page + capped count, against OFFSET paging + full COUNT.

A list screen or API page must not get slower as the table grows. This fills a table with
200,000 orders-like rows (raw inserts, on SQLite) and times, in the same run:
- ours: `RecordService.list` with a filter, sort, a keyset cursor deep in the list, and the
  count capped at 10,000;
- baseline: the same page by OFFSET with an exact COUNT(*) — what a naive admin list does.

Run: .venv/bin/python bench/listing.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from _results import QUICK, report

from sunmao import assembly
from sunmao.records.query import ListQuery

ROOT = Path(__file__).resolve().parents[1]
ROWS = 20_000 if QUICK else 200_000


def timed(fn, repeat: int = 15) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        runtime = assembly.runtime(f"sqlite:///{Path(tmp) / 'bench.db'}")
        runtime.setup()
        runtime.install_app(ROOT / "tests" / "fixtures" / "lab")
        table = runtime.snapshot().tables["widget"]
        now = datetime.now(UTC)
        with runtime.db.write() as conn:
            conn.execute(table.insert(), [
                {"name": f"W-{i:07d}", "version": 1, "created_at": now, "updated_at": now, "title": f"部件{i}",
                 "qty": i % 1000, "price": (i % 500) + 0.5, "color": "blue" if i % 3 else "red",
                 "due": date(2026, 1, 1) + timedelta(days=i % 365), "active": True} for i in range(ROWS)])
        records = runtime.records()
        first = records.list("widget", ListQuery(filters=[("color", "eq", "blue")], sort=[("due", True)], limit=50))
        cursor = first["next"]
        for _ in range(200):  # walk 10,000 rows deep
            cursor = records.list("widget", ListQuery(filters=[("color", "eq", "blue")], sort=[("due", True)],
                                                     limit=50, after=cursor))["next"]
        ours = timed(lambda: records.list("widget", ListQuery(filters=[("color", "eq", "blue")],
                                                              sort=[("due", True)], limit=50, after=cursor)))

        def baseline() -> None:
            with runtime.db.read() as conn:
                where = table.c.color == "blue"
                conn.execute(sa.select(table).where(where).order_by(table.c.due.desc(), table.c.id)
                             .offset(10_050).limit(50)).all()
                conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar()
        theirs = timed(baseline)
        print(f"{ROWS:,} rows, filter color=blue, sort -due, page 202 (10,050 rows deep), 50 per page")
        print(f"ours (keyset + count capped at 10,000): {1000 * ours:7.2f} ms")
        print(f"baseline (OFFSET + full COUNT):          {1000 * theirs:7.2f} ms")
        print(f"ratio baseline/ours: {theirs / ours:.2f}x")
        report(f"page 202 of a filtered, sorted list over {ROWS:,} rows (keyset vs OFFSET + full COUNT)",
               1000 * ours, "ms", baseline=1000 * theirs, ratio=theirs / ours, goal="faster than the baseline",
               met=ours < theirs)


if __name__ == "__main__":
    main()
