"""One spreadsheet cell to the API form of a field's value: the field's type reads it
(``FieldType.import_cell``) with the helpers of ``sunmao.fields.cells``, which are the ways people
actually type dates, numbers and phone numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

from sunmao.fields import stored_type
from sunmao.fields.cells import (
    DATE_HINT,
    FALSE,
    NUMBER_HINT,
    TRUE,
    chinese_number,
    clean_phone,
    shown,
    text_of,
    to_date,
    to_datetime,
    to_decimal,
)
from sunmao.i18n import Text
from sunmao.meta.model import Field

__all__ = ["CLEANERS", "DATE_HINT", "FALSE", "NUMBER_HINT", "TRUE", "chinese_number", "clean_phone", "convert",
           "shown", "text_of", "to_date", "to_datetime", "to_decimal"]


CLEANERS = {"phone": clean_phone, "upper": lambda v: text_of(v).upper(), "lower": lambda v: text_of(v).lower()}


def convert(f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
    """One cell to the API form of ``f``'s value (None for an empty cell), or a problem."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    return stored_type(f).import_cell(f, raw, label, today)
