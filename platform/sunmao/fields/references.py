"""Fields that point elsewhere: ``link`` (the id of a record of entity ``to``), ``attachment``
(the id of an uploaded file) and ``table`` (the ordered rows of child entity ``of``, stored in
the child's own table, not as a column)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, FieldType, Payload, Reader, SchemaRef, WidgetSpec
from sunmao.fields.columns import INT64_MAX, INT64_MIN
from sunmao.fields.messages import codes
from sunmao.fields.numbers import bounds, whole_number
from sunmao.i18n import Text
from sunmao.meta.model import Field


class LinkType(FieldType):
    name = "link"
    words = Text("关联", "link")
    rule_type = "link"
    widget = WidgetSpec("link")
    designer_options = ("to",)

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.BigInteger()

    def convert_value(self, value: Any, f: Field) -> int:
        return whole_number(value)

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise payload.refuse(value, "记录编号", "a record id")

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.IntegerField(strict=False, error_messages=codes("invalid_integer"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "integer", "description": f"id of a {f.to} record",
                **({} if output else {"minimum": INT64_MIN, "maximum": INT64_MAX})}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "integer", **bounds(f, INT64_MIN, INT64_MAX)}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        return cells.text_of(raw), None  # the record's number or title; the importer finds the record

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.titles.get((f.to or "", value), f"#{value}")

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        return titles.get((f.to or "", value), value)


class AttachmentType(FieldType):
    name = "attachment"
    words = Text("附件", "attachment")
    rule_type = "attachment"
    widget = WidgetSpec("attachment")

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.String(36)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.TextField(validate=[inputs.length(36)], error_messages=codes("invalid_string"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "string", "format": "uuid", "description": "id of a file uploaded to /api/v1/files"}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "string", "maxLength": 36}


class TableType(FieldType):
    name = "table"
    words = Text("子表", "table of rows")
    rule_type = "table"
    widget = WidgetSpec("grid", wide=True)
    sortable = False
    nullable = False
    designer_options = ("of",)

    def marshmallow_field(self, f: Field, *, exact: bool = True,
                          child_schemas: Mapping[str, type[ma.Schema]] | None = None) -> mf.Field:
        child = (child_schemas or {})[f.of or ""]
        return mf.List(mf.Nested(child, error_messages=codes("invalid_object")),
                       validate=[inputs.max_rows], error_messages=codes("invalid_rows"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "array", "items": ref(f.of or "")}

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.rows(len(value))
