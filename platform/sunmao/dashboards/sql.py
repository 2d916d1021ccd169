"""Dashboard queries as SQL: GROUP BY in the database, never rows aggregated in Python.

One SELECT per query (a number card with a comparison runs it twice, for two periods):

- group-bys and measures reach linked records through LEFT JOINs (``customer.grade``), a child
  entity's parent through its ``parent_id`` (``parent.status``);
- date buckets (day, week from Monday, month, quarter, year) are taken in the business time zone:
  ``date_trunc`` over ``AT TIME ZONE`` on PostgreSQL, ``date()`` modifiers over the zone's offset
  on SQLite (Asia/Shanghai keeps one offset all year);
- filters — the widget's, the board's, a drill-down's — are conditions on the base table, a
  linked field as ``link IN (SELECT id FROM target WHERE ...)``: exactly what the list screens
  and the API do with ``customer.grade=A``, so a drill-down list counts what the bar counts;
- the reader's row scope (``RecordService.read_scope``) is AND'ed into the same WHERE;
- stage durations join a per-record aggregate of ``sm_stage``; percentiles are
  ``percentile_cont`` on PostgreSQL and, on SQLite (which has none), the same interpolation
  over ``row_number()`` windows in a two-level query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from sunmao.dashboards.model import Condition, Measure, Path, Query
from sunmao.records.stages import stage as stage_table
from sunmao.storage.types import UTCDateTime

UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}

#: A filter as the API writes it: (path, op, value) with ``value`` already a Python value.
Cond = tuple[Path, str, Any]


@dataclass(frozen=True)
class Env:
    """What a query needs besides itself: the snapshot, dialect, clock, zone and the reader's scope."""

    snapshot: Any
    dialect: str
    zone: ZoneInfo
    today: date
    now: datetime
    scope: Any = None  # SQL condition over the top entity's table, or None
    #: The reader's row scope over other entities a condition counts (``has``), by entity.
    scopes: Mapping[str, Any] | None = None
    #: The workflow calendar's working clock now (open stays count until now), per top entity.
    now_work: int | None = None


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), zone)


