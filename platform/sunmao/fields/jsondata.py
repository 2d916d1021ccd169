"""``json``: free-form JSON (at most 64 KiB), stored in a JSON column (JSONB on PostgreSQL)."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import inputs
from sunmao.fields.base import OPTIONAL, FieldType, Reader, WidgetSpec, as_text
from sunmao.fields.columns import JSONType
from sunmao.fields.messages import codes
from sunmao.i18n import Text
from sunmao.meta.model import Field


class JsonType(FieldType):
    name = "json"
    words = Text("JSON", "JSON")
    rule_type = "json"
    widget = WidgetSpec("textarea", wide=True)
    sortable = False

    def column(self, f: Field) -> sa.types.TypeEngine:
        return JSONType

    def convert_value(self, value: Any, f: Field) -> Any:
        return as_text(value) if isinstance(value, date | datetime | Decimal) else value

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        return json.dumps(value, ensure_ascii=False)[:200]

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return inputs.JsonField(error_messages=codes("invalid_json"), **OPTIONAL)
