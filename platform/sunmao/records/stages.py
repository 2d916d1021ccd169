"""Stage history: every workflow state a record enters and leaves, as rows of ``sm_stage``.

A row is one stay in one state: record, state, when it was entered and left, by whom, and by
which action. It is written with the write that moved the record — in the record service's
journal step (:func:`record`), which every state change passes: a transition is journaled as
audit action ``transition`` (API, form, webhook, scan, job and the approval engine's system
actions alike), a create sets the initial state, and a history import (``create_many(...,
history=True)``) the state it brings. :func:`backfill` rebuilds the rows of records written
before this table existed from the same audit entries.

Durations are what dashboards measure from it. Besides the moments, each row keeps the
workflow calendar's *working clock* at entering and leaving (``Calendar.working_clock``:
working seconds since a fixed origin), so a duration in working hours is a subtraction in SQL,
on SQLite and PostgreSQL alike, with holidays and make-up workdays counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.records import versions
from sunmao.storage import Prepared
from sunmao.storage import system as sm
from sunmao.storage.types import IdType, UTCDateTime

if TYPE_CHECKING:
    from sunmao.snapshot import Snapshot

stage = sa.Table(
    "sm_stage", sm.system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(64), nullable=False),
    sa.Column("entered_at", UTCDateTime, nullable=False),
    sa.Column("left_at", UTCDateTime),
    #: The workflow calendar's working clock (seconds) when the state was entered and left.
    sa.Column("entered_work", sa.BigInteger),
    sa.Column("left_work", sa.BigInteger),
    sa.Column("entered_by", sa.BigInteger),
    sa.Column("left_by", sa.BigInteger),
    #: The action that entered the state (None: the record was created in it).
    sa.Column("action", sa.String(64)),
    sa.Index("ix_sm_stage_record", "entity", "record_id", "left_at"),
    sa.Index("ix_sm_stage_state", "entity", "state", "record_id"),
)

_INSERT = Prepared(stage.insert())
_CLOSE = Prepared(stage.update().where(
    stage.c.entity == sa.bindparam("w_entity"), stage.c.record_id == sa.bindparam("w_record"),
    stage.c.left_at.is_(None)).values(left_at=sa.bindparam("left_at"), left_work=sa.bindparam("left_work"),
                                      left_by=sa.bindparam("left_by")))


def _clock(workflow: Any, at: datetime) -> int | None:
    calendar = getattr(workflow, "calendar", None)
    reading = getattr(calendar, "working_clock", None)
    return reading(at) if reading is not None else None


def changes(workflows: Mapping[str, Any], entries: Iterable[Mapping[str, Any]]
            ) -> list[tuple[str, Mapping[str, Any], str | None, str | None]]:
    """The state changes in audit entries, in order: (entity, entry, state entered or None, action).

    One reading of the journal serves the live write and the back-fill, so both agree."""
    found = []
    for entry in entries:
        workflow = workflows.get(entry["entity"])
        if workflow is None:
            continue
        diff = entry["diff"] or {}
        if entry["action"] == "created":
            change = diff.get(workflow.state_field)
            if isinstance(change, list) and len(change) == 2 and change[1]:
                found.append((entry["entity"], entry, str(change[1]), None))
        elif entry["action"] == "transition":
            step = diff.get("_transition") or {}
            if step.get("to") and step.get("to") != step.get("from"):
                found.append((entry["entity"], entry, str(step["to"]), step.get("action")))
    return found


def record(conn: sa.Connection, snapshot: Snapshot, entries: Sequence[Mapping[str, Any]]) -> None:
    """Write the stage rows of one write's audit entries (inside its transaction)."""
    workflows = snapshot.features.get("workflows") or {}
    if not workflows:
        return
    opened = []
    for entity, entry, state, action in changes(workflows, entries):
        at, workflow = entry["at"], workflows[entity]
        clock = _clock(workflow, at)
        if action is not None:  # a transition leaves the state the record was in
            _CLOSE.execute(conn, {"w_entity": entity, "w_record": entry["record_id"], "left_at": at,
                                  "left_work": clock, "left_by": entry["user_id"]})
        opened.append({"entity": entity, "record_id": entry["record_id"], "state": state, "entered_at": at,
                       "left_at": None, "entered_work": clock, "left_work": None,
                       "entered_by": entry["user_id"], "left_by": None, "action": action})
    if len(opened) == 1:
        _INSERT.execute(conn, opened[0])
    elif opened:
        conn.execute(stage.insert(), opened)


