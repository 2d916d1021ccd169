"""Generate records: an action's ``generate`` creates records from a linked structure.

A workflow transition (or the ``records.generate`` job) declares, in metadata, records to create
from the record it acts on — a dispatch order per production line from an order's lines through a bill of materials:

```json
"generate": [{
  "entity": "work_order",                     target: one record per group
  "link": "request",                          target's link back to the source record (idempotency)
  "group": "cell",                            target field receiving the group value
  "rows": "items",                            target's table field receiving the rows
  "source": {"rows": "items", "item": "part", "quantity": "count"},
  "structure": {"entity": "recipe", "match": "part", "active": "active", "rows": "items",
                "item": "part", "quantity": "per_unit", "scrap": "loss", "group": "cell",
                "header_group": "cell"},
  "row_values": {"part": "item", "count": "quantity", "depth": "level", "goes_into": "parent"},
  "values": {"due": {"formula": {"var": "due"}}}
}]
```

Each source row's item is exploded through the structure: the header whose ``match`` field
equals the item (the first by id, among the ``active`` ones when named), its rows' ``item`` with
``quantity × parent quantity × (1 + scrap)``, recursing while a component has a structure of
its own (at most ``MAX_LEVELS`` deep; a cycle is refused). A row whose ``group`` is empty is not
generated (a bought part); ``header_group`` adds the exploded item itself (level 0, the final
assembly). Rows are summed per group and item, and each group becomes one target record linked
back through ``link``. Generating is idempotent: a group that already has a live record linked to
the source is left alone, so approving twice — or approving, revising and approving again —
creates nothing new. Everything runs in the caller's transaction, through the record service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa

from sunmao.errors import Conflict
from sunmao.i18n import Text
from sunmao.records import Actor, RecordService
from sunmao.records.values import json_value

MAX_LEVELS = 12
ROW_KEYS = ("item", "quantity", "level", "parent", "scrap")


@dataclass(frozen=True)
class Structure:
    header: str            # header entity (bom)
    match: str             # header field naming the item it describes
    active: str | None     # boolean header field: only active headers count
    child: str             # child entity of the rows (bom_line)
    item: str
    quantity: str
    scrap: str | None
    group: str | None
    header_group: str | None


@dataclass(frozen=True)
class Generator:
    """One compiled ``generate`` entry of an action."""

    entity: str
    link: str
    group: str
    rows: str
    source_rows: str
    source_item: str
    source_quantity: str
    structure: Structure
    row_values: tuple[tuple[str, str], ...]     # (target row field, one of ROW_KEYS)
    values: tuple[tuple[str, str, Any], ...]    # (field, "literal"|"formula", value)
    scale: int | None                           # the target row quantity's scale

    def explode(self, conn: sa.Connection, snapshot: Any, record: Mapping[str, Any]
                ) -> dict[Any, list[dict[str, Any]]]:
        """The rows each group gets, from the record's source rows (no write)."""
        demand: list[tuple[Any, Decimal]] = [
            (row.get(self.source_item), Decimal(str(row.get(self.source_quantity) or 0)))
            for row in record.get(self.source_rows) or ()
            if row.get(self.source_item) is not None and (row.get(self.source_quantity) or 0) > 0]
        groups: dict[Any, dict[tuple[Any, int, Any], dict[str, Any]]] = {}

        def add(group: Any, item: Any, qty: Decimal, level: int, parent: Any, scrap: Decimal) -> None:
            if group is None:
                return
            rows = groups.setdefault(group, {})
            key = (item, level, parent)
            if key in rows:
                rows[key]["quantity"] += qty
            else:
                rows[key] = {"item": item, "quantity": qty, "level": level, "parent": parent, "scrap": scrap}

        s = self.structure
        headers = _headers(conn, snapshot, s, {item for item, _q in demand})
        if s.header_group:
            for item, qty in demand:
                if item in headers:
                    add(headers[item][1], item, qty, 0, None, Decimal(0))
        level, frontier = 1, demand
        seen_paths: list[tuple[Any, tuple[Any, ...]]] = [(item, (item,)) for item, _q in demand]
        while frontier:
            if level > MAX_LEVELS:
                raise Conflict(Text(f"结构超过 {MAX_LEVELS} 层，可能有循环引用",
                                    f"the structure is deeper than {MAX_LEVELS} levels: is there a cycle?"))
            lines = _rows(conn, snapshot, s, [headers[item][0] for item, _q in frontier if item in headers])
            following: list[tuple[Any, Decimal]] = []
            following_paths: list[tuple[Any, tuple[Any, ...]]] = []
            for (item, qty), (_same, path) in zip(frontier, seen_paths, strict=True):
                if item not in headers:
                    continue
                for child, per, scrap, group in lines.get(headers[item][0], ()):
                    if child in path:
                        raise Conflict(Text(f"结构有循环引用：{child}", f"the structure refers to itself: {child}"))
                    need = qty * per * (1 + scrap)
                    add(group, child, need, level, item, scrap)
                    following.append((child, need))
                    following_paths.append((child, (*path, child)))
            new_items = {item for item, _q in following} - headers.keys()
            if new_items:
                headers.update(_headers(conn, snapshot, s, new_items))
            frontier, seen_paths, level = following, following_paths, level + 1
        return {group: [self._row(r) for r in rows.values()] for group, rows in groups.items()}

    def _row(self, row: dict[str, Any]) -> dict[str, Any]:
        qty = row["quantity"]
        if self.scale is not None:
            qty = qty.quantize(Decimal(1).scaleb(-self.scale), rounding=ROUND_HALF_UP)
        values = {**row, "quantity": qty}
        return {field: values[key] for field, key in self.row_values}

    def run(self, records: RecordService, conn: sa.Connection, record: Mapping[str, Any],
            data: Mapping[str, Any], actor: Actor) -> list[dict[str, Any]]:
        """Create the missing groups' records; return what was created (nothing the second time)."""
        snapshot = records.snapshot
        table = snapshot.tables[self.entity]
        existing = set(conn.execute(sa.select(table.c[self.group]).where(
            table.c[self.link] == record["id"], table.c.deleted_at.is_(None))).scalars())
        groups = self.explode(conn, snapshot, record)
        base = {key: (fn(data) if kind == "formula" else fn) for key, kind, fn in self.values}
        payloads = [{**base, self.link: record["id"], self.group: group, self.rows: rows}
                    for group, rows in sorted(groups.items(), key=lambda kv: str(kv[0])) if group not in existing]
        if not payloads:
            return []
        return records.create_many(self.entity, json_value(payloads), actor=actor, skip_read_only=True, conn=conn)


