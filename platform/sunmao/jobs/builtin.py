"""Jobs the platform itself provides (schedule them with ``job`` documents)."""

from __future__ import annotations

from datetime import timedelta

from sunmao.jobs import work
from sunmao.jobs.dbutil import utcnow
from sunmao.jobs.registry import JobContext, job
from sunmao.storage import system as sm


@job("sunmao.prune", max_attempts=3, backoff=60.0)
def prune(ctx: JobContext, keep_days: int = 30) -> None:
    """Delete succeeded work items (deliveries, job runs) and dispatched events older than ``keep_days``.

    Dead items are kept: they are the dead-letter list, waiting for a person to replay them.
    The audit trail is not touched; it is the history, the outbox is only transport.
    """
    if keep_days < 1:
        raise ValueError("keep_days must be at least 1")
    cutoff = utcnow() - timedelta(days=keep_days)
    with ctx.runtime.db.write() as conn:
        for queue in work.queues().values():
            table = queue.table
            conn.execute(table.delete().where(table.c.status == work.SUCCEEDED, table.c.updated_at < cutoff))
        conn.execute(sm.outbox.delete().where(sm.outbox.c.dispatched_at.is_not(None),
                                              sm.outbox.c.dispatched_at < cutoff))


@job("records.recompute", max_attempts=3, backoff=300.0)
def recompute(ctx: JobContext, entity: str) -> int:
    """Recompute an entity's stored formulas and roll-ups: the nightly refresh of moving windows
    (orders in the last 12 months, days to due). Returns how many records changed."""
    return ctx.runtime.records().recompute(entity)
