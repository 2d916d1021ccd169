"""Stage 5 of a write — the journal: the audit entry and the outbox event of every change, and
the one writer of the outbox.

A write collects its pending entries (:func:`add`: one ``(audit row, event)`` per record it
changed, a roll-up refresh joining those of the write that caused it) and writes them with the
change, in its transaction (:func:`write`): one multi-row insert into ``sm_audit``, one into
``sm_outbox``, and the stage history (:mod:`.stages`) that moves with a state change.

Events that are no record change — a workflow task created, a person mentioned in a comment, a
dashboard report — go through :func:`emit`. Nothing else inserts into ``sm_outbox``: what the
dispatcher hands on (``jobs/outbox.py``) has one shape and one place it is made.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.records import stages
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import Actor, Context
from sunmao.records.present import dump
from sunmao.records.values import json_value
from sunmao.storage import Prepared
from sunmao.storage import system as sm

_AUDIT_INSERT = Prepared(sm.audit.insert())
_OUTBOX_INSERT = Prepared(sm.outbox.insert())
#: A pending journal entry: the audit row and the outbox event of one write.
Entry = tuple[dict[str, Any], dict[str, Any]]
#: Types whose equal values have equal JSON forms (unlike Decimal("1.0") and Decimal("1.00")).
_PLAIN = frozenset((str, int, bool, date, datetime))


def add(ctx: Context, pending: list[Entry], ce: CompiledEntity, *, action: str,
        items: list[tuple[Mapping[str, Any], dict[str, Any]]], actor: Actor, now: datetime,
        topic: str | None = None, dumped: list[dict[str, Any]] | None = None) -> None:
    """The audit entry and the outbox event of each ``(record, diff)``, to :func:`write` with the
    change; ``dumped``: the records' JSON forms when the caller has them already."""
    version = ctx.snapshot.version
    for i, (rec, diff) in enumerate(items):
        pending.append((
            {"entity": ce.key, "record_id": rec["id"], "action": action, "user_id": actor.id, "at": now,
             "revision": version, "diff": diff},
            {"event_id": str(uuid.uuid4()), "topic": topic or f"{ce.key}.{action}", "entity": ce.key,
             "record_id": rec["id"], "created_at": now,
             "payload": {"entity": ce.key, "id": rec["id"], "name": rec.get("name"), "version": rec.get("version"),
                         "action": action, "actor": actor.username,
                         "changed": sorted(k for k in diff if k[0] != "_"), "transition": diff.get("_transition"),
                         "record": None if action == "deleted" else dumped[i] if dumped is not None
                         else dump(ctx, ce, rec)}}))


def write(ctx: Context, conn: sa.Connection, pending: list[Entry]) -> None:
    """Insert the pending audit entries and events (inside the write's transaction)."""
    if pending:
        audits = [audit for audit, _event in pending]
        _AUDIT_INSERT.execute_many(conn, audits)
        _OUTBOX_INSERT.execute_many(conn, [event for _audit, event in pending])
        # every state change and every write passes here: the stage history moves with the write
        # (and the audit entries are what cached aggregates are keyed by: records/versions.py)
        stages.record(conn, ctx.snapshot, audits)


def emit(conn: sa.Connection, *, topic: str, payload: Mapping[str, Any], entity: str | None = None,
         record_id: int | None = None, at: datetime | None = None) -> str:
    """An event that is no record change, in the caller's transaction; returns its id."""
    event_id = str(uuid.uuid4())
    _OUTBOX_INSERT.execute(conn, {"event_id": event_id, "topic": topic, "entity": entity, "record_id": record_id,
                                  "created_at": at or datetime.now(UTC), "payload": json_value(dict(payload))})
    return event_id


# -- what changed ----------------------------------------------------------------------------

def diff(ctx: Context, ce: CompiledEntity, before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Field-level changes ``{key: [old, new]}``; tables as added / removed / changed rows."""
    out: dict[str, Any] = {}
    for f in ce.entity.fields:
        if f.type == "table":
            rows = _diff_rows(ctx, ctx.child(f), before.get(f.key) or [], after.get(f.key) or [])
            if rows:
                out[f.key] = rows
            continue
        old, new = before.get(f.key), after.get(f.key)
        if old is new or (type(old) is type(new) and type(old) in _PLAIN and old == new):
            continue
        old, new = json_value(old), json_value(new)
        if old != new:
            out[f.key] = [old, new]
    return out


def created_diff(ctx: Context, ce: CompiledEntity, record: Mapping[str, Any], dumped: dict[str, Any]
                 ) -> dict[str, Any]:
    """``diff(ctx, ce, {}, record)`` of a new record, taken from its JSON form when that shows every
    field (no hidden ones), instead of converting each value again."""
    if _has_hidden(ctx, ce):
        return diff(ctx, ce, {}, record)
    out: dict[str, Any] = {}
    for f in ce.entity.fields:
        value = dumped.get(f.key)
        if f.type == "table":
            if value:
                out[f.key] = {"added": value}
        elif value is not None:
            out[f.key] = [None, value]
    return out


def _has_hidden(ctx: Context, ce: CompiledEntity) -> bool:
    """Whether the entity or its child rows have hidden fields (known per snapshot)."""
    def build() -> bool:
        return any(f.hidden or (f.type == "table" and _has_hidden(ctx, ctx.child(f))) for f in ce.entity.fields)
    return bool(ctx.snapshot.memo(("records.has_hidden", ce.key), build))


def _diff_rows(ctx: Context, child: CompiledEntity, before: list[Mapping[str, Any]], after: list[Mapping[str, Any]]
               ) -> dict[str, Any]:
    old = {r["id"]: r for r in before if r.get("id") is not None}
    kept = {r.get("id") for r in after}
    out: dict[str, Any] = {}
    added = [{k: json_value(v) for k, v in r.items()} for r in after if r.get("id") not in old]
    removed = [{k: json_value(v) for k, v in r.items()} for i, r in old.items() if i not in kept]
    changed = []
    for r in after:
        if r.get("id") in old:
            d = diff(ctx, child, old[r["id"]], r)
            if d:
                changed.append({"id": r["id"], "changes": d})
    if added:
        out["added"] = added
    if removed:
        out["removed"] = removed
    if changed:
        out["changed"] = changed
    return out
