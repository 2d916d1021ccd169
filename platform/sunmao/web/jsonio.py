"""JSON in and out: numbers are read as exact Decimals, and Decimals written as strings.

Money must never pass through a binary float, so a body like ``{"price": 12.35}`` yields
``Decimal("12.35")``. NaN and Infinity literals are refused.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask.json.provider import DefaultJSONProvider


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in JSON")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class SunmaoJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json.loads(s, parse_float=Decimal, parse_constant=_no_constants, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _default)
        kwargs.setdefault("ensure_ascii", False)
        return json.dumps(obj, **kwargs)
