"""Turning stored Python values into JSON values (API bodies, audit diffs, events)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sunmao.fields.columns import INT64_MAX, INT64_MIN, decimal_largest

__all__ = ["SYSTEM_OUT", "INT64_MAX", "INT64_MIN", "decimal_largest", "json_value", "json_record"]

SYSTEM_OUT = ("id", "name", "version", "created_at", "updated_at", "created_by", "updated_by")


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
