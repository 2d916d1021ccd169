"""Stage 4 of a write — persist: the SQL of records and their child rows.

Reading a record to change (:func:`fetch`, :func:`current`, with its row lock), numbering new
ones (:func:`names`), inserting them with their rows in multi-row statements (:func:`insert`,
:func:`insert_children`), writing an edit's changed columns under the optimistic lock
(:func:`write_versioned`) and its rows by id (:func:`write_children`), and moving a record to the
recycle bin and back (:func:`mark_deleted`). No checks here: the earlier stages made them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.errors import Conflict as ConflictError
from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.meta.model import Field
from sunmao.records import checks
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import SYSTEM, Actor, Context, Links
from sunmao.records.naming import LOCAL_ZONE, default_pattern, next_names, split


def load_children(ctx: Context, conn: sa.Connection, ce: CompiledEntity, ids: Sequence[int]
                  ) -> dict[str, dict[int, list[dict[str, Any]]]]:
    """The child rows of records, by table field and parent id, in their order."""
    out: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for f in ce.entity.table_fields:
        child = ctx.child(f)
        by_parent: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        keys = ["id"] + [c.key for c in child.entity.stored_fields]
        for start in range(0, len(ids), 900):
            rows = child.statements.rows_of.execute(conn, {"ids": list(ids[start:start + 900])}).mappings()
            for row in rows:
                by_parent[row["parent_id"]].append({k: row[k] for k in keys})
        out[f.key] = by_parent
    return out


def fetch(ctx: Context, conn: sa.Connection, ce: CompiledEntity, record_id: int, *, lock: bool = False,
          actor: Actor = SYSTEM) -> dict[str, Any]:
    """The stored live record (child rows nested) the actor may see, or NotFound."""
    lock = lock and not ctx.db.is_sqlite
    scope = checks.row_scope(conn, ce, actor)
    row: Mapping[str, Any] | None
    if scope is None:
        prepared = ce.statements.live_by_id_locked if lock else ce.statements.live_by_id
        row = prepared.execute(conn, {"id": record_id}).mapping()
    else:  # out of the reader's scope is the same as absent: no existence leak
        query = ce.statements.live_by_id_statement.where(scope)
        row = conn.execute(query.with_for_update() if lock else query, {"id": record_id}).mappings().first()
    if row is None:
        raise NotFound(Text(f"{ce.entity.label.zh} #{record_id} 不存在",
                            f"{ce.entity.label.en} #{record_id} does not exist"))
    record = dict(row)
    for key, by_parent in load_children(ctx, conn, ce, [record_id]).items():
        record[key] = by_parent[record_id]
    return record


def current(ctx: Context, conn: sa.Connection, ce: CompiledEntity, record_id: int, *, actor: Actor,
            read: Links | None) -> dict[str, Any]:
    """The record an update starts from. On SQLite a row this transaction read already (a
    linked row of the write that refreshes its roll-ups, in ``read``) is still current: the
    write lock is held. It is used once; PostgreSQL always reads it again with its row lock."""
    key = (ce.key, record_id)
    if read is None or not ctx.db.is_sqlite or not actor.system or key not in read.live:
        return fetch(ctx, conn, ce, record_id, lock=True, actor=actor)
    read.live.discard(key)
    record = dict(read.rows.pop(key))
    for field_key, by_parent in load_children(ctx, conn, ce, [record_id]).items():
        record[field_key] = by_parent[record_id]
    return record


def names(ctx: Context, conn: sa.Connection, ce: CompiledEntity, records: Sequence[Mapping[str, Any]],
          *, now: datetime) -> list[str]:
    """The records' numbers, dated by the entity's ``naming_date`` field when it has one (an order
    imported from last month is numbered in last month's series), else by ``now``."""
    pattern = ce.entity.naming or default_pattern(ce.key)
    key = ce.entity.naming_date
    dated = [_moment(rec.get(key), now) if key else now for rec in records]
    groups: dict[tuple[str, str, int], list[int]] = {}
    for i, when in enumerate(dated):
        groups.setdefault(split(pattern, when), []).append(i)
    out = [""] * len(records)
    for positions in groups.values():
        for i, name in zip(positions, next_names(ctx.db, conn, pattern, len(positions), dated[positions[0]]),
                           strict=True):
            out[i] = name
    return out


def _moment(value: Any, default: datetime) -> datetime:
    """A date field's value as a moment of that local day (a datetime as it is)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=LOCAL_ZONE)
    return default


def insert(conn: sa.Connection, ce: CompiledEntity, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows of one entity; their new ids in order."""
    if not rows:
        return []
    if len(rows) == 1:
        return [ce.statements.insert.execute(conn, rows[0]).scalar()]
    if ce.entity.child:
        return ce.statements.insert_rows(conn, rows)
    return [r[0] for r in conn.execute(ce.statements.insert_many, rows)]


def insert_children(ctx: Context, conn: sa.Connection, f: Field, *, records: Sequence[Mapping[str, Any]],
                    results: list[dict[str, Any]]) -> None:
    """The rows of new records: one multi-row insert for the whole batch, ids put back in order."""
    child = ctx.child(f)
    keys = [c.key for c in child.entity.stored_fields]
    pending: list[dict[str, Any]] = []
    for rec, stored in zip(records, results, strict=True):
        stored[f.key] = [{k: row.get(k) for k in keys} for row in rec.get(f.key) or ()]
        pending += [{"parent_id": stored["id"], "idx": idx, **values} for idx, values in enumerate(stored[f.key])]
    ids = iter(insert(conn, child, pending))
    for stored in results:
        stored[f.key] = [{"id": next(ids), **values} for values in stored[f.key]]


def write_children(ctx: Context, conn: sa.Connection, f: Field, *, parent_id: int, before: list[dict[str, Any]],
                   after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An edit's rows: removed ones deleted, changed or moved ones updated, new ones inserted."""
    child = ctx.child(f)
    table = child.table
    keys = [c.key for c in child.entity.stored_fields]
    keep = {r["id"] for r in after if r.get("id") is not None}
    gone = [r["id"] for r in before if r["id"] not in keep]
    if gone:
        conn.execute(table.delete().where(table.c.id.in_(gone)))
    old = {r["id"]: r for r in before}
    stored, new_rows = [], []
    for idx, row in enumerate(after):
        values = {k: row.get(k) for k in keys}
        if row.get("id") is not None:
            prior = old[row["id"]]
            if any(prior.get(k) != values[k] for k in keys) or prior.get("idx") != idx:
                conn.execute(table.update().where(table.c.id == row["id"]).values(idx=idx, **values))
            stored.append({"id": row["id"], **values})
        else:
            new_rows.append((idx, {"parent_id": parent_id, "idx": idx, **values}))
            stored.append(values)
    ids = insert(conn, child, [r for _, r in new_rows])
    for (idx, _), new_id in zip(new_rows, ids, strict=True):
        stored[idx] = {"id": new_id, **stored[idx]}
    return stored


def write_versioned(conn: sa.Connection, ce: CompiledEntity, *, record_id: int, version: int,
                    written: dict[str, Any]) -> None:
    """Write the changed columns of the record at ``version`` (optimistic lock)."""
    done = ce.statements.update_versioned.execute(conn, {**written, "w_id": record_id, "w_version": version})
    if done.rowcount != 1:
        raise ConflictError(Text("记录刚被他人修改，请刷新后重试",
                                 "the record was changed at the same moment; reload and try again"))


def mark_deleted(conn: sa.Connection, ce: CompiledEntity, *, record_id: int, version: int, deleted: bool,
                 now: datetime, actor: Actor) -> None:
    """Move the record at ``version`` to the recycle bin (or back): ``deleted_at`` and a new version."""
    done = conn.execute(ce.table.update().where(ce.table.c.id == record_id, ce.table.c.version == version)
                        .values(deleted_at=now if deleted else None, version=version + 1, updated_at=now,
                                updated_by=actor.id))
    if done.rowcount != 1:
        raise ConflictError(Text("记录刚被他人修改", "the record was changed at the same moment"))


@contextmanager
def conflicts() -> Iterator[None]:
    """A constraint that a concurrent writer broke between our checks and our write is a Conflict."""
    try:
        yield
    except sa.exc.IntegrityError as exc:
        raise ConflictError(Text("保存时与同时进行的另一次修改冲突（唯一值已被占用），未保存任何内容；请重试",
                                 "a simultaneous change broke a constraint (a unique value was taken); nothing "
                                 "was saved — try again"), constraint=str(exc.orig).splitlines()[0][:200]) from None
