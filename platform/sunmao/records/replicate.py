# ruff: noqa: S608 - table and column names come from the snapshot's own tables, numbers are ints
"""Data at scale: copies of real records, made by the database in one statement per copy.

A million orders through the record service would take hours; a million made up in SQL would
not look like orders. This takes the records that exist (a demo seeded through the record
service, so every one passed the rules) and has the database copy a set of entities together,
``copies`` times or up to a target count:

* ids are offset per copy (``id + k × max id``), and so is every link *between* the copied
  entities (a copied order points at its customer's copy, its lines at it), while links to
  other entities (products, channels) are kept;
* child-table rows and the workflow's stage history come along;
* dates and times move back ``k × step`` days, so the copies spread over the years before the
  originals instead of piling up on the same days;
* names and unique text columns get ``-k`` appended, so nothing unique repeats.

It is an ``INSERT … SELECT`` per table and copy on SQLite and PostgreSQL alike (no rows pass
through Python), and sequences are moved past the new ids on PostgreSQL. Nothing is sent: no
event, no notice, no audit entry — these are copies for measuring, not new business.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from sunmao.records.stages import stage as stage_table
from sunmao.storage import Database

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

SYSTEM_DATES = ("created_at", "updated_at", "deleted_at")


@dataclass(frozen=True)
class Plan:
    """What copying ``entities`` means for one table: offsets per link, columns to shift or mark."""

    table: sa.Table
    offset_of: dict[str, str]  # column → the entity whose id step it moves by (links inside the set, parent_id)
    own: str  # the entity whose id step the table's own ids move by
    parent: str | None  # for a child table: its parent entity, and the parent's table
    parent_table: str | None
    dates: tuple[str, ...]
    datetimes: tuple[str, ...]
    marked: tuple[str, ...]  # names and unique text: "-k" appended


def plans(snapshot: Snapshot, entities: Sequence[str]) -> list[Plan]:
    """Each table to copy (the entities', then their child tables'), in an order that keeps links valid."""
    chosen = set(entities)
    out: list[Plan] = []
    for key in entities:
        entity = snapshot.entities[key]
        if entity.child:
            raise ValueError(f"{key} is a child table: copy its parent entity")
        out.append(_plan(snapshot, key, key, chosen, parent=None))
        for f in entity.fields:
            if f.type == "table" and f.of:
                out.append(_plan(snapshot, f.of, key, chosen, parent=key))
    return out


def _plan(snapshot: Snapshot, key: str, owner: str, chosen: set[str], parent: str | None) -> Plan:
    entity, table = snapshot.entities[key], snapshot.tables[key]
    offset_of = {f.key: f.to for f in entity.fields if f.type == "link" and f.to in chosen and f.key in table.c}
    if parent:
        offset_of["parent_id"] = parent
    kinds = {f.key: f.value_type for f in entity.fields if f.key in table.c}
    dates = tuple(k for k, t in kinds.items() if t == "date")
    datetimes = tuple(k for k, t in kinds.items() if t == "datetime") + tuple(
        c for c in SYSTEM_DATES if c in table.c)
    unique_cols = {c.name for c in table.columns if c.unique} | {
        c.name for i in table.indexes if i.unique for c in i.columns} | {
        c.name for con in table.constraints if isinstance(con, sa.UniqueConstraint) for c in con.columns}
    marked = tuple(c for c in table.c.keys() if c in unique_cols and c != "id"
                   and isinstance(table.c[c].type, sa.String))
    return Plan(table, offset_of, key, parent, snapshot.tables[parent].name if parent else None, dates, datetimes,
                marked)


def replicate(db: Database, snapshot: Snapshot, entities: Sequence[str], *, copies: int | None = None,
              target: int | None = None, step_days: int = 1, spread_days: int | None = None,
              log: Callable[[str], None] = lambda _m: None) -> dict[str, int]:
    """Copy ``entities`` (the first is the one counted) until it has ``target`` live records, or
    ``copies`` times; each copy ``step_days`` further back, or, with ``spread_days``, the copies
    spread evenly over that many days. Returns the number of rows added per table."""
    if not entities:
        raise ValueError("name at least one entity to copy")
    table_plans = plans(snapshot, entities)
    added: dict[str, int] = {}
    with db.write() as conn:
        top = {p.table.name: conn.execute(sa.select(sa.func.max(p.table.c.id))).scalar() or 0 for p in table_plans}
        steps = {p.own: top[p.table.name] for p in table_plans}
        main = table_plans[0].table
        have = conn.execute(sa.select(sa.func.count()).select_from(main).where(main.c.deleted_at.is_(None))).scalar()
    if not have:
        raise ValueError(f"{entities[0]} has no records to copy")
    if copies is None:
        copies = max(0, math.ceil(((target or have) - have) / have))
    if spread_days is not None:
        step_days = max(1, spread_days // max(copies, 1))
    last_rows = (target - have) - (copies - 1) * have if target and copies else have
    first = entities[0]
    for k in range(1, copies + 1):
        with db.write() as conn:
            cutoff = None
            if k == copies and last_rows < have:  # the last copy: only as many of the first entity as needed
                cutoff = conn.execute(sa.select(main.c.id).where(main.c.deleted_at.is_(None)).order_by(main.c.id)
                                      .offset(max(last_rows - 1, 0)).limit(1)).scalar()
            kept: dict[str, str] = {}  # entity → its rows' condition in this copy ("" : all)
            for p in table_plans:
                where = _limit(p, first, cutoff, kept)
                if p.parent is None:
                    kept[p.own] = where
                n = _copy(conn, p, k, steps, step_days, top[p.table.name], where)
                added[p.table.name] = added.get(p.table.name, 0) + n
            for key in entities:
                _copy_stages(conn, snapshot.tables[key], key, k, steps[key], step_days, top[snapshot.tables[key].name])
        log(f"copy {k}/{copies}: {sum(added.values())} rows")
    names = sorted({p.table.name for p in table_plans} | {stage_table.name})
    with db.write() as conn:
        if conn.dialect.name == "postgresql":
            for name in names:
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM \"{name}\"))"))
    with db.write() as conn:  # the planner's statistics: a table grown a hundredfold is not the one it knew
        for name in names:
            conn.exec_driver_sql(f'ANALYZE "{name}"')
    return added


def _shift(conn: sa.Connection, column: str, days: int, kind: str) -> str:
    col = f'"{column}"'
    if conn.dialect.name == "postgresql":
        return f"{col} - {days}" if kind == "date" else f"{col} - interval '{days} days'"
    if kind == "date":
        return f"date({col}, '-{days} days')"
    return f"strftime('%Y-%m-%d %H:%M:%S', {col}, '-{days} days') || substr({col}, 20)"


def _limit(p: Plan, first: str, cutoff: int | None, kept: dict[str, str]) -> str:
    """In a partial copy, the rows that may be copied: the first entity's up to ``cutoff``, rows
    linking to it only to those, child rows only of copied parents ("": every row)."""
    if cutoff is None:
        return ""
    conditions = [f'"id" <= {cutoff}'] if p.own == first and p.parent is None else []
    conditions += [f'("{c}" IS NULL OR "{c}" <= {cutoff})' for c, target in p.offset_of.items()
                   if target == first and c != "parent_id"]
    if p.parent is not None and kept.get(p.parent):
        conditions.append(f'"parent_id" IN (SELECT "id" FROM "{p.parent_table}" WHERE {kept[p.parent]})')
    return " AND ".join(conditions)


def _copy(conn: sa.Connection, p: Plan, k: int, steps: dict[str, int], step_days: int, top: int,
          limit: str) -> int:
    days = k * step_days
    select: list[str] = []
    for c in p.table.c.keys():
        if c == "id":
            select.append(f'"id" + {k * steps[p.own]}')
        elif c in p.offset_of:
            select.append(f'"{c}" + {k * steps[p.offset_of[c]]}')
        elif c in p.dates:
            select.append(_shift(conn, c, days, "date"))
        elif c in p.datetimes:
            select.append(_shift(conn, c, days, "datetime"))
        elif c in p.marked:
            select.append(f"\"{c}\" || '-{k}'")
        else:
            select.append(f'"{c}"')
    where = f'"id" <= {top}' + (f" AND {limit}" if limit else "")
    columns = ", ".join(f'"{c}"' for c in p.table.c.keys())
    result = conn.execute(sa.text(f'INSERT INTO "{p.table.name}" ({columns}) SELECT {", ".join(select)} '
                                  f'FROM "{p.table.name}" WHERE {where}'))
    return result.rowcount or 0


def _copy_stages(conn: sa.Connection, table: sa.Table, entity: str, k: int, step: int, step_days: int,
                 top: int) -> None:
    """The stage history of the records this copy made (only theirs: a partial copy has fewer)."""
    days = k * step_days
    columns = [c for c in stage_table.c.keys() if c != "id"]
    select = [f'"record_id" + {k * step}' if c == "record_id"
              else _shift(conn, c, days, "datetime") if c in ("entered_at", "left_at") else f'"{c}"'
              for c in columns]
    conn.execute(sa.text(
        f'INSERT INTO "{stage_table.name}" ({", ".join(columns)}) SELECT {", ".join(select)} '
        f'FROM "{stage_table.name}" WHERE "entity" = :entity AND "record_id" <= {top} '
        f'AND "record_id" + {k * step} IN (SELECT "id" FROM "{table.name}")'), {"entity": entity})


def counts(db: Database, snapshot: Snapshot, entities: Iterable[str]) -> dict[str, int]:
    with db.read() as conn:
        return {key: conn.execute(sa.select(sa.func.count()).select_from(snapshot.tables[key])).scalar() or 0
                for key in entities}
