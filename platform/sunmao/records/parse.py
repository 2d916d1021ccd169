"""Stage 1 of a write — parse: what a caller sent, as typed values, with errors naming the fields.

:func:`parse` turns a payload (JSON-like mapping, child rows nested) into Python values through
each field's marshmallow field; unknown, computed, read-only and role-locked fields are
refused by name. :func:`merge` lays an edit's parsed changes over the stored record (rows of a
table merged by id) and lets formula defaults follow what changed (:func:`.defaults.follow`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from sunmao.i18n import Text
from sunmao.meta.model import RESERVED_KEYS, Field
from sunmao.records import defaults
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import RECORD, Context, Errors, Links, join
from sunmao.records.messages import CATALOG
from sunmao.records.schema import schema_field


def parse(ctx: Context, ce: CompiledEntity, payload: Any, *, partial: bool, skip_read_only: bool, errors: Errors,
          prefix: str = "", locked: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The typed values of ``payload`` (``partial``: an edit, only what is sent). ``skip_read_only``
    callers (workflow, jobs) may set read-only fields; ``locked`` fields the actor's roles may not set."""
    if not isinstance(payload, Mapping):
        errors.add(prefix or RECORD, CATALOG["invalid_object"])
        return {}
    if partial and not payload:
        return {}  # nothing to change (a roll-up refresh, an action without values)
    entity = ce.entity
    clean: dict[str, Any] = {}
    for key, value in payload.items():
        f = entity.by_key.get(key)
        if f is None:
            if key in RESERVED_KEYS:
                continue  # system values (id, name, version...) are the service's to set
            known = ", ".join(x.key for x in entity.fields if x.is_input)
            errors.add(join(prefix, key), Text(f"未知字段；可用字段：{known}", f"unknown field; known fields: {known}"))
        elif f.type == "computed" or (f.read_only and not skip_read_only):
            errors.add(join(prefix, key), CATALOG["read_only"])
        elif key in locked:
            errors.add(join(prefix, key), CATALOG["role_read_only"])
        else:
            clean[key] = value
    read_only_values = {f.key: clean.pop(f.key) for f in entity.fields if f.read_only and f.key in clean}
    tables = {f.key: clean.pop(f.key) for f in entity.table_fields if f.key in clean}
    loaded = _load(ce, clean, errors=errors, prefix=prefix)
    if read_only_values:
        loaded.update(_load_read_only(ce, read_only_values, errors=errors, prefix=prefix))
    for key, rows in tables.items():
        child = ctx.child(entity.by_key[key])
        if rows is None:
            loaded[key] = []
            continue
        if not isinstance(rows, list):
            errors.add(join(prefix, key), CATALOG["invalid_rows"])
            continue
        loaded[key] = [parse(ctx, child, row, partial=False, skip_read_only=skip_read_only, errors=errors,
                             prefix=f"{join(prefix, key)}[{i}]") | _row_id(row)
                       for i, row in enumerate(rows)]
    return loaded


def _load(ce: CompiledEntity, values: dict[str, Any], *, errors: Errors, prefix: str) -> dict[str, Any]:
    """Each value through its field's marshmallow field (type, constraints, both languages'
    messages). The schema's own loop adds nothing here — unknown, computed and read-only keys
    are sorted out above and no field is required at this stage — so it is skipped."""
    fields = ce.schema.fields
    loaded: dict[str, Any] = {}
    for key, value in values.items():
        try:
            loaded[key] = fields[key].deserialize(value, key, values)
        except ma.ValidationError as exc:
            errors.merge_marshmallow({key: exc.messages}, prefix)
    return loaded


def _load_read_only(ce: CompiledEntity, values: dict[str, Any], *, errors: Errors, prefix: str) -> dict[str, Any]:
    """Read-only fields set by trusted callers (workflow, jobs) are still type-checked."""
    out = {}
    for key, value in values.items():
        f = ce.entity.by_key[key]
        try:
            out[key] = schema_field(f, {}).deserialize(value)
        except ma.ValidationError as exc:
            errors.merge_marshmallow(exc.messages, join(prefix, key))
    return out


def _row_id(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping) and isinstance(row.get("id"), int) and not isinstance(row.get("id"), bool):
        return {"id": row["id"]}
    return {}


def merge(ctx: Context, ce: CompiledEntity, *, conn: sa.Connection, current: Mapping[str, Any],
          changes: Mapping[str, Any], patch: Any, cache: Links, errors: Errors) -> dict[str, Any]:
    """The record as the edit would leave it: the changes over the stored values, rows of a
    table merged by id, and formula defaults that follow what the edit changed."""
    merged = dict(current)
    for f in ce.entity.table_fields:
        merged[f.key] = [dict(r) for r in current.get(f.key, [])]
    for key, value in changes.items():
        if key in merged and ce.entity.by_key[key].type == "table":
            merged[key] = _merge_rows(ce.entity.by_key[key], current.get(key, []), value, errors=errors)
        else:
            merged[key] = value
    if not changes:
        return merged
    defaults.follow(ctx, ce, conn=conn, before=current, after=merged, sent=changes, cache=cache, errors=errors)
    for f in ce.entity.table_fields:
        if f.key not in changes:
            continue
        child = ctx.child(f)
        stored = {r["id"]: r for r in current.get(f.key, [])}
        sent = patch.get(f.key) if isinstance(patch, Mapping) else None
        for i, row in enumerate(merged[f.key]):
            given = sent[i] if isinstance(sent, list) and i < len(sent) else None
            if row.get("id") in stored and isinstance(given, Mapping):
                defaults.follow(ctx, child, conn=conn, before=stored[row["id"]], after=row, sent=given, cache=cache,
                                errors=errors, prefix=f"{f.key}[{i}]")
    return merged


def _merge_rows(f: Field, current: list[dict[str, Any]], rows: list[dict[str, Any]], *, errors: Errors
                ) -> list[dict[str, Any]]:
    """A patch's rows replace the list; a row with an ``id`` keeps (and updates) that stored row."""
    by_id = {r["id"]: r for r in current}
    merged = []
    for i, row in enumerate(rows):
        row_id = row.get("id")
        if row_id is None:
            merged.append(dict(row))
        elif row_id in by_id:
            merged.append({**by_id[row_id], **row})
        else:
            errors.add(f"{f.key}[{i}].id", Text(f"行 #{row_id} 不属于这条记录",
                                                f"row #{row_id} is not part of this record"))
    return merged
