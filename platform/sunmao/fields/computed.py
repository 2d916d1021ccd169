"""``computed``: a value no client writes — a formula over the record, or a roll-up in SQL over
the records that link to it. It is stored as its ``result_type``: everything else about the
stored value asks that type (``Field.value_type``)."""

from __future__ import annotations

from sunmao.fields.base import FieldType, WidgetSpec
from sunmao.i18n import Text


class ComputedType(FieldType):
    name = "computed"
    words = Text("计算", "computed")
    rule_type = "json"
    requirable = False
    widget = WidgetSpec("readonly")
    designer_options = ("result_type", "formula")
    designer_defaults = {"result_type": "decimal", "scale": 2, "formula": {"+": [0]}}
