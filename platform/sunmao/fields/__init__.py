"""Field types: one class per ``type`` of an entity field, in one registry.

``TYPES`` is built from the class list below (imports, never names in strings); the entity
meta-schema's ``type`` enum lists exactly these (``tests/engine/test_field_types.py``). The engine
asks ``field_type(f.value_type)`` for anything about a stored value (column, conversion, input
field, OpenAPI, spreadsheet cells) and ``field_type(f.type)`` for the widget, so a computed field
is shown read-only and stored as its result type. ``docs/engine.md`` shows how to add one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from sunmao.fields.base import ConversionError, FieldType, WidgetSpec
from sunmao.fields.boolean import BooleanType
from sunmao.fields.choices import MultiselectType, SelectType
from sunmao.fields.computed import ComputedType
from sunmao.fields.jsondata import JsonType
from sunmao.fields.moments import DateTimeType, DateType
from sunmao.fields.numbers import DecimalType, IntegerType
from sunmao.fields.phone import PhoneType
from sunmao.fields.references import AttachmentType, LinkType, TableType
from sunmao.fields.text import StringType, TextType
from sunmao.meta.model import Field

#: Every field type, in the order the designer lists them.
CLASSES: tuple[type[FieldType], ...] = (
    StringType, TextType, IntegerType, DecimalType, BooleanType, DateType, DateTimeType, SelectType,
    MultiselectType, LinkType, TableType, JsonType, AttachmentType, ComputedType, PhoneType,
)


def build_registry(classes: Iterable[type[FieldType]]) -> Mapping[str, FieldType]:
    """One instance per type name; a name given twice is a programming error, refused here."""
    types: dict[str, FieldType] = {}
    for cls in classes:
        if cls.name in types:
            raise ValueError(f"field type {cls.name!r} is defined twice: {type(types[cls.name]).__name__} "
                             f"and {cls.__name__}")
        types[cls.name] = cls()
    return MappingProxyType(types)


TYPES: Mapping[str, FieldType] = build_registry(CLASSES)


def field_type(name: str) -> FieldType:
    """The type called ``name``; ``KeyError`` names the known ones."""
    try:
        return TYPES[name]
    except KeyError:
        raise KeyError(f"unknown field type {name!r}; known: {', '.join(TYPES)}") from None


def stored_type(f: Field) -> FieldType:
    """The type of what ``f`` stores (a computed field: its result type)."""
    return TYPES[f.value_type]


def conversion_targets(name: str) -> list[str]:
    """The types a field of type ``name`` may be changed to, when its stored values convert."""
    own = TYPES[name].convertible_to if name in TYPES else frozenset()
    return [t for t, ft in TYPES.items() if t != name and (t in own or name in ft.convertible_from)]


__all__ = ["CLASSES", "TYPES", "ConversionError", "FieldType", "WidgetSpec", "build_registry",
           "conversion_targets", "field_type", "stored_type"]
