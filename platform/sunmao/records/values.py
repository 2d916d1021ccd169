"""Turning stored Python values into JSON values (API bodies, audit diffs, events)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sunmao.storage.tables import DEFAULT_DECIMAL_PRECISION

SYSTEM_OUT = ("id", "name", "version", "created_at", "updated_at", "created_by", "updated_by")
#: What a BIGINT column holds (ids, links, integer fields) on PostgreSQL and SQLite alike.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def decimal_largest(precision: int | None, scale: int | None) -> Decimal:
    """The largest value a NUMERIC(precision, scale) column holds: 9999.99 for (6, 2)."""
    digits, places = (precision or DEFAULT_DECIMAL_PRECISION), (scale or 0)
    return Decimal("9" * (digits - places) + ("." + "9" * places if places else "") or "0")


def json_value(value: Any) -> Any:
    """Decimals become strings (exact), dates and datetimes ISO 8601 strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    if isinstance(value, float):
        return value
    return str(value)


def json_record(record: Mapping[str, Any]) -> dict[str, Any]:
    return {k: json_value(v) for k, v in record.items()}
