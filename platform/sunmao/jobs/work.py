"""Leased work items: the durable half of every job.

Work that must not be lost (a webhook delivery, a scheduled or enqueued job) is a row in a
table with the columns of :func:`work_columns`. Redis or a thread pool only carries a
reference to it — ``(queue, id, token)`` — so losing Redis, a queue, or a worker killed
with SIGKILL delays the work and loses nothing:

1. the pump *reserves* due rows (a random token and ``locked_until = now + lease``) and hands
   ``(queue, id, token)`` to a runner;
2. a runner *claims* the row with that token (extending the lease) and performs it;
3. the outcome is recorded: ``succeeded``, ``failed`` (with ``next_attempt_at``: retried) or
   ``dead`` (no more attempts; a person may replay it).

A reservation or claim that nobody finishes expires with its lease; the next pump pass in any
process reserves the row again under a new token, and a late runner holding the old token
finds nothing to do. On PostgreSQL several pumps reserve side by side (``FOR UPDATE SKIP
LOCKED``); on SQLite the write lock makes them take turns.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.jobs.dbutil import relaxed_commit
from sunmao.storage.types import UTCDateTime

if TYPE_CHECKING:
    from sunmao.runtime import Runtime
    from sunmao.storage import Database

PENDING, FAILED, SUCCEEDED, DEAD = "pending", "failed", "succeeded", "dead"
#: Statuses of rows that still have attempts to make.
DUE_STATUSES = (PENDING, FAILED)
STATUSES = (PENDING, FAILED, SUCCEEDED, DEAD)
MAX_ERROR = 2000


def work_columns() -> list[sa.Column[Any]]:
    """The columns every leased work table has (add your own beside them)."""
    return [
        sa.Column("status", sa.String(12), nullable=False, default=PENDING),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=False),
        sa.Column("locked_until", UTCDateTime),
        sa.Column("lease_token", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    ]


@dataclass(frozen=True)
class WorkItem:
    """What travels through Redis or a thread pool: a reference, never the work itself."""

    queue: str
    id: int
    token: str


@dataclass(frozen=True)
class WorkQueue:
    """A kind of leased work: its table and the function that performs one item."""

    name: str
    table: sa.Table
    perform: Callable[[Runtime, int, str], None]


_QUEUES: dict[str, WorkQueue] = {}


def register_queue(queue: WorkQueue) -> WorkQueue:
    """Make a kind of work known to the pump (which reserves it) and to runners (which perform it)."""
    _QUEUES[queue.name] = queue
    return queue


def queues() -> dict[str, WorkQueue]:
    """The kinds of work this process knows (those the features declared, ``jobs.registry.install``)."""
    return dict(_QUEUES)


def perform(runtime: Runtime, queue: str, item_id: int, token: str) -> None:
    """Perform one reserved work item (what every runner finally calls)."""
    known = queues()
    if queue not in known:
        raise LookupError(f"unknown work queue {queue!r}; known: {', '.join(sorted(known))}")
    known[queue].perform(runtime, item_id, token)


def new_token() -> str:
    return secrets.token_hex(16)


def due_condition(table: sa.Table, now: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.status.in_(DUE_STATUSES), table.c.next_attempt_at <= now,
                   sa.or_(table.c.locked_until.is_(None), table.c.locked_until < now))


def has_due(db: Database, table: sa.Table, now: datetime) -> bool:
    """A cheap read first, so that idle pumps do not take SQLite's write lock every second."""
    with db.read() as conn:
        return conn.execute(sa.select(table.c.id).where(due_condition(table, now)).limit(1)).first() is not None


def reserve_due(db: Database, table: sa.Table, *, now: datetime, lease: float, limit: int) -> list[tuple[int, str]]:
    """Reserve up to ``limit`` due rows for ``lease`` seconds; return ``(id, token)`` pairs."""
    if not has_due(db, table, now):
        return []
    token = new_token()
    pick = sa.select(table.c.id).where(due_condition(table, now)).order_by(table.c.next_attempt_at).limit(limit)
    if not db.is_sqlite:
        pick = pick.with_for_update(skip_locked=True)
    with db.write() as conn:
        relaxed_commit(conn)
        ids = conn.execute(table.update().where(table.c.id.in_(pick.scalar_subquery()))
                           .values(lease_token=token, locked_until=now + timedelta(seconds=lease))
                           .returning(table.c.id)).scalars().all()
    return [(i, token) for i in sorted(ids)]


def claim(conn: sa.Connection, table: sa.Table, item_id: int, token: str, *, now: datetime,
          lease: float) -> sa.RowMapping | None:
    """Take a reserved row for performing it; None when the token is stale or the row is done."""
    relaxed_commit(conn)
    return conn.execute(
        table.update()
        .where(table.c.id == item_id, table.c.lease_token == token, table.c.status.in_(DUE_STATUSES))
        .values(locked_until=now + timedelta(seconds=lease), updated_at=now)
        .returning(*table.c)).mappings().first()


def release(db: Database, table: sa.Table, items: Sequence[tuple[int, str]]) -> None:
    """Give reservations back at once (a runner refused them), instead of waiting for the lease."""
    if not items:
        return
    with db.write() as conn:
        relaxed_commit(conn)
        for item_id, token in items:
            conn.execute(table.update().where(table.c.id == item_id, table.c.lease_token == token)
                         .values(locked_until=None, lease_token=None))


def postpone(conn: sa.Connection, table: sa.Table, item_id: int, token: str, *, until: datetime,
             now: datetime, note: str | None = None) -> None:
    """Put a claimed row back to wait (a rate limit), without counting an attempt."""
    relaxed_commit(conn)
    values: dict[str, Any] = {"next_attempt_at": until, "locked_until": None, "lease_token": None, "updated_at": now}
    if note is not None:
        values["last_error"] = note[:MAX_ERROR]
    conn.execute(table.update().where(table.c.id == item_id, table.c.lease_token == token).values(values))


def finish(conn: sa.Connection, table: sa.Table, row: sa.RowMapping, *, ok: bool, retry: bool, now: datetime,
           delay: float, error: str | None = None, **extra: Any) -> str:
    """Record one attempt's outcome; return the new status.

    A failure that may be retried becomes ``failed`` with ``next_attempt_at = now + delay``
    until the row runs out of attempts, when it becomes ``dead``.
    """
    relaxed_commit(conn)
    attempts = row["attempts"] + 1
    if ok:
        status = SUCCEEDED
    elif retry and attempts < row["max_attempts"]:
        status = FAILED
    else:
        status = DEAD
    values: dict[str, Any] = {
        "status": status, "attempts": attempts, "locked_until": None, "lease_token": None, "updated_at": now,
        "last_error": error[:MAX_ERROR] if error else None,
    }
    if status == FAILED:
        values["next_attempt_at"] = now + timedelta(seconds=delay)
    values.update(extra)
    conn.execute(table.update().where(table.c.id == row["id"], table.c.lease_token == row["lease_token"])
                 .values(values))
    return status
