"""What every bench measured, in one file: ``bench/results.json`` (``make bench`` updates it).

A bench calls :func:`report` for each comparison it prints — our figure, the baseline measured in
the same run, the ratio and the goal — and the figures are merged into the file under the bench's
name when it exits. ``--quick`` (``make bench-quick``, and the test suite) runs every bench at a
small size to show that it still runs; its figures go to ``bench/results-quick.json`` and are not
to be quoted. ``BENCH_RESULTS`` names another file.
"""

from __future__ import annotations

import atexit
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

QUICK = "--quick" in sys.argv
HERE = Path(__file__).resolve().parent
PATH = Path(os.environ.get("BENCH_RESULTS") or HERE / ("results-quick.json" if QUICK else "results.json"))

_cases: list[dict[str, Any]] = []


def report(case: str, ours: float, unit: str, *, baseline: float | None = None, ratio: float | None = None,
           goal: str | None = None, met: bool | None = None, db: str = "sqlite") -> None:
    """One comparison: ``ours`` and the same-run ``baseline`` in ``unit``; ``ratio`` as the bench
    states it (say which way in ``case`` or ``goal``); ``met``: whether ``goal`` was reached."""
    if QUICK:  # a small run says nothing about a goal
        met = None
    _cases.append({"case": case, "db": db, "ours": round(ours, 4), "unit": unit,
                   "baseline": None if baseline is None else round(baseline, 4),
                   "ratio": None if ratio is None else round(ratio, 3), "goal": goal, "met": met})


def p95_ms(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """The 95th percentile and the median, in milliseconds, of ``repeat`` calls of ``fn``."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return samples[min(len(samples) - 1, int(len(samples) * 0.95))], statistics.median(samples)


def demo_runtime(url: str) -> Any:
    """A runtime on ``url`` with the order app and its demo data (the small test set with ``--quick``)."""
    from sunmao import assembly
    from sunmao.cli import seed_demo
    from sunmao.clock import today
    from sunmao.resources import app_path

    runtime = assembly.runtime(url)
    runtime.setup()
    runtime.install_app(app_path("order_management"))
    if QUICK:
        small_demo(runtime)
    else:
        seed_demo(runtime, app_path("order_management"), 20261125, today())
    return runtime


def small_demo(runtime: Any) -> None:
    """The test suite's small demo set (a few customers, products and orders) for a quick run."""
    sys.path.insert(0, str(HERE.parent))
    from tests.screens import demo

    demo.users(runtime)
    demo.seed(runtime, orders=4)


def _save() -> None:
    if not _cases:
        return
    name = Path(sys.argv[0]).stem
    try:
        results = json.loads(PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        results = {}
    results[name] = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "quick": QUICK,
                     "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                     "cases": _cases}
    PATH.write_text(json.dumps(dict(sorted(results.items())), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    missed = [c["case"] for c in _cases if c["met"] is False]
    print(f"[{name}] {len(_cases)} figures saved to {PATH.name}" + (f"; goal missed: {', '.join(missed)}"
                                                                    if missed else ""))


atexit.register(_save)
