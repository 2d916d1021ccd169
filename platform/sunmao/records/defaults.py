"""Stage 2 of a write — defaults and formulas: what the record gets that nobody typed.

:func:`complete` fills a new record's defaults (literal or formula, look-ups first), completes
its child rows, reads its roll-ups and computes its formulas in order, then has
:mod:`.checks` judge the result (required fields, validation rules) — per record, children
before their parent, as the rules read them. :func:`follow` lets a formula default follow the
fields it reads on an edit. The rows that links point at are read once per write into a
:class:`~.context.Links` (:func:`prefetch`, :func:`linked`) and shared with the link checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from sunmao import clock
from sunmao.i18n import Text
from sunmao.meta.model import Field
from sunmao.records import checks, searchkey
from sunmao.records.compiled import CompiledEntity, CompiledLookup, coerce_result
from sunmao.records.context import Context, Errors, Links, chunks, empty, evaluate, join
from sunmao.rules import RuleError
from sunmao.rules.coerce import truthy
from sunmao.storage import Prepared


def _unset(record: Mapping[str, Any], key: str) -> bool:
    """Whether a default fills ``key``: nothing was given (absent, null or blank). An empty list
    given on purpose (no special process on this line) is the sender's value."""
    value = record.get(key)
    return value is None or value == ""


def complete(ctx: Context, ce: CompiledEntity, record: dict[str, Any], *, new: bool, errors: Errors,
             prefix: str = "", conn: sa.Connection | None = None, cache: Links | None = None) -> None:
    """Defaults (new records), child rows, roll-ups, computed fields, then required and rule checks."""
    cache = Links() if cache is None else cache
    data = linked(ctx, ce, record, conn=conn, cache=cache)
    if new:
        for f, literal, formula in ce.defaults:
            if _unset(record, f.key):
                if formula is None:
                    record[f.key] = literal
                else:
                    if ce.lookups:
                        _look_up(ctx, ce, conn=conn, record=record, data=data, cache=cache)
                    record[f.key] = _default(ce, f, formula, data=data, errors=errors, prefix=prefix)
                if data is not record:
                    data[f.key] = record[f.key]
        if ce.lookups:
            _look_up(ctx, ce, conn=conn, record=record, data=data, cache=cache)
    for f in ce.entity.table_fields:
        child = ctx.child(f)
        rows = record.get(f.key) or []
        for i, row in enumerate(rows):
            complete(ctx, child, row, new=row.get("id") is None, errors=errors, prefix=f"{join(prefix, f.key)}[{i}]",
                     conn=conn, cache=cache)
        record[f.key] = rows
        if data is not record:
            data[f.key] = rows
    if ce.rollups:
        values = rollup_values(ctx, ce, record, conn=conn)
        record.update(values)
        if data is not record:
            data.update(values)
    for f, fn in ce.computed:
        compute_one(ce, f, fn, record=record, data=data, errors=errors, prefix=prefix)
    searchkey.fill(ce.entity, record)
    checks.required(ce, record, errors=errors, prefix=prefix)
    checks.judge(ce.checks, record, data=data, errors=errors, prefix=prefix)


def _default(ce: CompiledEntity, f: Field, formula: Any, *, data: Any, errors: Errors, prefix: str) -> Any:
    ok, value = evaluate(formula, data, errors=errors, path=join(prefix, f.key), rule_name=f"{ce.key}.{f.key}.default")
    try:
        return coerce_result(f, value) if ok else None
    except (ValueError, ArithmeticError):
        return None


def follow(ctx: Context, ce: CompiledEntity, *, conn: sa.Connection, before: Mapping[str, Any],
           after: dict[str, Any], sent: Iterable[str], cache: Links, errors: Errors, prefix: str = "") -> None:
    """Formula defaults follow the fields they read until someone sets them: when an edit
    changes what a default reads, leaves the defaulted field alone, and the stored value is
    still what the default gave before, the default is computed again (the priority of an
    order whose customer changed from a B to an A customer)."""
    sent = set(sent)
    old_data: dict[str, Any] | None = None
    new_data: dict[str, Any] | None = None
    for f, _literal, formula in ce.defaults:
        reads = ce.default_reads.get(f.key)
        if formula is None or not reads or f.key in sent or all(before.get(k) == after.get(k) for k in reads):
            continue
        if old_data is None:
            old_data = dict(linked(ctx, ce, before, conn=conn, cache=cache))
        if _default(ce, f, formula, data=old_data, errors=Errors(), prefix=prefix) != before.get(f.key):
            continue  # set by someone: theirs to keep
        if new_data is None:
            new_data = dict(linked(ctx, ce, after, conn=conn, cache=cache))
        after[f.key] = new_data[f.key] = _default(ce, f, formula, data=new_data, errors=errors, prefix=prefix)


