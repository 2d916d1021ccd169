"""What every stage of a write shares: who writes (:class:`Actor`), the snapshot and database
(:class:`Context`), the field errors found so far (:class:`Errors`) and the linked rows read once
per write (:class:`Links`).

The stages — :mod:`.parse`, :mod:`.defaults`, :mod:`.checks`, :mod:`.persist`, :mod:`.journal`,
orchestrated by :mod:`.lifecycle` and :mod:`.delete` — are functions with keyword-only
arguments over these objects; :class:`~sunmao.records.service.RecordService` is their façade.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field
from sunmao.records.compiled import CompiledEntity
from sunmao.records.messages import translate
from sunmao.rules import RuleError
from sunmao.storage import Database, Prepared

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

RECORD = "_record"


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


class Context:
    """The database and the snapshot one record service works with, and what it caches."""

    __slots__ = ("db", "snapshot", "rollup_sql")

    def __init__(self, db: Database, snapshot: Snapshot):
        self.db = db
        self.snapshot = snapshot
        #: Roll-up queries by (entity, day): built once, run with the record id as a parameter.
        self.rollup_sql: dict[tuple[str, date], Prepared] = {}

    def compiled(self, entity_key: str) -> CompiledEntity:
        """A top-level entity (not a child row's) by key, or NotFound."""
        ce = self.snapshot.compiled.get(entity_key)
        if ce is None or ce.entity.child:
            raise NotFound(Text(f"没有名为 {entity_key} 的实体", f"there is no entity named {entity_key!r}"))
        return ce

    def child(self, f: Field) -> CompiledEntity:
        """The entity of the rows of a table field."""
        return self.snapshot.compiled[f.of or ""]

    def workflow(self, ce: CompiledEntity) -> Any:
        return self.snapshot.features.get("workflows", {}).get(ce.key)

    @contextmanager
    def reading(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """The caller's connection when it passes one, else a read connection of our own."""
        if conn is not None:
            yield conn
        else:
            with self.db.read() as own:
                yield own

    @contextmanager
    def txn(self, conn: sa.Connection | None) -> Iterator[sa.Connection]:
        """The caller's transaction when it passes one (workflow steps compose writes), else our own."""
        if conn is not None:
            yield conn
        else:
            with self.db.write() as own:
                yield own


class Errors:
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


class Links:
    """The rows that one write's links point at, read once and shared by rules and link checks."""

    __slots__ = ("rows", "live", "found")

    def __init__(self) -> None:
        self.rows: dict[tuple[str, Any], dict[str, Any]] = {}
        self.live: set[tuple[str, Any]] = set()
        #: Look-up results by (entity, look-up, the record values it read).
        self.found: dict[tuple[str, str, tuple[Any, ...]], dict[str, Any] | None] = {}

    def trust(self, rows: Mapping[tuple[str, int], Mapping[str, Any]]) -> None:
        """Take rows of live records the caller's transaction has just read as read and checked."""
        self.rows.update(rows)  # type: ignore[arg-type]  # read-only here: an update starts from a copy
        self.live.update(rows)


def evaluate(fn: Any, data: Any, *, errors: Errors, path: str, rule_name: str) -> tuple[bool, Any]:
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


def empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value)


def chunks(values: Iterable[Any], size: int = 900) -> Iterator[list[Any]]:
    """``values`` sorted (ints and strings apart) in lists of at most ``size``, for ``IN`` queries."""
    ordered = sorted(values, key=sort_key)
    for start in range(0, len(ordered), size):
        yield ordered[start:start + size]
