"""Deleting a record (to the recycle bin) and restoring it, with what that does to the records
that link to it.

A delete is refused while live records link to it (``on_delete: restrict``, the default), or
clears those links through :func:`.lifecycle.update` (``set_null``), each linking record
changed once and audited as a change by the deleting user; its audit entry keeps what was
cleared, so a restore puts it back where it is still empty. Then the record's roll-up targets
are refreshed and the journal written, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, LinksGone, NotFound, PreconditionFailed, Referenced
from sunmao.i18n import Text
from sunmao.meta.model import Field
from sunmao.records import checks, journal, lifecycle, persist
from sunmao.records.compiled import CompiledEntity
from sunmao.records.context import Actor, Context, Errors
from sunmao.records.present import dump
from sunmao.storage import system as sm

UNLINKED = "_unlinked"  # in a delete's audit diff: the links its delete cleared (set_null), for a restore


@dataclass(frozen=True)
class Inbound:
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


#: Links to set, by record (entity key, id): each link with the child rows concerned and the new value.
_LinkChanges = dict[tuple[str, int], list[tuple[Inbound, list[int], int | None]]]


def set_deleted(ctx: Context, ce: CompiledEntity, *, record_id: int, actor: Actor, expected_version: int | None,
                conn: sa.Connection | None, deleted: bool) -> dict[str, Any]:
    """Move a record to the recycle bin (``deleted``) or back; return it as stored."""
    now = datetime.now(UTC)
    with ctx.txn(conn) as conn:
        query = sa.select(ce.table).where(ce.table.c.id == record_id,
                                          ce.table.c.deleted_at.is_not(None) if not deleted
                                          else ce.table.c.deleted_at.is_(None))
        scope = checks.row_scope(conn, ce, actor)
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
        persist.mark_deleted(conn, ce, record_id=record_id, version=current["version"], deleted=deleted, now=now,
                             actor=actor)
        for key, by_parent in persist.load_children(ctx, conn, ce, [record_id]).items():
            current[key] = by_parent[record_id]
        current.update(version=current["version"] + 1, deleted_at=now if deleted else None)
        # after the row's own change: a roll-up of the linking records then finds it deleted or live
        links = (_unlink(ctx, conn, ce, record_id=record_id, actor=actor) if deleted
                 else _relink(ctx, conn, ce, record=current, actor=actor))
        if links and not deleted:  # the links put back may have moved its roll-ups
            current["version"] = conn.execute(sa.select(ce.table.c.version)
                                              .where(ce.table.c.id == record_id)).scalar_one()
        diff = journal.diff(ctx, ce, current, {}) if deleted else journal.diff(ctx, ce, {}, current)
        if links:
            diff[UNLINKED if deleted else "_relinked"] = links
        pending: list[journal.Entry] = []
        journal.add(ctx, pending, ce, action="deleted" if deleted else "restored", items=[(current, diff)],
                    actor=actor, now=now)
        lifecycle.propagate(ctx, ce, conn=conn, pairs=[(current, {})], depth=0, pending=pending)
        journal.write(ctx, conn, pending)
    return dump(ctx, ce, current)


def _inbound(ctx: Context, target: str) -> list[Inbound]:
    """The link fields that point at ``target``, with the parent of a child row's entity."""
    def build() -> list[Inbound]:
        found = []
        for holder in ctx.snapshot.compiled.values():
            for f in holder.links:
                if f.to != target:
                    continue
                if not holder.entity.child:
                    found.append(Inbound(holder, f, holder, None))
                for parent in ctx.snapshot.compiled.values():
                    found += [Inbound(holder, f, parent, tf) for tf in parent.entity.table_fields
                              if tf.of == holder.key]
        return found
    return ctx.snapshot.memo(("records.inbound", target), build)


def _linking(conn: sa.Connection, link: Inbound, record_id: int) -> dict[int, list[int]]:
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


def _unlink(ctx: Context, conn: sa.Connection, ce: CompiledEntity, *, record_id: int, actor: Actor
            ) -> dict[str, Any]:
    """Refuse to delete a record that live records link to (``restrict``), or clear those links
    (``set_null``). Returns what was cleared, for a restore."""
    refused: FieldErrors = {}
    cleared: dict[str, Any] = {}
    changes: _LinkChanges = {}
    target = ce.entity.label
    for link in _inbound(ctx, ce.key):
        linking = _linking(conn, link, record_id)
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
    _set_links(ctx, conn, changes, actor)
    return cleared


def _relink(ctx: Context, conn: sa.Connection, ce: CompiledEntity, *, record: dict[str, Any], actor: Actor
            ) -> dict[str, Any]:
    """Before a restore: the record's own links must point at live records; the links its delete
    cleared (``set_null``) are put back where they are still empty. Returns what was put back."""
    errors = Errors()
    checks.links(ctx, ce, [record], conn=conn, errors=errors, prefixes=[""])
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
    for link in _inbound(ctx, ce.key):
        for owner_id, rows in cleared.get(link.path, ()):
            try:
                owner = persist.fetch(ctx, conn, link.owner, owner_id)
            except NotFound:
                continue  # deleted since: nothing to put back
            if link.table_field is None:
                empty, wanted = [], owner.get(link.field.key) is None
            else:  # the rows still there and still empty
                empty = [r["id"] for r in owner[link.table_field.key] if r["id"] in rows and r[link.field.key] is None]
                wanted = bool(empty)
            if wanted:
                changes.setdefault((link.owner.key, owner_id), []).append((link, empty, record["id"]))
                put_back.setdefault(link.path, []).append([owner_id, empty])
    _set_links(ctx, conn, changes, actor)
    return put_back


def _set_links(ctx: Context, conn: sa.Connection, changes: _LinkChanges, actor: Actor) -> None:
    """Set links of records (or of their child rows) through the record service, one change per
    record, in the name of the user who deleted or restored their target, whatever their rights."""
    on_behalf = replace(actor, system=True)
    for (owner_key, owner_id), items in changes.items():
        owner = ctx.snapshot.compiled[owner_key]
        patch: dict[str, Any] = {}
        for link, rows, value in items:
            if link.table_field is None:
                patch[link.field.key] = value
                continue
            key = link.table_field.key
            if key not in patch:
                patch[key] = [{"id": r["id"]} for r in persist.fetch(ctx, conn, owner, owner_id)[key]]
            for row in patch[key]:
                if row["id"] in rows:
                    row[link.field.key] = value
        lifecycle.update(ctx, owner, record_id=owner_id, patch=patch, actor=on_behalf, skip_read_only=True, conn=conn)


def _lower(label: str) -> str:
    """"Channel" → "channel" in the middle of a sentence; "SKU" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
