"""Choice fields: ``select`` (one of the options, a VARCHAR(64)) and ``multiselect`` (a list of
them, a JSON column). Options carry labels in both languages and a colour."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, ConversionError, FieldType, Payload, Reader, SchemaRef, WidgetSpec, as_text
from sunmao.fields.columns import JSONType
from sunmao.fields.messages import codes
from sunmao.fields.text import CONVERTIBLE, text_from_formula, text_from_payload
from sunmao.i18n import Text
from sunmao.meta.model import Field

FIRST_OPTION = {"options": [{"value": "option_1", "label": {"zh": "选项一", "en": "Option 1"}, "color": "#c0392b"}]}


class SelectType(FieldType):
    name = "select"
    words = Text("单选", "choice")
    rule_type = "select"
    widget = WidgetSpec("select")
    convertible_to = CONVERTIBLE - {"select"}
    designer_options = ("options",)
    designer_defaults = FIRST_OPTION
    many = False

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.String(64)

    def storage_signature(self, f: Field) -> tuple:
        return (f.value_type, None, f.precision, f.scale, f.option_values)

    def widens(self, old: Field, new: Field) -> bool:
        return old.value_type == new.value_type and set(old.option_values) <= set(new.option_values)

    def convert_value(self, value: Any, f: Field) -> Any:
        text = as_text(value)
        if text not in f.option_values:
            raise ConversionError(f"{text!r} is not one of the options {', '.join(f.option_values)}")
        return text

    def from_formula(self, value: Any, f: Field) -> Any:
        return text_from_formula(value, f)

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return text_from_payload(value, payload)

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.TextField(validate=[inputs.options(f)], error_messages=codes("invalid_string"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "string", "enum": list(f.option_values)}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "string", "enum": list(f.option_values) if f is not None else []}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        parts = [cells.text_of(raw)]
        if self.many:
            parts = [p.strip() for p in re.split(r"[,，、;；/]", cells.text_of(raw)) if p.strip()]
        values = []
        for part in parts:
            folded = part.lower()
            option = next((o for o in f.options
                           if folded in (o.value.lower(), o.label.zh.lower(), o.label.en.lower())), None)
            if option is None:
                return None, Text(f"{label.zh}“{part}”不是可选值（可选：{'、'.join(o.label.zh for o in f.options)}）",
                                  f"{label.en} {part!r} is not an option (choose from "
                                  f"{', '.join(o.label.en for o in f.options)})")
            values.append(option.value)
        return (values if self.many else values[0]), None

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        labels = {o.value: o.label.get(lang) for o in f.options}
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(v, str(v)) for v in values)

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return next((o.label.get(reader.lang) for o in f.options if o.value == value), str(value))

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return f.options[0].value if f.options else None


class MultiselectType(SelectType):
    name = "multiselect"
    words = Text("多选", "multiple choice")
    rule_type = "multiselect"
    widget = WidgetSpec("multiselect")
    sortable = False
    convertible_to = CONVERTIBLE - {"multiselect"}
    many = True

    def column(self, f: Field) -> sa.types.TypeEngine:
        return JSONType

    def convert_value(self, value: Any, f: Field) -> list:
        items = value if isinstance(value, list) else [v.strip() for v in as_text(value).split(",") if v.strip()]
        bad = [v for v in items if v not in f.option_values]
        if bad:
            raise ConversionError(f"{', '.join(map(str, bad))} not among the options")
        return items

    def from_formula(self, value: Any, f: Field) -> Any:
        return value

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in re.split(r"[,，;；]", value) if part.strip()]
        if isinstance(value, list):
            return [str(v) for v in value]
        raise payload.refuse(value, "选项列表", "a list of options")

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return mf.List(mf.String(error_messages=codes("invalid_string")), validate=[inputs.options(f), inputs.distinct],
                       error_messages=codes("invalid_list"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "enum": list(f.option_values)},
                **({} if output else {"uniqueItems": True})}

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        labels = {o.value: o.label.get(reader.lang) for o in f.options}
        return ("、" if reader.lang == "zh" else ", ").join(labels.get(v, str(v)) for v in value)

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return [f.options[0].value] if f.options else None
