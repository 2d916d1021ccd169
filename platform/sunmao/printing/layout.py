"""Print templates compiled into each snapshot: ``features["prints"]`` maps key → PrintLayout."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity


@dataclass(frozen=True)
class PrintLayout:
    key: str
    entity: str
    label: Text
    fields: tuple[str, ...]
    table: str | None = None
    columns: tuple[str, ...] = ()
    totals: tuple[str, ...] = ()
    barcode: str | None = None
    notes: Text | None = None
    signatures: tuple[Text, ...] = ()


def generic_layout(entity: Entity) -> PrintLayout:
    """Any record, printed: every visible field, and its first child table with all columns."""
    fields = tuple(f.key for f in entity.fields if not f.hidden and f.type not in ("table", "json", "attachment"))
    table = next((f for f in entity.fields if f.type == "table"), None)
    return PrintLayout("", entity.key, entity.label, fields, table.key if table else None, barcode="name")


def _check(entity: Entity, keys: list[str], file: str, path: str, problems: list[Problem],
           allowed_extra: tuple[str, ...] = ()) -> None:
    for i, key in enumerate(keys):
        if key not in entity.by_key and key not in allowed_extra:
            problems.append(Problem(file, f"{path}[{i}]", f"{entity.key} has no field {key!r}"))


def compile_prints(snapshot: Any) -> tuple[str, Mapping[str, PrintLayout], list[Problem]]:
    problems: list[Problem] = []
    prints: dict[str, PrintLayout] = {}
    for file, doc in snapshot.documents("print"):
        entity = snapshot.entities.get(doc["entity"])
        if entity is None or entity.child:
            problems.append(Problem(file, "$.entity", f"there is no top-level entity {doc['entity']!r}"))
            continue
        fields = list(doc.get("fields", ()))
        _check(entity, fields, file, "$.fields", problems, ("name", "created_at"))
        table = columns = None
        if "table" in doc:
            table = doc["table"]["field"]
            f = entity.by_key.get(table)
            if f is None or f.type != "table":
                problems.append(Problem(file, "$.table.field", f"{table!r} is not a table field of {entity.key}"))
            else:
                columns = list(doc["table"].get("columns", ()))
                _check(snapshot.entities[f.of], columns, file, "$.table.columns", problems)
        totals = list(doc.get("totals", ()))
        _check(entity, totals, file, "$.totals", problems)
        barcode = doc.get("barcode")
        if barcode and barcode != "name" and barcode not in entity.by_key:
            problems.append(Problem(file, "$.barcode", f"{entity.key} has no field {barcode!r}"))
        if doc["key"] in prints:
            problems.append(Problem(file, "$.key", f"print key {doc['key']!r} is used twice"))
        prints[doc["key"]] = PrintLayout(
            doc["key"], entity.key, Text.of(doc["label"]), tuple(fields), table, tuple(columns or ()), tuple(totals),
            barcode, Text.of(doc["notes"]) if doc.get("notes") else None,
            tuple(Text.of(s) for s in doc.get("signatures", ())))
    return "prints", MappingProxyType(prints), problems
