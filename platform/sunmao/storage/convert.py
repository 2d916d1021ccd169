"""Value conversion for field type changes.

A type change is allowed only when every stored value converts; these functions say exactly
why one does not, so the migration can list the offending rows instead of corrupting them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from sunmao import clock
from sunmao.meta.model import Field

LOCAL_ZONE = clock.BUSINESS_ZONE
_TRUE = {"1", "true", "yes", "y", "是", "t"}
_FALSE = {"0", "false", "no", "n", "否", "f"}


class ConversionError(ValueError):
    pass


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def convert(value: Any, field: Field) -> Any:
    """Convert a stored value to what ``field`` stores; raise ConversionError with the reason."""
    if value is None:
        return None
    t = field.value_type
    if isinstance(value, str) and not value.strip() and t not in ("string", "text"):
        return None  # a blank text holds no value: it becomes empty, nothing is lost
    try:
        if t in ("string", "text", "select"):
            text = _as_text(value)
            if t == "string" and len(text) > field.string_length:
                raise ConversionError(f"{len(text)} characters, longer than {field.string_length}")
            if t == "select" and text not in field.option_values:
                raise ConversionError(f"{text!r} is not one of the options {', '.join(field.option_values)}")
            return text
        if t in ("integer", "link"):
            if isinstance(value, bool):
                return int(value)
            number = Decimal(str(value).strip())
            if number != number.to_integral_value():
                raise ConversionError(f"{value!r} is not a whole number")
            return int(number)
        if t == "decimal":
            if isinstance(value, bool):
                raise ConversionError("a yes/no value is not a number")
            number = Decimal(str(value).strip().replace(",", ""))
            quantum = Decimal(1).scaleb(-(field.scale or 0))
            if number.quantize(quantum) != number:
                raise ConversionError(f"{value!r} has more than {field.scale} decimal places")
            return number.quantize(quantum)
        if t == "boolean":
            if isinstance(value, bool):
                return value
            text = _as_text(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
            raise ConversionError(f"{value!r} is not a yes/no value")
        if t == "date":
            if isinstance(value, datetime):
                return value.astimezone(LOCAL_ZONE).date()
            if isinstance(value, date):
                return value
            return date.fromisoformat(str(value).strip())
        if t == "datetime":
            if isinstance(value, datetime):
                return value if value.tzinfo else value.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
            if isinstance(value, date):
                return datetime.combine(value, time(), LOCAL_ZONE).astimezone(UTC)
            parsed = datetime.fromisoformat(str(value).strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        if t == "multiselect":
            items = value if isinstance(value, list) else [v.strip() for v in _as_text(value).split(",") if v.strip()]
            bad = [v for v in items if v not in field.option_values]
            if bad:
                raise ConversionError(f"{', '.join(map(str, bad))} not among the options")
            return items
        if t == "json":
            return _as_text(value) if isinstance(value, date | datetime | Decimal) else value
    except (InvalidOperation, ValueError, TypeError) as exc:
        if isinstance(exc, ConversionError):
            raise
        raise ConversionError(f"{value!r} cannot be read as {t}") from exc
    raise ConversionError(f"values cannot be converted to {t}")
