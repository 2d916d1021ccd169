"""A stored record as others see it: its JSON form (:func:`dump`, API bodies and event payloads)
and its one line for people (:func:`summary`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from sunmao.i18n import Text
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import Context
from sunmao.records.values import SYSTEM_OUT, json_value


def dump(ctx: Context, ce: CompiledEntity, record: Mapping[str, Any], *, fields: Iterable[str] | None = None,
         hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The JSON form of a stored record (system fields first, then fields in metadata order);
    ``hidden`` are the fields the reader's roles may not see."""
    wanted = set(fields) if fields is not None else None
    out: dict[str, Any] = {k: json_value(record.get(k)) for k in SYSTEM_OUT if k in record}
    for f in ce.entity.fields:
        if f.hidden or f.key in hidden or (wanted is not None and f.key not in wanted):
            continue
        if f.type == "table":
            child = ctx.child(f)
            out[f.key] = [dump(ctx, child, row) for row in record.get(f.key, ())]
        elif f.key in record:
            out[f.key] = json_value(record[f.key])
    return out


def summary(ctx: Context, entity_key: str, record: Mapping[str, Any], *, conn: sa.Connection | None) -> Text:
    """A stored record in one line: entity, number, title and summary fields."""
    entity = ctx.snapshot.entities[entity_key]
    zh: list[str] = [f"{entity.label.zh} {record.get('name') or '#' + str(record.get('id'))}"]
    en: list[str] = [f"{entity.label.en} {record.get('name') or '#' + str(record.get('id'))}"]
    keys = [k for k in (entity.title_field,) if k and k != "name"] + list(entity.summary_fields)
    for key in dict.fromkeys(keys):
        f = entity.by_key.get(key)
        value = record.get(key)
        if f is None or value is None or value == "":
            continue
        if f.type == "link":
            target = ctx.snapshot.entities[f.to or ""]
            with ctx.reading(conn) as reading:
                row = ctx.snapshot.compiled[target.key].statements.by_ids.execute(
                    reading, {"ids": [value]}).mapping() if isinstance(value, int) else None
            shown = str((row or {}).get(target.title_field or "name") or f"#{value}")
            zh.append(shown)
            en.append(shown)
        elif f.options:
            label = next((o.label for o in f.options if o.value == value), Text(str(value), str(value)))
            zh.append(f"{f.label.zh} {label.zh}")
            en.append(f"{f.label.en} {label.en}")
        else:
            shown = f"{value:,.{f.scale}f}" if f.value_type == "decimal" and f.scale is not None else \
                str(json_value(value))
            zh.append(f"{f.label.zh} {shown}")
            en.append(f"{f.label.en} {shown}")
    return Text(" · ".join(zh), " · ".join(en))
