"""``FieldType``: everything the engine does differently for one kind of field, in one class.

A field type owns its column (per dialect), the conversion of a stored value of another type
(migrations), its marshmallow input field, its OpenAPI schema, the type the rule checker sees,
its default widget and how its value reads on a screen, how a spreadsheet cell becomes its
value and its value a cell, and what the designer offers for it (and which type changes). The
engine's layers ask the type (``stored_type(f)``, ``field_type(f.type)``) instead of testing type
names, so adding a type is adding one class to ``sunmao.fields``.

Like Django's ``Field`` (``db_type``, ``to_python``, ``formfield``), but a type is stateless:
the metadata ``Field`` (length, scale, options…) is passed in, so one instance serves every
field of its type. This package sits low (above ``rules`` and ``meta``, below ``storage``): it
imports no storage, records, web or feature module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar, Protocol

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import fields as mf

from sunmao.i18n import Text
from sunmao.meta.model import Field

#: An OpenAPI reference to the record schema of a (child) entity, by its key.
SchemaRef = Callable[[str], dict[str, Any]]


class ConversionError(ValueError):
    """A stored value that does not convert to the new type; the message says why."""


def as_text(value: Any) -> str:
    """A stored value of any type as text (a conversion's first step)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


#: Marshmallow keywords every input field takes: a field may be left out or sent as null.
OPTIONAL = {"required": False, "allow_none": True}


@dataclass(frozen=True)
class WidgetSpec:
    """The form widget a type gets when a form names none: a directory of ``widgets/`` and the
    attributes its macro reads (``input_type``, ``inputmode``, ``autocomplete``)."""

    name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    #: True: the default form gives it the full width (long texts, tables).
    wide: bool = False


class Reader(Protocol):
    """How a value is put into words for one reader: the screens pass one (``web.screens.fields``),
    holding the language, the titles of linked records and the record shown; the field type says
    which of these words its value takes."""

    lang: str
    titles: Mapping[tuple[str, Any], str]

    def yes_no(self, value: bool) -> str: ...
    def rows(self, count: int) -> str: ...
    def date(self, value: Any) -> str: ...
    def datetime(self, value: Any) -> str: ...
    def number(self, value: Any, scale: int | None = None) -> str: ...
    def percent(self, value: Any, scale: int | None) -> str: ...
    def currency(self, f: Field) -> str | None: ...
    def money(self, value: Any, currency: str) -> str: ...


class Payload(Protocol):
    """How a channel reads a provider's values (``hooks.inbound.convert`` passes one per mapped
    value: its money factor and time zones); the field type says which reading its value takes."""

    def decimal(self, value: Any) -> Decimal: ...
    def yes_no(self, value: Any) -> bool: ...
    def day(self, value: Any) -> date: ...
    def moment(self, value: Any) -> datetime: ...
    def refuse(self, value: Any, zh: str, en: str) -> Exception: ...


class FieldType:
    """One kind of field. Subclasses set the class attributes and override what differs."""

    #: The ``type`` of a field document (``metadata/entity.schema.json``).
    name: ClassVar[str]
    #: How a person calls it (plans, history, the designer's type list).
    words: ClassVar[Text]
    #: The type the rule checker (``sunmao.rules``) reads the value as: one of ``rules.FIELD_TYPES``.
    rule_type: ClassVar[str]
    widget: ClassVar[WidgetSpec] = WidgetSpec("input")
    #: Lists can sort and filter by it (``=``, ``__gte``…); not for lists of values or free JSON.
    sortable: ClassVar[bool] = True
    #: A blank text stays a value of this type when converted to it (else it becomes empty).
    keeps_blank: ClassVar[bool] = False
    #: Types a stored value of this type may be changed to in the designer (every value converts first)…
    convertible_to: ClassVar[frozenset[str]] = frozenset()
    #: …and types whose fields may be changed to this one (a new type names them here, not there).
    convertible_from: ClassVar[frozenset[str]] = frozenset()
    #: The field properties the designer shows for this type, beyond the common ones.
    designer_options: ClassVar[tuple[str, ...]] = ()
    #: Properties a new field of this type starts with in the designer.
    designer_defaults: ClassVar[Mapping[str, Any]] = {}
    #: Numbers: aligned right and summed in prints and exports.
    numeric: ClassVar[bool] = False
    #: ``required`` means "must be given" (a yes/no is never required: unset is no; nor is a computed value).
    requirable: ClassVar[bool] = True
    #: The value may be null in the API (every type but a table of rows, which is a list).
    nullable: ClassVar[bool] = True

    # -- storage -----------------------------------------------------------------------------

    def column(self, f: Field) -> sa.types.TypeEngine:
        """The SQL type of the column that stores ``f`` (a ``with_variant`` per dialect where they differ)."""
        raise ValueError(f"field type {self.name!r} has no column")

    def storage_signature(self, f: Field) -> tuple:
        """What, when it changes, needs the column changed (the migrator compares these)."""
        return (f.value_type, None, f.precision, f.scale, ())

    def widens(self, old: Field, new: Field) -> bool:
        """True when the column of ``old`` changes to ``new``'s without converting a value."""
        return False

    def convert(self, value: Any, f: Field) -> Any:
        """A stored value (of any type) as ``f`` stores it; ``ConversionError`` says why it cannot be."""
        if value is None:
            return None
        if isinstance(value, str) and not value.strip() and not self.keeps_blank:
            return None  # a blank text holds no value: it becomes empty, nothing is lost
        try:
            return self.convert_value(value, f)
        except ConversionError:
            raise
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise ConversionError(f"{value!r} cannot be read as {self.name}") from exc

    def convert_value(self, value: Any, f: Field) -> Any:
        raise ConversionError(f"values cannot be converted to {self.name}")

    def from_formula(self, value: Any, f: Field) -> Any:
        """A formula's JSONLogic result (never None) as the column stores it."""
        return value

    # -- input and the API -------------------------------------------------------------------

    def from_payload(self, f: Field, value: Any, payload: Payload) -> Any:
        """A provider's value (not None) in the API form, for a channel's mapping: the record service
        then parses it like any other input."""
        return value

    def marshmallow_field(self, f: Field, *, exact: bool = True,
                          child_schemas: Mapping[str, type[ma.Schema]] | None = None) -> mf.Field:
        """The input field that parses what a client sends; ``exact=False`` for a filter's bound
        (decimals with any number of places, still within the column's range)."""
        raise ValueError(f"no input field for type {self.name}")

    def openapi_schema(self, f: Field, *, output: bool, ref: SchemaRef) -> dict[str, Any]:
        """The JSON schema of the value (not yet nullable, no title): output schemas state the
        type only (stored data may predate a constraint), input schemas every constraint."""
        return {}

    def filter_schema(self, f: Field | None) -> dict[str, Any]:
        """A list filter's value as the query string carries it (``?due_date=2026-12-31``)."""
        return {"type": "string"}

    # -- spreadsheets ------------------------------------------------------------------------

    def import_cell(self, f: Field, raw: Any, label: Text, today: date) -> tuple[Any, Text | None]:
        """A non-empty cell as the API form of the value, or a problem naming the cell's text."""
        return raw, None

    def export_cell(self, f: Field, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> Any:
        """A non-empty API value as a spreadsheet cell: numbers and dates stay numbers and dates;
        ``titles`` names linked records by ``(entity, id)``."""
        return str(value)

    def number_format(self, f: Field) -> str | None:
        """The spreadsheet number format of its cells."""
        return None

    # -- screens -----------------------------------------------------------------------------

    def display(self, f: Field, value: Any, reader: Reader) -> str:
        """A non-empty value as text for a person (never HTML: templates escape it)."""
        return str(value)

    def link_href(self, value: Any) -> str | None:
        """Where a shown value links to (a phone's ``tel:``), or None: shown as text."""
        return None

    # -- designer ----------------------------------------------------------------------------

    def sample(self, f: Field, label: str, lang: str) -> Any:
        """A plausible value for a preview record, or None."""
        return None

    def designer_entry(self) -> dict[str, Any]:
        """What the designer's type list says about this type."""
        return {"type": self.name, "label": self.words.as_dict(), "options": list(self.designer_options),
                "defaults": dict(self.designer_defaults), "convertible_to": sorted(self.convertible_to)}


__all__ = ["OPTIONAL", "ConversionError", "FieldType", "Payload", "Reader", "SchemaRef", "WidgetSpec", "as_text"]
