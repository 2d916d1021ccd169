"""Running a board's widgets for a reader: permissions, board filters, the cache, drill-downs.

Every path — the widget on screen, its Excel export, the drill-down list, a cached result —
goes through :meth:`DashboardService.data`, which checks the reader's rights first:

- the reader's roles must read every entity a query touches (the base, linked records whose
  fields it groups or filters by, related records it counts), else the widget says so;
- a field hidden from the reader's roles is never grouped, summed or listed;
- the row scope of the reader (``RecordService.read_scope``: "mine", department, row rules) is
  part of the query's WHERE, so a sales rep's board counts their orders only.

Results are cached per process, keyed by the snapshot version, the widget, the board filters,
the reader's scope (its SQL with values) and the data versions of every entity read
(``records/versions.py``: the latest audit entry of each, written with each write): a write to an order changes
the key, so nobody is served an aggregate older than their last save. ``cache_seconds`` bounds
the age of results that depend on the clock (time in a stage until now).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

from sunmao import clock
from sunmao.dashboards.model import (
    EMPTY,
    Board,
    BoardFilter,
    Dashboards,
    FieldFilter,
    Path,
    PathError,
    Query,
    Widget,
    resolve,
)
from sunmao.dashboards.sql import Cond, Env, aggregate_select, late_select, local_midnight, resolve_value, rows_select
from sunmao.errors import Forbidden, NotFound
from sunmao.i18n import Text
from sunmao.records import Actor, RecordService
from sunmao.records import versions as data_versions
from sunmao.records.values import json_value

CACHE_SIZE = 512
PRESETS = ("this_week", "this_month", "this_quarter", "this_year", "last_7_days", "last_30_days", "last_90_days",
           "last_365_days", "all")


class _Cache:
    """A small LRU of query results per process, with an age limit per entry."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = size
        self.items: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Any, max_age: float) -> Any:
        with self.lock:
            found = self.items.get(key)
            if found is None or time.monotonic() - found[0] > max_age:
                self.misses += 1
                return None
            self.items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: Any, value: Any) -> None:
        with self.lock:
            self.items[key] = (time.monotonic(), value)
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()


CACHE = _Cache()


class Denied(Exception):
    """The reader may not see what a widget shows; the message says why (both languages)."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


@dataclass
class Result:
    """What a widget's query returned: rows of plain values (dates as ISO text)."""

    rows: list[dict[str, Any]]
    previous: list[dict[str, Any]] | None = None
    cached: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def period_range(value: Any, today: date) -> tuple[date, date] | None:
    """A date range filter's value: a preset name or ``YYYY-MM-DD..YYYY-MM-DD``; None means all dates."""
    if value in (None, "", "all"):
        return None
    if isinstance(value, str) and ".." in value:
        start, _, end = value.partition("..")
        return date.fromisoformat(start), date.fromisoformat(end)
    if isinstance(value, str) and value.startswith("last_") and value.endswith("_days"):
        days = int(value.removeprefix("last_").removesuffix("_days"))
        return today - timedelta(days=days - 1), today
    if value == "this_week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if value == "this_month":
        start = today.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if value == "this_quarter":
        start = today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
        end = (start + timedelta(days=93)).replace(day=1) - timedelta(days=1)
        return start, end
    if value == "this_year":
        return today.replace(month=1, day=1), today.replace(month=12, day=31)
    raise ValueError(f"unknown period {value!r}; use one of {', '.join(PRESETS)} or YYYY-MM-DD..YYYY-MM-DD")


def previous_range(span: tuple[date, date]) -> tuple[date, date]:
    """The period of the same length just before ``span`` (the comparison of a number card)."""
    length = (span[1] - span[0]).days + 1
    return span[0] - timedelta(days=length), span[0] - timedelta(days=1)


