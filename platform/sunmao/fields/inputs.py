"""marshmallow fields that accept what a JSON client sends (and what Python callers such as
importers pass: dates, Decimals) and yield the Python value a column stores, with validators
for the constraints metadata declares (length, min/max, pattern, options, decimal places) that
speak both languages. The field types (``sunmao.fields``) build their input fields from these.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from decimal import Context, Decimal, InvalidOperation
from typing import Any

import marshmallow as ma
from marshmallow import fields as mf

from sunmao import clock
from sunmao.fields.columns import INT64_MAX, INT64_MIN, decimal_largest, json_serializer
from sunmao.fields.messages import LocalMessage, out_of_range
from sunmao.i18n import Text
from sunmao.meta.model import Field

LOCAL_ZONE = clock.BUSINESS_ZONE
MAX_JSON_BYTES = 64 * 1024
MAX_TEXT = 100_000
MAX_ROWS = 2_000
MAX_BOUND_PLACES = 1000  # within PostgreSQL's NUMERIC; every float's shortest form fits
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def fail(zh: str, en: str) -> ma.ValidationError:
    return ma.ValidationError(LocalMessage(Text(zh, en)))


def _beyond(low: Any, high: Any) -> ma.ValidationError:
    return ma.ValidationError(LocalMessage(out_of_range(low, high)))


def _clip(bounds: tuple[Any, Any], low: Any, high: Any) -> tuple[Any, Any]:
    """The range a value must be in, as the message of a value beyond the column says it: the
    field's own min/max where declared, else the column's."""
    given_low, given_high = bounds
    return (low if given_low is None else max(low, Decimal(str(given_low))),
            high if given_high is None else min(high, Decimal(str(given_high))))


class DecimalField(mf.Field):
    """Exact decimals from JSON numbers (parsed as Decimal), strings or Python numbers, within what
    the column holds: at most ``precision`` digits, ``scale`` of them after the point."""

    def __init__(self, scale: int, precision: int, *, exact: bool = True, bounds: tuple[Any, Any] = (None, None),
                 **kwargs: Any):
        super().__init__(**kwargs)
        self.scale, self.precision, self.exact = scale, precision, exact
        self.largest = decimal_largest(precision, scale)
        self.ceiling = Decimal(10) ** (precision - scale)
        self.low, self.high = _clip(bounds, self.largest.copy_negate(), self.largest)
        self.step = Decimal(1).scaleb(-scale)
        self.context = Context(prec=max(precision, 28))

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        try:
            number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
        except (InvalidOperation, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if not number.is_finite():
            raise self.make_error("special")
        if number.copy_abs() > self.largest and (self.exact or number.copy_abs() >= self.ceiling):
            raise _beyond(self.low, self.high)  # a bound (a filter) needs only be below the next power of ten
        # a bound to compare with (a list filter) may have more places than the column, exactly
        places = self.scale if self.exact else MAX_BOUND_PLACES
        exponent = number.normalize(self.context).as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            raise fail(f"最多 {places} 位小数", f"At most {places} decimal places.")
        return number.quantize(self.step, context=self.context) if self.exact else number


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
        try:
            return parsed.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+08:00 is before the first UTC moment Python has
            raise fail("超出范围：应在 0001-01-02 到 9999-12-30 之间",
                        "Out of range: must be between 0001-01-02 and 9999-12-30.") from None


class IntegerField(mf.Integer):
    """Whole numbers a BIGINT column holds (integer fields, links, ids)."""

    def __init__(self, *, bounds: tuple[Any, Any] = (None, None), **kwargs: Any):
        super().__init__(**kwargs)
        self.low, self.high = _clip(bounds, INT64_MIN, INT64_MAX)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, Decimal | float):
            if not Decimal(value).is_finite():
                raise self.make_error("special")
            if value != int(value):
                raise self.make_error("invalid")
        number = super()._deserialize(value, attr, data, **kwargs)
        if not INT64_MIN <= number <= INT64_MAX:
            raise _beyond(self.low, self.high)
        return number


class TextField(mf.String):
    """Text a database column can hold: no NUL character (PostgreSQL refuses it) and no lone
    UTF-16 surrogate (no UTF-8 encoding exists for it; JSON's ``"\\ud800"`` decodes to one)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if UNSTORABLE.search(text):
            raise unstorable()
        return text


def unstorable() -> ma.ValidationError:
    return fail("不能包含 NUL 字符或无效的 Unicode 代理字符", "May not contain NUL or lone surrogate characters.")


class JsonField(mf.Raw):
    """Free-form JSON, normalised to what the column will return (API Decimals become numbers)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        try:
            text = json_serializer(value)
        except (TypeError, ValueError) as exc:
            raise self.make_error("invalid") from exc
        if "\\u0000" in text or UNSTORABLE.search(text):
            raise unstorable()
        if len(text.encode()) > MAX_JSON_BYTES:
            raise fail(f"JSON 内容不能超过 {MAX_JSON_BYTES // 1024} KiB",
                        f"JSON content may not exceed {MAX_JSON_BYTES // 1024} KiB.")
        return json.loads(text)


def length(maximum: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> None:
        if len(value) > maximum:
            raise fail(f"不能超过 {maximum} 个字符（现有 {len(value)} 个）",
                        f"At most {maximum} characters (got {len(value)}).")
    return check


def in_range(f: Field):  # type: ignore[no-untyped-def]
    def check(value: Any) -> None:
        if f.min is not None and value < Decimal(str(f.min)):
            raise fail(f"不能小于 {f.min}", f"Must be at least {f.min}.")
        if f.max is not None and value > Decimal(str(f.max)):
            raise fail(f"不能大于 {f.max}", f"Must be at most {f.max}.")
    return check


def pattern(f: Field):  # type: ignore[no-untyped-def]
    regex = re.compile(f.pattern or "")

    def check(value: str) -> None:
        if value and not regex.fullmatch(value):
            raise fail(f"格式不正确（{f.label.zh}）", f"Wrong format for {f.label.en}.")
    return check


def options(f: Field):  # type: ignore[no-untyped-def]
    allowed = f.option_values

    def check(value: Any) -> None:
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in allowed]
        if bad:
            raise fail(f"{'、'.join(map(str, bad))} 不是可选值；可选：{'、'.join(allowed)}",
                        f"{', '.join(map(str, bad))} is not an option; choose from {', '.join(allowed)}.")
    return check


def distinct(values: list) -> None:
    twice = sorted({v for v in values if values.count(v) > 1})
    if twice:
        raise fail(f"重复的选项：{'、'.join(twice)}", f"Chosen more than once: {', '.join(twice)}.")


def max_rows(value: list) -> None:
    if len(value) > MAX_ROWS:
        raise fail(f"最多 {MAX_ROWS} 行", f"At most {MAX_ROWS} rows.")


