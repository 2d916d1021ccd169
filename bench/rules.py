"""Evaluations per second: sunmao.rules compiled closures vs the panzi-json-logic interpreter.

Run: ``.venv/bin/python bench/rules.py`` (needs ``pip install panzi-json-logic``; never
together with the package ``json-logic``, both install the module ``json_logic``).

Three realistic order rules, standard operators only so that both engines run the very same
rule on the very same data. Each side is timed for about a second, best of three; the
results of the two engines are compared first, so the figures are for equal work.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:
    import sunmao.rules  # noqa: F401
except ImportError:  # running from a checkout without an installed package
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "platform"))

from _results import QUICK, report  # noqa: E402

from sunmao.rules import default_engine

REVIEW_ROUTING = {
    "or": [
        {"and": [{"!=": [{"var": "customer.grade"}, "A"]}, {">": [{"var": "amount"}, 50000]}]},
        {"in": ["electrophoresis", {"var": "special_processes"}]},
        {"<": [{"var": "days_to_due"}, 3]},
    ]
}

_SCORE = {
    "+": [
        {"*": [{"var": "customer.years"}, 2]},
        {"if": [
            {">": [{"var": "customer.annual_revenue"}, 1000000]}, 30,
            {">": [{"var": "customer.annual_revenue"}, 200000]}, 15,
            5,
        ]},
        {"-": [20, {"*": [{"var": "customer.late_payments"}, 5]}]},
        {"if": [{"in": [{"var": "customer.region"}, ["华东", "华南"]]}, 10, 0]},
        {"if": [{"==": [{"var": "customer.certified"}, True]}, 5, 0]},
    ]
}
CUSTOMER_SCORE = {"if": [{">=": [_SCORE, 60]}, "A", {">=": [_SCORE, 40]}, "B", "C"]}

ORDER_VALIDATION = {
    "and": [
        {"!": {"missing": ["customer.name", "due_date", "lines"]}},
        {"!!": {"var": "lines"}},
        {"or": [
            {"==": [{"var": "payment_terms"}, "prepaid"]},
            {"<=": [{"var": "amount"}, {"var": "customer.credit_limit"}]},
        ]},
        {"==": [
            {"reduce": [
                {"var": "lines"},
                {"+": [{"var": "accumulator"}, {"*": [{"var": "current.qty"}, {"var": "current.price"}]}]},
                0,
            ]},
            {"var": "amount"},
        ]},
        {"all": [{"var": "lines"}, {"and": [{">": [{"var": "qty"}, 0]}, {">=": [{"var": "price"}, 0]}]}]},
        {"<=": [{"var": "discount"}, 0.15]},
        {">=": [{"var": "due_date"}, "2026-03-16"]},
    ]
}

ORDER = {
    "customer": {
        "name": "苏州精工机械有限公司", "grade": "B", "years": 12, "annual_revenue": 850000,
        "late_payments": 1, "region": "华东", "certified": True, "credit_limit": 200000,
    },
    "amount": 68000,
    "special_processes": ["anodizing", "sandblasting"],
    "days_to_due": 10,
    "due_date": "2026-04-01",
    "payment_terms": "net30",
    "discount": 0.05,
    "lines": [
        {"sku": "P-100", "qty": 100, "price": 300},
        {"sku": "P-200", "qty": 50, "price": 400},
        {"sku": "P-300", "qty": 20, "price": 500},
        {"sku": "P-400", "qty": 10, "price": 600},
        {"sku": "P-500", "qty": 2, "price": 1000},
    ],
}

RULES = [("review routing", REVIEW_ROUTING), ("customer score", CUSTOMER_SCORE), ("order validation", ORDER_VALIDATION)]


def _calibrate(call: Callable[[], Any], seconds: float) -> int:
    """How many calls take about ``seconds``."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            call()
        elapsed = time.perf_counter() - start
        if elapsed > 0.05:
            return max(1, int(n * seconds / elapsed))
        n *= 4


def _run(call: Callable[[], Any], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return n / (time.perf_counter() - start)


def rates(
    ours: Callable[[], Any], theirs: Callable[[], Any], seconds: float = 1.0, repeats: int = 3
) -> tuple[float, float]:
    """Best evaluations per second of each side over ``repeats`` runs of about ``seconds``.

    The runs alternate between the two sides, so that a busy machine slows both alike.
    """
    n_ours, n_theirs = _calibrate(ours, seconds), _calibrate(theirs, seconds)
    best_ours = best_theirs = 0.0
    for _ in range(repeats):
        best_ours = max(best_ours, _run(ours, n_ours))
        best_theirs = max(best_theirs, _run(theirs, n_theirs))
    return best_ours, best_theirs


def main() -> int:
    try:
        from json_logic import jsonLogic as panzi_apply
    except ImportError:
        print("panzi-json-logic is not installed: .venv/bin/pip install panzi-json-logic", file=sys.stderr)
        return 2
    engine = default_engine()
    print(f"{'rule':<18} {'sunmao ev/s':>14} {'panzi ev/s':>14} {'ratio':>8}")
    worst = float("inf")
    for name, rule in RULES:
        fn = engine.compile(rule, name=name)
        ours, theirs = fn(ORDER), panzi_apply(rule, ORDER)
        if ours != theirs:
            print(f"{name}: results differ (sunmao {ours!r}, panzi {theirs!r})", file=sys.stderr)
            return 1
        fast, slow = rates(lambda fn=fn: fn(ORDER), lambda rule=rule: panzi_apply(rule, ORDER),
                           *((0.05, 1) if QUICK else ()))
        worst = min(worst, fast / slow)
        print(f"{name:<18} {fast:>14,.0f} {slow:>14,.0f} {fast / slow:>7.1f}x   (result {ours!r})")
        report(f"rule {name}: evaluations per second vs panzi-json-logic", fast, "ev/s", baseline=slow,
               ratio=fast / slow, goal="≥ 8× faster", met=fast / slow >= 8)
    print(f"lowest ratio: {worst:.1f}x (goal: 8x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