class DashboardService:
    def __init__(self, records: RecordService, *, cache: bool = True):
        self.records = records
        #: False for the designer's preview: its draft widgets share keys and versions with the published ones
        self.cache = cache
        self.snapshot = records.snapshot
        self.db = records.db

    @property
    def feature(self) -> Dashboards:
        return self.snapshot.features.get("dashboards") or EMPTY

    # -- boards ---------------------------------------------------------------------------

    def boards_for(self, actor: Actor) -> list[Board]:
        return [b for b in self.feature.boards.values() if actor.system or b.open_to(actor.roles)]

    def board(self, key: str, actor: Actor) -> Board:
        board = self.feature.boards.get(key)
        if board is None:
            raise NotFound(Text(f"没有名为 {key} 的看板", f"there is no board named {key!r}"))
        if not actor.system and not board.open_to(actor.roles):
            raise Forbidden(Text(f"你的角色不能查看看板“{board.label.zh}”",
                                 f"your role may not open “{board.label.en}”"))
        return board

    def state(self, board: Board, args: Mapping[str, str]) -> dict[str, Any]:
        """The board filters' values: from the request, else their defaults."""
        out: dict[str, Any] = {}
        for f in board.filters:
            raw = args.get(f.key)
            value = raw if raw not in (None, "") else f.default
            if f.type == "date_range":
                value = value or "all"
                period_range(value, clock.today())  # refuse a bad value early
            elif f.type == "link" and value not in (None, ""):
                value = int(value)
            out[f.key] = value if value not in ("",) else None
        return out

    def conditions(self, board: Board, widget: Widget | None, entity: str, state: Mapping[str, Any],
                   period: tuple[date, date] | None = None) -> list[Cond]:
        """The board filters as conditions on ``entity`` (those mapped for it and not ignored)."""
        out: list[Cond] = []
        for f in board.filters:
            if widget is not None and f.key in widget.ignore_filters:
                continue
            path = f.fields.get(entity)
            value = state.get(f.key)
            if path is None or value is None:
                continue
            if f.type == "date_range":
                span = period if period is not None else period_range(value, clock.today())
                if span is not None:
                    out += date_conditions(path, span)
            else:
                out.append((path, "eq", value))
        return out

    # -- permissions ------------------------------------------------------------------------

    def _entities(self, query: Query, board: Board | None = None, extra_paths: tuple[Path, ...] = ()) -> set[str]:
        found = {query.entity, query.top}
        for path in list(query.paths) + list(extra_paths):
            found |= {target for _link, target in path.hops}
        for m in query.measures:
            found |= {c.entity for c in m.when if c.kind == "has"}
        if board is not None:
            for f in board.filters:
                for path in f.fields.values():
                    found |= {target for _link, target in path.hops}
        return found

    def check(self, query: Query, actor: Actor, extra_paths: tuple[Path, ...] = ()) -> None:
        """Refuse (Denied) a query that reads an entity or a field the reader's roles may not."""
        for entity in sorted(self._entities(query, None, extra_paths) - {query.entity} | {query.top}):
            if not actor.can(self.snapshot.entities[entity], "read"):
                label = self.snapshot.entities[entity].label
                raise Denied(Text(f"你的角色不能查看{label.zh}", f"your role may not read {label.en} records"))
        for path in list(query.paths) + list(extra_paths):
            owner = path.entity if not self.snapshot.entities[path.entity].child else None
            if owner is not None and path.column in self.records.hidden_fields(owner, actor):
                raise Denied(Text(f"“{path.label.zh}”对你的角色不可见", f"“{path.label.en}” is hidden from your role"))

    def scope_key(self, conn: sa.Connection, entity: str, actor: Actor) -> tuple[Any, str]:
        scope = self.records.read_scope(conn, entity, actor)
        if scope is None:
            return None, ""
        return scope, str(scope.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))

    # -- running ----------------------------------------------------------------------------

    def env(self, conn: sa.Connection, query: Query, actor: Actor) -> tuple[Env, tuple[Any, ...]]:
        scope, key = self.scope_key(conn, query.top, actor)
        scopes, keys = {}, [key]
        for m in query.measures:
            for c in m.when:
                if c.kind == "has":
                    scopes[c.entity], other = self.scope_key(conn, c.entity, actor)
                    keys.append(other)
        now = datetime.now(clock.BUSINESS_ZONE)
        flow = (self.snapshot.features.get("workflows") or {}).get(query.top)
        reading = getattr(getattr(flow, "calendar", None), "working_clock", None)
        env = Env(self.snapshot, conn.dialect.name, clock.BUSINESS_ZONE, clock.today(), now, scope, scopes,
                  reading(now) if reading else None)
        return env, tuple(keys)

    def run(self, query: Query, actor: Actor, conds: list[Cond], *, cache_key: Any = None, max_age: float = 300,
            board: Board | None = None, widget: Widget | None = None, state: Mapping[str, Any] | None = None,
            extra_paths: tuple[Path, ...] = ()) -> tuple[list[dict[str, Any]], bool]:
        """Rows of ``query`` for ``actor`` under ``conds``; the second value says whether from the cache."""
        self.check(query, actor, extra_paths)
        with self.db.read() as conn:
            env, scope_keys = self.env(conn, query, actor)
            versions = data_versions.read(conn, self._entities(query, board, extra_paths))
            # the database too: two installations (or test databases) in one process share no results
            key = (self.db.url.render_as_string(hide_password=True), self.snapshot.version, cache_key,
                   tuple(sorted(_freeze(conds))), scope_keys, versions)
            found = CACHE.get(key, max_age) if cache_key is not None and self.cache else None
            if found is not None:
                return found, True

            def extra_for(entity: str) -> list[Cond]:
                return self.conditions(board, widget, entity, state or {}) if board is not None else []

            if query.is_rows:
                stmt = rows_select(query, env, conds, extra_paths)
            else:
                stmt = aggregate_select(query, env, conds, extra_for)
            rows = [{k: _plain(v) for k, v in r.items()} for r in conn.execute(stmt).mappings()]
        if cache_key is not None and self.cache:
            CACHE.put(key, rows)
        return rows, False

    def data(self, board: Board, widget: Widget, actor: Actor, state: Mapping[str, Any]) -> Result:
        """The rows behind one widget (and, for a number card, those of the previous period)."""
        query = widget.query
        if query is None:
            raise Denied(Text("此部件没有查询", "this widget has no query"))
        conds = self.conditions(board, widget, query.entity, state)
        extra = tuple(widget.paths.values())
        key = (board.key, widget.id, "now")
        rows, cached = self.run(query, actor, conds, cache_key=key, max_age=board.cache_seconds, board=board,
                                widget=widget, state=state, extra_paths=extra)
        result = Result(rows, cached=cached)
        if widget.type == "number" and widget.options.get("compare", True):
            span = self._period(board, widget, query.entity, state)
            if span is not None:
                before = previous_range(span)
                conds = self.conditions(board, widget, query.entity, state, period=before)
                result.previous, _ = self.run(query, actor, conds, cache_key=(board.key, widget.id, "previous"),
                                              max_age=board.cache_seconds, board=board, widget=widget, state=state)
                result.extra["previous_period"] = before
        return result

    def _period(self, board: Board, widget: Widget, entity: str, state: Mapping[str, Any]) -> tuple[date, date] | None:
        for f in board.filters:
            if f.type == "date_range" and f.key not in widget.ignore_filters and entity in f.fields:
                return period_range(state.get(f.key), clock.today())
        return None

    def late(self, widget: Widget, actor: Actor) -> list[dict[str, Any]]:
        """The records a ``late`` widget lists: per check, those in a state (or past a date) longer than
        expected, with the owner and how many days late — most late first."""
        spec = widget.late
        if spec is None:
            return []
        flow = (self.snapshot.features.get("workflows") or {}).get(spec.entity)
        columns = tuple(([spec.owner] if spec.owner is not None else []) + list(spec.columns))
        found: list[dict[str, Any]] = []
        for check in spec.checks:
            filters = (FieldFilter(resolve(self.snapshot, spec.entity, flow.state_field), "eq", check.state),) \
                if check.state is not None and flow is not None else ()
            query = Query(entity=spec.entity, top=spec.entity, filters=filters, where=check.where, columns=columns)
            self.check(query, actor)
            calendar = getattr(flow, "calendar", None)
            workday = (_seconds_of(calendar.day_end) - _seconds_of(calendar.day_start)) if calendar else 8 * 3600
            with self.db.read() as conn:
                env, _keys = self.env(conn, query, actor)
                working = check.working and check.since is None and env.now_work is not None
                if check.since is not None and check.since.value_type == "date":
                    cutoff: Any = env.today - timedelta(days=check.days)
                elif working:
                    cutoff = (env.now_work or 0) - int(check.days * workday)
                else:
                    cutoff = env.now - timedelta(days=check.days)
                stmt = late_select(query, env, check.state, check.since, cutoff, working)
                rows = [dict(r) for r in conn.execute(stmt).mappings()]
            for row in rows:
                since = row["since"]
                if working:
                    elapsed = ((env.now_work or 0) - row["since_work"]) / workday
                elif isinstance(since, datetime):
                    elapsed = (env.now - since).total_seconds() / 86400
                else:
                    elapsed = (env.today - since).days
                found.append({**{k: _plain(v) for k, v in row.items() if k != "since_work"}, "check": check.key,
                              "check_label": check.label.as_dict(), "days_late": round(elapsed - check.days, 1),
                              "owner": row.get(spec.owner.text) if spec.owner is not None else None})
        found.sort(key=lambda r: (-r["days_late"], r["id"]))
        return found

    # -- drill-down -------------------------------------------------------------------------

    def drill(self, board: Board, widget: Widget, state: Mapping[str, Any], group: Mapping[str, Any] | None
              ) -> str | None:
        """The list screen URL of the records behind a point: the widget's filters, the board's
        filters and the point's own group values, in the API's filter syntax; None when some
        condition cannot be said that way (a JSONLogic ``or``, a field two links away...)."""
        query = widget.query
        if query is None or query.entity != query.top:
            return None
        conds: list[Cond] = []
        for f in query.filters:
            conds.append((f.path, f.op, resolve_value(f.value, clock.today())))
        if query.where_doc is not None:
            translated = where_to_filters(query.where_doc, self.snapshot, query.entity, clock.today())
            if translated is None:
                return None
            conds += translated
        conds += self.conditions(board, widget, query.entity, state)
        for i, g in enumerate(query.groups if group is not None else ()):
            value = group.get(f"g{i}")  # type: ignore[union-attr]
            if value is None:
                if g.path.hops:
                    return None
                conds.append((g.path, "is_null", True))
            elif g.bucket:
                start = date.fromisoformat(str(value)[:10])
                conds += date_conditions(g.path, (start, bucket_end(start, g.bucket)))
            else:
                conds.append((g.path, "eq", value))
        return list_url(query.entity, conds)


