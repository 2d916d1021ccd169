"""``boolean``: yes or no. Never "required" (unset is no); a spreadsheet says 是/否, ✓, 启用…"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells
from sunmao.fields.base import OPTIONAL, ConversionError, FieldType, Payload, Reader, SchemaRef, WidgetSpec, as_text
from sunmao.fields.messages import codes
from sunmao.fields.text import CONVERTIBLE
from sunmao.i18n import Text
from sunmao.meta.model import Field

#: What a stored text means when a field becomes yes/no.
STORED_TRUE = {"1", "true", "yes", "y", "是", "t"}
STORED_FALSE = {"0", "false", "no", "n", "否", "f"}
#: What the API takes as yes/no besides JSON booleans ("1", "yes", 0...): marshmallow's words.
API_WORDS = sorted({str(v) for v in mf.Boolean.truthy | mf.Boolean.falsy if isinstance(v, str)}) + [0, 1]
YES_NO = (Text("是", "Yes"), Text("否", "No"))


class BooleanType(FieldType):
    name = "boolean"
    words = Text("是/否", "yes/no")
    rule_type = "boolean"
    requirable = False
    widget = WidgetSpec("checkbox")
    convertible_to = CONVERTIBLE - {"boolean"}

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.Boolean()

    def convert_value(self, value: Any, f: Field) -> bool:
        if isinstance(value, bool):
            return value
        text = as_text(value).strip().lower()
        if text in STORED_TRUE:
            return True
        if text in STORED_FALSE:
            return False
        raise ConversionError(f"{value!r} is not a yes/no value")

    def from_formula(self, value: Any, f: Field) -> bool:
        if isinstance(value, float) and value != value:
            return False
        return bool(value) if not isinstance(value, list) else len(value) > 0

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return payload.yes_no(value)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return mf.Boolean(error_messages=codes("invalid_boolean"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "boolean"} if output else {"anyOf": [{"type": "boolean"}, {"enum": API_WORDS}]}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "boolean"}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        text = cells.text_of(raw).lower()
        if raw is True or text in cells.TRUE:
            return True, None
        if raw is False or text in cells.FALSE:
            return False, None
        return None, Text(f"{label.zh}“{cells.shown(raw)}”应为 是/否",
                          f"{label.en} {cells.shown(raw)!r} should be yes or no")

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return reader.yes_no(bool(value))

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        return YES_NO[0 if value else 1].get(lang)
