"""The record service: the one write path of Sunmao.

Every adapter — REST API, screens, inbound hooks, imports, scans, jobs — creates, changes and
deletes records through this class, so a rule that holds for one holds for all. One write is
one database transaction:

    parse (marshmallow) → defaults → child rows → computed fields → required / rules / links /
    unique → naming → persist (optimistic lock) → audit entry with the field diff → outbox event

If any step fails nothing is written: neither the record, nor its audit entry, nor its event.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import marshmallow as ma
import sqlalchemy as sa

from sunmao import clock
from sunmao.errors import Conflict as ConflictError
from sunmao.errors import (
    FieldErrors,
    Forbidden,
    LinksGone,
    NotFound,
    PreconditionFailed,
    RecordLocked,
    Referenced,
    ValidationFailed,
)
from sunmao.i18n import Text
from sunmao.meta.model import ADMIN_ROLE, RESERVED_KEYS, Entity, Field
from sunmao.records import stages
from sunmao.records.compiled import Check, CompiledEntity, CompiledLookup, Feed, coerce_result
from sunmao.records.messages import CATALOG, translate
from sunmao.records.naming import LOCAL_ZONE, default_pattern, next_names, split
from sunmao.records.query import ListQuery, run_list
from sunmao.records.values import SYSTEM_OUT, json_value
from sunmao.rules import RuleError
from sunmao.rules.coerce import truthy
from sunmao.storage import Database
from sunmao.storage import system as sm
from sunmao.storage.prepared import Prepared

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

RECORD = "_record"
UNLINKED = "_unlinked"  # in a delete's audit diff: the links its delete cleared (set_null), for a restore
MAX_CASCADE = 3  # roll-ups of roll-ups: deep enough for real models, bounded against cycles
FILES = "sm_file"
_VERSIONING = frozenset(("version", "updated_at", "updated_by"))
_AUDIT_INSERT = Prepared(sm.audit.insert())
_OUTBOX_INSERT = Prepared(sm.outbox.insert())
#: A pending journal entry: the audit row and the outbox event of one write.
_Entry = tuple[dict[str, Any], dict[str, Any]]
_FILE_IDS = Prepared(sa.select(sm.file.c.id).where(sm.file.c.id.in_(sa.bindparam("ids", expanding=True))))


@dataclass(frozen=True)
class Actor:
    """Who is writing: a user (with roles), or the system itself (jobs, demo seeding)."""

    id: int | None = None
    username: str = "system"
    roles: frozenset[str] = field(default_factory=frozenset)
    system: bool = False

    def can(self, entity: Entity, action: str) -> bool:
        return self.system or entity.allows(self.roles, action)


SYSTEM = Actor(system=True)


#: Types whose equal values have equal JSON forms (unlike Decimal("1.0") and Decimal("1.00")).
_PLAIN = frozenset((str, int, bool, date, datetime))


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _unset(record: Mapping[str, Any], key: str) -> bool:
    """Whether a default fills ``key``: nothing was given (absent, null or blank). An empty list
    given on purpose (no special process on this line) is the sender's value."""
    value = record.get(key)
    return value is None or value == ""


class _Errors:
    """Collects field errors under dotted paths (``lines[2].qty``)."""

    def __init__(self) -> None:
        self.items: FieldErrors = {}

    def add(self, path: str, message: Text) -> None:
        bucket = self.items.setdefault(path, [])
        if message not in bucket:
            bucket.append(message)

    def merge_marshmallow(self, messages: Any, prefix: str = "") -> None:
        if isinstance(messages, dict):
            for key, value in messages.items():
                if isinstance(key, int):
                    path = f"{prefix}[{key}]"
                elif key == "_schema":
                    path = prefix or RECORD
                else:
                    path = f"{prefix}.{key}" if prefix else str(key)
                self.merge_marshmallow(value, path)
        elif isinstance(messages, list):
            for m in messages:
                if isinstance(m, dict | list):
                    self.merge_marshmallow(m, prefix)
                else:
                    self.add(prefix or RECORD, translate(m))
        else:
            self.add(prefix or RECORD, translate(messages))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(errors=self.items)


class _Links:
    """The rows that one write's links point at, read once and shared by rules and link checks."""

    __slots__ = ("rows", "live", "found")

    def __init__(self) -> None:
        self.rows: dict[tuple[str, Any], dict[str, Any]] = {}
        self.live: set[tuple[str, Any]] = set()
        #: Look-up results by (entity, look-up, the record values it read).
        self.found: dict[tuple[str, str, tuple[Any, ...]], dict[str, Any] | None] = {}


def _missing(links: Iterable[Field], record: Mapping[str, Any], cache: _Links, wanted: dict[str, set[Any]]) -> None:
    """Add to ``wanted`` (target entity → ids) the linked rows of ``record`` not read yet."""
    for f in links:
        value = record.get(f.key)
        if value is not None and (f.to or "", value) not in cache.rows:
            wanted.setdefault(f.to or "", set()).add(value)


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


