"""marshmallow schemas generated from entity metadata: input parsing with per-field errors.

Each field's type (``sunmao.fields``) gives the marshmallow field that accepts what a JSON client
sends (and what Python callers such as importers pass: dates, Decimals) and yields the Python
value the record service stores; constraints from metadata become validators that speak both
languages (``sunmao.fields.inputs``).
"""

from __future__ import annotations

from collections.abc import Mapping

import marshmallow as ma
from marshmallow import fields as mf

from sunmao.fields import field_type
from sunmao.fields.inputs import UNSTORABLE
from sunmao.meta.model import Entity, Field

__all__ = ["UNSTORABLE", "build_schema", "schema_field"]


def schema_field(f: Field, child_schemas: Mapping[str, type[ma.Schema]], *, exact: bool = True) -> mf.Field:
    """The marshmallow field for one metadata field; ``exact=False`` takes decimals with any number
    of places (a filter's bound), still within the column's range."""
    return field_type(f.type).marshmallow_field(f, exact=exact, child_schemas=child_schemas)


def build_schema(entity: Entity, child_schemas: Mapping[str, type[ma.Schema]]) -> type[ma.Schema]:
    """A marshmallow schema class holding the fields a client may write."""
    attrs: dict[str, mf.Field] = {f.key: schema_field(f, child_schemas) for f in entity.fields if f.is_input}

    class Meta:
        unknown = ma.RAISE

    return type(f"{entity.key}_input", (ma.Schema,), {**attrs, "Meta": Meta})
