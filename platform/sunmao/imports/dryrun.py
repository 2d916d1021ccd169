"""Validate writes exactly as the record service would make them, then roll them back.

The import preview and the screens' form rules need the record service's own verdict — every
message word for word, links and unique values included — before anything is saved. The
service composes writes into a caller's transaction (``conn=``), so a dry run is the real write
inside a transaction that is always rolled back. :func:`write_rows` is the same call kept:
creates and updates of one import in one transaction, all or none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, ValidationFailed
from sunmao.records import Actor, RecordService


class _RollBack(Exception):
    """Unwinds the dry run's transaction after a successful validation."""


def _prefixed(errors: FieldErrors, index: int) -> FieldErrors:
    out: FieldErrors = {}
    for path, messages in errors.items():
        rest = "" if path == "_record" else (path if path.startswith("[") else f".{path}")
        out[f"[{index}]{rest}"] = list(messages)
    return out


def _apply(service: RecordService, conn: sa.Connection, entity: str, creates: Sequence[tuple[int, Any]],
           updates: Mapping[int, tuple[int, Any]], actor: Actor) -> tuple[FieldErrors, int, int]:
    """Every write of the batch on ``conn``; errors keyed by the row's own index."""
    errors: FieldErrors = {}
    created = updated = 0
    if creates:
        try:
            created = len(service.create_many(entity, [p for _i, p in creates], actor=actor, conn=conn))
        except ValidationFailed as exc:
            for path, messages in exc.errors.items():
                position = int(path[1:path.index("]")]) if path.startswith("[") else 0
                rest = path[path.index("]") + 1:] if path.startswith("[") else f".{path}"
                errors[f"[{creates[position][0]}]{rest}"] = list(messages)
    for index, (record_id, patch) in updates.items():
        try:
            service.update(entity, record_id, patch, actor=actor, conn=conn)
            updated += 1
        except ValidationFailed as exc:
            errors.update(_prefixed(exc.errors, index))
    return errors, created, updated


def validate_many(service: RecordService, entity: str, rows: Sequence[Any], actor: Actor, *,
                  updates: Mapping[int, tuple[int, Any]] | None = None) -> FieldErrors:
    """Errors keyed ``[row].field``; rows whose index is in ``updates`` change that record instead."""
    updates = dict(updates or {})
    creates = [(i, p) for i, p in enumerate(rows) if i not in updates]
    found: FieldErrors = {}
    try:
        with service.db.write() as conn:
            found, _c, _u = _apply(service, conn, entity, creates, updates, actor)
            raise _RollBack
    except _RollBack:
        pass
    return found


def write_rows(service: RecordService, entity: str, rows: Sequence[Any], actor: Actor, *,
               updates: Mapping[int, tuple[int, Any]] | None = None) -> tuple[int, int]:
    """Write every row in one transaction; any error rolls all of them back (ValidationFailed)."""
    updates = dict(updates or {})
    creates = [(i, p) for i, p in enumerate(rows) if i not in updates]
    with service.db.write() as conn:
        errors, created, updated = _apply(service, conn, entity, creates, updates, actor)
        if errors:
            raise ValidationFailed(errors=errors)
    return created, updated


def validate_one(service: RecordService, entity: str, payload: Any, actor: Actor,
                 record_id: int | None = None) -> FieldErrors:
    """The errors of one create (or one update of ``record_id``), keyed by field path."""
    updates = {0: (record_id, payload)} if record_id is not None else None
    found = validate_many(service, entity, [payload], actor, updates=updates)
    return {_strip(path): msgs for path, msgs in found.items()}


def _strip(path: str) -> str:
    rest = path[path.index("]") + 1:] if path.startswith("[") else path
    return rest.lstrip(".") or "_record"


def raise_with(service_errors: FieldErrors, more: FieldErrors) -> None:
    merged: FieldErrors = {k: list(v) for k, v in service_errors.items()}
    for path, msgs in more.items():
        bucket = merged.setdefault(path, [])
        bucket.extend(m for m in msgs if m not in bucket)
    if merged:
        raise ValidationFailed(errors=merged)
