"""Number fields: ``integer`` (a BIGINT) and ``decimal`` (exact, NUMERIC(precision, scale); on
SQLite a REAL re-quantised on read, ``columns.Money``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Context, Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, ConversionError, FieldType, Payload, Reader, SchemaRef, WidgetSpec
from sunmao.fields.columns import DEFAULT_DECIMAL_PRECISION, INT64_MAX, INT64_MIN, Money, decimal_largest
from sunmao.fields.messages import codes
from sunmao.fields.text import CONVERTIBLE
from sunmao.i18n import Text
from sunmao.meta.model import Field

WIDE = Context(prec=40)  # NUMERIC precision goes up to 38 digits


def bounds(f: Field | None, low: int, high: int) -> dict[str, int | float]:
    """minimum/maximum: the field's own, within what its column holds."""
    if f is None:
        return {"minimum": low, "maximum": high}
    return {"minimum": max(low, f.min) if f.min is not None else low,
            "maximum": min(high, f.max) if f.max is not None else high}


def not_a_number(raw: Any, label: Text) -> Text:
    return Text(f"{label.zh}“{cells.shown(raw)}”不是数字（{cells.NUMBER_HINT.zh}）",
                f"{label.en} {cells.shown(raw)!r} is not a number ({cells.NUMBER_HINT.en})")


def whole_number(value: Any) -> int:
    """A stored value as a whole number (a type change to integer or link)."""
    if isinstance(value, bool):
        return int(value)
    number = Decimal(str(value).strip())
    if number != number.to_integral_value():
        raise ConversionError(f"{value!r} is not a whole number")
    return int(number)


class IntegerType(FieldType):
    name = "integer"
    words = Text("整数", "whole number")
    rule_type = "integer"
    widget = WidgetSpec("number")
    numeric = True
    convertible_to = CONVERTIBLE - {"integer"}
    designer_options = ("min", "max")

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.BigInteger()

    def convert_value(self, value: Any, f: Field) -> int:
        return whole_number(value)

    def from_formula(self, value: Any, f: Field) -> int | None:
        number = Decimal(str(value))
        if number.is_finite() and not INT64_MIN <= number <= INT64_MAX:
            raise ValueError(f"{number} is beyond the column's range")
        return int(number.to_integral_value()) if number.is_finite() else None

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        number = payload.decimal(value)
        if number != number.to_integral_value():
            raise payload.refuse(value, "整数", "a whole number")
        return int(number)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.IntegerField(bounds=(f.min, f.max), validate=[inputs.in_range(f)],
                                   error_messages=codes("invalid_integer"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "integer", **({} if output else bounds(f, INT64_MIN, INT64_MAX))}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "integer", **bounds(f, INT64_MIN, INT64_MAX)}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        value = cells.to_decimal(raw)
        if value is None:
            return None, not_a_number(raw, label)
        if value != value.to_integral_value():
            return None, Text(f"{label.zh}“{cells.shown(raw)}”不是整数",
                              f"{label.en} {cells.shown(raw)!r} is not a whole number")
        return int(value), None

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.number(value)

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        return int(value)

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return 12


def decimal_schemas(f: Field) -> tuple[dict[str, Any], dict[str, Any]]:
    """A decimal as exact text (at most the column's digits) and as a JSON number (strictly inside
    the column's range: a float cannot say 9999.99 exactly)."""
    scale = f.scale or 0
    largest = decimal_largest(f.precision, scale)
    whole = len(largest.as_tuple().digits) - scale
    places = rf"(\.\d{{1,{scale}}})?" if scale else ""
    text = {"type": "string", "format": "decimal", "pattern": rf"^-?\d{{1,{max(whole, 1)}}}{places}$"}
    limit = 10 ** whole
    number: dict[str, Any] = {"type": "number", "exclusiveMinimum": -limit, "exclusiveMaximum": limit}
    if f.min is not None:
        number["minimum"] = f.min
    if f.max is not None:
        number["maximum"] = f.max
    return text, number


class DecimalType(FieldType):
    name = "decimal"
    words = Text("小数", "decimal")
    rule_type = "decimal"
    widget = WidgetSpec("number")
    numeric = True
    convertible_to = CONVERTIBLE - {"decimal"}
    designer_options = ("scale", "min", "max")
    designer_defaults = {"scale": 2}

    def column(self, f: Field) -> sa.types.TypeEngine:
        return Money(f.precision or DEFAULT_DECIMAL_PRECISION, f.scale or 0)

    def widens(self, old: Field, new: Field) -> bool:
        return old.value_type == "decimal" and new.scale == old.scale and \
            (new.precision or DEFAULT_DECIMAL_PRECISION) >= (old.precision or DEFAULT_DECIMAL_PRECISION)

    def convert_value(self, value: Any, f: Field) -> Decimal:
        if isinstance(value, bool):
            raise ConversionError("a yes/no value is not a number")
        number = Decimal(str(value).strip().replace(",", ""))
        quantum = Decimal(1).scaleb(-(f.scale or 0))
        if number.quantize(quantum) != number:
            raise ConversionError(f"{value!r} has more than {f.scale} decimal places")
        return number.quantize(quantum)

    def from_formula(self, value: Any, f: Field) -> Decimal | None:
        if isinstance(value, bool):
            value = int(value)
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        if not number.is_finite():
            return None
        largest = decimal_largest(f.precision, f.scale)
        if number.copy_abs() <= largest:
            number = number.quantize(Decimal(1).scaleb(-(f.scale or 0)), context=WIDE)
        if number.copy_abs() > largest:  # a PostgreSQL NUMERIC column would refuse it
            raise ValueError(f"{number} is beyond the column's range")
        return number

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return payload.decimal(value)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.DecimalField(f.scale or 0, f.precision or DEFAULT_DECIMAL_PRECISION, exact=exact,
                                   bounds=(f.min, f.max), validate=[inputs.in_range(f)],
                                   error_messages=codes("invalid_decimal"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        if output:
            return {"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d+)?$"}
        text, number = decimal_schemas(f)
        return {"oneOf": [text, number]}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return decimal_schemas(f)[1] if f is not None else {"type": "string"}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        value = cells.to_decimal(raw)
        if value is None:
            return None, not_a_number(raw, label)
        if f.scale is not None and isinstance(raw, float):
            value = round(value, f.scale)
        return format(value, "f"), None

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        if f.format == "percent":
            return reader.percent(value, f.scale)
        currency = reader.currency(f)
        return reader.money(value, currency) if currency else reader.number(value, f.scale)

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        return Decimal(str(value))

    def number_format(self, f: Field) -> str | None:
        return "#,##0" + ("." + "0" * f.scale if f.scale else "")

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return "12.50"
