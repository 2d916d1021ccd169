"""The transactional outbox dispatcher and the in-process subscriber registry.

The record service writes an ``sm_outbox`` row in the same transaction as every change; this
module is where those events leave. A dispatcher pass claims undispatched rows (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, so several processes share the work; SQLite's write lock makes
claimers take turns), calls each subscriber whose topic pattern matches, and marks the rows
``dispatched_at`` **in the same transaction** as whatever the subscribers recorded — a
webhook delivery row, a job run. An event is therefore either dispatched together with its
durable consequences, or not at all and dispatched again later; a process killed half-way
loses nothing.

Subscribers must record their work in the given connection (``ctx.conn``) and may ask for
work items to be handed to a runner after the commit (``ctx.submit``). They must not call
out to the network: that is what the work items are for.

Topic patterns: segments separated by dots; ``*`` matches one segment, and a final ``*``
matches one or more (``order.*`` matches ``order.created`` and ``order.transition.approved``;
``*.created`` matches every creation).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.jobs.dbutil import relaxed_commit, utcnow
from sunmao.jobs.work import WorkItem
from sunmao.storage import system as sm

if TYPE_CHECKING:
    from sunmao.runtime import Runtime
    from sunmao.snapshot import Snapshot

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One outbox event, as subscribers see it."""

    seq: int
    id: str
    topic: str
    entity: str | None
    record_id: int | None
    payload: Mapping[str, Any]
    created_at: datetime

    def data(self) -> dict[str, Any]:
        """What conditions and templates read: the payload, plus ``event.id``/``topic``/``created_at``."""
        return {**self.payload, "event": {"id": self.id, "topic": self.topic,
                                          "created_at": self.created_at.isoformat()}}


@dataclass
class DispatchContext:
    """What a subscriber works with during one dispatcher pass."""

    runtime: Runtime
    snapshot: Snapshot | None
    conn: sa.Connection
    now: datetime
    items: list[WorkItem] = field(default_factory=list)
    #: Per-pass scratch space for subscribers (e.g. which secrets exist), keyed by subscriber.
    cache: dict[str, Any] = field(default_factory=dict)

    def submit(self, item: WorkItem) -> None:
        """Hand this work item to the runner once the pass has committed."""
        self.items.append(item)


Handler = Callable[[DispatchContext, Event], None]


@dataclass(frozen=True)
class Subscriber:
    name: str
    patterns: tuple[str, ...]
    handler: Handler

    def wants(self, topic: str) -> bool:
        return any(topic_matches(p, topic) for p in self.patterns)


_SUBSCRIBERS: dict[str, Subscriber] = {}


def subscribe(name: str, *patterns: str) -> Callable[[Handler], Handler]:
    """Register the decorated function for events whose topic matches any of ``patterns``.

    Workflow, notifications and outbound webhooks all subscribe this way; a pattern list that
    depends on metadata (webhook documents) subscribes to ``*`` and filters inside.
    """
    if not patterns:
        raise ValueError("give at least one topic pattern, e.g. 'order.*' or '*'")

    def register(handler: Handler) -> Handler:
        handler.subscriber = add_subscriber(Subscriber(name, tuple(patterns), handler))  # type: ignore[attr-defined]
        return handler

    return register


def add_subscriber(subscriber: Subscriber) -> Subscriber:
    """Make a subscriber known to this process's dispatcher (what ``Feature.jobs`` installs)."""
    _SUBSCRIBERS[subscriber.name] = subscriber
    return subscriber


def unsubscribe(name: str) -> None:
    """Remove a subscriber (a plugin being unloaded; tests)."""
    _SUBSCRIBERS.pop(name, None)


def subscribers() -> list[Subscriber]:
    return list(_SUBSCRIBERS.values())


def topic_matches(pattern: str, topic: str) -> bool:
    """Does ``topic`` match ``pattern`` (see the module docstring)?"""
    want, have = pattern.split("."), topic.split(".")
    for i, part in enumerate(want):
        if i >= len(have):
            return False
        if part == "*" and i == len(want) - 1:
            return True
        if part != "*" and part != have[i]:
            return False
    return len(want) == len(have)


class _Failures:
    """Events whose subscribers raised: skipped by this process for a growing while, then retried."""

    def __init__(self) -> None:
        self._items: dict[tuple[int, int], tuple[int, float]] = {}
        self._lock = threading.Lock()

    def record(self, db_key: int, seq: int) -> int:
        with self._lock:
            count = self._items.get((db_key, seq), (0, 0.0))[0] + 1
            self._items[(db_key, seq)] = (count, time.monotonic() + min(300.0, 2.0 ** count))
            return count

    def skipped(self, db_key: int) -> list[int]:
        now = time.monotonic()
        with self._lock:
            return [seq for (key, seq), (_c, until) in self._items.items() if key == db_key and until > now]

    def clear(self, db_key: int, seqs: list[int]) -> None:
        with self._lock:
            for seq in seqs:
                self._items.pop((db_key, seq), None)


_failures = _Failures()


def has_pending(runtime: Runtime) -> bool:
    with runtime.db.read() as conn:
        return conn.execute(sa.select(sm.outbox.c.id).where(sm.outbox.c.dispatched_at.is_(None)).limit(1)
                            ).first() is not None


def dispatch_batch(runtime: Runtime, *, limit: int = 200, now: datetime | None = None
                   ) -> tuple[int, list[WorkItem]]:
    """Dispatch up to ``limit`` pending events; return how many, and the work items to submit.

    The caller submits the items to a runner after this returns (the transaction is
    committed by then); if that fails the items' leases expire and the pump reserves them again.
    """
    if not has_pending(runtime):
        return 0, []
    db_key = id(runtime.db)
    subs = subscribers()
    try:
        snapshot = runtime.snapshot()
    except LookupError:
        snapshot = None
    now = now or utcnow()
    query = sa.select(sm.outbox).where(sm.outbox.c.dispatched_at.is_(None)).order_by(sm.outbox.c.id).limit(limit)
    skipped = _failures.skipped(db_key)
    if skipped:
        query = query.where(sm.outbox.c.id.not_in(skipped))
    if not runtime.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    with runtime.db.write() as conn:
        relaxed_commit(conn)
        rows = conn.execute(query).mappings().all()
        ctx = DispatchContext(runtime, snapshot, conn, now)
        done: list[int] = []
        for row in rows:
            event = Event(row["id"], row["event_id"], row["topic"], row["entity"], row["record_id"],
                          row["payload"] or {}, row["created_at"])
            mark = len(ctx.items)
            try:
                with conn.begin_nested():
                    for sub in subs:
                        if sub.wants(event.topic):
                            sub.handler(ctx, event)
            except Exception:  # noqa: BLE001 - one bad event must not hold up the others
                del ctx.items[mark:]
                count = _failures.record(db_key, event.seq)
                log.exception("outbox event %s (%s) could not be dispatched (failure %s); it stays pending",
                              event.id, event.topic, count)
                continue
            done.append(event.seq)
        if done:
            conn.execute(sm.outbox.update().where(sm.outbox.c.id.in_(done)).values(dispatched_at=now))
    _failures.clear(db_key, done)
    return len(done), ctx.items
