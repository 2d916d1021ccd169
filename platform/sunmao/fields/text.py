"""Text fields: ``string`` (one line, a VARCHAR of ``length``) and ``text`` (long, a TEXT column)."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, ConversionError, FieldType, Payload, SchemaRef, WidgetSpec, as_text
from sunmao.fields.messages import codes
from sunmao.i18n import Text
from sunmao.meta.model import Field

#: The types whose stored values convert to one another (``convert``) in the designer.
CONVERTIBLE = frozenset(("string", "text", "integer", "decimal", "boolean", "date", "datetime", "select",
                         "multiselect"))


def text_from_payload(value: Any, payload: Payload) -> str:
    if isinstance(value, dict | list):
        raise payload.refuse(value, "文本", "text")
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def text_from_formula(value: Any, f: Field) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


class StringType(FieldType):
    name = "string"
    words = Text("文本", "text")
    rule_type = "string"
    keeps_blank = True
    convertible_to = CONVERTIBLE - {"string"}
    designer_options = ("length",)

    def max_length(self, f: Field) -> int:
        return f.string_length

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.String(f.string_length)

    def storage_signature(self, f: Field) -> tuple:
        return (f.value_type, f.string_length, f.precision, f.scale, ())

    def widens(self, old: Field, new: Field) -> bool:
        return old.value_type == "string" and new.string_length >= old.string_length

    def convert_value(self, value: Any, f: Field) -> str:
        text = as_text(value)
        if len(text) > self.max_length(f):
            raise ConversionError(f"{len(text)} characters, longer than {self.max_length(f)}")
        return text

    def from_formula(self, value: Any, f: Field) -> str:
        return text_from_formula(value, f)

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return text_from_payload(value, payload)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        validators = [inputs.length(self.max_length(f))]
        if f.pattern:
            validators.append(inputs.pattern(f))
        return inputs.TextField(validate=validators, error_messages=codes("invalid_string"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        if not output:
            schema["maxLength"] = self.max_length(f)
            if f.pattern:
                schema["pattern"] = f.pattern
        return schema

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        return cells.text_of(raw), None

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return f"{label} 示例" if lang == "zh" else f"Sample {label}"


class TextType(StringType):
    name = "text"
    words = Text("长文本", "long text")
    widget = WidgetSpec("textarea", wide=True)
    convertible_to = CONVERTIBLE - {"text"}
    designer_options = ()

    def max_length(self, f: Field) -> int:
        return f.length or inputs.MAX_TEXT

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.Text()

    def storage_signature(self, f: Field) -> tuple:
        return (f.value_type, None, f.precision, f.scale, ())

    def widens(self, old: Field, new: Field) -> bool:
        return old.value_type == "string"

    def convert_value(self, value: Any, f: Field) -> str:
        return as_text(value)

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        return unicodedata.normalize("NFKC", str(raw)).strip(), None

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return f"{label}：示例文字" if lang == "zh" else f"{label}: sample text"
