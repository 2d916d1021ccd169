"""``sunmao.rules``: JSONLogic rules compiled to Python closures.

The same rule runs on the server (here) and in the browser (json-logic-js plus
``widgets/rules/sunmao-rules.js``) and gives the same answer: the standard operators follow
json-logic-js 2.0.x exactly, JavaScript coercions included, and Sunmao's own operations
(dates, decimal-safe money, text) are implemented twice with one meaning.

    from sunmao.rules import default_engine
    engine = default_engine()
    due_ok = engine.compile({">=": [{"var": "due_date"}, {"today": []}]}, name="r_due_future")
    due_ok({"due_date": date(2026, 10, 8)})

Decisions a caller should know (details in the module named):

* Data is what the server holds: dict, list, str, int, float, bool, None, Decimal, date,
  datetime. Standard operators see a Decimal as a JS number and a date/datetime as its ISO
  text (datetimes in UTC), exactly what the browser holds (:mod:`.coerce`).
* Numbers computed by standard operators (``+ - * / %``, ``min``, ``max``) come back as
  ``float``, NaN and ±Infinity included, because that is what a JS number is; values that a
  rule only passes through (``var``, ``if``, ``and``/``or``) keep their Python type, so a
  Decimal field stays a Decimal. ``3.0 == 3`` in Python, and the conformance tests compare
  numbers by value, so callers never need to care which of the two they got.
* Money operations (``round``, ``sum``, ``money_mul``) compute in exact decimal and return
  ``Decimal``; the browser gets the nearest number to the same decimal (:mod:`.ops_custom`).
* Custom operations pass null through instead of failing (:mod:`.ops_custom`); regular
  expressions are a checked subset that means the same in Python and JS (:mod:`.regex_subset`).
* Static checks against an entity's fields: :mod:`.check`.

The module-level :func:`compile`, :func:`apply` and :func:`check` use one shared engine with
the default settings (Asia/Shanghai, the system clock, no holiday calendars); it is immutable,
so sharing it is safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .check import FIELD_TYPES, Problem
from .compiler import DEFAULT_TIME_ZONE, MAX_DEPTH, MAX_NODES, CompiledRule, Engine
from .errors import RuleCompileError, RuleError, RuleEvalError

__all__ = [
    "Engine",
    "CompiledRule",
    "Problem",
    "FIELD_TYPES",
    "RuleError",
    "RuleCompileError",
    "RuleEvalError",
    "DEFAULT_TIME_ZONE",
    "MAX_DEPTH",
    "MAX_NODES",
    "default_engine",
    "compile",
    "apply",
    "check",
]


def default_engine() -> Engine:
    """A new engine with the standard and custom operations and default settings."""
    return Engine()


_SHARED = Engine()


def compile(rule: Any, name: str | None = None) -> CompiledRule:  # noqa: A001 - the module's verb
    """Compile with the shared default engine."""
    return _SHARED.compile(rule, name=name)


def apply(rule: Any, data: Any = None) -> Any:
    """Compile (cached) and evaluate with the shared default engine."""
    return _SHARED.apply(rule, data)


def check(rule: Any, fields: Mapping[str, str]) -> list[Problem]:
    """Static problems of ``rule`` against a ``{variable path: field type}`` map."""
    return _SHARED.check(rule, fields)