def _seconds_of(moment: Any) -> int:
    return moment.hour * 3600 + moment.minute * 60 + moment.second


def _freeze(conds: list[Cond]) -> list[tuple[str, str, str]]:
    return [(p.text, op, repr(v)) for p, op, v in conds]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def date_conditions(path: Path, span: tuple[date, date]) -> list[Cond]:
    """A closed date range on a date path; on a datetime path, the local days from midnight to midnight."""
    start, end = span
    if path.value_type == "datetime":
        zone = clock.BUSINESS_ZONE
        return [(path, "ge", local_midnight(start, zone)), (path, "lt", local_midnight(end + timedelta(days=1), zone))]
    return [(path, "ge", start), (path, "le", end)]


def bucket_end(start: date, bucket: str) -> date:
    """The last day of the bucket that starts on ``start``."""
    if bucket == "day":
        return start
    if bucket == "week":
        return start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def list_url(entity: str, conds: list[Cond]) -> str | None:
    """``/app/<entity>?...`` with the conditions merged per parameter (the tighter bound wins)."""
    params: dict[str, Any] = {}
    for path, op, value in conds:
        if len(path.hops) > 1 or any(link == "parent" for link, _t in path.hops):
            return None
        name = path.text if op == "eq" else f"{path.text}__{op}"
        if isinstance(value, list | tuple):
            value = ",".join(str(json_value(v)) for v in value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        else:
            value = json_value(value)
        if name in params and params[name] != value:
            if op in ("ge", "gt"):
                value = max(params[name], value)
            elif op in ("le", "lt"):
                value = min(params[name], value)
            elif op == "in":
                value = ",".join(v for v in str(params[name]).split(",") if v in str(value).split(","))
            else:
                return None
        params[name] = value
    return f"/app/{entity}?" + urlencode(params)


def where_to_filters(rule: Any, snapshot: Any, entity: str, today: date) -> list[Cond] | None:
    """A JSONLogic condition as API filters when it is an ``and`` of simple comparisons of a field
    with a value (``in`` a list, ``==``, ``<``...); None otherwise."""
    ops = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
    items = rule["and"] if isinstance(rule, dict) and "and" in rule else [rule]
    out: list[Cond] = []
    for item in items:
        if not isinstance(item, dict) or len(item) != 1:
            return None
        (op, args), = item.items()
        if op not in ops and op != "in" or not isinstance(args, list) or len(args) != 2:
            return None
        field_ref, value = args
        if not (isinstance(field_ref, dict) and isinstance(field_ref.get("var"), str)):
            return None
        if isinstance(value, dict) and "today" in value:
            value = today
        elif isinstance(value, dict) and "add_days" in value:
            base, days = value["add_days"]
            if not (isinstance(base, dict) and "today" in base):
                return None
            value = today + timedelta(days=days)
        try:
            path = resolve(snapshot, entity, field_ref["var"])
        except PathError:
            return None
        if op == "in":
            if not isinstance(value, list):
                return None
            out.append((path, "in", value))
        elif value is None and op in ("==", "!="):
            out.append((path, "is_null", op == "=="))
        else:
            out.append((path, ops[op], value))
    return out


def board_filter_options(service: DashboardService, f: BoardFilter, actor: Actor, lang: str
                         ) -> list[tuple[str, str]]:
    """(value, label) choices of a link or select board filter the reader may see."""
    if f.type == "select" and f.options_from is not None:
        field_ = f.options_from.field
        return [(o.value, o.label.get(lang)) for o in (field_.options if field_ is not None else ())]
    if f.type == "link" and f.entity:
        entity = service.snapshot.entities[f.entity]
        if not actor.can(entity, "read"):
            return []
        table = service.snapshot.tables[f.entity]
        title = entity.title_field if entity.title_field in table.c else "name"
        with service.db.read() as conn:
            query = sa.select(table.c.id, table.c[title]).where(table.c.deleted_at.is_(None)).order_by(table.c[title])
            scope = service.records.read_scope(conn, f.entity, actor)
            if scope is not None:
                query = query.where(scope)
            return [(str(i), str(t)) for i, t in conn.execute(query.limit(200)).all()]
    return []
