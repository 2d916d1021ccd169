"""``phone``: a Chinese phone number, stored in one spelling whatever way it was typed.

People write ``+86 138-0013-8000``, ``0086 13800138000``, ``(0574) 6382 1234`` or
``+86 574 6382 1234``; the field stores ``13800138000`` and ``057463821234``: 11 digits for a
mobile, the area code (with its 0) and number for a landline, and 400/800 service numbers as
they are. So the same customer is found by the same number, and a filter ``phone=13800138000``
finds what was typed with spaces. The form offers a phone keyboard (``type="tel"``); screens
show the number as a ``tel:`` link. The rules see a string.

This module is the whole type: registering the class in ``sunmao/fields/__init__.py`` and its
name in the entity meta-schema's enum is all the engine needs (``docs/engine.md``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.fields import cells, inputs
from sunmao.fields.base import OPTIONAL, ConversionError, FieldType, Payload, SchemaRef, WidgetSpec, as_text
from sunmao.fields.messages import codes
from sunmao.fields.text import text_from_payload
from sunmao.i18n import Text
from sunmao.meta.model import Field

#: What the field stores: a mobile (1 and ten digits), a landline (0, area code and number:
#: 10 to 12 digits) or a 400/800 service number.
STORED = r"^(?:1[3-9][0-9]{9}|0[1-9][0-9]{8,10}|[48]00[0-9]{7})$"
COLUMN_LENGTH = 20
MAX_SPELLED = 40


def _spelled() -> str:
    """What a client may send, exactly: one of the stored forms, or a mobile after 86, or a mobile
    or landline (its 0 optional) after +86 or 0086 — each character followed by any spaces,
    dashes, dots or brackets. The OpenAPI document states this pattern, and the API takes what
    it matches and nothing else, so the document and the server agree."""
    junk = r"[ ().\-（）]*"

    def spaced(*parts: str) -> str:  # every character of the number may be followed by junk
        tokens = []
        for part in parts:
            i = 0
            while i < len(part):
                if part[i] == "[":
                    j = part.index("]", i) + 1
                    token = part[i:j]
                else:
                    j, token = i + 1, re.escape(part[i])
                if j < len(part) and part[j] == "{":
                    k = part.index("}", j) + 1
                    tokens.append(f"(?:{token}{junk}){part[j:k]}")
                    i = k
                else:
                    tokens.append(token + junk)
                    i = j
        return "".join(tokens)
    mobile, landline, service = "1[3-9][0-9]{9}", "0[1-9][0-9]{8,10}", "[48]00[0-9]{7}"
    forms = [spaced(mobile), spaced(landline), spaced(service), spaced("86", mobile),
             spaced("+86", mobile), spaced("0086", mobile),
             spaced("+86", "0{0,1}[2-9][0-9]{8,10}"), spaced("+86", "0{0,1}1[0-9]{8,9}"),
             spaced("0086", "0{0,1}[2-9][0-9]{8,10}"), spaced("0086", "0{0,1}1[0-9]{8,9}")]
    return "^" + junk + "(?:" + "|".join(forms) + ")$"


SPELLED = _spelled()
_STORED = re.compile(STORED)
_SPELLED = re.compile(SPELLED)
HINT = Text("手机 13800138000、座机 0574-63821234 或 400-123-4567，可带 +86",
            "a mobile such as 13800138000, a landline such as 0574-63821234 or 400-123-4567, +86 allowed")


def normalise(text: str) -> str | None:
    """The stored spelling of a phone number, or None when ``text`` is not one (``SPELLED``)."""
    if len(text) > MAX_SPELLED or not _SPELLED.match(text):
        return None
    number = cells.clean_phone(text)
    return number if _STORED.match(number) else None


class PhoneField(inputs.TextField):
    """Text that must be a phone number; yields its stored spelling."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        number = normalise(text)
        if number is None:
            raise inputs.fail(f"“{text[:40]}”不是电话号码（{HINT.zh}）",
                              f"{text[:40]!r} is not a phone number ({HINT.en}).")
        return number


class PhoneType(FieldType):
    name = "phone"
    words = Text("电话", "phone number")
    rule_type = "string"
    widget = WidgetSpec("input", {"input_type": "tel", "inputmode": "tel", "autocomplete": "tel"})
    convertible_to = convertible_from = frozenset({"string", "text"})

    def column(self, f: Field) -> sa.types.TypeEngine:
        return sa.String(COLUMN_LENGTH)

    def convert_value(self, value: Any, f: Field) -> str:
        number = normalise(as_text(value))
        if number is None:
            raise ConversionError(f"{value!r} is not a phone number")
        return number

    def from_formula(self, value: Any, f: Field) -> str | None:
        return normalise(str(value))

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        return text_from_payload(value, payload)  # a number sent as a JSON number is text here

    def marshmallow_field(self, f: Field, *, exact: bool = True, child_schemas: Any = None) -> mf.Field:
        return PhoneField(error_messages=codes("invalid_string"), **OPTIONAL)

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        if output:
            return {"type": "string", "format": "phone", "pattern": STORED}
        return {"type": "string", "pattern": SPELLED, "maxLength": MAX_SPELLED,
                "examples": ["13800138000", "+86 138-0013-8000", "0574-63821234"]}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        return {"type": "string", "pattern": SPELLED, "maxLength": MAX_SPELLED}

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        number = normalise(cells.text_of(raw))  # a workbook may hold full-width digits: made half-width first
        if number is None:
            return None, Text(f"{label.zh}“{cells.shown(raw)}”不是电话号码（{HINT.zh}）",
                              f"{label.en} {cells.shown(raw)!r} is not a phone number ({HINT.en})")
        return number, None

    def link_href(self, value: Any) -> str | None:
        return f"tel:{value}" if value else None

    def sample(self, f: Field, label: str, lang: str) -> Any:
        return "13800138000"