def _headers(conn: sa.Connection, snapshot: Any, s: Structure, items: set[Any]) -> dict[Any, tuple[int, Any]]:
    """item → (header id, header group) of the first live (active) header describing it."""
    if not items:
        return {}
    t = snapshot.tables[s.header]
    group = t.c[s.header_group] if s.header_group else sa.null()
    query = sa.select(t.c.id, t.c[s.match], group).where(t.c[s.match].in_(sorted(items)), t.c.deleted_at.is_(None))
    if s.active:
        query = query.where(t.c[s.active].is_(True))
    out: dict[Any, tuple[int, Any]] = {}
    for header_id, item, header_group in conn.execute(query.order_by(t.c.id)):
        out.setdefault(item, (header_id, header_group))
    return out


def _rows(conn: sa.Connection, snapshot: Any, s: Structure, header_ids: Sequence[int]
          ) -> dict[int, list[tuple[Any, Decimal, Decimal, Any]]]:
    """header id → its rows as (item, quantity, scrap rate, group), in their order."""
    if not header_ids:
        return {}
    t = snapshot.tables[s.child]
    scrap = t.c[s.scrap] if s.scrap else sa.null()
    group = t.c[s.group] if s.group else sa.null()
    query = sa.select(t.c.parent_id, t.c[s.item], t.c[s.quantity], scrap, group).where(
        t.c.parent_id.in_(sorted(set(header_ids)))).order_by(t.c.parent_id, t.c.idx)
    out: dict[int, list[tuple[Any, Decimal, Decimal, Any]]] = {}
    for parent, item, qty, rate, grp in conn.execute(query):
        if item is None:
            continue
        out.setdefault(parent, []).append((item, Decimal(str(qty or 0)), Decimal(str(rate or 0)), grp))
    return out


