"""marshmallow schemas generated from entity metadata: input parsing with per-field errors.

Each field type maps to one marshmallow field that accepts what a JSON client sends (and
what Python callers such as importers pass: dates, Decimals) and yields the Python value the
record service stores. Constraints from metadata (length, min/max, pattern, options, decimal
places) become validators that speak both languages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields as mf

from sunmao import clock
from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field
from sunmao.records.messages import LocalMessage, codes
from sunmao.storage.db import json_serializer

LOCAL_ZONE = clock.BUSINESS_ZONE
MAX_JSON_BYTES = 64 * 1024
MAX_TEXT = 100_000
MAX_ROWS = 2_000


def _fail(zh: str, en: str) -> ma.ValidationError:
    return ma.ValidationError(LocalMessage(Text(zh, en)))


class DecimalField(mf.Field):
    """Exact decimals from JSON numbers (parsed as Decimal), strings or Python numbers."""

    def __init__(self, scale: int, precision: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.scale, self.precision = scale, precision

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not number.is_finite():
            raise self.make_error("special")
        exponent = number.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > self.scale:
            raise _fail(f"最多 {self.scale} 位小数", f"At most {self.scale} decimal places.")
        number = number.quantize(Decimal(1).scaleb(-self.scale))
        if len(number.as_tuple().digits) > self.precision:
            raise self.make_error("too_large")
        return number


class DateField(mf.Field):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        if isinstance(value, datetime):
            return value.astimezone(LOCAL_ZONE).date() if value.tzinfo else value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip()[:10]) if len(str(value).strip()) == 10 else \
                date.fromisoformat(str(value))
        except ValueError as exc:
            raise self.make_error("invalid") from exc


class DateTimeField(mf.Field):
    """Aware datetimes; a time without offset is read in the business time zone, then stored UTC."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, datetime):
            parsed = value
        else:
            try:
                parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
            except ValueError as exc:
                raise self.make_error("invalid") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=LOCAL_ZONE)
        return parsed.astimezone(UTC)


class IntegerField(mf.Integer):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, Decimal | float) and value != int(value)):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class JsonField(mf.Raw):
    """Free-form JSON, normalised to what the column will return (API Decimals become numbers)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        try:
            text = json_serializer(value)
        except (TypeError, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if len(text.encode()) > MAX_JSON_BYTES:
            raise _fail(f"JSON 内容不能超过 {MAX_JSON_BYTES // 1024} KiB",
                        f"JSON content may not exceed {MAX_JSON_BYTES // 1024} KiB.")
        return json.loads(text)


def _length(maximum: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> None:
        if len(value) > maximum:
            raise _fail(f"不能超过 {maximum} 个字符（现有 {len(value)} 个）",
                        f"At most {maximum} characters (got {len(value)}).")
    return check


def _range(f: Field):  # type: ignore[no-untyped-def]
    def check(value: Any) -> None:
        if f.min is not None and value < Decimal(str(f.min)):
            raise _fail(f"不能小于 {f.min}", f"Must be at least {f.min}.")
        if f.max is not None and value > Decimal(str(f.max)):
            raise _fail(f"不能大于 {f.max}", f"Must be at most {f.max}.")
    return check


def _pattern(f: Field):  # type: ignore[no-untyped-def]
    regex = re.compile(f.pattern or "")

    def check(value: str) -> None:
        if value and not regex.fullmatch(value):
            raise _fail(f"格式不正确（{f.label.zh}）", f"Wrong format for {f.label.en}.")
    return check


def _options(f: Field):  # type: ignore[no-untyped-def]
    allowed = f.option_values

    def check(value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise _fail(f"{'、'.join(map(str, bad))} 不是可选值；可选：{'、'.join(allowed)}",
                        f"{', '.join(map(str, bad))} is not an option; choose from {', '.join(allowed)}.")
    return check


def schema_field(f: Field, child_schemas: Mapping[str, type[ma.Schema]]) -> mf.Field:
    """The marshmallow field for one metadata field."""
    common: dict[str, Any] = {"required": False, "allow_none": True}
    t = f.type
    if t in ("string", "text"):
        validators = [_length(f.string_length if t == "string" else (f.length or MAX_TEXT))]
        if f.pattern:
            validators.append(_pattern(f))
        return mf.String(validate=validators, error_messages=codes("invalid_string"), **common)
    if t == "integer":
        return IntegerField(validate=[_range(f)], error_messages=codes("invalid_integer"), **common)
    if t == "decimal":
        return DecimalField(f.scale or 0, f.precision or 18, validate=[_range(f)],
                            error_messages=codes("invalid_decimal"), **common)
    if t == "boolean":
        return mf.Boolean(error_messages=codes("invalid_boolean"), **common)
    if t == "date":
        return DateField(error_messages=codes("invalid_date"), **common)
    if t == "datetime":
        return DateTimeField(error_messages=codes("invalid_datetime"), **common)
    if t == "select":
        return mf.String(validate=[_options(f)], error_messages=codes("invalid_string"), **common)
    if t == "multiselect":
        return mf.List(mf.String(error_messages=codes("invalid_string")), validate=[_options(f)],
                       error_messages=codes("invalid_list"), **common)
    if t == "link":
        return IntegerField(strict=False, error_messages=codes("invalid_integer"), **common)
    if t == "attachment":
        return mf.String(validate=[_length(36)], error_messages=codes("invalid_string"), **common)
    if t == "json":
        return JsonField(error_messages=codes("invalid_json"), **common)
    if t == "table":
        child = child_schemas[f.of or ""]
        return mf.List(mf.Nested(child, error_messages=codes("invalid_object")),
                       validate=[_max_rows], error_messages=codes("invalid_rows"), **common)
    raise ValueError(f"no input field for type {t}")


def _max_rows(value: list) -> None:
    if len(value) > MAX_ROWS:
        raise _fail(f"最多 {MAX_ROWS} 行", f"At most {MAX_ROWS} rows.")


def build_schema(entity: Entity, child_schemas: Mapping[str, type[ma.Schema]]) -> type[ma.Schema]:
    """A marshmallow schema class holding the fields a client may write."""
    attrs: dict[str, mf.Field] = {f.key: schema_field(f, child_schemas) for f in entity.fields if f.is_input}

    class Meta:
        unknown = ma.RAISE

    return type(f"{entity.key}_input", (ma.Schema,), {**attrs, "Meta": Meta})
