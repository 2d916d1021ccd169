"""The record service: the one write path of Sunmao.

Every adapter — REST API, screens, inbound hooks, imports, scans, jobs — creates, changes and
deletes records through this class, so a rule that holds for one holds for all. One write is
one database transaction, its stages one module each:

    parse (:mod:`.parse`) → defaults, formulas, required and rules (:mod:`.defaults`) → links,
    unique values, permissions and guards (:mod:`.checks`) → naming and SQL (:mod:`.persist`)
    → audit entry with the field diff and outbox event (:mod:`.journal`)

orchestrated by :mod:`.lifecycle` (create, update, roll-up refresh) and :mod:`.delete` (delete,
restore). If any step fails nothing is written: neither the record, nor its audit entry, nor
its event. This class checks who may call what and hands over to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, Forbidden
from sunmao.i18n import Text
from sunmao.records import checks, defaults, delete, lifecycle, parse, persist, present
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import SYSTEM, Actor, Context, Errors, Links
from sunmao.records.query import ListQuery, run_list
from sunmao.storage import Database

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

__all__ = ["SYSTEM", "Actor", "RecordService"]


class RecordService:
    """Reads and writes records of one snapshot (one published metadata version)."""

    def __init__(self, db: Database, snapshot: Snapshot):
        self.db = db
        self.snapshot = snapshot
        self._ctx = Context(db, snapshot)

    def compiled(self, entity_key: str) -> CompiledEntity:
        return self._ctx.compiled(entity_key)

    # -- what the actor may see -------------------------------------------------------------

    def read_scope(self, conn: sa.Connection, entity_key: str, actor: Actor) -> sa.ColumnElement[bool] | None:
        """The SQL condition of the records of ``entity_key`` the actor may read (None: all of them), for
        adapters that aggregate in SQL (dashboards): the same condition every list and get applies."""
        return checks.row_scope(conn, self.compiled(entity_key), actor)

    def hidden_fields(self, entity_key: str, actor: Actor) -> frozenset[str]:
        """The fields of ``entity_key`` the actor's roles may not read."""
        return checks.hidden(self.snapshot.compiled[entity_key], actor)

    def locked_fields(self, entity_key: str, actor: Actor, action: str = "update") -> frozenset[str]:
        """The fields the actor's roles may not set (a form shows them read-only)."""
        return checks.locked(self.compiled(entity_key), actor, action)

    def readable_fields(self, entity_key: str, actor: Actor) -> list[str]:
        """The field keys the actor may see (screens hide the others' columns and inputs)."""
        ce = self.compiled(entity_key)
        hidden = checks.hidden(ce, actor)
        return [f.key for f in ce.entity.fields if not f.hidden and f.key not in hidden]

    # -- reading ---------------------------------------------------------------------------

    def evaluation_data(self, entity_key: str, record: Mapping[str, Any], conn: sa.Connection | None = None
                        ) -> dict[str, Any]:
        """A stored record with every link expanded, for rules evaluated outside a write (approvals)."""
        ce = self.snapshot.compiled[entity_key]
        return defaults.linked(self._ctx, ce, record, conn=conn, cache=Links(), links=ce.links)

    def fetch(self, conn: sa.Connection, entity_key: str, record_id: int, *, lock: bool = False) -> dict[str, Any]:
        """The stored record (Python values, child rows nested) inside a caller's transaction."""
        return persist.fetch(self._ctx, conn, self.compiled(entity_key), record_id, lock=lock)

    def summary(self, entity_key: str, record: Mapping[str, Any], conn: sa.Connection | None = None) -> Text:
        """A stored record in one line, for people: entity, number, title and summary fields
        (``销售订单 SO-202612-00012 · 宁波鑫达五金 · 折合人民币 56,000.00``)."""
        return present.summary(self._ctx, entity_key, record, conn=conn)

    def get(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "read")
        with self.db.read() as conn:
            record = persist.fetch(self._ctx, conn, ce, record_id, actor=actor)
            return self.dump(ce, record, hidden=checks.hidden(ce, actor))

    def list(self, entity_key: str, query: ListQuery | None = None, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        """One page of records with the paging facts; child rows only when ``fields`` names them."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "read")
        query = query or ListQuery()
        with self.db.read() as conn:
            rows, info = run_list(conn, ce, query, checks.row_scope(conn, ce, actor))
            nested = [f.key for f in ce.entity.table_fields if query.fields and f.key in query.fields]
            if nested and rows:
                children = persist.load_children(self._ctx, conn, ce, [r["id"] for r in rows])
                for row in rows:
                    for key in nested:
                        row[key] = children[key][row["id"]]
        hidden = checks.hidden(ce, actor)
        return {"items": [self.dump(ce, r, query.fields, hidden=hidden) for r in rows], **info}

    def dump(self, ce: CompiledEntity, record: Mapping[str, Any], fields: Iterable[str] | None = None,
             hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The JSON form of a stored record (system fields first, then fields in metadata order);
        ``hidden`` are the fields the reader's roles may not see."""
        return present.dump(self._ctx, ce, record, fields=fields, hidden=hidden)

    # -- trying a write without writing -------------------------------------------------------

    def validate(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, skip_read_only: bool = False,
                 check_links: bool = True) -> dict[str, Any]:
        """Everything ``create`` would check — fields, formulas, rules, links, unique values — without
        writing; raise ValidationFailed, or return the record as it would be stored (no id yet).

        ``check_links=False`` skips the link check, for a payload whose linked record is created in
        the same unit of work (an inbound order and its new customer)."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "create")
        errors = Errors()
        record = parse.parse(self._ctx, ce, payload, partial=False, skip_read_only=skip_read_only, errors=errors)
        with self.db.read() as conn:
            defaults.complete(self._ctx, ce, record, new=True, errors=errors, conn=conn)
            if check_links:
                checks.links(self._ctx, ce, [record], conn=conn, errors=errors, prefixes=[""])
            checks.unique(ce, [record], conn=conn, errors=errors, prefixes=[""])
        errors.raise_if_any()
        return self.dump(ce, record)

    def preview(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, record_id: int | None = None
                ) -> tuple[dict[str, Any], FieldErrors]:
        """The record as a create (or, with ``record_id``, an edit) of ``payload`` would store it —
        defaults, look-ups, formulas — and the problems found, without raising or writing. A form
        shows the server's own defaults and totals with it while the user types."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "create" if record_id is None else "update")
        errors = Errors()
        cache = Links()
        ctx = self._ctx
        with self.db.read() as conn:
            if record_id is None:
                record = parse.parse(ctx, ce, payload, partial=False, skip_read_only=False, errors=errors)
                defaults.complete(ctx, ce, record, new=True, errors=errors, conn=conn, cache=cache)
            else:
                current = persist.fetch(ctx, conn, ce, record_id, actor=actor)
                changes = parse.parse(ctx, ce, payload, partial=True, skip_read_only=False, errors=errors)
                record = parse.merge(ctx, ce, conn=conn, current=current, changes=changes, patch=payload,
                                     cache=cache, errors=errors)
                defaults.complete(ctx, ce, record, new=False, errors=errors, conn=conn, cache=cache)
        return self.dump(ce, record, hidden=checks.hidden(ce, actor)), errors.items

    # -- writing ---------------------------------------------------------------------------

    def create(self, entity_key: str, payload: Any, *, actor: Actor = SYSTEM, skip_read_only: bool = False,
               conn: sa.Connection | None = None,
               trusted_links: Mapping[tuple[str, int], Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Create one record; return it as the API shows it.

        ``skip_read_only``: a trusted caller (workflow, jobs) may set read-only fields (still type-checked).
        ``trusted_links``: whole rows of live records that ``conn``'s transaction has just read, by
        (entity, id) — links to them are neither read nor checked again."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "create")
        return lifecycle.create(self._ctx, ce, payloads=[payload], actor=actor, skip_read_only=skip_read_only,
                                conn=conn, trusted_links=trusted_links)[0]

    def create_many(self, entity_key: str, payloads: Sequence[Any], *, actor: Actor = SYSTEM,
                    skip_read_only: bool = False, conn: sa.Connection | None = None, history: bool = False
                    ) -> list[dict[str, Any]]:
        """Create many records in one transaction: all are written, or none (errors by row).

        ``history`` (system actor only) imports records as they stand in an earlier system,
        workflow state included, instead of starting them in the initial state; it implies
        ``skip_read_only`` (their stored read-only values come along).
        """
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "create")
        if history and not actor.system:
            raise Forbidden(Text("只有系统导入可以指定流程状态", "only a system import may set workflow states"))
        return lifecycle.create(self._ctx, ce, payloads=list(payloads), actor=actor,
                                skip_read_only=skip_read_only or history, prefixed=True, conn=conn, history=history)

    def update(self, entity_key: str, record_id: int, patch: Any, *, actor: Actor = SYSTEM,
               expected_version: int | None = None, skip_read_only: bool = False, transition: str | None = None,
               comment: str | None = None, conn: sa.Connection | None = None) -> dict[str, Any]:
        """Change some fields of a record. A stale ``expected_version`` is a conflict, never an overwrite.

        The state field of an entity with a workflow changes only through ``transition`` (an
        action of the workflow): its source state, roles, required fields and guards are
        checked here, so no adapter can move a record along a transition it may not take.
        ``skip_read_only``: a trusted caller (the workflow engine) may set read-only fields and
        fields the record's state freezes.
        """
        ce = self.compiled(entity_key)
        workflow = self._ctx.workflow(ce)
        if transition is not None and workflow is not None and not actor.can(ce.entity, "update"):
            # Taking an action is not editing: the action's roles decide (checked in begin), and
            # only the fields the action asks for may come with it.
            checks.authorize(actor, ce, "read")
            extra = set(patch or {}) - workflow.editable_with(transition) if isinstance(patch, Mapping) else set()
            if extra:
                raise Forbidden(Text(f"执行此操作时不能修改：{'、'.join(sorted(extra))}",
                                     f"this action may not change: {', '.join(sorted(extra))}"))
        else:
            checks.authorize(actor, ce, "update")
        return lifecycle.update(self._ctx, ce, record_id=record_id, patch=patch, actor=actor,
                                expected_version=expected_version, skip_read_only=skip_read_only,
                                transition=transition, comment=comment, conn=conn)

    def delete(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM,
               expected_version: int | None = None, conn: sa.Connection | None = None) -> None:
        """Move a record to the recycle bin (``deleted_at``); its data and children are kept."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "delete")
        delete.set_deleted(self._ctx, ce, record_id=record_id, actor=actor, expected_version=expected_version,
                           conn=conn, deleted=True)

    def restore(self, entity_key: str, record_id: int, *, actor: Actor = SYSTEM,
                conn: sa.Connection | None = None) -> dict[str, Any]:
        """Bring a record back from the recycle bin."""
        ce = self.compiled(entity_key)
        checks.authorize(actor, ce, "delete")
        return delete.set_deleted(self._ctx, ce, record_id=record_id, actor=actor, expected_version=None, conn=conn,
                                  deleted=False)

    def recompute(self, entity_key: str, ids: Iterable[int] | None = None, *, chunk: int = 200) -> int:
        """Recompute stored formulas and roll-ups (time windows move daily); return how many changed."""
        return lifecycle.recompute(self._ctx, self.compiled(entity_key), ids=ids, chunk=chunk)