def compile_generators(specs: Sequence[Mapping[str, Any]], entity: Any, snapshot: Any, base: str,
                       rule: Callable[[Any, str, str], Any], bad: Callable[[str, str], None]) -> tuple[Generator, ...]:
    """Check each ``generate`` entry against the entities; problems name the document path."""
    out = []
    for i, spec in enumerate(specs):
        path = f"{base}.generate[{i}]"
        built = _compile_one(spec, entity, snapshot, path, rule, bad)
        if built is not None:
            out.append(built)
    return tuple(out)


def _table_of(e: Any, key: str, path: str, bad: Callable[[str, str], None]) -> str | None:
    f = e.by_key.get(key)
    if f is None or f.type != "table":
        bad(path, f"{key!r} is not a table field of {e.key}")
        return None
    return f.of


def _has(e: Any, key: str | None, path: str, bad: Callable[[str, str], None]) -> bool:
    if key is not None and (e is None or key not in e.by_key):
        bad(path, f"{key!r} is not a field of {e.key if e is not None else '?'}")
        return False
    return True


def _compile_one(spec: Mapping[str, Any], entity: Any, snapshot: Any, path: str,
                 rule: Callable[[Any, str, str], Any], bad: Callable[[str, str], None]) -> Generator | None:
    ents = snapshot.entities
    target = ents.get(spec["entity"])
    if target is None or target.child:
        bad(f"{path}.entity", f"{spec['entity']!r} is not an entity with records")
        return None
    src, st = spec["source"], spec["structure"]
    header = ents.get(st["entity"])
    if header is None or header.child:
        bad(f"{path}.structure.entity", f"{st['entity']!r} is not an entity with records")
        return None
    link = target.by_key.get(spec["link"])
    if link is None or link.type != "link" or link.to != entity.key:
        bad(f"{path}.link", f"{spec['link']!r} must be a link field of {target.key} to {entity.key}")
        return None
    target_child = _table_of(target, spec["rows"], f"{path}.rows", bad)
    source_child = _table_of(entity, src["rows"], f"{path}.source.rows", bad)
    structure_child = _table_of(header, st["rows"], f"{path}.structure.rows", bad)
    if None in (target_child, source_child, structure_child):
        return None
    tc, sc, hc = ents[target_child], ents[source_child], ents[structure_child]
    ok = all([
        _has(target, spec["group"], f"{path}.group", bad),
        _has(sc, src["item"], f"{path}.source.item", bad), _has(sc, src["quantity"], f"{path}.source.quantity", bad),
        _has(header, st["match"], f"{path}.structure.match", bad),
        _has(header, st.get("active"), f"{path}.structure.active", bad),
        _has(header, st.get("header_group"), f"{path}.structure.header_group", bad),
        *(_has(hc, st.get(k), f"{path}.structure.{k}", bad) for k in ("item", "quantity", "scrap", "group")),
    ])
    row_values = []
    for field, key in spec["row_values"].items():
        if key not in ROW_KEYS:
            bad(f"{path}.row_values.{field}", f"{key!r} is not one of {', '.join(ROW_KEYS)}")
            ok = False
        elif _has(tc, field, f"{path}.row_values.{field}", bad):
            row_values.append((field, key))
        else:
            ok = False
    values = []
    for key, value in spec.get("values", {}).items():
        if key not in target.by_key:
            bad(f"{path}.values.{key}", f"{key!r} is not a field of {target.key}")
            ok = False
        elif isinstance(value, dict) and "formula" in value:
            values.append((key, "formula", rule(value["formula"], f"generate.{target.key}.{key}",
                                                f"{path}.values.{key}.formula")))
        else:
            values.append((key, "literal", value))
    if not ok:
        return None
    qty_field = next((tc.by_key[f] for f, k in row_values if k == "quantity"), None)
    return Generator(
        entity=target.key, link=spec["link"], group=spec["group"], rows=spec["rows"], source_rows=src["rows"],
        source_item=src["item"], source_quantity=src["quantity"],
        structure=Structure(header=header.key, match=st["match"], active=st.get("active"), child=hc.key,
                            item=st["item"], quantity=st["quantity"], scrap=st.get("scrap"), group=st.get("group"),
                            header_group=st.get("header_group")),
        row_values=tuple(row_values), values=tuple(values),
        scale=qty_field.scale if qty_field is not None else None)
