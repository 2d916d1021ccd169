"""Dashboard documents compiled into the snapshot (feature ``dashboards``).

Every field path a board names — group-bys, measures, filters, board filter mappings, record
columns — is resolved here against the snapshot's entities, so a misspelt field or a sum over
a text field refuses the publish with the file and JSON path, instead of failing on a screen.
The compiled board is plain data; :mod:`sunmao.dashboards.sql` turns its queries into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sunmao.fields import TYPES
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Field
from sunmao.records.sqlrules import SqlRuleError, compile_where

SYSTEM_FIELDS = {"id": "integer", "name": "string", "created_at": "datetime", "updated_at": "datetime"}
#: Value types a measure may sum or average: the numeric field types (``FieldType.numeric``).
NUMERIC = tuple(name for name, t in TYPES.items() if t.numeric)
DATED = ("date", "datetime")
WIDGET_TYPES_WITH_QUERY = ("number", "bar", "line", "area", "pie", "funnel", "table", "gantt", "gauge", "heatmap",
                           "map")


class PathError(ValueError):
    pass


@dataclass(frozen=True)
class Path:
    """A field reached from a query's entity: ``status``, ``customer.grade``, ``parent.order_date``."""

    text: str
    #: (link field key on the previous entity, target entity) per hop; ("parent", entity) for a child's parent.
    hops: tuple[tuple[str, str], ...]
    entity: str
    column: str
    value_type: str
    field: Field | None

    @property
    def label(self) -> Text:
        if self.field is not None:
            return self.field.label
        return Text({"id": "编号", "name": "单号", "created_at": "创建时间", "updated_at": "修改时间"}.get(
            self.column, self.column), self.column)


def resolve(snapshot: Any, entity_key: str, text: str) -> Path:
    """The path ``text`` from ``entity_key``; PathError says what is wrong in words."""
    parts = text.split(".")
    entity = snapshot.entities[entity_key]
    hops: list[tuple[str, str]] = []
    for i, part in enumerate(parts[:-1]):
        if part == "parent" and entity.child and i == 0:
            parent = next((e for e in snapshot.entities.values() for f in e.table_fields if f.of == entity.key), None)
            if parent is None:
                raise PathError(f"{entity.key} is not the row of any entity")
            hops.append(("parent", parent.key))
            entity = parent
            continue
        f = entity.by_key.get(part)
        if f is None or f.type != "link":
            raise PathError(f"{part!r} is not a link field of {entity.key}")
        hops.append((part, f.to or ""))
        entity = snapshot.entities[f.to or ""]
    last = parts[-1]
    f = entity.by_key.get(last)
    if f is None:
        if last in SYSTEM_FIELDS and not (entity.child and last != "id"):
            return Path(text, tuple(hops), entity.key, last, SYSTEM_FIELDS[last], None)
        raise PathError(f"{last!r} is not a field of {entity.key}")
    if not f.is_stored:
        raise PathError(f"{entity.key}.{last} is not stored (a table or a look-up cannot be queried)")
    if f.hidden:
        raise PathError(f"{entity.key}.{last} is a hidden field")
    return Path(text, tuple(hops), entity.key, f.key, f.value_type, f)


@dataclass(frozen=True)
class Condition:
    kind: str  # where | took | has
    where: Any = None  # compiled clause (today -> SQL) over the entity (where) or the related entity (has)
    actions: tuple[str, ...] = ()
    entity: str = ""
    link: str = ""
    minimum: int = 1


@dataclass(frozen=True)
class Measure:
    key: str
    label: Text
    op: str
    path: Path | None = None
    p: float | None = None
    start: str | None = None
    end: str | None = None
    states: tuple[str, ...] = ()
    aggregate: str = "avg"
    unit: str = "hours"
    working: bool = False
    when: tuple[Condition, ...] = ()
    formula: Any = None
    format: str | None = None
    decimals: int | None = None
    show: bool = True


@dataclass(frozen=True)
class Group:
    path: Path
    bucket: str | None
    label: Text


@dataclass(frozen=True)
class FieldFilter:
    path: Path
    op: str
    value: Any