def backfill(db: Any, snapshot: Snapshot, entity: str | None = None, *, rebuild: bool = False,
             chunk: int = 2000) -> dict[str, int]:
    """Fill ``sm_stage`` from the audit log for records that have no stage rows yet.

    Idempotent: a record with stage rows is left alone, so running it twice adds nothing.
    ``rebuild`` deletes the entity's rows first and reads everything again (after a change of
    the holiday calendar, whose working clock the rows keep). A live record whose audit entries
    are gone (pruned) gets one open row for its current state, entered at its last update.
    Returns the number of rows written per entity."""
    workflows = snapshot.features.get("workflows") or {}
    written: dict[str, int] = {}
    for key, workflow in workflows.items():
        if entity is not None and key != entity:
            continue
        table = snapshot.tables[key]
        with db.write() as conn:
            if rebuild:
                conn.execute(stage.delete().where(stage.c.entity == key))
            have = set(conn.execute(sa.select(stage.c.record_id).where(stage.c.entity == key).distinct()).scalars())
        count = 0
        last = 0
        while True:  # the audit entries of the entity, in the order they were written
            with db.read() as conn:
                entries = [dict(r) for r in conn.execute(
                    sa.select(sm.audit).where(sm.audit.c.entity == key, sm.audit.c.id > last,
                                              sm.audit.c.action.in_(("created", "transition")))
                    .order_by(sm.audit.c.id).limit(chunk)).mappings()]
            if not entries:
                break
            last = entries[-1]["id"]
            fresh = [e for e in entries if e["record_id"] not in have]
            if fresh:
                with db.write() as conn:
                    record(conn, snapshot, fresh)
                count += len(changes(workflows, fresh))
        with db.write() as conn:
            seen = set(conn.execute(sa.select(stage.c.record_id).where(stage.c.entity == key).distinct()).scalars())
            state = table.c[workflow.state_field]
            orphans = conn.execute(sa.select(table.c.id, state, table.c.updated_at, table.c.updated_by)
                                   .where(table.c.deleted_at.is_(None), state.is_not(None))).all()
            rows = [{"entity": key, "record_id": rid, "state": value, "entered_at": at, "left_at": None,
                     "entered_work": _clock(workflow, at), "left_work": None, "entered_by": by, "left_by": None,
                     "action": None} for rid, value, at, by in orphans if rid not in seen]
            if rows:
                conn.execute(stage.insert(), rows)
            count += len(rows)
            versions.bump(conn, [key])  # aggregates of the entity's durations are stale now
        written[key] = count
    return written


def replace_history(conn: sa.Connection, snapshot: Snapshot, entity: str, record_id: int,
                    stays: Sequence[tuple[str, datetime, str | None, int | None]]) -> None:
    """Set a record's stage history from an earlier system: ``(state, entered_at, action, user_id)``
    in order, the last one still open. For history imports (the demo's six months of orders),
    whose records were created in their final state today."""
    workflow = (snapshot.features.get("workflows") or {})[entity]
    conn.execute(stage.delete().where(stage.c.entity == entity, stage.c.record_id == record_id))
    rows = []
    for i, (state, at, action, by) in enumerate(stays):
        nxt = stays[i + 1] if i + 1 < len(stays) else None
        rows.append({"entity": entity, "record_id": record_id, "state": state, "entered_at": at,
                     "left_at": nxt[1] if nxt else None, "entered_work": _clock(workflow, at),
                     "left_work": _clock(workflow, nxt[1]) if nxt else None, "entered_by": by,
                     "left_by": nxt[3] if nxt else None, "action": action})
    if rows:
        conn.execute(stage.insert(), rows)
    versions.bump(conn, [entity])
