"""The life cycle of a write: the stages in order, in one transaction.

    parse → defaults / formulas (with required and rule checks per record) → links, unique,
    guards → naming → persist (optimistic lock) → roll-ups of the records linked to → journal
    (audit entry with the field diff + outbox event)

:func:`create` and :func:`update` are the two paths; :func:`refresh` recomputes a record's
roll-ups after the records linking to it changed (:func:`propagate`). If any stage fails
nothing is written: neither the record, nor its audit entry, nor its event. Every argument
after the entity is keyword-only; an argument that skips a check says so in its name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.records import checks, defaults, journal, parse, persist
from sunmao.records.compiled import CompiledEntity, Feed
from sunmao.records.context import SYSTEM, Actor, Context, Errors, Links, join
from sunmao.records.present import dump

MAX_CASCADE = 3  # roll-ups of roll-ups: deep enough for real models, bounded against cycles
_VERSIONING = frozenset(("version", "updated_at", "updated_by"))


def create(ctx: Context, ce: CompiledEntity, *, payloads: list[Any], actor: Actor, skip_read_only: bool,
           prefixed: bool = False, conn: sa.Connection | None = None, history: bool = False,
           trusted_links: Mapping[tuple[str, int], Mapping[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Create records, all or none; return them as the actor sees them.

    ``trusted_links``: whole rows of live records that ``conn``'s transaction has just read, by
    (entity, id) — links to them are neither read nor checked again. ``history``: the records
    bring their workflow state (a history import) instead of starting in the initial one."""
    with persist.conflicts():
        return _create(ctx, ce, payloads=payloads, actor=actor, skip_read_only=skip_read_only, prefixed=prefixed,
                       outer=conn, history=history, trusted_links=trusted_links)