class Builder:
    """Builds the SELECT of one query: FROM with joins, WHERE, and the expressions of paths."""

    def __init__(self, query: Query, env: Env):
        self.query = query
        self.env = env
        self.snapshot = env.snapshot
        self.base = self.snapshot.tables[query.entity]
        self.from_: Any = self.base
        self._joined: dict[tuple[tuple[str, str], ...], Any] = {(): self.base}
        self.top = self.base if query.top == query.entity else self._table((("parent", query.top),))

    # -- joins and paths ------------------------------------------------------------------

    def _table(self, hops: tuple[tuple[str, str], ...]) -> Any:
        """The table at the end of ``hops``, joined once (links LEFT OUTER, a parent INNER)."""
        if hops in self._joined:
            return self._joined[hops]
        previous = self._table(hops[:-1])
        link, target = hops[-1]
        if link == "parent":  # the real table: the row scope is written over it
            table = self.snapshot.tables[target]
            self.from_ = self.from_.join(table, previous.c.parent_id == table.c.id)
        else:
            table = self.snapshot.tables[target].alias(f"j{len(self._joined)}")
            self.from_ = self.from_.outerjoin(table, table.c.id == previous.c[link])
        self._joined[hops] = table
        return table

    def column(self, path: Path) -> Any:
        return self._table(path.hops).c[path.column]

    def bucket(self, path: Path, bucket: str | None) -> Any:
        """A date path as its bucket's first day (ISO text on SQLite, a date on PostgreSQL)."""
        col = self.column(path)
        if bucket is None:
            return col
        if self.env.dialect == "postgresql":
            local = sa.func.timezone(self.env.zone.key, col) if path.value_type == "datetime" else col
            if bucket == "day":
                return sa.cast(local, sa.Date)
            return sa.cast(sa.func.date_trunc(bucket, local), sa.Date)
        if path.value_type == "datetime":
            offset = int(self.env.zone.utcoffset(self.env.now.replace(tzinfo=None)).total_seconds() // 60)
            local = sa.func.date(col, f"{offset:+d} minutes", type_=sa.String)
        else:
            local = sa.func.date(col, type_=sa.String)
        if bucket == "day":
            return local
        if bucket == "week":
            return sa.func.date(local, "weekday 0", "-6 days", type_=sa.String)
        if bucket == "month":
            return sa.func.date(local, "start of month", type_=sa.String)
        if bucket == "year":
            return sa.func.date(local, "start of year", type_=sa.String)
        back = (sa.cast(sa.func.strftime("%m", local), sa.Integer) - 1) % 3
        return sa.func.date(local, "start of month", sa.literal("-") + sa.cast(back, sa.String) + " months",
                            type_=sa.String)

    # -- conditions -----------------------------------------------------------------------

    def condition(self, path: Path, op: str, value: Any, table: Any = None) -> Any:
        """``path op value`` over ``table`` (the base by default), a linked field through ``IN``."""
        if table is None and path.hops and path.hops[0][0] == "parent":  # the parent is joined already
            return path_condition(self.snapshot, self.top, path.hops[1:], path.column, path.value_type, op, value,
                                  self.env)
        table = self.base if table is None else table
        return path_condition(self.snapshot, table, path.hops, path.column, path.value_type, op, value, self.env)

    def where(self, extra: Sequence[Cond] = ()) -> list[Any]:
        q, env = self.query, self.env
        clauses: list[Any] = [self.top.c.deleted_at.is_(None)]
        for f in q.filters:
            clauses.append(self.condition(f.path, f.op, resolve_value(f.value, env.today)))
        if q.where is not None:
            clauses.append(q.where(env.today))
        for path, op, value in extra:
            clauses.append(self.condition(path, op, value))
        if env.scope is not None:
            clauses.append(env.scope)
        return clauses

    def when(self, conditions: Sequence[Condition], extra_for: Callable[[str], Sequence[Cond]]) -> Any:
        parts = []
        for c in conditions:
            if c.kind == "where":
                parts.append(c.where(self.env.today))
            elif c.kind == "took":
                s = stage_table.alias("took")
                parts.append(sa.exists(sa.select(sa.literal(1)).where(
                    s.c.entity == self.query.top, s.c.record_id == self.top.c.id, s.c.action.in_(c.actions))))
            else:
                related = self.snapshot.tables[c.entity].alias(f"has_{c.entity}")
                inner = [related.c[c.link] == self.top.c.id, related.c.deleted_at.is_(None)]
                if c.where is not None:
                    inner.append(_rebind(c.where(self.env.today), self.snapshot.tables[c.entity], related))
                scope = (self.env.scopes or {}).get(c.entity)
                if scope is not None:
                    inner.append(_rebind(scope, self.snapshot.tables[c.entity], related))
                for path, op, value in extra_for(c.entity):
                    inner.append(path_condition(self.snapshot, related, path.hops, path.column, path.value_type,
                                                op, value, self.env))
                if c.minimum <= 1:
                    parts.append(sa.exists(sa.select(sa.literal(1)).where(*inner)))
                else:
                    count = sa.select(sa.func.count()).where(*inner).scalar_subquery()
                    parts.append(count >= c.minimum)
        return sa.or_(*parts) if len(parts) > 1 else parts[0]

    # -- stage durations ------------------------------------------------------------------

    def seconds(self, start: Any, end: Any) -> Any:
        if self.env.dialect == "postgresql":
            return sa.extract("epoch", end - start)
        return (sa.func.julianday(end) - sa.func.julianday(start)) * 86400.0

    def duration(self, m: Measure) -> Any:
        """Seconds (in ``m.unit``) per record of the top entity, from its stage history."""
        s = stage_table.alias(f"st_{m.key}")
        rid = s.c.record_id
        if m.states:
            if m.working:
                now = sa.literal(self.env.now_work or 0, sa.BigInteger)
                secs = sa.func.sum(sa.func.coalesce(s.c.left_work, now) - s.c.entered_work)
            else:
                secs = sa.func.sum(self.seconds(s.c.entered_at,
                                                sa.func.coalesce(s.c.left_at, sa.literal(self.env.now, UTCDateTime()))))
            sub = (sa.select(rid.label("rid"), secs.label("secs"))
                   .where(s.c.entity == self.query.top, s.c.state.in_(m.states)).group_by(rid).subquery(f"d_{m.key}"))
            value = sub.c.secs
        else:
            def first(state: str, column: Any) -> Any:
                return sa.func.min(sa.case((s.c.state == state, column)))
            pairs = (sa.select(rid.label("rid"), first(m.start or "", s.c.entered_at).label("a"),
                               first(m.end or "", s.c.entered_at).label("b"),
                               first(m.start or "", s.c.entered_work).label("aw"),
                               first(m.end or "", s.c.entered_work).label("bw"))
                     .where(s.c.entity == self.query.top, s.c.state.in_((m.start, m.end))).group_by(rid)
                     .subquery(f"d_{m.key}"))
            between = (pairs.c.bw - pairs.c.aw) if m.working else self.seconds(pairs.c.a, pairs.c.b)
            value = sa.case((pairs.c.b >= pairs.c.a, between))
            sub = pairs
        self.from_ = self.from_.outerjoin(sub, sub.c.rid == self.top.c.id)
        return sa.cast(value, sa.Float) / UNIT_SECONDS[m.unit]


def _rebind(clause: Any, table: sa.Table, alias: Any) -> Any:
    """A clause written over ``table`` moved onto its alias (a correlated subquery of the same table)."""
    from sqlalchemy.sql.util import ClauseAdapter

    return ClauseAdapter(alias).traverse(clause) if alias is not table else clause


def resolve_value(value: Any, today: date) -> Any:
    """``{"today": n}`` in a filter value: today plus n days (a window that moves daily)."""
    if isinstance(value, dict) and "today" in value:
        return today + timedelta(days=int(value["today"] or 0))
    return value


def _coerce(value: Any, value_type: str, zone: ZoneInfo) -> Any:
    if value is None:
        return None
    if value_type == "date" and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if value_type == "datetime":
        if isinstance(value, str):
            value = datetime.fromisoformat(value) if "T" in value or " " in value else date.fromisoformat(value)
        if isinstance(value, date) and not isinstance(value, datetime):
            return local_midnight(value, zone)
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if value_type == "integer" and isinstance(value, str):
        return int(value)
    if value_type == "decimal" and isinstance(value, str | int | float):
        return Decimal(str(value))
    if value_type == "boolean" and isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return value


def path_condition(snapshot: Any, table: Any, hops: Sequence[tuple[str, str]], column: str, value_type: str,
                   op: str, value: Any, env: Env) -> Any:
    """``column op value`` at the end of ``hops`` from ``table``: nested ``IN (SELECT id ...)``."""
    if hops:
        link, target = hops[0]
        other = snapshot.tables[target]
        inner = sa.select(other.c.id).where(path_condition(snapshot, other, hops[1:], column, value_type, op,
                                                           value, env))
        return (table.c.parent_id if link == "parent" else table.c[link]).in_(inner)
    col = table.c[column]
    if op == "is_null":
        flag = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
        return col.is_(None) if flag else col.is_not(None)
    if op == "in":
        items = value if isinstance(value, list | tuple) else [v for v in str(value).split(",") if v != ""]
        return col.in_([_coerce(v, value_type, env.zone) for v in items])
    if op == "like":
        text = str(value)
        return col.ilike(text if ("%" in text or "_" in text) else f"%{text}%")
    value = _coerce(value, value_type, env.zone)
    return {"eq": col.__eq__, "ne": col.__ne__, "lt": col.__lt__, "le": col.__le__, "gt": col.__gt__,
            "ge": col.__ge__}[op](value)


# -- aggregates --------------------------------------------------------------------------

def _aggregate(op: str, arg: Any, m: Measure, dialect: str) -> Any:
    if op == "count":
        return sa.func.count() if arg is None else sa.func.count(arg)
    if op == "count_distinct":
        return sa.func.count(sa.distinct(arg))
    if op == "percentile":
        return sa.func.percentile_cont(m.p).within_group(arg)
    fn = {"sum": sa.func.sum, "avg": sa.func.avg, "min": sa.func.min, "max": sa.func.max}[op]
    return fn(sa.cast(arg, sa.Float) if op == "avg" else arg)


def _formula(expr: Any, values: Mapping[str, Any]) -> Any:
    """JSONLogic arithmetic over measures, in SQL; a division by zero is NULL."""
    if isinstance(expr, int | float) and not isinstance(expr, bool):
        return sa.literal(float(expr), sa.Float)
    if isinstance(expr, dict) and len(expr) == 1:
        (op, args), = expr.items()
        if op == "var":
            return sa.cast(values[args if isinstance(args, str) else args[0]], sa.Float)
        args = [_formula(a, values) for a in (args if isinstance(args, list) else [args])]
        if op == "+":
            return sum(args[1:], args[0])
        if op == "*":
            out = args[0]
            for a in args[1:]:
                out = out * a
            return out
        if op == "-":
            return -args[0] if len(args) == 1 else args[0] - args[1]
        if op == "/":
            return args[0] / sa.func.nullif(args[1], 0)
    raise ValueError(f"unsupported formula node {expr!r}: use numbers, var, + - * /")


def _measure_input(b: Builder, m: Measure, extra_for: Callable[[str], Sequence[Cond]]) -> tuple[str, Any]:
    """(aggregate op, per-row argument or None for count(*)) of a measure."""
    if m.op == "duration":
        value, op = b.duration(m), m.aggregate
    elif m.op == "count":
        value, op = None, "count"
    else:
        value, op = b.column(m.path) if m.path is not None else None, m.op  # type: ignore[arg-type]
    if m.when:
        condition = b.when(m.when, extra_for)
        value = sa.case((condition, sa.literal(1) if value is None else value))
    return op, value


def aggregate_select(query: Query, env: Env, extra: Sequence[Cond] = (),
                     extra_for: Callable[[str], Sequence[Cond]] = lambda _e: ()) -> sa.Select:
    """The SELECT of an aggregate query: one row per group, columns ``g0..`` then measure keys."""
    b = Builder(query, env)
    groups = [b.bucket(g.path, g.bucket) for g in query.groups]
    inputs = {m.key: _measure_input(b, m, extra_for) for m in query.measures if m.op != "formula"}
    where = b.where(extra)
    windowed = env.dialect != "postgresql" and any(m.op == "percentile" or (m.op == "duration" and
                                                                            m.aggregate == "percentile")
                                                   for m in query.measures)
    aggs: dict[str, Any] = {}
    if not windowed:
        for m in query.measures:
            if m.op != "formula":
                op, arg = inputs[m.key]
                aggs[m.key] = _aggregate(op, arg, m, env.dialect)
        group_cols = [g.label(f"g{i}") for i, g in enumerate(groups)]
        select_from, group_by = b.from_, groups
    else:
        inner_cols = [g.label(f"g{i}") for i, g in enumerate(groups)]
        for i, m in enumerate(query.measures):
            if m.op == "formula":
                continue
            op, arg = inputs[m.key]
            inner_cols.append((arg if arg is not None else sa.literal(1)).label(f"a{i}"))
            if op == "percentile":
                inner_cols.append(sa.func.row_number().over(partition_by=groups, order_by=arg.asc().nulls_last())
                                  .label(f"rn{i}"))
                inner_cols.append(sa.func.count(arg).over(partition_by=groups).label(f"n{i}"))
        inner = sa.select(*inner_cols).select_from(b.from_).where(*where).subquery("rows")
        for i, m in enumerate(query.measures):
            if m.op == "formula":
                continue
            op, arg = inputs[m.key]
            x = inner.c[f"a{i}"]
            if op == "percentile":
                n, rn = inner.c[f"n{i}"], inner.c[f"rn{i}"]
                pos = (n - 1) * float(m.p or 0.5)
                lo = sa.cast(pos, sa.Integer)
                frac = pos - lo
                value = sa.func.sum(sa.case((rn - 1 == lo, x * (1 - frac)), (rn - 1 == lo + 1, x * frac), else_=0))
                aggs[m.key] = sa.case((sa.func.max(n) > 0, value))
            else:
                aggs[m.key] = _aggregate(op, None if (op == "count" and arg is None) else x, m, env.dialect)
        group_cols = [inner.c[f"g{i}"].label(f"g{i}") for i in range(len(groups))]
        select_from, group_by, where = inner, [inner.c[f"g{i}"] for i in range(len(groups))], []
    for m in query.measures:
        if m.op == "formula":
            aggs[m.key] = _formula(m.formula, aggs)
    columns = group_cols + [expr.label(key) for key, expr in aggs.items()]
    stmt = sa.select(*columns).select_from(select_from).where(*where)
    if group_by:
        stmt = stmt.group_by(*group_by)
    order = []
    labels = {g.path.text: f"g{i}" for i, g in enumerate(query.groups)}
    for key, desc in query.sort:
        name = labels.get(key, key)
        expr = sa.literal_column(name) if name in aggs or name in labels.values() else None
        if expr is not None:
            order.append(expr.desc().nulls_last() if desc else expr.asc().nulls_last())
    if not order and group_by:
        order = [sa.literal_column(f"g{i}") for i in range(len(groups))]
    stmt = stmt.order_by(*order)
    if query.limit:
        stmt = stmt.limit(query.limit)
    return stmt


def rows_select(query: Query, env: Env, extra: Sequence[Cond] = (), paths: Sequence[Path] = ()) -> sa.Select:
    """The SELECT of a record list (tables, Gantt charts): ``id`` and each path, labelled by its text."""
    b = Builder(query, env)
    wanted = list({p.text: p for p in list(query.columns) + list(paths)}.values())
    columns = [b.top.c.id.label("id")] + [b.column(p).label(p.text) for p in wanted]
    stmt = sa.select(*columns).select_from(b.from_).where(*b.where(extra))
    order = []
    for key, desc in query.sort:
        if any(p.text == key for p in wanted):
            expr = sa.literal_column(f'"{key}"')
            order.append(expr.desc().nulls_last() if desc else expr.asc().nulls_last())
    stmt = stmt.order_by(*order, b.top.c.id.desc())
    return stmt.limit(query.limit or 100)


def late_select(query: Query, env: Env, state: str | None, since: Path | None, cutoff: Any, working: bool
                ) -> sa.Select:
    """Records of ``query`` late by one check: in ``state`` since before ``cutoff`` (a moment, or a
    working-clock reading), or with ``since`` before ``cutoff`` (a date or moment)."""
    b = Builder(query, env)
    columns = [b.top.c.id.label("id"), b.top.c.name.label("name")] + [b.column(p).label(p.text) for p in query.columns]
    where = b.where()
    if state is not None and since is None:
        s = stage_table.alias("open_stay")
        b.from_ = b.from_.join(s, sa.and_(s.c.record_id == b.top.c.id, s.c.entity == query.top,
                                          s.c.left_at.is_(None), s.c.state == state))
        columns += [s.c.entered_at.label("since"), s.c.entered_work.label("since_work")]
        where.append(s.c.entered_work < cutoff if working else s.c.entered_at < cutoff)
    else:
        col = b.column(since)  # type: ignore[arg-type]
        columns.append(col.label("since"))
        where.append(col < cutoff)
    return sa.select(*columns).select_from(b.from_).where(*where)
