"""The ``matching.run`` job, and the subscriber that runs it for each new source record."""

from __future__ import annotations

from sunmao.jobs.outbox import DispatchContext, Event, subscribe
from sunmao.jobs.registry import JobContext, job
from sunmao.jobs.runs import enqueue
from sunmao.matching.engine import Matcher


@job("matching.run", max_attempts=3, backoff=30.0)
def run(ctx: JobContext, key: str | None = None, ids: list[int] | None = None) -> dict[str, int]:
    """Match the open records of rule ``key`` (every rule when None), or only ``ids``."""
    runtime = ctx.runtime
    return Matcher(runtime.db, runtime.snapshot(), runtime.records()).run(key, ids).counts()


@subscribe("matching", "*.created")
def on_created(ctx: DispatchContext, event: Event) -> None:
    """A new receipt (however it came: API, form, bank statement import) is matched at once."""
    if ctx.snapshot is None or event.record_id is None:
        return
    for rule in ctx.snapshot.features.get("matches", {}).values():
        if rule.source == event.entity:
            enqueue(ctx.conn, "matching.run", {"key": rule.key, "ids": [event.record_id]})
