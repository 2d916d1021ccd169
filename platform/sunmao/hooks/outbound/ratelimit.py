"""A sliding-window rate limit shared by every process, kept in the database.

Chat robots accept 20 messages per minute each, and a message over the limit is refused
(WeCom errcode 45009), not queued. So Sunmao queues instead: before sending, a delivery takes a
slot in its robot's window; when the window is full it waits (its ``next_attempt_at`` moves to
when a slot frees) without spending an attempt. The window is a log of send times — exact,
unlike a token bucket, which would let twice the limit through around a window's edge — and
lives in the database so that all workers share it, with or without Redis.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sunmao.hooks.outbound.tables import rate_slot
from sunmao.jobs.dbutil import relaxed_commit
from sunmao.storage import Database


def reserve(db: Database, bucket: str, limit: int, window: float, *, margin: float = 0.0) -> float:
    """Take a slot now and return 0, or return the seconds until one frees (taking nothing).

    ``margin`` widens the window, so that two sends reserved ``window`` apart cannot arrive
    closer together than ``window`` after unequal network delays.
    """
    span = timedelta(seconds=window + margin)
    with db.write() as conn:
        relaxed_commit(conn)
        if not db.is_sqlite:  # SQLite's write lock already serialises us
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext(bucket))))
        now = datetime.now(UTC)
        conn.execute(rate_slot.delete().where(rate_slot.c.bucket == bucket, rate_slot.c.at <= now - span))
        taken = conn.execute(sa.select(rate_slot.c.at).where(rate_slot.c.bucket == bucket)
                             .order_by(rate_slot.c.at)).scalars().all()
        if len(taken) < limit:
            conn.execute(rate_slot.insert().values(bucket=bucket, at=now))
            return 0.0
        return max(0.001, (taken[-limit] + span - now).total_seconds())