def _create(ctx: Context, ce: CompiledEntity, *, payloads: list[Any], actor: Actor, skip_read_only: bool,
            prefixed: bool, outer: sa.Connection | None, history: bool,
            trusted_links: Mapping[tuple[str, int], Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    errors = Errors()
    prefixes = [f"[{i}]" if prefixed else "" for i in range(len(payloads))]
    locked = checks.locked(ce, actor, "create")
    records = [parse.parse(ctx, ce, p, partial=False, skip_read_only=skip_read_only, errors=errors, prefix=pre,
                           locked=locked) for p, pre in zip(payloads, prefixes, strict=True)]
    workflow = ctx.workflow(ce)
    if workflow is not None:
        for rec, pre in zip(records, prefixes, strict=True):
            if not history or rec.get(workflow.state_field) is None:
                rec[workflow.state_field] = workflow.initial
            elif rec[workflow.state_field] not in workflow.states:
                errors.add(join(pre, workflow.state_field),
                           Text("不是流程中的状态", "not a state of the workflow"))
    now = datetime.now(UTC)
    cache = Links()
    if trusted_links and outer is not None:
        cache.trust(trusted_links)
    with ctx.txn(outer) as conn:
        # the linked rows are read once, in the write's transaction: the rules read them, and they
        # also answer the link check and (SQLite) start the roll-up refresh of those records
        defaults.prefetch(ctx, ce, records, conn=conn, cache=cache, every_link=True)
        for rec, pre in zip(records, prefixes, strict=True):
            defaults.complete(ctx, ce, rec, new=True, errors=errors, prefix=pre, conn=conn, cache=cache)
        errors.raise_if_any()
        checks.links(ctx, ce, records, conn=conn, errors=errors, prefixes=prefixes, cache=cache)
        checks.unique(ce, records, conn=conn, errors=errors, prefixes=prefixes)
        errors.raise_if_any()
        names = persist.names(ctx, conn, ce, records, now=now)
        rows = []
        for rec, name in zip(records, names, strict=True):
            row = {f.key: rec.get(f.key) for f in ce.entity.stored_fields}
            row.update(name=name, version=1, created_at=now, updated_at=now, created_by=actor.id,
                       updated_by=actor.id, deleted_at=None)
            rows.append(row)
        ids = persist.insert(conn, ce, rows)
        results = [{**row, "id": record_id} for row, record_id in zip(rows, ids, strict=True)]
        for f in ce.entity.table_fields:
            persist.insert_children(ctx, conn, f, records=records, results=results)
        pending: list[journal.Entry] = []
        dumped = [dump(ctx, ce, r) for r in results]
        journal.add(ctx, pending, ce, action="created", actor=actor, now=now, dumped=dumped,
                    items=[(r, journal.created_diff(ctx, ce, r, d)) for r, d in zip(results, dumped, strict=True)])
        propagate(ctx, ce, conn=conn, pairs=[({}, r) for r in results], depth=0, pending=pending, read=cache)
        journal.write(ctx, conn, pending)
    hidden = checks.hidden(ce, actor)
    return [dump(ctx, ce, r, hidden=hidden) for r in results] if hidden else dumped


def update(ctx: Context, ce: CompiledEntity, *, record_id: int, patch: Any, actor: Actor,
           expected_version: int | None = None, skip_read_only: bool = False, transition: str | None = None,
           comment: str | None = None, conn: sa.Connection | None = None, depth: int = 0,
           pending: list[journal.Entry] | None = None, read: Links | None = None) -> dict[str, Any]:
    """Change some fields of a record (or take a workflow ``transition``); return it as the actor sees it.

    ``pending``: the caller's journal entries (a roll-up refresh joins those of the write that
    caused it: one multi-row insert each); otherwise written here. ``read``: rows this
    transaction read already (see :func:`.persist.current`)."""
    with persist.conflicts():
        return _update(ctx, ce, record_id=record_id, patch=patch, actor=actor, expected_version=expected_version,
                       skip_read_only=skip_read_only, transition=transition, comment=comment, outer=conn,
                       depth=depth, outer_pending=pending, read=read)


def _update(ctx: Context, ce: CompiledEntity, *, record_id: int, patch: Any, actor: Actor,
            expected_version: int | None, skip_read_only: bool, transition: str | None, comment: str | None,
            outer: sa.Connection | None, depth: int, outer_pending: list[journal.Entry] | None,
            read: Links | None) -> dict[str, Any]:
    errors = Errors()
    locked = checks.locked(ce, actor, "update")
    changes = parse.parse(ctx, ce, patch, partial=True, skip_read_only=skip_read_only, errors=errors)
    workflow = ctx.workflow(ce)
    checks.state_untouched(workflow, changes, transition, errors=errors)
    errors.raise_if_any()
    now = datetime.now(UTC)
    with ctx.txn(outer) as conn:
        current = persist.current(ctx, conn, ce, record_id, actor=actor, read=read)
        checks.fresh(current, expected_version)
        cache = Links()
        merged = parse.merge(ctx, ce, conn=conn, current=current, changes=changes, patch=patch, cache=cache,
                             errors=errors)
        step = None
        if transition is not None:
            if workflow is None:
                raise NotFound(Text(f"{ce.entity.label.zh}没有流程", f"{ce.entity.label.en} has no workflow"))
            step = workflow.begin(transition, current, merged, actor, comment)
        defaults.prefetch(ctx, ce, [merged], conn=conn, cache=cache, every_link=False)
        defaults.complete(ctx, ce, merged, new=False, errors=errors, conn=conn, cache=cache)
        if step is not None:
            # Guards judge the record as it stands with the values sent along, before the
            # action's own effects; then the effects apply and formulas run again.
            step.check(defaults.linked(ctx, ce, merged, conn=conn, cache=cache, links=ce.links), errors)
            step.apply(merged)
            defaults.complete(ctx, ce, merged, new=False, errors=errors, conn=conn, cache=cache)
        checks.links(ctx, ce, [merged], conn=conn, errors=errors, prefixes=[""], cache=cache, before=current)
        checks.unique(ce, [merged], conn=conn, errors=errors, prefixes=[""], exclude_id=record_id, before=current)
        if step is not None:
            step.raise_if_refused(errors)
        errors.raise_if_any()
        diff = journal.diff(ctx, ce, current, merged)
        checks.may_change(locked_fields=locked, changes=changes, diff=diff, errors=errors)
        errors.raise_if_any()
        if step is None and workflow is not None and not skip_read_only and not actor.system:
            checks.not_frozen(workflow, current, diff)
        if not diff and step is None:
            return dump(ctx, ce, current)
        values = {f.key: merged.get(f.key) for f in ce.entity.stored_fields}
        values.update(version=current["version"] + 1, updated_at=now, updated_by=actor.id)
        # only the changed columns are written: fewer values to bind and to log
        written = {k: v for k, v in values.items() if k in diff or k in _VERSIONING}
        persist.write_versioned(conn, ce, record_id=record_id, version=current["version"], written=written)
        stored = {**current, **values}
        for f in ce.entity.table_fields:
            stored[f.key] = persist.write_children(ctx, conn, f, parent_id=record_id, before=current.get(f.key, []),
                                                   after=merged[f.key])
        pending: list[journal.Entry] = [] if outer_pending is None else outer_pending
        if step is not None:
            diff["_transition"] = step.journal()
            journal.add(ctx, pending, ce, action="transition", items=[(stored, diff)], actor=actor, now=now,
                        topic=step.topic)
        else:
            journal.add(ctx, pending, ce, action="updated", items=[(stored, diff)], actor=actor, now=now)
        propagate(ctx, ce, conn=conn, pairs=[(current, stored)], depth=depth, pending=pending)
        if outer_pending is None:
            journal.write(ctx, conn, pending)
    return dump(ctx, ce, stored, hidden=checks.hidden(ce, actor))


# -- roll-ups of the records linked to -------------------------------------------------------------

def propagate(ctx: Context, ce: CompiledEntity, *, conn: sa.Connection,
              pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]], depth: int,
              pending: list[journal.Entry], read: Links | None = None) -> None:
    """Recompute the roll-ups of the records our changed records link to (old and new targets)."""
    if not ce.feeds or depth > MAX_CASCADE:
        return
    pairs = list(pairs)
    for feed in ce.feeds:
        for target_id in _fed(ctx, conn, feed, pairs):
            try:
                refresh(ctx, ctx.snapshot.compiled[feed.target], conn=conn, record_id=target_id, depth=depth + 1,
                        pending=pending, read=read)
            except NotFound:
                continue  # the target was deleted meanwhile: nothing to roll up into