class RecordService:
    """Reads and writes records of one snapshot (one published metadata version)."""

    def __init__(self, db: Database, snapshot: Snapshot):
        self.db = db
        self.snapshot = snapshot
        #: Roll-up queries by (entity, day): built once, run with the record id as a parameter.
        self._rollup_sql: dict[tuple[str, date], Prepared] = {}

    # -- lookups ---------------------------------------------------------------------------

    def compiled(self, entity_key: str) -> CompiledEntity:
        ce = self.snapshot.compiled.get(entity_key)
        if ce is None or ce.entity.child:
            raise NotFound(Text(f"没有名为 {entity_key} 的实体", f"there is no entity named {entity_key!r}"))
        return ce

    def _authorize(self, actor: Actor, ce: CompiledEntity, action: str) -> None:
        if not actor.can(ce.entity, action):
            labels = {"read": ("查看", "read"), "create": ("新建", "create"), "update": ("修改", "change"),
                      "delete": ("删除", "delete")}[action]
            raise Forbidden(Text(f"你的角色不能{labels[0]}{ce.entity.label.zh}",
                                 f"your role may not {labels[1]} {ce.entity.label.en} records"))

    # -- what the actor may see -------------------------------------------------------------

    def _read_roles(self, ce: CompiledEntity, actor: Actor, action: str = "read") -> list[str] | None:
        """The actor's roles that grant ``action``; None when nothing restricts them (admin, system)."""
        if actor.system or ADMIN_ROLE in actor.roles:
            return None
        return [r for r in sorted(actor.roles) if action in ce.entity.permissions.get(r, ())]

    def _hidden(self, ce: CompiledEntity, actor: Actor) -> frozenset[str]:
        """Fields hidden from every role through which the actor reads the entity."""
        roles = self._read_roles(ce, actor)
        if not roles:
            return frozenset()
        sets = [ce.entity.access[r].hidden if r in ce.entity.access else frozenset() for r in roles]
        return frozenset.intersection(*sets)

    def _locked(self, ce: CompiledEntity, actor: Actor, action: str) -> frozenset[str]:
        """Fields no role of the actor may change (read-only or hidden for each of them)."""
        roles = self._read_roles(ce, actor, action)
        if not roles:
            return frozenset()
        sets = [(ce.entity.access[r].readonly | ce.entity.access[r].hidden) if r in ce.entity.access else frozenset()
                for r in roles]
        return frozenset.intersection(*sets)

    def read_scope(self, conn: sa.Connection, entity_key: str, actor: Actor) -> sa.ColumnElement[bool] | None:
        """The SQL condition of the records of ``entity_key`` the actor may read (None: all of them), for
        adapters that aggregate in SQL (dashboards): the same condition every list and get applies."""
        return self._row_scope(conn, self.compiled(entity_key), actor)

    def hidden_fields(self, entity_key: str, actor: Actor) -> frozenset[str]:
        """The fields of ``entity_key`` the actor's roles may not read."""
        return self._hidden(self.snapshot.compiled[entity_key], actor)

    def locked_fields(self, entity_key: str, actor: Actor, action: str = "update") -> frozenset[str]:
        """The fields the actor's roles may not set (a form shows them read-only)."""
        return self._locked(self.compiled(entity_key), actor, action)

    def readable_fields(self, entity_key: str, actor: Actor) -> list[str]:
        """The field keys the actor may see (screens hide the others' columns and inputs)."""
        ce = self.compiled(entity_key)
        hidden = self._hidden(ce, actor)
        return [f.key for f in ce.entity.fields if not f.hidden and f.key not in hidden]

    def _row_scope(self, conn: sa.Connection, ce: CompiledEntity, actor: Actor) -> sa.ColumnElement[bool] | None:
        """The SQL condition of the records the actor may see, or None for all of them.

        A role without a scope or row rule sees everything; otherwise the roles' conditions
        are OR'd (a person with two roles sees what either role sees)."""
        roles = self._read_roles(ce, actor)
        if roles is None or ce.entity.child:
            return None
        clauses = []
        for role in roles:
            access = ce.entity.access.get(role)
            if access is None or not access.restricts_rows:
                return None
            parts = []
            if access.scope != "all":
                parts.append(self._owner_clause(conn, ce, access.scope, actor))
            if role in ce.row_rules:
                parts.append(ce.row_rules[role](clock.today(), {"id": actor.id, "username": actor.username}))
            clauses.append(sa.and_(*parts))
        return sa.or_(*clauses) if clauses else sa.false()

    def _owner_clause(self, conn: sa.Connection, ce: CompiledEntity, scope: str, actor: Actor
                      ) -> sa.ColumnElement[bool]:
        from sunmao import org  # the org model sits beside accounts, above storage

        if actor.id is None:
            return sa.false()
        ids = {actor.id}
        if scope == "department":
            ids |= set(org.department_members(conn, actor.id))
        elif scope == "subordinates":
            ids |= set(org.subordinates(conn, actor.id))
        column = ce.table.c[ce.entity.owner_field]
        owner = ce.entity.by_key.get(ce.entity.owner_field)
        if owner is not None and owner.value_type == "string":
            names = conn.execute(sa.select(sm.user.c.username).where(sm.user.c.id.in_(ids))).scalars().all()
            return column.in_(names)
        return column.in_(sorted(ids))

    # -- parsing ---------------------------------------------------------------------------

    def _parse(self, ce: CompiledEntity, payload: Any, *, partial: bool, internal: bool,
               errors: _Errors, prefix: str = "", locked: frozenset[str] = frozenset()) -> dict[str, Any]:
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
                errors.add(_join(prefix, key), Text(f"未知字段；可用字段：{known}",
                                                    f"unknown field; known fields: {known}"))
            elif f.type == "computed" or (f.read_only and not internal):
                errors.add(_join(prefix, key), CATALOG["read_only"])
            elif key in locked:
                errors.add(_join(prefix, key), CATALOG["role_read_only"])
            else:
                clean[key] = value
        internal_only = {f.key: clean.pop(f.key) for f in entity.fields if f.read_only and f.key in clean}
        tables = {f.key: clean.pop(f.key) for f in entity.table_fields if f.key in clean}
        loaded = self._load(ce, clean, errors, prefix)
        if internal_only:
            loaded.update(self._load_internal(ce, internal_only, errors, prefix))
        for key, rows in tables.items():
            f = entity.by_key[key]
            child = self.snapshot.compiled[f.of or ""]
            if rows is None:
                loaded[key] = []
                continue
            if not isinstance(rows, list):
                errors.add(_join(prefix, key), CATALOG["invalid_rows"])
                continue
            loaded[key] = [self._parse(child, row, partial=False, internal=internal, errors=errors,
                                       prefix=f"{_join(prefix, key)}[{i}]") | _row_id(row)
                           for i, row in enumerate(rows)]
        return loaded

    @staticmethod
    def _load(ce: CompiledEntity, values: dict[str, Any], errors: _Errors, prefix: str) -> dict[str, Any]:
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

    def _load_internal(self, ce: CompiledEntity, values: dict[str, Any], errors: _Errors,
                       prefix: str) -> dict[str, Any]:
        """Read-only fields set by trusted callers (workflow, jobs) are still type-checked."""
        from sunmao.records.schema import schema_field

        out = {}
        for key, value in values.items():
            f = ce.entity.by_key[key]
            try:
                out[key] = schema_field(f, {}).deserialize(value)
            except ma.ValidationError as exc:
                errors.merge_marshmallow(exc.messages, _join(prefix, key))
        return out

    # -- completing a record ---------------------------------------------------------------

    def _eval(self, fn: Any, data: Any, errors: _Errors, path: str, rule_name: str) -> tuple[bool, Any]:
        """Run a compiled rule; an evaluation error becomes a field error naming the rule."""
        try:
            return True, fn(data)
        except RuleError as exc:
            # With input errors already found, a formula over the bad value fails as a consequence:
            # report the cause only. Alone, a failing rule is reported by name.
            if not errors.items:
                errors.add(path, Text(f"规则 {rule_name} 无法计算：{exc.message_zh}",
                                      f"rule {rule_name} could not be evaluated: {exc.message_en}"))
            return False, None

    def _linked(self, conn: sa.Connection | None, ce: CompiledEntity, record: Mapping[str, Any], cache: _Links,
                links: Sequence[Field] | None = None) -> dict[str, Any]:
        """The record as rules see it: link fields they read through (``customer.grade``) expanded."""
        links = ce.link_paths if links is None else links
        if not links and not ce.lookups:
            return record  # type: ignore[return-value]
        wanted: dict[str, set[int]] = {}
        _missing(links, record, cache, wanted)
        if wanted:
            with self._reading(conn) as own:
                self._fetch_links(own, wanted, cache)
        data = dict(record)
        for f in links:
            target_id = record.get(f.key)
            if target_id is not None:
                data[f.key] = cache.rows[(f.to or "", target_id)]
        self._look_up(conn, ce, record, data, cache)
        return data

    def _look_up(self, conn: sa.Connection | None, ce: CompiledEntity, record: Mapping[str, Any],
                 data: dict[str, Any], cache: _Links) -> None:
        """Put each look-up's record (or None) into ``data``; found again only when the values it
        reads changed since (a default filled the order date meanwhile)."""
        for lookup in ce.lookups:
            key = (ce.key, lookup.key, lookup.params(record))
            if key not in cache.found:
                cache.found[key] = self._find(conn, lookup, record, data)
            data[lookup.key] = cache.found[key]

    def _find(self, conn: sa.Connection | None, lookup: CompiledLookup, record: Mapping[str, Any],
              data: Mapping[str, Any]) -> dict[str, Any] | None:
        if lookup.when is not None:
            try:
                if not truthy(lookup.when(data)):
                    return None
            except RuleError:
                return None
        table = self.snapshot.tables[lookup.entity]
        order = [table.c[k].desc() if desc else table.c[k].asc() for k, desc in lookup.order_by]
        query = (sa.select(table).where(table.c.deleted_at.is_(None), lookup.clause(clock.today(), record=record))
                 .order_by(*order, table.c.id.desc()).limit(1))
        with self._reading(conn) as reading:
            row = reading.execute(query).mappings().first()
        return dict(row) if row is not None else None

    def _prefetch(self, conn: sa.Connection, ce: CompiledEntity, records: Sequence[Mapping[str, Any]],
                  cache: _Links, *, every_link: bool) -> None:
        """Read the rows that the records' links point at, one query per target entity (the rules
        of an order and of each of its lines read the customer and the products in two queries)."""
        wanted: dict[str, set[int]] = {}

        def collect(c: CompiledEntity, rec: Mapping[str, Any]) -> None:
            _missing(c.links if every_link else c.link_paths, rec, cache, wanted)
            for tf in c.entity.table_fields:
                child = self.snapshot.compiled[tf.of or ""]
                for row in rec.get(tf.key) or ():
                    if isinstance(row, Mapping):
                        collect(child, row)

        for rec in records:
            collect(ce, rec)
        if wanted:
            self._fetch_links(conn, wanted, cache)

    def _fetch_links(self, conn: sa.Connection, wanted: Mapping[str, set[int]], cache: _Links) -> None:
        for target, ids in wanted.items():
            statement = self.snapshot.compiled[target].statements.by_ids
            id_list = sorted(ids, key=_sort_key)
            for start in range(0, len(id_list), 900):
                chunk = [i for i in id_list[start:start + 900] if isinstance(i, int) and not isinstance(i, bool)]
                for row in statement.execute(conn, {"ids": chunk}).mappings() if chunk else ():
                    key = (target, row["id"])
                    cache.rows[key] = dict(row)
                    if row["deleted_at"] is None:
                        cache.live.add(key)
            for i in ids:
                cache.rows.setdefault((target, i), {"id": i})

    def _complete(self, ce: CompiledEntity, record: dict[str, Any], *, new: bool, errors: _Errors,
                  prefix: str = "", conn: sa.Connection | None = None,
                  cache: _Links | None = None) -> None:
        """Defaults (new records), child rows, computed fields, then required and rule checks."""
        cache = _Links() if cache is None else cache
        data = self._linked(conn, ce, record, cache)
        if new:
            for f, literal, formula in ce.defaults:
                if _unset(record, f.key):
                    if formula is None:
                        record[f.key] = literal
                    else:
                        if ce.lookups:
                            self._look_up(conn, ce, record, data, cache)
                        record[f.key] = self._default(ce, f, formula, data, errors, prefix)
                    if data is not record:
                        data[f.key] = record[f.key]
            if ce.lookups:
                self._look_up(conn, ce, record, data, cache)
        for f in ce.entity.table_fields:
            child = self.snapshot.compiled[f.of or ""]
            rows = record.get(f.key) or []
            for i, row in enumerate(rows):
                self._complete(child, row, new=row.get("id") is None, errors=errors,
                               prefix=f"{_join(prefix, f.key)}[{i}]", conn=conn, cache=cache)
            record[f.key] = rows
            if data is not record:
                data[f.key] = rows
        if ce.rollups:
            values = self._rollup_values(conn, ce, record)
            record.update(values)
            if data is not record:
                data.update(values)
        self._compute(ce, record, data, errors, prefix)
        for f in ce.required:
            if _empty(record.get(f.key)):
                errors.add(_join(prefix, f.key), CATALOG["required"])
        self._judge(ce.checks, record, data, errors, prefix)

    def _default(self, ce: CompiledEntity, f: Field, formula: Any, data: Any, errors: _Errors, prefix: str) -> Any:
        ok, value = self._eval(formula, data, errors, _join(prefix, f.key), f"{ce.key}.{f.key}.default")
        try:
            return coerce_result(f, value) if ok else None
        except (ValueError, ArithmeticError):
            return None

    def _follow(self, conn: sa.Connection, ce: CompiledEntity, before: Mapping[str, Any], after: dict[str, Any],
                sent: Iterable[str], cache: _Links, errors: _Errors, prefix: str = "") -> None:
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
                old_data = dict(self._linked(conn, ce, before, cache))
            quiet = _Errors()
            if self._default(ce, f, formula, old_data, quiet, prefix) != before.get(f.key):
                continue  # set by someone: theirs to keep
            if new_data is None:
                new_data = dict(self._linked(conn, ce, after, cache))
            after[f.key] = new_data[f.key] = self._default(ce, f, formula, new_data, errors, prefix)

    def _judge(self, checks: Iterable[Check], record: Mapping[str, Any], data: Any, errors: _Errors,
               prefix: str) -> None:
        """Run validation rules; a failed one puts its message on its target fields (a field rule
        over an empty field is skipped: ``required`` speaks for that)."""
        for check in checks:
            if check.field_key is not None and _empty(record.get(check.field_key)):
                continue
            where = _join(prefix, check.targets[0]) if check.targets else (prefix or RECORD)
            ok, result = self._eval(check.fn, data, errors, where, check.rule_id)
            if not ok or truthy(result):
                continue
            for target in check.targets or (RECORD,):
                errors.add(_join(prefix, target) if target != RECORD else (prefix or RECORD), check.message)

    def _compute(self, ce: CompiledEntity, record: dict[str, Any], data: dict[str, Any], errors: _Errors,
                 prefix: str) -> None:
        """The computed fields in order; ``data`` (the record as rules see it) follows each result."""
        for f, fn in ce.computed:
            self._compute_one(ce, f, fn, record, data, errors, prefix)

    def _compute_one(self, ce: CompiledEntity, f: Field, fn: Any, record: dict[str, Any], data: dict[str, Any],
                     errors: _Errors, prefix: str) -> None:
        ok, value = self._eval(fn, data, errors, _join(prefix, f.key), f"{ce.key}.{f.key}")
        try:
            record[f.key] = coerce_result(f, value) if ok else None
        except (ValueError, ArithmeticError):
            record[f.key] = None
            errors.add(_join(prefix, f.key), Text(f"公式结果 {value!r} 不是{f.value_type}",
                                                  f"formula result {value!r} is not a {f.value_type}"))
        if data is not record:
            data[f.key] = record[f.key]

    def _rollup_values(self, conn: sa.Connection | None, ce: CompiledEntity, record: Mapping[str, Any]
                       ) -> dict[str, Any]:
        """Aggregates over the records that link here (a new record has none yet) or match it."""
        if record.get("id") is None and all(r.link is not None for r in ce.rollups):
            return {r.field.key: coerce_result(r.field, 0 if r.op in ("count", "sum") else None) for r in ce.rollups}
        query = self._rollup_query(ce, clock.today())
        params = {"rollup_id": record.get("id"), **{f"rollup_{ours}": record.get(ours) for r in ce.rollups
                                                     for _theirs, ours in r.match}}
        with self._reading(conn) as reading:
            row = query.execute(reading, params).mappings()[0]
        out = {}
        for r in ce.rollups:
            value = row[r.field.key]
            if value is None and r.op == "sum":
                value = 0
            out[r.field.key] = coerce_result(r.field, value)
        return out

    def _rollup_query(self, ce: CompiledEntity, today: date) -> Prepared:
        """One SELECT of every roll-up of ``ce`` for the record ``:rollup_id`` (cached per day: the
        windows in roll-up conditions move with ``today``)."""
        key = (ce.key, today)
        query = self._rollup_sql.get(key)
        if query is None:
            columns = []
            record_id = sa.bindparam("rollup_id")
            for r in ce.rollups:
                table = self.snapshot.tables[r.source]
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
            if len(self._rollup_sql) > 64:
                self._rollup_sql.clear()
            self._rollup_sql[key] = query
        return query

    def _propagate(self, conn: sa.Connection, ce: CompiledEntity, pairs: Iterable[tuple[Mapping[str, Any],
                                                                                         Mapping[str, Any]]],
                   depth: int, journal: list[_Entry], known: _Links | None = None) -> None:
        """Recompute the roll-ups of the records our changed records link to (old and new targets)."""
        if not ce.feeds or depth > MAX_CASCADE:
            return
        pairs = list(pairs)
        for feed in ce.feeds:
            for target_id in self._fed(conn, feed, pairs):
                try:
                    self._refresh(conn, self.snapshot.compiled[feed.target], target_id, depth + 1, journal, known)
                except NotFound:
                    continue  # the target was deleted meanwhile: nothing to roll up into

    def _fed(self, conn: sa.Connection, feed: Feed, pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
             ) -> list[Any]:
        """The records of ``feed.target`` that the changed records (old and new values) roll up into."""
        records = [rec for pair in pairs for rec in pair if rec]
        if feed.link is not None:
            return sorted({rec.get(feed.link) for rec in records if rec.get(feed.link) is not None})
        table = self.snapshot.tables[feed.target]
        keys = {tuple(rec.get(theirs) for theirs, _ours in feed.match) for rec in records}
        matches = [sa.and_(*(table.c[ours] == value for (_theirs, ours), value in zip(feed.match, key, strict=True)))
                   for key in keys]
        if not matches:
            return []
        query = sa.select(table.c.id).where(table.c.deleted_at.is_(None), sa.or_(*matches)).order_by(table.c.id)
        return list(conn.execute(query).scalars())

    def _refresh(self, conn: sa.Connection, ce: CompiledEntity, record_id: int, depth: int, journal: list[_Entry],
                 known: _Links | None) -> None:
        """Recompute a record's roll-ups, and the formulas that read a roll-up that moved (or the clock),
        after a change in the records that link to it.

        A system write of derived values: nobody edited the record, so a rule is judged again only
        when a field it reads changed (a phone rule added since must not refuse every order of a
        customer whose stored phone it rejects); unique values and links only when they changed.
        Entities with child rows take the full update path (their rows' formulas may read ours)."""
        if ce.entity.table_fields:
            self._update(ce, record_id, {}, SYSTEM, None, True, None, None, conn, depth=depth, journal=journal,
                         known=known)
            return
        current = self._current(conn, ce, record_id, SYSTEM, known)
        merged = dict(current)
        errors = _Errors()
        data = self._linked(conn, ce, merged, known if known is not None else _Links())
        rollups = self._rollup_values(conn, ce, current)
        merged.update(rollups)
        if data is not merged:
            data.update(rollups)
        # only the formulas downstream of a changed roll-up (and those reading the clock) can move
        moved = {k for k, v in rollups.items() if v != current.get(k)}
        for f, fn in ce.computed:
            reads = ce.formula_reads.get(f.key)
            if reads is not None and reads.isdisjoint(moved):
                continue
            self._compute_one(ce, f, fn, merged, data, errors, "")
            if merged[f.key] != current.get(f.key):
                moved.add(f.key)
        diff = self._diff(ce, current, merged)
        if not diff:
            errors.raise_if_any()
            return
        self._judge([c for c in ce.checks if not c.reads.isdisjoint(diff)], merged, data, errors, "")
        self._check_unique(conn, ce, [merged], errors, [""], exclude_id=record_id, before=current)
        errors.raise_if_any()
        now = datetime.now(UTC)
        written = {k: merged[k] for k in diff}
        written.update(version=current["version"] + 1, updated_at=now, updated_by=None)
        self._write_versioned(conn, ce, record_id, current["version"], written)
        stored = {**merged, **written}
        self._journal(journal, ce, "updated", [(stored, diff)], SYSTEM, now)
        self._propagate(conn, ce, [(current, stored)], depth, journal)

    def recompute(self, entity_key: str, ids: Iterable[int] | None = None, *, chunk: int = 200) -> int:
        """Recompute stored formulas and roll-ups (time windows move daily); return how many changed."""
        ce = self.compiled(entity_key)
        with self.db.read() as conn:
            query = sa.select(ce.table.c.id).where(ce.table.c.deleted_at.is_(None)).order_by(ce.table.c.id)
            all_ids = list(ids) if ids is not None else list(conn.execute(query).scalars())
        changed = 0
        for start in range(0, len(all_ids), chunk):
            with self.db.write() as conn:
                for record_id in all_ids[start:start + chunk]:
                    try:
                        before = self._fetch(conn, ce, record_id)
                    except NotFound:
                        continue
                    after = self._update(ce, record_id, {}, SYSTEM, None, True, None, None, conn)
                    changed += after["version"] != before["version"]
        return changed

    def _check_links(self, conn: sa.Connection, ce: CompiledEntity, records: Sequence[Mapping[str, Any]],
                     errors: _Errors, prefixes: Sequence[str], cache: _Links | None = None,
                     before: Mapping[str, Any] | None = None) -> None:
        """Every link must point at a live record of its target entity. Rows read for the rules
        already answer for their ids; with ``before`` (an update) only changed links are checked."""
        wanted: dict[str, set[int]] = {}
        places: list[tuple[str, str, int]] = []

        def collect(c: CompiledEntity, rec: Mapping[str, Any], old: Mapping[str, Any] | None, prefix: str) -> None:
            for f in c.links + c.attachments:
                value = rec.get(f.key)
                if value is None or (old is not None and old.get(f.key) == value):
                    continue
                target = f.to or "" if f.type == "link" else FILES
                places.append((_join(prefix, f.key), target, value))
                if cache is None or (target, value) not in cache.rows:
                    wanted.setdefault(target, set()).add(value)
            for tf in c.entity.table_fields:
                child = self.snapshot.compiled[tf.of or ""]
                stored = {r["id"]: r for r in (old or {}).get(tf.key) or ()}
                for i, row in enumerate(rec.get(tf.key) or ()):
                    collect(child, row, stored.get(row.get("id")), f"{_join(prefix, tf.key)}[{i}]")

        for rec, prefix in zip(records, prefixes, strict=True):
            collect(ce, rec, before, prefix)
        found: set[tuple[str, int]] = set(cache.live) if cache is not None else set()
        for target, ids in wanted.items():
            if target == FILES:
                query = _FILE_IDS
            else:
                query = self.snapshot.compiled[target].statements.live_ids
            id_list = sorted(ids, key=_sort_key)
            for start in range(0, len(id_list), 900):
                chunk = id_list[start:start + 900]
                found |= {(target, i) for i in query.execute(conn, {"ids": chunk}).scalars()}
        for path, target, value in places:
            if (target, value) in found:
                continue
            if target == FILES:
                errors.add(path, Text(f"文件 {value} 不存在，请先上传",
                                      f"file {value} does not exist; upload it first"))
            else:
                label = self.snapshot.entities[target].label
                errors.add(path, Text(f"{label.zh} #{value} 不存在或已删除", f"{label.en} #{value} does not exist"))

    def _check_unique(self, conn: sa.Connection, ce: CompiledEntity, records: Sequence[Mapping[str, Any]],
                      errors: _Errors, prefixes: Sequence[str], exclude_id: int | None = None,
                      before: Mapping[str, Any] | None = None) -> None:
        """Unique fields must be free; with ``before`` (an update) only changed values are looked up."""
        table = ce.table
        for f in ce.uniques:
            if before is not None and all(rec.get(f.key) == before.get(f.key) for rec in records):
                continue
            values: dict[Any, str] = {}
            for rec, prefix in zip(records, prefixes, strict=True):
                v = rec.get(f.key)
                if v is None:
                    continue
                if v in values:
                    errors.add(_join(prefix, f.key), Text(f"与 {values[v] or '另一行'} 重复：{v}",
                                                         f"duplicates {values[v] or 'another row'}: {v}"))
                values.setdefault(v, prefix)
            if not values:
                continue
            query = sa.select(table.c[f.key]).where(table.c[f.key].in_(list(values)))
            if exclude_id is not None:
                query = query.where(table.c.id != exclude_id)
            for taken in conn.execute(query).scalars():
                errors.add(_join(values[taken], f.key), Text(f"{f.label.zh}“{taken}”已被使用",
                                                            f"{f.label.en} {taken!r} is already taken"))

    def evaluation_data(self, entity_key: str, record: Mapping[str, Any], conn: sa.Connection | None = None
                        ) -> dict[str, Any]:
        """A stored record with every link expanded, for rules evaluated outside a write (approvals)."""
        ce = self.snapshot.compiled[entity_key]
        return self._linked(conn, ce, record, _Links(), links=ce.links)

    def fetch(self, conn: sa.Connection, entity_key: str, record_id: int, *, lock: bool = False) -> dict[str, Any]:
        """The stored record (Python values, child rows nested) inside a caller's transaction."""
        return self._fetch(conn, self.compiled(entity_key), record_id, lock=lock)

    def summary(self, entity_key: str, record: Mapping[str, Any], conn: sa.Connection | None = None) -> Text:
        """A stored record in one line, for people: entity, number, title and summary fields
        (``销售订单 SO-202612-00012 · 宁波鑫达五金 · 折合人民币 56,000.00``)."""
        entity = self.snapshot.entities[entity_key]
        zh: list[str] = [f"{entity.label.zh} {record.get('name') or '#' + str(record.get('id'))}"]
        en: list[str] = [f"{entity.label.en} {record.get('name') or '#' + str(record.get('id'))}"]
        keys = [k for k in (entity.title_field,) if k and k != "name"] + list(entity.summary_fields)
        for key in dict.fromkeys(keys):
            f = entity.by_key.get(key)
            value = record.get(key)
            if f is None or value is None or value == "":
                continue
            if f.type == "link":
                target = self.snapshot.entities[f.to or ""]
                with self._reading(conn) as reading:
                    row = self.snapshot.compiled[target.key].statements.by_ids.execute(
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

    # -- reading ---------------------------------------------------------------------------

    def _load_children(self, conn: sa.Connection, ce: CompiledEntity, ids: Sequence[int]
                       ) -> dict[str, dict[int, list[dict[str, Any]]]]:
        out: dict[str, dict[int, list[dict[str, Any]]]] = {}
        for f in ce.entity.table_fields:
            child = self.snapshot.compiled[f.of or ""]
            by_parent: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
            keys = ["id"] + [c.key for c in child.entity.stored_fields]
            for start in range(0, len(ids), 900):
                rows = child.statements.rows_of.execute(conn, {"ids": list(ids[start:start + 900])}).mappings()
                for row in rows:
                    by_parent[row["parent_id"]].append({k: row[k] for k in keys})
            out[f.key] = by_parent
        return out

    def _fetch(self, conn: sa.Connection, ce: CompiledEntity, record_id: int, *, lock: bool = False,
               actor: Actor = SYSTEM) -> dict[str, Any]:
        lock = lock and not self.db.is_sqlite
        scope = self._row_scope(conn, ce, actor)
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
        for key, by_parent in self._load_children(conn, ce, [record_id]).items():
            record[key] = by_parent[record_id]
        return record

    def get(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "read")
        with self.db.read() as conn:
            return self.dump(ce, self._fetch(conn, ce, record_id, actor=actor), hidden=self._hidden(ce, actor))

    def list(self, entity_key: str, query: ListQuery | None = None, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        """One page of records with the paging facts; child rows only when ``fields`` names them."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "read")
        query = query or ListQuery()
        with self.db.read() as conn:
            rows, info = run_list(conn, ce, query, self._row_scope(conn, ce, actor))
            nested = [f.key for f in ce.entity.table_fields if query.fields and f.key in query.fields]
            if nested and rows:
                children = self._load_children(conn, ce, [r["id"] for r in rows])
                for row in rows:
                    for key in nested:
                        row[key] = children[key][row["id"]]
        hidden = self._hidden(ce, actor)
        return {"items": [self.dump(ce, r, query.fields, hidden=hidden) for r in rows], **info}

    def dump(self, ce: CompiledEntity, record: Mapping[str, Any], fields: Iterable[str] | None = None,
             hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The JSON form of a stored record (system fields first, then fields in metadata order);
        ``hidden`` are the fields the reader's roles may not see."""
        wanted = set(fields) if fields is not None else None
        out: dict[str, Any] = {k: json_value(record.get(k)) for k in SYSTEM_OUT if k in record}
        for f in ce.entity.fields:
            if f.hidden or f.key in hidden or (wanted is not None and f.key not in wanted):
                continue
            if f.type == "table":
                child = self.snapshot.compiled[f.of or ""]
                out[f.key] = [self.dump(child, row) for row in record.get(f.key, ())]
            elif f.key in record:
                out[f.key] = json_value(record[f.key])
        return out

    # -- writing ---------------------------------------------------------------------------

    @contextmanager
    def _reading(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """The caller's connection when it passes one, else a read connection of our own."""
        if conn is not None:
            yield conn
        else:
            with self.db.read() as own:
                yield own

    @contextmanager
    def _txn(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """The caller's transaction when it passes one (workflow steps compose writes), else our own."""
        if conn is not None:
            yield conn
        else:
            with self.db.write() as own:
                yield own

    def validate(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, internal: bool = False,
                 links: bool = True) -> dict[str, Any]:
        """Everything ``create`` would check — fields, formulas, rules, links, unique values — without
        writing; raise ValidationFailed, or return the record as it would be stored (no id yet).

        ``links=False`` skips the link check, for a payload whose linked record is created in
        the same unit of work (an inbound order and its new customer)."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "create")
        errors = _Errors()
        record = self._parse(ce, payload, partial=False, internal=internal, errors=errors)
        with self.db.read() as conn:
            self._complete(ce, record, new=True, errors=errors, conn=conn)
            if links:
                self._check_links(conn, ce, [record], errors, [""])
            self._check_unique(conn, ce, [record], errors, [""])
        errors.raise_if_any()
        return self.dump(ce, record)

    def preview(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, record_id: int | None = None
                ) -> tuple[dict[str, Any], FieldErrors]:
        """The record as a create (or, with ``record_id``, an edit) of ``payload`` would store it —
        defaults, look-ups, formulas — and the problems found, without raising or writing. A form
        shows the server's own defaults and totals with it while the user types."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "create" if record_id is None else "update")
        errors = _Errors()
        cache = _Links()
        with self.db.read() as conn:
            if record_id is None:
                record = self._parse(ce, payload, partial=False, internal=False, errors=errors)
                self._complete(ce, record, new=True, errors=errors, conn=conn, cache=cache)
            else:
                current = self._fetch(conn, ce, record_id, actor=actor)
                changes = self._parse(ce, payload, partial=True, internal=False, errors=errors)
                record = self._merge(conn, ce, current, changes, payload, cache, errors)
                self._complete(ce, record, new=False, errors=errors, conn=conn, cache=cache)
        return self.dump(ce, record, hidden=self._hidden(ce, actor)), errors.items

    def create(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, internal: bool = False,
               conn: sa.Connection | None = None, known: Mapping[tuple[str, int], Mapping[str, Any]] | None = None
               ) -> dict[str, Any]:
        """Create one record; return it as the API shows it.

        ``known``: whole rows of live records that ``conn``'s transaction has just read, by
        (entity, id) — links to them are neither read nor checked again."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "create")
        return self._create(ce, [payload], actor, internal, conn=conn, known=known)[0]

    def create_many(self, entity_key: str, payloads: Sequence[Any], *, actor: Actor = SYSTEM,
                    internal: bool = False, conn: sa.Connection | None = None, history: bool = False
                    ) -> list[dict[str, Any]]:
        """Create many records in one transaction: all are written, or none (errors by row).

        ``history`` (system actor only) imports records as they stand in an earlier system,
        workflow state included, instead of starting them in the initial state.
        """
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "create")
        if history and not actor.system:
            raise Forbidden(Text("只有系统导入可以指定流程状态", "only a system import may set workflow states"))
        return self._create(ce, list(payloads), actor, internal or history, prefixed=True, conn=conn,
                            history=history)

    def _create(self, ce: CompiledEntity, payloads: list[Any], actor: Actor, internal: bool,
                prefixed: bool = False, conn: sa.Connection | None = None, history: bool = False,
                known: Mapping[tuple[str, int], Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
        try:
            return self._create_unguarded(ce, payloads, actor, internal, prefixed, conn, history, known)
        except sa.exc.IntegrityError as exc:
            raise _integrity_conflict(exc) from None

    def _create_unguarded(self, ce: CompiledEntity, payloads: list[Any], actor: Actor, internal: bool,
                          prefixed: bool, outer: sa.Connection | None, history: bool,
                          known: Mapping[tuple[str, int], Mapping[str, Any]] | None) -> list[dict[str, Any]]:
        errors = _Errors()
        prefixes = [f"[{i}]" if prefixed else "" for i in range(len(payloads))]
        locked = self._locked(ce, actor, "create")
        records = [self._parse(ce, p, partial=False, internal=internal, errors=errors, prefix=pre, locked=locked)
                   for p, pre in zip(payloads, prefixes, strict=True)]
        workflow = self._workflow(ce)
        if workflow is not None:
            for rec, pre in zip(records, prefixes, strict=True):
                if not history or rec.get(workflow.state_field) is None:
                    rec[workflow.state_field] = workflow.initial
                elif rec[workflow.state_field] not in workflow.states:
                    errors.add(_join(pre, workflow.state_field),
                               Text("不是流程中的状态", "not a state of the workflow"))
        now = datetime.now(UTC)
        cache = _Links()
        if known and outer is not None:
            cache.rows.update(known)  # read-only here: an update starts from a copy (_current)
            cache.live.update(known)
        with self._txn(outer) as conn:
            # the linked rows are read once, in the write's transaction: the rules read them, and they
            # also answer the link check and (SQLite) start the roll-up refresh of those records
            self._prefetch(conn, ce, records, cache, every_link=True)
            for rec, pre in zip(records, prefixes, strict=True):
                self._complete(ce, rec, new=True, errors=errors, prefix=pre, conn=conn, cache=cache)
            errors.raise_if_any()
            self._check_links(conn, ce, records, errors, prefixes, cache)
            self._check_unique(conn, ce, records, errors, prefixes)
            errors.raise_if_any()
            names = self._names(conn, ce, records, now)
            rows = []
            for rec, name in zip(records, names, strict=True):
                row = {f.key: rec.get(f.key) for f in ce.entity.stored_fields}
                row.update(name=name, version=1, created_at=now, updated_at=now, created_by=actor.id,
                           updated_by=actor.id, deleted_at=None)
                rows.append(row)
            ids = self._insert(conn, ce, rows)
            results = [{**row, "id": record_id} for row, record_id in zip(rows, ids, strict=True)]
            for f in ce.entity.table_fields:
                self._insert_children(conn, f, records, results)
            journal: list[_Entry] = []
            dumped = [self.dump(ce, r) for r in results]
            self._journal(journal, ce, "created", [(r, self._created_diff(ce, r, d)) for r, d in zip(results, dumped,
                                                                                                   strict=True)],
                          actor, now, dumped=dumped)
            self._propagate(conn, ce, [({}, r) for r in results], 0, journal, cache)
            self._write_journal(conn, journal)
        hidden = self._hidden(ce, actor)
        return [self.dump(ce, r, hidden=hidden) for r in results] if hidden else dumped

    def _names(self, conn: sa.Connection, ce: CompiledEntity, records: Sequence[Mapping[str, Any]], now: datetime
               ) -> list[str]:
        """The records' numbers, dated by the entity's ``naming_date`` field when it has one (an order
        imported from last month is numbered in last month's series), else by ``now``."""
        pattern = ce.entity.naming or default_pattern(ce.key)
        key = ce.entity.naming_date
        dated = [_moment(rec.get(key), now) if key else now for rec in records]
        groups: dict[tuple[str, str, int], list[int]] = {}
        for i, when in enumerate(dated):
            groups.setdefault(split(pattern, when), []).append(i)
        names = [""] * len(records)
        for positions in groups.values():
            for i, name in zip(positions, next_names(self.db, conn, pattern, len(positions), dated[positions[0]]),
                               strict=True):
                names[i] = name
        return names

    def update(self, entity_key: str, record_id: int, patch: Any, *, actor: Actor = SYSTEM,
               expected_version: int | None = None, internal: bool = False, transition: str | None = None,
               comment: str | None = None, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Change some fields of a record. A stale ``expected_version`` is a conflict, never an overwrite.

        The state field of an entity with a workflow changes only through ``transition`` (an
        action of the workflow): its source state, roles, required fields and guards are
        checked here, so no adapter can move a record along a transition it may not take.
        """
        ce = self.compiled(entity_key)
        workflow = self._workflow(ce)
        if transition is not None and workflow is not None and not actor.can(ce.entity, "update"):
            # Taking an action is not editing: the action's roles decide (checked in begin), and
            # only the fields the action asks for may come with it.
            self._authorize(actor, ce, "read")
            extra = set(patch or {}) - workflow.editable_with(transition) if isinstance(patch, Mapping) else set()
            if extra:
                raise Forbidden(Text(f"执行此操作时不能修改：{'、'.join(sorted(extra))}",
                                     f"this action may not change: {', '.join(sorted(extra))}"))
        else:
            self._authorize(actor, ce, "update")
        try:
            return self._update(ce, record_id, patch, actor, expected_version, internal, transition, comment, conn)
        except sa.exc.IntegrityError as exc:
            raise _integrity_conflict(exc) from None

    def _update(self, ce: CompiledEntity, record_id: int, patch: Any, actor: Actor, expected_version: int | None,
                internal: bool, transition: str | None, comment: str | None,
                outer: sa.Connection | None, depth: int = 0, journal: list[_Entry] | None = None,
                known: _Links | None = None) -> dict[str, Any]:
        """``journal``: the caller's pending audit entries and events (a roll-up refresh joins
        those of the write that caused it: one multi-row insert each); otherwise written here."""
        errors = _Errors()
        # a field the actor's roles may not change may still come back unchanged (a record
        # exported and imported again, a form that sends what it shows): only a change is refused
        locked = self._locked(ce, actor, "update")
        changes = self._parse(ce, patch, partial=True, internal=internal, errors=errors)
        workflow = self._workflow(ce)
        if workflow is not None and workflow.state_field in changes and transition is None:
            errors.add(workflow.state_field, Text("状态只能通过流程操作改变", "the state changes only through a "
                                                  "workflow action"))
        errors.raise_if_any()
        now = datetime.now(UTC)
        with self._txn(outer) as conn:
            current = self._current(conn, ce, record_id, actor, known)
            if expected_version is not None and current["version"] != expected_version:
                raise PreconditionFailed(Text(
                    f"版本 {expected_version} 已过期，当前为 {current['version']}；请刷新后重试",
                    f"version {expected_version} is stale, the record is at version {current['version']}; "
                    "reload and try again"), current_version=current["version"])
            cache = _Links()
            merged = self._merge(conn, ce, current, changes, patch, cache, errors)
            step = None
            if transition is not None:
                if workflow is None:
                    raise NotFound(Text(f"{ce.entity.label.zh}没有流程", f"{ce.entity.label.en} has no workflow"))
                step = workflow.begin(transition, current, merged, actor, comment)
            self._prefetch(conn, ce, [merged], cache, every_link=False)
            self._complete(ce, merged, new=False, errors=errors, conn=conn, cache=cache)
            if step is not None:
                # Guards judge the record as it stands with the values sent along, before the
                # action's own effects; then the effects apply and formulas run again.
                step.check(self._linked(conn, ce, merged, cache, links=ce.links), errors)
                step.apply(merged)
                self._complete(ce, merged, new=False, errors=errors, conn=conn, cache=cache)
            self._check_links(conn, ce, [merged], errors, [""], cache, before=current)
            self._check_unique(conn, ce, [merged], errors, [""], exclude_id=record_id, before=current)
            if step is not None:
                step.raise_if_refused(errors)
            errors.raise_if_any()
            diff = self._diff(ce, current, merged)
            for key in sorted(locked & changes.keys() & diff.keys()):
                errors.add(key, CATALOG["role_read_only"])
            errors.raise_if_any()
            if step is None and workflow is not None and not internal and not actor.system:
                # an edit (not an action) of fields the record's state freezes: refused, saying why
                refused = workflow.refused_edits(current.get(workflow.state_field), set(diff))
                if refused:
                    raise RecordLocked(next(iter(refused.values())),
                                       errors={key: [message] for key, message in refused.items()})
            if not diff and step is None:
                return self.dump(ce, current)
            values = {f.key: merged.get(f.key) for f in ce.entity.stored_fields}
            values.update(version=current["version"] + 1, updated_at=now, updated_by=actor.id)
            # only the changed columns are written: fewer values to bind and to log
            written = {k: v for k, v in values.items() if k in diff or k in _VERSIONING}
            self._write_versioned(conn, ce, record_id, current["version"], written)
            stored = {**current, **values}
            for f in ce.entity.table_fields:
                stored[f.key] = self._write_children(conn, f, record_id, current.get(f.key, []), merged[f.key])
            pending: list[_Entry] = [] if journal is None else journal
            if step is not None:
                diff["_transition"] = step.journal()
                self._journal(pending, ce, "transition", [(stored, diff)], actor, now, topic=step.topic)
            else:
                self._journal(pending, ce, "updated", [(stored, diff)], actor, now)
            self._propagate(conn, ce, [(current, stored)], depth, pending)
            if journal is None:
                self._write_journal(conn, pending)
        return self.dump(ce, stored, hidden=self._hidden(ce, actor))

    def _merge(self, conn: sa.Connection, ce: CompiledEntity, current: Mapping[str, Any], changes: Mapping[str, Any],
               patch: Any, cache: _Links, errors: _Errors) -> dict[str, Any]:
        """The record as the edit would leave it: the changes over the stored values, rows of a
        table merged by id, and formula defaults that follow what the edit changed (:meth:`_follow`)."""
        merged = dict(current)
        for f in ce.entity.table_fields:
            merged[f.key] = [dict(r) for r in current.get(f.key, [])]
        for key, value in changes.items():
            if key in merged and ce.entity.by_key[key].type == "table":
                merged[key] = self._merge_rows(ce.entity.by_key[key], current.get(key, []), value, errors)
            else:
                merged[key] = value
        if not changes:
            return merged
        self._follow(conn, ce, current, merged, changes, cache, errors)
        for f in ce.entity.table_fields:
            if f.key not in changes:
                continue
            child = self.snapshot.compiled[f.of or ""]
            stored = {r["id"]: r for r in current.get(f.key, [])}
            sent = patch.get(f.key) if isinstance(patch, Mapping) else None
            for i, row in enumerate(merged[f.key]):
                given = sent[i] if isinstance(sent, list) and i < len(sent) else None
                if row.get("id") in stored and isinstance(given, Mapping):
                    self._follow(conn, child, stored[row["id"]], row, given, cache, errors, f"{f.key}[{i}]")
        return merged

    @staticmethod
    def _write_versioned(conn: sa.Connection, ce: CompiledEntity, record_id: int, version: int,
                         written: dict[str, Any]) -> None:
        """Write the changed columns of the record at ``version`` (optimistic lock)."""
        done = ce.statements.update_versioned.execute(conn, {**written, "w_id": record_id, "w_version": version})
        if done.rowcount != 1:
            raise ConflictError(Text("记录刚被他人修改，请刷新后重试",
                                     "the record was changed at the same moment; reload and try again"))

    def _current(self, conn: sa.Connection, ce: CompiledEntity, record_id: int, actor: Actor,
                 known: _Links | None) -> dict[str, Any]:
        """The record an update starts from. On SQLite a row this transaction read already (a
        linked row of the write that refreshes its roll-ups) is still current: the write lock
        is held. It is used once; PostgreSQL always reads it again with its row lock."""
        key = (ce.key, record_id)
        if known is None or not self.db.is_sqlite or not actor.system or key not in known.live:
            return self._fetch(conn, ce, record_id, lock=True, actor=actor)
        known.live.discard(key)
        record = dict(known.rows.pop(key))
        for field_key, by_parent in self._load_children(conn, ce, [record_id]).items():
            record[field_key] = by_parent[record_id]
        return record

    def _workflow(self, ce: CompiledEntity) -> Any:
        return self.snapshot.features.get("workflows", {}).get(ce.key)

    def delete(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM,
               expected_version: int | None = None, conn: sa.Connection | None = None) -> None:
        """Move a record to the recycle bin (``deleted_at``); its data and children are kept."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "delete")
        self._set_deleted(ce, record_id, actor, expected_version, conn, deleted=True)

    def restore(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM,
                conn: sa.Connection | None = None) -> dict[str, Any]:
        """Bring a record back from the recycle bin."""
        ce = self.compiled(entity_key)
        self._authorize(actor, ce, "delete")
        return self._set_deleted(ce, record_id, actor, None, conn, deleted=False)

    def _set_deleted(self, ce: CompiledEntity, record_id: int, actor: Actor, expected_version: int | None,
                     outer: sa.Connection | None, *, deleted: bool) -> dict[str, Any]:
        now = datetime.now(UTC)
        with self._txn(outer) as conn:
            query = sa.select(ce.table).where(ce.table.c.id == record_id,
                                              ce.table.c.deleted_at.is_not(None) if not deleted
                                              else ce.table.c.deleted_at.is_(None))
            scope = self._row_scope(conn, ce, actor)
            if scope is not None:
                query = query.where(scope)
            row = conn.execute(query).mappings().first()
            if row is None:
                raise NotFound(Text(f"{ce.entity.label.zh} #{record_id} 不存在" + ("" if deleted else "于回收站"),
                                    f"{ce.entity.label.en} #{record_id} is not " + ("there" if deleted
                                                                                     else "in the recycle bin")))
            current = dict(row)
            if expected_version is not None and current["version"] != expected_version:
                raise PreconditionFailed(Text("版本已过期，请刷新后重试", "the version is stale; reload and try again"),
                                         current_version=current["version"])
            done = conn.execute(ce.table.update().where(ce.table.c.id == record_id,
                                                        ce.table.c.version == current["version"])
                                .values(deleted_at=now if deleted else None, version=current["version"] + 1,
                                        updated_at=now, updated_by=actor.id))
            if done.rowcount != 1:
                raise ConflictError(Text("记录刚被他人修改", "the record was changed at the same moment"))
            for key, by_parent in self._load_children(conn, ce, [record_id]).items():
                current[key] = by_parent[record_id]
            current.update(version=current["version"] + 1, deleted_at=now if deleted else None)
            # after the row's own change: a roll-up of the linking records then finds it deleted or live
            links = self._unlink(conn, ce, record_id, actor) if deleted else self._relink(conn, ce, current, actor)
            if links and not deleted:  # the links put back may have moved its roll-ups
                current["version"] = conn.execute(sa.select(ce.table.c.version)
                                                  .where(ce.table.c.id == record_id)).scalar_one()
            diff = self._diff(ce, current, {}) if deleted else self._diff(ce, {}, current)
            if links:
                diff[UNLINKED if deleted else "_relinked"] = links
            journal: list[_Entry] = []
            self._journal(journal, ce, "deleted" if deleted else "restored", [(current, diff)], actor, now)
            self._propagate(conn, ce, [(current, {})], 0, journal)
            self._write_journal(conn, journal)
        return self.dump(ce, current)

    # -- what deleting a record does to the records that link to it ----------------------------

    def _inbound(self, target: str) -> list[_Inbound]:
        """The link fields that point at ``target``, with the parent of a child row's entity."""
        def build() -> list[_Inbound]:
            found = []
            for holder in self.snapshot.compiled.values():
                for f in holder.links:
                    if f.to != target:
                        continue
                    if not holder.entity.child:
                        found.append(_Inbound(holder, f, holder, None))
                    for parent in self.snapshot.compiled.values():
                        found += [_Inbound(holder, f, parent, tf) for tf in parent.entity.table_fields
                                  if tf.of == holder.key]
            return found
        return self.snapshot.memo(("records.inbound", target), build)

    def _linking(self, conn: sa.Connection, link: _Inbound, record_id: int) -> dict[int, list[int]]:
        """The live records that link to ``record_id`` through ``link``: record id → child row ids."""
        owner, holder = link.owner.table, link.holder.table
        if link.table_field is None:
            query = sa.select(owner.c.id, sa.null())
        else:
            query = sa.select(owner.c.id, holder.c.id).select_from(holder.join(owner, holder.c.parent_id == owner.c.id))
        query = query.where(holder.c[link.field.key] == record_id, owner.c.deleted_at.is_(None))
        if link.owner.key == link.field.to:  # a record that links to itself does not hold its own delete
            query = query.where(owner.c.id != record_id)
        found: dict[int, list[int]] = {}
        for owner_id, row_id in conn.execute(query.order_by(owner.c.id)):
            found.setdefault(owner_id, []).extend([row_id] if row_id is not None else [])
        return found

    def _unlink(self, conn: sa.Connection, ce: CompiledEntity, record_id: int, actor: Actor) -> dict[str, Any]:
        """Refuse to delete a record that live records link to (``on_delete: restrict``, the default),
        or clear those links through the record service (``set_null``): each record is changed once,
        audited as a change by the deleting user. Returns what was cleared, for a restore."""
        refused: FieldErrors = {}
        cleared: dict[str, Any] = {}
        changes: _LinkChanges = {}
        target = ce.entity.label
        for link in self._inbound(ce.key):
            linking = self._linking(conn, link, record_id)
            if not linking:
                continue
            if link.field.on_delete == "set_null":
                for owner_id, rows in linking.items():
                    changes.setdefault((link.owner.key, owner_id), []).append((link, rows, None))
                cleared[link.path] = [[owner_id, rows] for owner_id, rows in linking.items()]
                continue
            label, n = link.owner.entity.label, len(linking)
            via = (Text(f"（{link.table_field.label.zh}）", f" (in {link.table_field.label.en})")
                   if link.table_field is not None else Text("", ""))
            refused[link.path] = [Text(f"{n} 条{label.zh}记录{via.zh}引用此{target.zh}",
                                       f"{n} {label.en} record{'s' if n > 1 else ''}{via.en} link{'' if n > 1 else 's'}"
                                       f" to this {_lower(target.en)}")]
        if refused:
            raise Referenced(Text("；".join(m.zh for ms in refused.values() for m in ms) + "：请先修改或删除它们",
                                  "; ".join(m.en for ms in refused.values() for m in ms) + ": change or delete them "
                                  "first"), errors=refused)
        self._set_links(conn, changes, actor)
        return cleared

    def _relink(self, conn: sa.Connection, ce: CompiledEntity, record: Mapping[str, Any], actor: Actor
                ) -> dict[str, Any]:
        """Before a restore: the record's own links must point at live records; the links its delete
        cleared (``set_null``) are put back where they are still empty. Returns what was put back."""
        errors = _Errors()
        self._check_links(conn, ce, [record], errors, [""])
        if errors.items:
            raise LinksGone(Text("请先从回收站恢复它引用的记录", "restore the records it links to from the recycle bin "
                                 "first"), errors=errors.items)
        audit = sm.audit.c
        last = conn.execute(sa.select(audit.diff).where(audit.entity == ce.key, audit.record_id == record["id"],
                                                        audit.action == "deleted")
                            .order_by(audit.id.desc()).limit(1)).scalar()
        cleared = (last or {}).get(UNLINKED) or {}
        put_back: dict[str, Any] = {}
        changes: _LinkChanges = {}
        for link in self._inbound(ce.key):
            for owner_id, rows in cleared.get(link.path, ()):
                try:
                    owner = self._fetch(conn, link.owner, owner_id)
                except NotFound:
                    continue  # deleted since: nothing to put back
                if link.table_field is None:
                    empty, wanted = [], owner.get(link.field.key) is None
                else:  # the rows still there and still empty
                    empty = [r["id"] for r in owner[link.table_field.key] if r["id"] in rows
                             and r[link.field.key] is None]
                    wanted = bool(empty)
                if wanted:
                    changes.setdefault((link.owner.key, owner_id), []).append((link, empty, record["id"]))
                    put_back.setdefault(link.path, []).append([owner_id, empty])
        self._set_links(conn, changes, actor)
        return put_back

    def _set_links(self, conn: sa.Connection, changes: _LinkChanges, actor: Actor) -> None:
        """Set links of records (or of their child rows) through the record service, one change per
        record, in the name of the user who deleted or restored their target, whatever their rights."""
        on_behalf = replace(actor, system=True)
        for (owner_key, owner_id), items in changes.items():
            owner = self.snapshot.compiled[owner_key]
            patch: dict[str, Any] = {}
            for link, rows, value in items:
                if link.table_field is None:
                    patch[link.field.key] = value
                    continue
                key = link.table_field.key
                if key not in patch:
                    patch[key] = [{"id": r["id"]} for r in self._fetch(conn, owner, owner_id)[key]]
                for row in patch[key]:
                    if row["id"] in rows:
                        row[link.field.key] = value
            self._update(owner, owner_id, patch, on_behalf, None, True, None, None, conn)

    # -- persistence helpers ---------------------------------------------------------------

    def _insert(self, conn: sa.Connection, ce: CompiledEntity, rows: list[dict[str, Any]]) -> list[int]:
        if not rows:
            return []
        if len(rows) == 1:
            return [ce.statements.insert.execute(conn, rows[0]).scalar()]
        if ce.entity.child:
            return ce.statements.insert_rows(conn, rows)
        return [r[0] for r in conn.execute(ce.statements.insert_many, rows)]

    def _merge_rows(self, f: Field, current: list[dict[str, Any]], rows: list[dict[str, Any]],
                    errors: _Errors) -> list[dict[str, Any]]:
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

    def _insert_children(self, conn: sa.Connection, f: Field, records: Sequence[Mapping[str, Any]],
                         results: list[dict[str, Any]]) -> None:
        """The rows of new records: one multi-row insert for the whole batch, ids put back in order."""
        keys = [c.key for c in self.snapshot.compiled[f.of or ""].entity.stored_fields]
        pending: list[dict[str, Any]] = []
        for rec, stored in zip(records, results, strict=True):
            stored[f.key] = [{k: row.get(k) for k in keys} for row in rec.get(f.key) or ()]
            pending += [{"parent_id": stored["id"], "idx": idx, **values} for idx, values in enumerate(stored[f.key])]
        ids = iter(self._insert(conn, self.snapshot.compiled[f.of or ""], pending))
        for stored in results:
            stored[f.key] = [{"id": next(ids), **values} for values in stored[f.key]]

    def _write_children(self, conn: sa.Connection, f: Field, parent_id: int, before: list[dict[str, Any]],
                        after: list[dict[str, Any]]) -> list[dict[str, Any]]:
        child = self.snapshot.compiled[f.of or ""]
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
        ids = self._insert(conn, child, [r for _, r in new_rows])
        for (idx, _), new_id in zip(new_rows, ids, strict=True):
            stored[idx] = {"id": new_id, **stored[idx]}
        return stored

    def _diff(self, ce: CompiledEntity, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
        """Field-level changes ``{key: [old, new]}``; tables as added / removed / changed rows."""
        diff: dict[str, Any] = {}
        for f in ce.entity.fields:
            if f.type == "table":
                child = self.snapshot.compiled[f.of or ""]
                rows = self._diff_rows(child, before.get(f.key) or [], after.get(f.key) or [])
                if rows:
                    diff[f.key] = rows
                continue
            old, new = before.get(f.key), after.get(f.key)
            if old is new or (type(old) is type(new) and type(old) in _PLAIN and old == new):
                continue
            old, new = json_value(old), json_value(new)
            if old != new:
                diff[f.key] = [old, new]
        return diff

    def _created_diff(self, ce: CompiledEntity, record: Mapping[str, Any], dumped: dict[str, Any]
                      ) -> dict[str, Any]:
        """``_diff(ce, {}, record)`` of a new record, taken from its JSON form when that shows every
        field (no hidden ones), instead of converting each value again."""
        if self._has_hidden(ce):
            return self._diff(ce, {}, record)
        diff: dict[str, Any] = {}
        for f in ce.entity.fields:
            value = dumped.get(f.key)
            if f.type == "table":
                if value:
                    diff[f.key] = {"added": value}
            elif value is not None:
                diff[f.key] = [None, value]
        return diff

    def _has_hidden(self, ce: CompiledEntity) -> bool:
        """Whether the entity or its child rows have hidden fields (known per snapshot)."""
        def build() -> bool:
            return any(f.hidden or (f.type == "table" and self._has_hidden(self.snapshot.compiled[f.of or ""]))
                       for f in ce.entity.fields)
        return bool(self.snapshot.memo(("records.has_hidden", ce.key), build))

    def _diff_rows(self, child: CompiledEntity, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]
                   ) -> dict[str, Any]:
        old = {r["id"]: r for r in before if r.get("id") is not None}
        kept = {r.get("id") for r in after}
        out: dict[str, Any] = {}
        added = [{k: json_value(v) for k, v in r.items()} for r in after if r.get("id") not in old]
        removed = [{k: json_value(v) for k, v in r.items()} for i, r in old.items() if i not in kept]
        changed = []
        for r in after:
            if r.get("id") in old:
                d = self._diff(child, old[r["id"]], r)
                if d:
                    changed.append({"id": r["id"], "changes": d})
        if added:
            out["added"] = added
        if removed:
            out["removed"] = removed
        if changed:
            out["changed"] = changed
        return out

    def _journal(self, journal: list[_Entry], ce: CompiledEntity, action: str,
                 items: list[tuple[Mapping[str, Any], dict[str, Any]]], actor: Actor, now: datetime,
                 topic: str | None = None, dumped: list[dict[str, Any]] | None = None) -> None:
        """The audit entry and the outbox event of each write, written with the write (:meth:`_write_journal`);
        ``dumped``: the records' JSON forms when the caller has them already."""
        version = self.snapshot.version
        for i, (rec, diff) in enumerate(items):
            journal.append((
                {"entity": ce.key, "record_id": rec["id"], "action": action, "user_id": actor.id, "at": now,
                 "revision": version, "diff": diff},
                {"event_id": str(uuid.uuid4()), "topic": topic or f"{ce.key}.{action}", "entity": ce.key,
                 "record_id": rec["id"], "created_at": now,
                 "payload": {"entity": ce.key, "id": rec["id"], "name": rec.get("name"), "version": rec.get("version"),
                             "action": action, "actor": actor.username,
                             "changed": sorted(k for k in diff if k[0] != "_"), "transition": diff.get("_transition"),
                             "record": None if action == "deleted" else dumped[i] if dumped is not None
                             else self.dump(ce, rec)}}))

    def _write_journal(self, conn: sa.Connection, journal: list[_Entry]) -> None:
        if journal:
            audits = [audit for audit, _event in journal]
            _AUDIT_INSERT.execute_many(conn, audits)
            _OUTBOX_INSERT.execute_many(conn, [event for _audit, event in journal])
            # every state change and every write passes here: the stage history moves with the write
            # (and the audit entries are what cached aggregates are keyed by: records/versions.py)
            stages.record(conn, self.snapshot, audits)


def _integrity_conflict(exc: sa.exc.IntegrityError) -> ConflictError:
    """A constraint that a concurrent writer broke between our checks and our insert."""
    return ConflictError(Text("保存时与同时进行的另一次修改冲突（唯一值已被占用），未保存任何内容；请重试",
                              "a simultaneous change broke a constraint (a unique value was taken); nothing "
                              "was saved — try again"), constraint=str(exc.orig).splitlines()[0][:200])



def _moment(value: Any, default: datetime) -> datetime:
    """A date field's value as a moment of that local day (a datetime as it is)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, 12, tzinfo=LOCAL_ZONE)
    return default


#: Links to set, by record (entity key, id): each link with the child rows concerned and the new value.
_LinkChanges = dict[tuple[str, int], list[tuple["_Inbound", list[int], int | None]]]


@dataclass(frozen=True)
class _Inbound:
    """A link field pointing at an entity: held by ``holder`` (a child row's entity, or ``owner``
    itself); ``owner`` is the record that is live or deleted, through ``table_field`` for a row."""

    holder: CompiledEntity
    field: Field
    owner: CompiledEntity
    table_field: Field | None

    @property
    def path(self) -> str:
        parts = (self.owner.key, self.table_field.key if self.table_field else None, self.field.key)
        return ".".join(p for p in parts if p)


def _lower(label: str) -> str:
    """"Channel" → "channel" in the middle of a sentence; "SKU" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _row_id(row: Any) -> dict[str, Any]:
    if isinstance(row, Mapping) and isinstance(row.get("id"), int) and not isinstance(row.get("id"), bool):
        return {"id": row["id"]}
    return {}
