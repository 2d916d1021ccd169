"""An entity compiled for the record service: table, input schema, defaults, formulas, checks.

Built once per published snapshot; every write of that version reuses the same closures.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import marshmallow as ma
import sqlalchemy as sa

from sunmao.fields import stored_type
from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field
from sunmao.storage import Prepared

Evaluator = Callable[[Any], Any]


@dataclass(frozen=True)
class Check:
    """A validation rule: ``fn(record)`` must be truthy; otherwise ``message`` goes on ``targets``."""

    rule_id: str
    fn: Evaluator
    message: Text
    targets: tuple[str, ...]
    #: For a field rule, the field whose empty value skips the rule.
    field_key: str | None = None
    #: The record's fields the rule reads (the first part of each path): a refresh of derived
    #: values judges the rule again only when one of them changed.
    reads: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rollup:
    """A stored aggregate over the records of ``source`` whose ``link`` points at this record —
    or, with ``match``, whose fields equal this record's ((source field, our field) pairs)."""

    field: Field
    source: str
    link: str | None
    op: str
    value_field: str | None
    where: Callable[[date], Any] | None
    match: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Feed:
    """Records of ``source`` (ours) roll up into ``target``: through our ``link``, or by ``match``."""

    target: str
    link: str | None
    match: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CompiledLookup:
    """An entity look-up ready to run: ``clause(today, record=...)`` is its SQL condition."""

    key: str
    entity: str
    clause: Callable[..., Any]
    order_by: tuple[tuple[str, bool], ...]
    when: Evaluator | None
    #: The record's fields the look-up reads (its ``$record`` values and its ``when``).
    reads: frozenset[str]

    def params(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(record.get(k) for k in sorted(self.reads))


class Statements:
    """The statements every write of an entity runs, built once per snapshot and run as
    :class:`~sunmao.storage.Prepared` statements (compiled once, executed on the
    driver's cursor)."""

    def __init__(self, table: sa.Table):
        self.table = table
        ids = sa.bindparam("ids", expanding=True)
        #: Full rows by id (deleted ones too: a link check tells them apart).
        self.by_ids = Prepared(sa.select(table).where(table.c.id.in_(ids)))
        #: One row; its id returned.
        self.insert = Prepared(table.insert().returning(table.c.id))
        #: Many rows in one statement, their ids returned in the order of the rows (bulk creates).
        self.insert_many = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        self._rows_insert: dict[int, tuple[Prepared, list[str]]] = {}
        if "deleted_at" in table.c:  # a record (child rows have no life of their own)
            #: The ids among ``ids`` of live (not deleted) records: what a link may point at.
            self.live_ids = Prepared(sa.select(table.c.id).where(table.c.id.in_(ids), table.c.deleted_at.is_(None)))
            live_by_id = sa.select(table).where(table.c.id == sa.bindparam("id"), table.c.deleted_at.is_(None))
            #: One live record by ``:id`` (SQLAlchemy form: a row scope may be added to it).
            self.live_by_id_statement = live_by_id
            #: The same, prepared; ``…_locked`` takes its row lock on PostgreSQL.
            self.live_by_id = Prepared(live_by_id)
            self.live_by_id_locked = Prepared(live_by_id.with_for_update())
            #: The optimistic-lock update: ``:w_id`` at ``:w_version``, the new values as parameters.
            self.update_versioned = Prepared(table.update().where(table.c.id == sa.bindparam("w_id"),
                                                                  table.c.version == sa.bindparam("w_version")))
        else:
            #: Child rows of the parents ``:ids``, in their order.
            self.rows_of = Prepared(sa.select(table).where(table.c.parent_id.in_(ids))
                                    .order_by(table.c.parent_id, table.c.idx))

    def insert_rows(self, conn: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
        """Child rows (all with the same keys, ``parent_id`` and ``idx`` among them) in one
        multi-row INSERT per 50; their ids in the order of ``rows``."""
        ids: list[int] = []
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            chunk = rows[start:start + _ROWS_PER_INSERT]
            statement, keys = self._rows_statement(len(chunk), list(chunk[0]))
            params = {f"{key}__{i}": row[key] for i, row in enumerate(chunk) for key in keys}
            # RETURNING's row order is not promised: (parent, position) puts each id back in its place
            placed = {(parent, idx): row_id for row_id, parent, idx in statement.execute(conn, params)}
            ids += [placed[(row["parent_id"], row["idx"])] for row in chunk]
        return ids

    def _rows_statement(self, n: int, keys: list[str]) -> tuple[Prepared, list[str]]:
        found = self._rows_insert.get(n)
        if found is None or found[1] != keys:
            table = self.table
            values = [{key: sa.bindparam(f"{key}__{i}", type_=table.c[key].type) for key in keys} for i in range(n)]
            statement = table.insert().values(values).returning(table.c.id, table.c.parent_id, table.c.idx)
            found = self._rows_insert[n] = (Prepared(statement, by_keys=False), keys)
        return found


_ROWS_PER_INSERT = 50


@dataclass(frozen=True)
class CompiledEntity:
    entity: Entity
    table: sa.Table
    schema: ma.Schema
    #: (field, literal or None, formula closure or None) for fields that have a default.
    defaults: tuple[tuple[Field, Any, Evaluator | None], ...]
    computed: tuple[tuple[Field, Evaluator], ...]
    checks: tuple[Check, ...]
    required: tuple[Field, ...]
    links: tuple[Field, ...]
    uniques: tuple[Field, ...]
    attachments: tuple[Field, ...]
    #: Link fields whose target's values the rules read (``customer.grade``): loaded before evaluation.
    link_paths: tuple[Field, ...] = ()
    rollups: tuple[Rollup, ...] = ()
    #: role → compiled ``rows`` rule of its permission (SQL, with ``$user``).
    row_rules: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    #: Entities whose roll-ups aggregate records of ours.
    feeds: tuple[Feed, ...] = ()
    #: computed field → the fields its formula reads; None when it also reads the clock (``today``).
    formula_reads: Mapping[str, frozenset[str] | None] = field(default_factory=dict)
    lookups: tuple[CompiledLookup, ...] = ()
    #: formula default's field → the fields it reads (a look-up it reads counts as what the look-up reads).
    default_reads: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: ``q=`` over linked records: (link field, target table, target columns).
    search_links: tuple[tuple[str, sa.Table, tuple[str, ...]], ...] = ()

    @property
    def key(self) -> str:
        return self.entity.key

    @cached_property
    def statements(self) -> Statements:
        return Statements(self.table)


def coerce_result(field: Field, value: Any) -> Any:
    """Bring a formula's JSONLogic result to the field's stored type."""
    if value is None:
        return None
    return stored_type(field).from_formula(value, field)


_SCOPED = ("map", "filter", "reduce", "all", "none", "some")


_CLOCK = frozenset(("today", "now"))


def reads_clock(rule: Any) -> bool:
    """Whether a JSONLogic rule's result moves with time (``today``, ``now``)."""
    if isinstance(rule, list):
        return any(reads_clock(item) for item in rule)
    if isinstance(rule, dict):
        return any(op in _CLOCK or reads_clock(args) for op, args in rule.items())
    return False


def rule_vars(rule: Any) -> set[str]:
    """The record paths a JSONLogic rule reads (``var`` operands outside per-item scopes)."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict) or len(node) != 1:
            return
        (op, args), = node.items()
        if op == "var":
            path = args[0] if isinstance(args, list) and args else args
            if isinstance(path, str | int) and str(path) != "":
                found.add(str(path))
            return
        if op in _SCOPED and isinstance(args, list) and args:
            walk(args[0])  # the array; the per-item logic reads item fields, not the record's
            for extra in args[2:]:
                walk(extra)
            return
        walk(args)

    walk(rule)
    return found