@dataclass(frozen=True)
class Query:
    entity: str
    #: The entity whose rows and permissions the query stands on: itself, or a child's parent.
    top: str
    filters: tuple[FieldFilter, ...] = ()
    where: Any = None
    where_doc: Any = None
    groups: tuple[Group, ...] = ()
    measures: tuple[Measure, ...] = ()
    columns: tuple[Path, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()
    limit: int | None = None

    @property
    def paths(self) -> list[Path]:
        found = [f.path for f in self.filters] + [g.path for g in self.groups] + list(self.columns)
        found += [m.path for m in self.measures if m.path is not None]
        return found

    @property
    def is_rows(self) -> bool:
        return bool(self.columns)


@dataclass(frozen=True)
class LateCheck:
    key: str
    label: Text
    days: float
    working: bool
    state: str | None
    where: Any
    since: Path | None


@dataclass(frozen=True)
class Late:
    entity: str
    owner: Path | None
    columns: tuple[Path, ...]
    checks: tuple[LateCheck, ...]


@dataclass(frozen=True)
class Widget:
    id: str
    type: str
    title: Text
    x: int
    y: int
    w: int
    h: int
    query: Query | None
    options: Mapping[str, Any]
    ignore_filters: frozenset[str]
    description: Text | None = None
    late: Late | None = None
    paths: Mapping[str, Path] = field(default_factory=dict)  # option paths (gantt start/end...)


@dataclass(frozen=True)
class BoardFilter:
    key: str
    type: str
    label: Text
    fields: Mapping[str, Path]
    entity: str | None = None
    options_from: Path | None = None
    default: Any = None


@dataclass(frozen=True)
class Board:
    key: str
    file: str
    label: Text
    description: Text | None
    roles: frozenset[str]
    home_for: frozenset[str]
    refresh_seconds: int
    cache_seconds: int
    columns: int
    wall: Mapping[str, Any]
    filters: tuple[BoardFilter, ...]
    widgets: tuple[Widget, ...]

    def widget(self, widget_id: str) -> Widget | None:
        return next((w for w in self.widgets if w.id == widget_id), None)

    def open_to(self, roles: frozenset[str] | set[str]) -> bool:
        return not self.roles or "admin" in roles or bool(self.roles & set(roles))


@dataclass(frozen=True)
class Dashboards:
    boards: Mapping[str, Board]
    homes: Mapping[str, str]  # role -> board key

    def home_for(self, roles: frozenset[str] | set[str]) -> Board | None:
        """The home board of the first of the user's roles that has one (in role order)."""
        for role in sorted(roles):
            key = self.homes.get(role)
            if key is not None:
                return self.boards[key]
        return None


EMPTY = Dashboards(MappingProxyType({}), MappingProxyType({}))


class _Compiler:
    def __init__(self, snapshot: Any, file: str, problems: list[Problem]):
        self.snapshot = snapshot
        self.file = file
        self.problems = problems

    def bad(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))

    def path(self, entity: str, text: str, where: str, types: tuple[str, ...] | None = None) -> Path | None:
        try:
            found = resolve(self.snapshot, entity, text)
        except PathError as exc:
            self.bad(where, str(exc))
            return None
        if types is not None and found.value_type not in types:
            self.bad(where, f"{text} is a {found.value_type} field; this needs one of: {', '.join(types)}")
            return None
        return found

    def sql_rule(self, entity: str, rule: Any, where: str) -> Any:
        try:
            return compile_where(rule, self.snapshot.tables[entity], where)
        except SqlRuleError as exc:
            self.bad(exc.path, str(exc).split(": ", 1)[1])
            return None

    def entity(self, key: str, where: str) -> str | None:
        if key not in self.snapshot.entities:
            self.bad(where, f"{key!r} is not an entity")
            return None
        return key

    def top(self, key: str) -> str:
        entity = self.snapshot.entities[key]
        if not entity.child:
            return key
        return next(e.key for e in self.snapshot.entities.values() for f in e.table_fields if f.of == key)

    def workflow_states(self, entity: str) -> tuple[frozenset[str], frozenset[str]]:
        """The states and actions of the entity's workflow, read from its document (features compile
        side by side, so the compiled workflows are not at hand yet)."""
        for _file, doc in self.snapshot.documents("workflow"):
            if doc.get("entity") == entity:
                return frozenset(s["key"] for s in doc["states"]), frozenset(t["key"] for t in doc["transitions"])
        return frozenset(), frozenset()

    def conditions(self, entity: str, spec: Any, where: str) -> tuple[Condition, ...]:
        items = spec["any"] if "any" in spec else [spec]
        base = f"{where}.any" if "any" in spec else where
        out = []
        for i, item in enumerate(items):
            at = f"{base}[{i}]" if "any" in spec else base
            if "where" in item:
                clause = self.sql_rule(entity, item["where"], f"{at}.where")
                if clause is not None:
                    out.append(Condition("where", where=clause))
            elif "took" in item:
                _states, actions = self.workflow_states(self.top(entity))
                unknown = [a for a in item["took"] if a not in actions]
                if unknown:
                    self.bad(f"{at}.took", f"{', '.join(unknown)}: not actions of {entity}'s workflow")
                out.append(Condition("took", actions=tuple(item["took"])))
            else:
                has = item["has"]
                other = self.entity(has["entity"], f"{at}.has.entity")
                if other is None:
                    continue
                link = self.snapshot.entities[other].by_key.get(has["link"])
                if link is None or link.type != "link" or link.to != self.top(entity):
                    self.bad(f"{at}.has.link", f"{has['link']!r} is not a link of {other} to {self.top(entity)}")
                    continue
                clause = self.sql_rule(other, has["where"], f"{at}.has.where") if "where" in has else None
                out.append(Condition("has", where=clause, entity=other, link=link.key, minimum=has.get("min", 1)))
        return tuple(out)

    def measure(self, entity: str, spec: Mapping[str, Any], where: str) -> Measure:
        op = spec["op"]
        path = None
        if op in ("sum", "avg", "min", "max", "percentile"):
            path = self.path(entity, spec.get("field", ""), f"{where}.field",
                             NUMERIC if op in ("sum", "avg", "percentile") else NUMERIC + DATED)
        elif op == "count_distinct":
            path = self.path(entity, spec.get("field", "id"), f"{where}.field")
        if op == "percentile" and "p" not in spec:
            self.bad(f"{where}.p", "a percentile needs p between 0 and 1 (0.5 is the median)")
        if op == "duration":
            states, _actions = self.workflow_states(self.top(entity))
            if not states:
                self.bad(where, f"duration needs a workflow on {self.top(entity)}")
            named = [spec[k] for k in ("from", "to") if k in spec] + list(spec.get("states", ()))
            if not named or ("states" not in spec and not ("from" in spec and "to" in spec)):
                self.bad(where, "duration needs from and to (two states), or states")
            for state in named:
                if states and state not in states:
                    self.bad(where, f"{state!r} is not a state of {self.top(entity)}'s workflow")
        if op == "formula" and "formula" not in spec:
            self.bad(where, "a formula measure needs a formula")
        label = Text.of(spec["label"]) if "label" in spec else Text(spec["key"], spec["key"])
        return Measure(
            key=spec["key"], label=label, op=op, path=path, p=spec.get("p"), start=spec.get("from"),
            end=spec.get("to"), states=tuple(spec.get("states", ())), aggregate=spec.get("aggregate", "avg"),
            unit=spec.get("unit", "hours"), working=spec.get("working", False),
            when=self.conditions(entity, spec["when"], f"{where}.when") if "when" in spec else (),
            formula=spec.get("formula"), format=spec.get("format"), decimals=spec.get("decimals"),
            show=spec.get("show", True))

    def query(self, spec: Mapping[str, Any], where: str) -> Query | None:
        entity = self.entity(spec["entity"], f"{where}.entity")
        if entity is None:
            return None
        filters = []
        for i, f in enumerate(spec.get("filters", ())):
            path = self.path(entity, f["field"], f"{where}.filters[{i}].field")
            if path is not None:
                filters.append(FieldFilter(path, f["op"], f.get("value")))
        groups = []
        for i, g in enumerate(spec.get("group_by", ())):
            path = self.path(entity, g["field"], f"{where}.group_by[{i}].field")
            if path is None:
                continue
            if g.get("bucket") and path.value_type not in DATED:
                self.bad(f"{where}.group_by[{i}].bucket", f"{g['field']} is not a date: it has no {g['bucket']}s")
                continue
            groups.append(Group(path, g.get("bucket"), Text.of(g["label"]) if "label" in g else path.label))
        measures = [self.measure(entity, m, f"{where}.measures[{i}]") for i, m in enumerate(spec.get("measures", ()))]
        keys = [m.key for m in measures]
        if len(set(keys)) != len(keys):
            self.bad(f"{where}.measures", "measure keys must be unique within a query")
        for i, m in enumerate(measures):
            if m.op == "formula":
                unknown = _formula_vars(m.formula) - set(keys)
                if unknown:
                    self.bad(f"{where}.measures[{i}].formula", f"{', '.join(sorted(unknown))}: not measures here")
        columns = [p for i, c in enumerate(spec.get("columns", ()))
                   if (p := self.path(entity, c, f"{where}.columns[{i}]")) is not None]
        if not columns and not measures:
            self.bad(where, "a query needs measures (aggregates) or columns (a list of records)")
        sort = []
        names = set(keys) | {g.path.text for g in groups} | {c.text for c in columns}
        for i, s in enumerate(spec.get("sort", ())):
            key = s.lstrip("-")
            if key not in names:
                self.bad(f"{where}.sort[{i}]", f"{key!r} is neither a measure nor a field of this query")
            sort.append((key, s.startswith("-")))
        clause = self.sql_rule(entity, spec["where"], f"{where}.where") if "where" in spec else None
        return Query(entity=entity, top=self.top(entity), filters=tuple(filters), where=clause,
                     where_doc=spec.get("where"), groups=tuple(groups), measures=tuple(measures),
                     columns=tuple(columns), sort=tuple(sort), limit=spec.get("limit"))

    def late(self, spec: Mapping[str, Any], where: str) -> Late | None:
        entity = self.entity(spec["entity"], f"{where}.entity")
        if entity is None:
            return None
        states, _actions = self.workflow_states(entity)
        checks = []
        for i, c in enumerate(spec["checks"]):
            at = f"{where}.checks[{i}]"
            if "state" in c and c["state"] not in states:
                self.bad(f"{at}.state", f"{c['state']!r} is not a state of {entity}'s workflow")
            if "state" not in c and "since" not in c:
                self.bad(at, "a check needs a state (late in it) or since (a date the lateness counts from)")
            since = self.path(entity, c["since"], f"{at}.since", DATED) if "since" in c else None
            clause = self.sql_rule(entity, c["where"], f"{at}.where") if "where" in c else None
            checks.append(LateCheck(c["key"], Text.of(c["label"]), float(c["days"]), c.get("working", False),
                                    c.get("state"), clause, since))
        owner = self.path(entity, spec["owner"], f"{where}.owner") if "owner" in spec else None
        columns = tuple(p for i, c in enumerate(spec.get("columns", ()))
                        if (p := self.path(entity, c, f"{where}.columns[{i}]")) is not None)
        return Late(entity, owner, columns, tuple(checks))

    def board(self, doc: Mapping[str, Any]) -> Board:
        filters = []
        for i, f in enumerate(doc.get("filters", ())):
            at = f"$.filters[{i}]"
            fields = {}
            for entity, text in f["fields"].items():
                if self.entity(entity, f"{at}.fields.{entity}") is not None:
                    path = self.path(entity, text, f"{at}.fields.{entity}",
                                     DATED if f["type"] == "date_range" else None)
                    if path is not None:
                        fields[entity] = path
            options_from = None
            if f["type"] == "select":
                if "options_from" not in f:
                    self.bad(at, "a select filter needs options_from (entity.field with options)")
                else:
                    head, _, tail = f["options_from"].partition(".")
                    if self.entity(head, f"{at}.options_from") is not None:
                        options_from = self.path(head, tail, f"{at}.options_from")
            if f["type"] == "link" and (not f.get("entity") or f["entity"] not in self.snapshot.entities):
                self.bad(f"{at}.entity", "a link filter needs the entity whose records it offers")
            filters.append(BoardFilter(f["key"], f["type"], Text.of(f["label"]), MappingProxyType(fields),
                                       f.get("entity"), options_from, f.get("default")))
        widgets = []
        seen: set[str] = set()
        filter_keys = {f.key for f in filters}
        for i, w in enumerate(doc["widgets"]):
            at = f"$.widgets[{i}]"
            if w["id"] in seen:
                self.bad(f"{at}.id", f"widget id {w['id']!r} is used twice")
            seen.add(w["id"])
            query = self.query(w["query"], f"{at}.query") if "query" in w else None
            if w["type"] in WIDGET_TYPES_WITH_QUERY and "query" not in w:
                self.bad(at, f"a {w['type']} widget needs a query")
            late = self.late(w["late"], f"{at}.late") if "late" in w else None
            if w["type"] == "late" and "late" not in w:
                self.bad(at, "a late widget needs `late` (entity and checks)")
            for j, key in enumerate(w.get("ignore_filters", ())):
                if key not in filter_keys:
                    self.bad(f"{at}.ignore_filters[{j}]", f"{key!r} is not a filter of this board")
            options = w.get("options", {})
            paths = {}
            for name in ("start", "end", "color", "label"):
                if name in options and query is not None:
                    p = self.path(query.entity, options[name], f"{at}.options.{name}",
                                  DATED if name in ("start", "end") else None)
                    if p is not None:
                        paths[name] = p
            if w["type"] == "gantt" and not ({"start", "end"} <= set(paths)):
                self.bad(f"{at}.options", "a gantt widget needs options.start and options.end (date fields)")
            if w["type"] in ("bar", "line", "area", "pie", "funnel", "heatmap", "map") and query is not None \
                    and not query.groups:
                self.bad(f"{at}.query.group_by", f"a {w['type']} chart needs a group_by")
            if w["type"] == "heatmap" and query is not None and len(query.groups) != 2:
                self.bad(f"{at}.query.group_by", "a heat map needs two group_by fields (x and y)")
            widgets.append(Widget(
                id=w["id"], type=w["type"], title=Text.of(w["title"]), x=w.get("x", 0), y=w.get("y", 0),
                w=w.get("w", 4), h=w.get("h", 3), query=query, options=MappingProxyType(dict(options)),
                ignore_filters=frozenset(w.get("ignore_filters", ())),
                description=Text.of(w["description"]) if "description" in w else None, late=late,
                paths=MappingProxyType(paths)))
        roles = set(self.snapshot.roles)
        for name in ("roles", "home_for"):
            for j, role in enumerate(doc.get(name, ())):
                if role not in roles:
                    self.bad(f"$.{name}[{j}]", f"{role!r} is not a role of the app")
        return Board(
            key=doc["key"], file=self.file, label=Text.of(doc["label"]),
            description=Text.of(doc["description"]) if "description" in doc else None,
            roles=frozenset(doc.get("roles", ())), home_for=frozenset(doc.get("home_for", ())),
            refresh_seconds=doc.get("refresh_seconds", 60), cache_seconds=doc.get("cache_seconds", 300),
            columns=doc.get("columns", 12), wall=MappingProxyType(dict(doc.get("wall", {}))),
            filters=tuple(filters), widgets=tuple(widgets))


