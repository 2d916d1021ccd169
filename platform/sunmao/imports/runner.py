"""From located rows to records, through the record service only: preview and import are one run.

:func:`run_import` converts every mapped cell, groups rows that share the key column into one
record with several child rows, resolves links, and then makes the real writes — linked
records to create, new records in batches (``RecordService.create_many``), existing ones by
key (``RecordService.update``) — inside one transaction, each batch or update in a savepoint.
A preview (``commit=False``) always rolls that transaction back, so it shows the record
service's own verdict (rules, defaults, links, unique values, workflow) for every row without
keeping anything. An import commits it when no row has a problem, or — asked for explicitly
with ``good_rows_only`` — writes exactly the records all of whose rows are good.

Every problem names the sheet, the spreadsheet's row number and the column letter, the value
found and what would be accepted (``第 6 行 C 列：数量“一千五”不是数字（可填 …）``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from sunmao import clock
from sunmao.errors import FieldErrors, SunmaoError, ValidationFailed
from sunmao.hooks.inbound.model import MatchRule
from sunmao.i18n import Text
from sunmao.imports.cells import CLEANERS, convert, shown, text_of
from sunmao.imports.layout import NO_VALUE_ROW, Table, column_letter
from sunmao.imports.links import Found, NewRecord, Resolver
from sunmao.imports.targets import Target
from sunmao.imports.template import LinkRule, default_rules
from sunmao.meta.model import Entity
from sunmao.records import Actor, RecordService

BATCH = 200
_PATH = re.compile(r"^\[(\d+)\]\.?(.*)$")
_CHILD = re.compile(r"^([a-z][a-z0-9_]*)\[(\d+)\]\.?(.*)$")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    sheet: str
    row: int | None
    column: int | None  # 0-based; None when no column holds the value (a required field not mapped)
    message: Text

    def where(self, lang: str) -> str:
        letter = column_letter(self.column) if self.column is not None else None
        if lang == "en":
            return f"row {self.row}" + (f", column {letter}" if letter else "") if self.row else f"sheet {self.sheet}"
        return f"第 {self.row} 行" + (f" {letter} 列" if letter else "") if self.row else f"工作表“{self.sheet}”"

    def text(self, lang: str) -> str:
        return f"{self.where(lang)}{': ' if lang == 'en' else '：'}{self.message.get(lang)}"

    def as_json(self, lang: str) -> dict[str, Any]:
        return {"sheet": self.sheet, "row": self.row,
                "column": column_letter(self.column) if self.column is not None else None,
                "message": self.message.get(lang), "text": self.text(lang)}


@dataclass
class Plan:
    """What the user chose: column → target, the key field, and per link what a miss means."""

    entity: str
    columns: dict[int, str]
    key_field: str | None = None
    links: dict[str, LinkRule] = field(default_factory=dict)
    cleans: dict[int, str] = field(default_factory=dict)
    #: Columns (by index) of which at least one must have a value, else the row is skipped (an
    #: outgoing payment in a bank statement that only income is imported from).
    needs_any: tuple[int, ...] = ()


@dataclass
class Group:
    """One record to write, from one or several rows."""

    rows: list[int]
    key: str | None
    values: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, int] = field(default_factory=dict)  # parent path → column that gave it
    children: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (sheet row, child values)
    #: (link path, sheet row, values of the linked record, the link cell's own value, child index, column)
    links: list[tuple[str, int, dict[str, Any], Any, int | None, int]] = field(default_factory=list)
    existing: int | None = None
    action: str = "create"  # create | update | unchanged
    bad: bool = False
    name: str | None = None
    notes: list[Text] = field(default_factory=list)


@dataclass
class Outcome:
    sheet: str
    header_row: int
    total_rows: int
    groups: list[Group] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[tuple[int, Text]] = field(default_factory=list)
    notes: list[Text] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked_created: dict[str, int] = field(default_factory=dict)
    committed: bool = False
    child_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def bad_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.row is not None})

    @property
    def good_records(self) -> int:
        return sum(1 for g in self.groups if not g.bad)

    def as_json(self, lang: str, limit: int = 1000) -> dict[str, Any]:
        return {
            "sheet": self.sheet, "header_row": self.header_row, "rows": self.total_rows, "committed": self.committed,
            "records": len(self.groups), "good_records": self.good_records, "child_rows": self.child_rows,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "linked_created": self.linked_created, "bad_rows": self.bad_rows,
            "problems": [p.as_json(lang) for p in self.problems[:limit]], "more_problems": max(0, len(self.problems)
                                                                                              - limit),
            "skipped": [{"row": n, "reason": r.get(lang)} for n, r in self.skipped],
            "notes": [n.get(lang) for n in self.notes],
            "groups": [{"rows": g.rows, "key": g.key, "action": "bad" if g.bad else g.action, "name": g.name,
                        "lines": len(g.children), "notes": [n.get(lang) for n in g.notes]}
                       for g in self.groups[:limit]],
        }


class _RollBack(Exception):
    """Unwinds a preview's transaction (or an import with problems) after the last write."""


