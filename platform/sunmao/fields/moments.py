"""Time fields: ``date`` (a calendar day of the business zone) and ``datetime`` (a moment, stored
UTC; a time written without an offset is read in the business zone, ``sunmao.clock``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao import clock
from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, FieldType, Payload, Reader, SchemaRef, WidgetSpec
from sunmao.fields.columns import UTCDateTime
from sunmao.fields.messages import codes
from sunmao.fields.text import CONVERTIBLE
from sunmao.i18n import Text
from sunmao.meta.model import Field

LOCAL_ZONE = clock.BUSINESS_ZONE


class DateType(FieldType):
    name = "date"
    words = Text("日期", "date")
    rule_type = "date"
    widget = WidgetSpec("date")
    convertible_to = CONVERTIBLE - {"date"}

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.Date()

    def convert_value(self, value: Any, f: Field) -> date:
        if isinstance(value, datetime):
            return value.astimezone(LOCAL_ZONE).date()
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value).strip())

    def from_formula(self, value: Any, f: Field) -> date:
        if isinstance(value, date):
            return value
        return date.fromisoformat(str(value)[:10])

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return payload.day(value).isoformat()

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.DateField(error_messages=codes("invalid_date"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "string", "format": "date"}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        day = cells.to_date(raw, today)
        if day is None:
            return None, Text(f"{label.zh}“{cells.shown(raw)}”不是日期（{cells.DATE_HINT.zh}）",
                              f"{label.en} {cells.shown(raw)!r} is not a date ({cells.DATE_HINT.en})")
        return day.isoformat(), None

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.date(value)

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        return date.fromisoformat(value) if isinstance(value, str) else value

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return date.today().isoformat()


class DateTimeType(FieldType):
    name = "datetime"
    words = Text("日期时间", "date and time")
    rule_type = "datetime"
    widget = WidgetSpec("datetime")
    convertible_to = CONVERTIBLE - {"datetime"}

    def column(self, f: Field) -> sa.types.TypeEngine:
        return UTCDateTime()

    def convert_value(self, value: Any, f: Field) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)
        if isinstance(value, date):
            return datetime.combine(value, time(), LOCAL_ZONE).astimezone(UTC)
        parsed = datetime.fromisoformat(str(value).strip())
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL_ZONE).astimezone(UTC)

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return payload.moment(value).astimezone(UTC).isoformat()

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.DateTimeField(error_messages=codes("invalid_datetime"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        moment = cells.to_datetime(raw, today)
        if moment is None:
            return None, Text(f"{label.zh}“{cells.shown(raw)}”不是日期时间（如 2026-12-20 14:30）",
                              f"{label.en} {cells.shown(raw)!r} is not a date and time (e.g. 2026-12-20 14:30)")
        return moment.isoformat(), None

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.datetime(value)

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(LOCAL_ZONE).replace(tzinfo=None) if moment.tzinfo else moment

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return datetime.now(UTC).replace(microsecond=0).isoformat()