def _formula_vars(expr: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(expr, dict):
        for op, args in expr.items():
            if op == "var":
                found.add(args if isinstance(args, str) else args[0])
            else:
                found |= _formula_vars(args)
    elif isinstance(expr, list):
        for item in expr:
            found |= _formula_vars(item)
    return found


def compile_widget(snapshot: Any, file: str, board: Mapping[str, Any], widget: Mapping[str, Any]
                   ) -> tuple[Board, list[Problem]]:
    """``board`` with ``widget`` as its only widget, compiled as a publish would (the designer's live
    preview of one widget); the problems are the widget's own, at ``$.widgets[0]...``."""
    problems: list[Problem] = []
    compiled = _Compiler(snapshot, file, problems).board({**board, "widgets": [widget]})
    return compiled, [p for p in problems if p.path.startswith("$.widgets[0]")]


def compile_dashboards(snapshot: Any) -> tuple[str, Dashboards, list[Problem]]:
    """The feature compiler of ``dashboard`` documents (listed in ``features.FEATURES``)."""
    problems: list[Problem] = []
    boards: dict[str, Board] = {}
    homes: dict[str, str] = {}
    for file, doc in snapshot.documents("dashboard"):
        if doc["key"] in boards:
            problems.append(Problem(file, "$.key",
                                    f"board key {doc['key']!r} is also used by {boards[doc['key']].file}"))
            continue
        board = _Compiler(snapshot, file, problems).board(doc)
        boards[board.key] = board
        for j, role in enumerate(sorted(board.home_for)):
            if role in homes:
                problems.append(Problem(file, f"$.home_for[{j}]",
                                        f"role {role!r} already has home board {homes[role]!r}"))
            homes.setdefault(role, board.key)
    for board in boards.values():
        for j, key in enumerate(board.wall.get("playlist", ())):
            if key not in boards:
                problems.append(Problem(board.file, f"$.wall.playlist[{j}]", f"{key!r} is not a board"))
    return "dashboards", Dashboards(MappingProxyType(boards), MappingProxyType(homes)), problems