def compute_one(ce: CompiledEntity, f: Field, fn: Any, *, record: dict[str, Any], data: dict[str, Any],
                errors: Errors, prefix: str) -> None:
    """One computed field; ``data`` (the record as rules see it) follows the result. A formula
    that cannot be computed because a field it reads is still empty (a half-filled line: quantity
    without a price) is empty itself, not an error: ``required`` speaks for the missing field."""
    own = Errors()
    ok, value = evaluate(fn, data, errors=own, path=join(prefix, f.key), rule_name=f"{ce.key}.{f.key}")
    if not ok and not errors.items and not _unfilled(ce.formula_reads.get(f.key), data):
        for path, messages in own.items.items():
            for message in messages:
                errors.add(path, message)
    try:
        record[f.key] = coerce_result(f, value) if ok else None
    except (ValueError, ArithmeticError):
        record[f.key] = None
        errors.add(join(prefix, f.key), Text(f"公式结果 {value!r} 不是{f.value_type}",
                                             f"formula result {value!r} is not a {f.value_type}"))
    if data is not record:
        data[f.key] = record[f.key]


def _unfilled(reads: frozenset[str] | None, data: Mapping[str, Any]) -> bool:
    """True when a field the formula reads (``qty``, or the link of ``product.cost``) is empty."""
    return any(empty(data.get(key.split(".")[0])) for key in reads or ())


# -- the rows links point at ----------------------------------------------------------------

def _missing(links: Iterable[Field], record: Mapping[str, Any], cache: Links, wanted: dict[str, set[Any]]) -> None:
    """Add to ``wanted`` (target entity → ids) the linked rows of ``record`` not read yet."""
    for f in links:
        value = record.get(f.key)
        if value is not None and (f.to or "", value) not in cache.rows:
            wanted.setdefault(f.to or "", set()).add(value)


def linked(ctx: Context, ce: CompiledEntity, record: Mapping[str, Any], *, conn: sa.Connection | None,
           cache: Links, links: Sequence[Field] | None = None) -> dict[str, Any]:
    """The record as rules see it: link fields they read through (``customer.grade``) expanded."""
    links = ce.link_paths if links is None else links
    if not links and not ce.lookups:
        return record  # type: ignore[return-value]
    wanted: dict[str, set[int]] = {}
    _missing(links, record, cache, wanted)
    if wanted:
        with ctx.reading(conn) as own:
            fetch_links(ctx, own, wanted, cache)
    data = dict(record)
    for f in links:
        target_id = record.get(f.key)
        if target_id is not None:
            data[f.key] = cache.rows[(f.to or "", target_id)]
    _look_up(ctx, ce, conn=conn, record=record, data=data, cache=cache)
    return data


def _look_up(ctx: Context, ce: CompiledEntity, *, conn: sa.Connection | None, record: Mapping[str, Any],
             data: dict[str, Any], cache: Links) -> None:
    """Put each look-up's record (or None) into ``data``; found again only when the values it
    reads changed since (a default filled the order date meanwhile)."""
    for lookup in ce.lookups:
        key = (ce.key, lookup.key, lookup.params(record))
        if key not in cache.found:
            cache.found[key] = _find(ctx, lookup, conn=conn, record=record, data=data)
        data[lookup.key] = cache.found[key]