def _fed(ctx: Context, conn: sa.Connection, feed: Feed, pairs: Sequence[tuple[Mapping[str, Any], Mapping[str, Any]]]
         ) -> list[Any]:
    """The records of ``feed.target`` that the changed records (old and new values) roll up into."""
    records = [rec for pair in pairs for rec in pair if rec]
    if feed.link is not None:
        return sorted({rec.get(feed.link) for rec in records if rec.get(feed.link) is not None})
    table = ctx.snapshot.tables[feed.target]
    keys = {tuple(rec.get(theirs) for theirs, _ours in feed.match) for rec in records}
    matches = [sa.and_(*(table.c[ours] == value for (_theirs, ours), value in zip(feed.match, key, strict=True)))
               for key in keys]
    if not matches:
        return []
    query = sa.select(table.c.id).where(table.c.deleted_at.is_(None), sa.or_(*matches)).order_by(table.c.id)
    return list(conn.execute(query).scalars())


def refresh(ctx: Context, ce: CompiledEntity, *, conn: sa.Connection, record_id: int, depth: int,
            pending: list[journal.Entry], read: Links | None) -> None:
    """Recompute a record's roll-ups, and the formulas that read a roll-up that moved (or the clock),
    after a change in the records that link to it.

    A system write of derived values: nobody edited the record, so a rule is judged again only
    when a field it reads changed (a phone rule added since must not refuse every order of a
    customer whose stored phone it rejects); unique values and links only when they changed.
    Entities with child rows take the full update path (their rows' formulas may read ours)."""
    if ce.entity.table_fields:
        update(ctx, ce, record_id=record_id, patch={}, actor=SYSTEM, skip_read_only=True, conn=conn, depth=depth,
               pending=pending, read=read)
        return
    current = persist.current(ctx, conn, ce, record_id, actor=SYSTEM, read=read)
    merged = dict(current)
    errors = Errors()
    data = defaults.linked(ctx, ce, merged, conn=conn, cache=read if read is not None else Links())
    rollups = defaults.rollup_values(ctx, ce, current, conn=conn)
    merged.update(rollups)
    if data is not merged:
        data.update(rollups)
    # only the formulas downstream of a changed roll-up (and those reading the clock) can move
    moved = {k for k, v in rollups.items() if v != current.get(k)}
    for f, fn in ce.computed:
        reads = ce.formula_reads.get(f.key)
        if reads is not None and reads.isdisjoint(moved):
            continue
        defaults.compute_one(ce, f, fn, record=merged, data=data, errors=errors, prefix="")
        if merged[f.key] != current.get(f.key):
            moved.add(f.key)
    diff = journal.diff(ctx, ce, current, merged)
    if not diff:
        errors.raise_if_any()
        return
    checks.judge([c for c in ce.checks if not c.reads.isdisjoint(diff)], merged, data=data, errors=errors, prefix="")
    checks.unique(ce, [merged], conn=conn, errors=errors, prefixes=[""], exclude_id=record_id, before=current)
    errors.raise_if_any()
    now = datetime.now(UTC)
    written = {k: merged[k] for k in diff}
    written.update(version=current["version"] + 1, updated_at=now, updated_by=None)
    persist.write_versioned(conn, ce, record_id=record_id, version=current["version"], written=written)
    stored = {**merged, **written}
    journal.add(ctx, pending, ce, action="updated", items=[(stored, diff)], actor=SYSTEM, now=now)
    propagate(ctx, ce, conn=conn, pairs=[(current, stored)], depth=depth, pending=pending)


def recompute(ctx: Context, ce: CompiledEntity, *, ids: Iterable[int] | None = None, chunk: int = 200) -> int:
    """Recompute stored formulas and roll-ups (time windows move daily); return how many changed."""
    with ctx.db.read() as conn:
        query = sa.select(ce.table.c.id).where(ce.table.c.deleted_at.is_(None)).order_by(ce.table.c.id)
        all_ids = list(ids) if ids is not None else list(conn.execute(query).scalars())
    changed = 0
    for start in range(0, len(all_ids), chunk):
        with ctx.db.write() as conn:
            for record_id in all_ids[start:start + chunk]:
                try:
                    before = persist.fetch(ctx, conn, ce, record_id)
                except NotFound:
                    continue
                after = update(ctx, ce, record_id=record_id, patch={}, actor=SYSTEM, skip_read_only=True, conn=conn)
                changed += after["version"] != before["version"]
    return changed