class _Run:
    def __init__(self, service: RecordService, actor: Actor, table: Table, plan: Plan, targets: Mapping[str, Target]):
        self.service = service
        self.actor = actor
        self.table = table
        self.plan = plan
        self.entity: Entity = service.compiled(plan.entity).entity
        self.targets = {i: targets[p] for i, p in plan.columns.items() if p in targets}
        self.out = Outcome(table.sheet, table.header_row, len(table.rows), skipped=list(table.skipped),
                           notes=list(table.notes))
        self.today: date = clock.today()
        self.by_path = {t.path: i for i, t in self.targets.items()}

    # -- problems ------------------------------------------------------------------------

    def problem(self, row: int | None, column: int | None, message: Text, group: Group | None = None) -> None:
        self.out.problems.append(Problem(self.table.sheet, row, column, message))
        if group is not None:
            group.bad = True

    def column_of(self, path: str) -> int | None:
        """The column that fills ``path``, or one that fills a value of the link ``path``."""
        if path in self.by_path:
            return self.by_path[path]
        return next((i for p, i in self.by_path.items() if p.startswith(path + ".")), None)

    def label_of(self, path: str) -> Text:
        parts = path.split(".")
        entity = self.entity
        if len(parts) > 1 and parts[0] in entity.by_key and entity.by_key[parts[0]].type == "table":
            entity = self.service.snapshot.entities[entity.by_key[parts[0]].of or ""]
            parts = parts[1:]
        f = entity.by_key.get(parts[0])
        return f.label if f is not None else Text("记录", "record")

    # -- cells into groups -----------------------------------------------------------------

    def groups(self) -> list[Group]:
        key_column = self.by_path.get(self.plan.key_field) if self.plan.key_field else None
        has_children = any(t.table for t in self.targets.values())
        groups: list[Group] = []
        by_key: dict[str, Group] = {}
        for row in self.table.rows:
            if self.plan.needs_any and all(
                    (row.cells[i] if i < len(row.cells) else None) in (None, "") for i in self.plan.needs_any):
                self.out.skipped.append((row.number, NO_VALUE_ROW))
                continue
            parent: dict[str, tuple[Any, int]] = {}
            child: dict[str, Any] = {}
            links: dict[str, tuple[dict[str, Any], Any, int]] = {}
            bad = False
            for i, t in self.targets.items():
                raw = row.cells[i] if i < len(row.cells) else None
                if i in self.plan.cleans and raw not in (None, ""):
                    raw = CLEANERS[self.plan.cleans[i]](raw)
                value, error = convert(t.field, raw, t.field.label, self.today)
                if error is not None:
                    self.problem(row.number, i, error)
                    bad = True
                    continue
                if value is None:
                    continue
                if t.link is not None:
                    subs, direct, col = links.get(t.link_path or "", ({}, None, i))
                    if t.sub:
                        subs[t.sub] = value
                    else:
                        direct = value
                    links[t.link_path or ""] = (subs, direct, col)
                elif t.table:
                    child[t.field.key] = value
                else:
                    parent[t.path] = (value, i)
            key = text_of(parent[self.plan.key_field][0]) if key_column is not None and \
                self.plan.key_field in parent else None
            group = by_key.get(key) if key else None
            child_links = {p: v for p, v in links.items() if "." in p}
            if group is None and key is None and has_children and groups and not parent and \
                    not any("." not in p for p in links):
                group = groups[-1]  # a continuation row: the record's cells are blank or merged above
            if group is None:
                group = Group([], key)
                groups.append(group)
                if key:
                    by_key[key] = group
            group.rows.append(row.number)
            group.bad = group.bad or bad
            for path, (value, column) in parent.items():
                if path not in group.values:
                    group.values[path], group.columns[path] = value, column
                elif group.values[path] != value and path != self.plan.key_field:
                    first = group.rows[0]
                    self.problem(row.number, column, Text(
                        f"{self.label_of(path).zh}“{shown(value)}”与第 {first} 行的“{shown(group.values[path])}”不一致",
                        f"{self.label_of(path).en} {shown(value)!r} differs from {shown(group.values[path])!r} "
                        f"in row {first}"), group)
            for path, (subs, direct, column) in links.items():
                if "." not in path and not any(link[0] == path for link in group.links):
                    group.links.append((path, row.number, subs, direct, None, column))
            if child or child_links:
                index = len(group.children)
                group.children.append((row.number, child))
                for path, (subs, direct, column) in child_links.items():
                    group.links.append((path, row.number, subs, direct, index, column))
        self.out.child_rows = sum(len(g.children) for g in groups)
        return groups

    # -- links ---------------------------------------------------------------------------

    def rules(self) -> dict[str, LinkRule]:
        out: dict[str, LinkRule] = {}
        snapshot = self.service.snapshot
        for t in self.targets.values():
            path = t.link_path
            if path is None or path in out:
                continue
            linked = snapshot.entities[self._link_field(path).to or ""]
            rule = self.plan.links.get(path) or LinkRule()
            match = rule.match or default_rules(snapshot, linked)
            known = {m.field for m in match}
            # a mapped value of the linked record finds it too (电话 → customer.phone), unless a rule says how
            extra = tuple(MatchRule(x.sub, "exact", True) for x in self.targets.values()
                          if x.link_path == path and x.sub and x.sub not in known)
            out[path] = LinkRule(tuple(match) + extra, rule.if_missing, rule.status_field, rule.review_value,
                                 rule.duplicate_field)
        return out

    def _link_field(self, path: str) -> Any:
        head, _, rest = path.partition(".")
        if rest:
            child = self.service.snapshot.entities[self.entity.by_key[head].of or ""]
            return child.by_key[rest]
        return self.entity.by_key[head]

    def resolve(self, resolver: Resolver, groups: list[Group]) -> dict[int, NewRecord]:
        """Put link ids into the groups; returns the new linked records by id()."""
        for g in groups:
            for path, row, subs, direct, where, column in g.links:
                found: Found = resolver.resolve(path, subs, direct, row)
                if found.problem is not None:
                    self.problem(row, column, found.problem, g)
                    continue
                if found.note is not None and found.note not in g.notes:
                    g.notes.append(found.note)
                head, _, rest = path.partition(".")
                value: Any = found.id if found.id is not None else found.new
                if rest:
                    g.children[where][1][rest] = value  # type: ignore[index]
                else:
                    g.values[head] = value
        return {id(n): n for n in resolver.new}

    def create_linked(self, conn: sa.Connection, resolver: Resolver, groups: list[Group]) -> None:
        by_row: dict[int, Group] = {r: g for g in groups for r in g.rows}
        for new in resolver.new:
            users = [by_row[r] for r in new.rows if r in by_row]
            if not users or all(g.bad for g in users):
                new.failed = True
                continue
            try:
                with conn.begin_nested():
                    created = self.service.create(new.entity, new.values, actor=self.actor, conn=conn)
                new.id = created["id"]
                self.out.linked_created[new.entity] = self.out.linked_created.get(new.entity, 0) + 1
            except SunmaoError as exc:
                new.failed = True
                path = next(p for p, _r, _s, _d, _w, _c in users[0].links if self.service.snapshot.entities[
                    self._link_field(p).to or ""].key == new.entity)
                for field_path, messages in getattr(exc, "errors", {}).items() or {"_record": [exc.title]}.items():
                    column = self.column_of(f"{path}.{field_path}") or self.column_of(path)
                    for message in messages:
                        label = self.service.snapshot.entities[new.entity].by_key.get(field_path)
                        self.problem(new.rows[0], column, _labelled(label.label if label else None, message), None)
                for g in users:
                    g.bad = True
                    for r in new.rows[1:]:
                        if r in g.rows:
                            self.problem(r, self.column_of(path), Text(
                                f"{_entity_label(self, new.entity).zh}无法新建（见第 {new.rows[0]} 行）",
                                f"the {_entity_label(self, new.entity).en.lower()} cannot be created "
                                f"(see row {new.rows[0]})"))

    # -- payloads and writes -----------------------------------------------------------

    def payload(self, g: Group, current: dict[str, Any] | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for path, value in g.values.items():
            if path == "name":
                continue
            out[path] = value.id if isinstance(value, NewRecord) else value
        tables = {t.table for t in self.targets.values() if t.table}
        for table in tables:
            rows = []
            old = (current or {}).get(table) or []
            for j, (_row, values) in enumerate(g.children):
                row = {k: (v.id if isinstance(v, NewRecord) else v) for k, v in values.items()}
                if j < len(old):
                    row["id"] = old[j]["id"]  # the j-th line of the record: changed in place
                rows.append(row)
            if g.children or current is None:
                out[table] = rows
        return out

    def existing(self, conn: sa.Connection, groups: list[Group]) -> None:
        key = self.plan.key_field
        if not key:
            return
        table = self.service.snapshot.tables[self.entity.key]
        wanted = {g.key: g for g in groups if g.key}
        if not wanted or key not in table.c:
            return
        found: dict[str, list[int]] = {}
        values = sorted(wanted)
        for start in range(0, len(values), 500):
            rows = conn.execute(sa.select(table.c[key], table.c.id).where(
                table.c[key].in_(values[start:start + 500]), table.c.deleted_at.is_(None)))
            for value, record_id in rows:
                found.setdefault(str(value), []).append(record_id)
        label = self.label_of(key) if key != "name" else Text("编号", "Number")
        for value, ids in found.items():
            g = wanted[value]
            if len(ids) > 1:
                self.problem(g.rows[0], self.by_path.get(key), Text(
                    f"{label.zh}“{value}”对应 {len(ids)} 条已有记录，不知道更新哪一条",
                    f"{len(ids)} existing records have {label.en} {value!r}: which one to update is unclear"), g)
            else:
                g.existing, g.action = ids[0], "update"

    def service_errors(self, g: Group, errors: FieldErrors) -> None:
        for path, messages in errors.items():
            row, column, label = g.rows[0], None, None
            m = _CHILD.match(path)
            if m and m[1] in self.entity.by_key and self.entity.by_key[m[1]].type == "table":
                j = int(m[2])
                row = g.children[j][0] if j < len(g.children) else row
                inner = m[3] or "_record"
                column = self.column_of(f"{m[1]}.{inner}")
                label = self.label_of(f"{m[1]}.{inner}") if inner != "_record" else None
            elif path != "_record":
                column = self.column_of(path)
                label = self.label_of(path)
            for message in messages:
                self.problem(row, column, _labelled(label, message), g)

    def write_creates(self, conn: sa.Connection, groups: list[Group], progress: Progress | None, done: int,
                      total: int) -> int:
        batch = [g for g in groups if g.action == "create" and not g.bad]
        for start in range(0, len(batch), BATCH):
            pending = batch[start:start + BATCH]
            while pending:
                payloads = [self.payload(g, None) for g in pending]
                try:
                    with conn.begin_nested():
                        written = self.service.create_many(self.entity.key, payloads, actor=self.actor, conn=conn)
                except ValidationFailed as exc:
                    failed = set()
                    for path, messages in exc.errors.items():
                        m = _PATH.match(path)
                        index = int(m[1]) if m else 0
                        failed.add(index)
                        self.service_errors(pending[index], {m[2] or "_record" if m else path: messages})
                    pending = [g for i, g in enumerate(pending) if i not in failed]
                    continue
                except SunmaoError as exc:
                    for g in pending:
                        self.problem(g.rows[0], None, exc.title, g)
                    break
                for g, record in zip(pending, written, strict=True):
                    g.name = record.get("name")
                self.out.created += len(pending)
                break
            done += len(batch[start:start + BATCH])
            if progress is not None:
                progress(done, total)
        return done

    def write_updates(self, conn: sa.Connection, groups: list[Group], progress: Progress | None, done: int,
                      total: int) -> None:
        for g in groups:
            if g.action != "update" or g.bad or g.existing is None:
                continue
            try:
                with conn.begin_nested():
                    current = self.service.fetch(conn, self.entity.key, g.existing)
                    record = self.service.update(self.entity.key, g.existing, self.payload(g, current),
                                                 actor=self.actor, conn=conn)
            except ValidationFailed as exc:
                self.service_errors(g, exc.errors)
                continue
            except SunmaoError as exc:
                self.problem(g.rows[0], None, exc.detail or exc.title, g)
                continue
            g.name = record.get("name")
            if record.get("version") == current.get("version"):
                g.action = "unchanged"
                self.out.unchanged += 1
            else:
                self.out.updated += 1
            done += 1
            if progress is not None and done % 50 == 0:
                progress(done, total)


def _entity_label(run: _Run, key: str) -> Text:
    return run.service.snapshot.entities[key].label


def _labelled(label: Text | None, message: Text) -> Text:
    """``交货日期：此字段必填`` — the field's name before the service's message unless it says it already."""
    if label is None:
        return message
    zh = message.zh if label.zh in message.zh else f"{label.zh}：{message.zh}"
    en = message.en if label.en.lower() in message.en.lower() else f"{label.en}: {message.en}"
    return Text(zh, en)


def run_import(service: RecordService, actor: Actor, table: Table, plan: Plan, targets: Mapping[str, Target], *,
               commit: bool = False, good_rows_only: bool = False, progress: Progress | None = None,
               only_rows: Sequence[int] | None = None) -> Outcome:
    """Preview (``commit=False``) or import the rows of ``table`` as ``plan`` says (see the module)."""
    if commit and good_rows_only and only_rows is None:
        first = run_import(service, actor, table, plan, targets, progress=progress)
        good = {r for g in first.groups if not g.bad for r in g.rows}
        if not good:
            return first
        second = run_import(service, actor, table, plan, targets, commit=True, progress=progress,
                            only_rows=sorted(good))
        second.problems = first.problems + second.problems
        bad = {id(g) for g in first.groups if g.bad}
        second.groups = second.groups + [g for g in first.groups if id(g) in bad]
        second.total_rows, second.child_rows = first.total_rows, first.child_rows
        return second
    if only_rows is not None:
        keep = set(only_rows)
        table = Table(table.sheet, table.header_row, table.headers, [r for r in table.rows if r.number in keep],
                      list(table.skipped), table.notes, table.sheets)
    run = _Run(service, actor, table, plan, targets)
    groups = run.groups()
    run.out.groups = groups
    total = len(groups)
    try:
        with service.db.write() as conn:
            run.existing(conn, groups)
            resolver = Resolver(service.snapshot, conn, run.rules(), {
                p: service.snapshot.entities[run._link_field(p).to or ""] for p in run.rules()})
            run.resolve(resolver, groups)
            run.create_linked(conn, resolver, groups)
            for g in groups:  # a row whose linked record could not be made cannot be written
                if any(isinstance(v, NewRecord) and v.id is None for v in g.values.values()) or any(
                        isinstance(v, NewRecord) and v.id is None for _r, c in g.children for v in c.values()):
                    g.bad = True
            done = run.write_creates(conn, groups, progress, 0, total)
            run.write_updates(conn, groups, progress, done, total)
            run.out.problems.sort(key=lambda p: (p.row or 0, p.column if p.column is not None else -1))
            if not commit or run.out.problems:
                raise _RollBack
            run.out.committed = True
    except _RollBack:
        pass
    if progress is not None:
        progress(total, total)
    return run.out