def _find(ctx: Context, lookup: CompiledLookup, *, conn: sa.Connection | None, record: Mapping[str, Any],
          data: Mapping[str, Any]) -> dict[str, Any] | None:
    if lookup.when is not None:
        try:
            if not truthy(lookup.when(data)):
                return None
        except RuleError:
            return None
    table = ctx.snapshot.tables[lookup.entity]
    order = [table.c[k].desc() if desc else table.c[k].asc() for k, desc in lookup.order_by]
    query = (sa.select(table).where(table.c.deleted_at.is_(None), lookup.clause(clock.today(), record=record))
             .order_by(*order, table.c.id.desc()).limit(1))
    with ctx.reading(conn) as reading:
        row = reading.execute(query).mappings().first()
    return dict(row) if row is not None else None


def prefetch(ctx: Context, ce: CompiledEntity, records: Sequence[Mapping[str, Any]], *, conn: sa.Connection,
             cache: Links, every_link: bool) -> None:
    """Read the rows that the records' links point at, one query per target entity (the rules
    of an order and of each of its lines read the customer and the products in two queries)."""
    wanted: dict[str, set[int]] = {}

    def collect(c: CompiledEntity, rec: Mapping[str, Any]) -> None:
        _missing(c.links if every_link else c.link_paths, rec, cache, wanted)
        for tf in c.entity.table_fields:
            child = ctx.child(tf)
            for row in rec.get(tf.key) or ():
                if isinstance(row, Mapping):
                    collect(child, row)

    for rec in records:
        collect(ce, rec)
    if wanted:
        fetch_links(ctx, conn, wanted, cache)


def fetch_links(ctx: Context, conn: sa.Connection, wanted: Mapping[str, set[int]], cache: Links) -> None:
    for target, ids in wanted.items():
        statement = ctx.snapshot.compiled[target].statements.by_ids
        for chunk in chunks(ids):
            chunk = [i for i in chunk if isinstance(i, int) and not isinstance(i, bool)]
            for row in statement.execute(conn, {"ids": chunk}).mappings() if chunk else ():
                key = (target, row["id"])
                cache.rows[key] = dict(row)
                if row["deleted_at"] is None:
                    cache.live.add(key)
        for i in ids:
            cache.rows.setdefault((target, i), {"id": i})


# -- roll-ups ------------------------------------------------------------------------------------

def rollup_values(ctx: Context, ce: CompiledEntity, record: Mapping[str, Any], *, conn: sa.Connection | None
                  ) -> dict[str, Any]:
    """Aggregates over the records that link here (a new record has none yet) or match it."""
    if record.get("id") is None and all(r.link is not None for r in ce.rollups):
        return {r.field.key: coerce_result(r.field, 0 if r.op in ("count", "sum") else None) for r in ce.rollups}
    query = _rollup_query(ctx, ce, clock.today())
    params = {"rollup_id": record.get("id"), **{f"rollup_{ours}": record.get(ours) for r in ce.rollups
                                                 for _theirs, ours in r.match}}
    with ctx.reading(conn) as reading:
        row = query.execute(reading, params).mappings()[0]
    out = {}
    for r in ce.rollups:
        value = row[r.field.key]
        if value is None and r.op == "sum":
            value = 0
        out[r.field.key] = coerce_result(r.field, value)
    return out


def _rollup_query(ctx: Context, ce: CompiledEntity, today: date) -> Prepared:
    """One SELECT of every roll-up of ``ce`` for the record ``:rollup_id`` (cached per day: the
    windows in roll-up conditions move with ``today``)."""
    key = (ce.key, today)
    query = ctx.rollup_sql.get(key)
    if query is None:
        columns = []
        record_id = sa.bindparam("rollup_id")
        for r in ce.rollups:
            table = ctx.snapshot.tables[r.source]
            measure = sa.func.count() if r.op == "count" else getattr(sa.func, r.op)(table.c[r.value_field])
            sub = sa.select(measure).where(table.c.deleted_at.is_(None))
            if r.link is not None:
                sub = sub.where(table.c[r.link] == record_id)
            for theirs, ours in r.match:
                sub = sub.where(table.c[theirs] == sa.bindparam(f"rollup_{ours}", type_=ce.table.c[ours].type))
            if r.where is not None:
                sub = sub.where(r.where(today))
            columns.append(sub.scalar_subquery().label(r.field.key))
        query = Prepared(sa.select(*columns))
        if len(ctx.rollup_sql) > 64:
            ctx.rollup_sql.clear()
        ctx.rollup_sql[key] = query
    return query
