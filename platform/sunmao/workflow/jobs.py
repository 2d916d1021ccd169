"""Scheduled work of the workflow engine: overdue approval tasks (schedule with a ``job`` document)."""

from __future__ import annotations

from datetime import date

from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.jobs.registry import JobContext, job
from sunmao.workflow.engine import WorkflowService
from sunmao.workflow.scheduling import plan


@job("workflow.sla_tick", max_attempts=3, backoff=30.0)
def sla_tick(ctx: JobContext) -> dict[str, int]:
    """Remind, escalate or decide every approval task past its SLA, once each."""
    runtime = ctx.runtime
    return WorkflowService(runtime.db, runtime.snapshot()).sla_tick()


@job("workflow.generate", max_attempts=3, backoff=60.0)
def generate(ctx: JobContext, entity: str, action: str, states: list[str] | None = None) -> dict[str, int]:
    """An action's ``generate`` for the records in ``states`` that lack what it generates (a catch-up)."""
    runtime = ctx.runtime
    return WorkflowService(runtime.db, runtime.snapshot()).generate(entity, action, states)


@job("workflow.schedule", max_attempts=3, backoff=60.0)
def schedule(ctx: JobContext, schedule: str, start: str | None = None) -> dict[str, int]:
    """Place the open operations of a ``schedule`` document on their work centres from ``start``
    (ISO date; default today) and write the planned dates that changed (``scheduling.py``)."""
    runtime = ctx.runtime
    snapshot = runtime.snapshot()
    found = snapshot.features["schedules"].get(schedule)
    if found is None:
        raise NotFound(Text(f"没有名为 {schedule} 的排产方案", f"there is no schedule named {schedule!r}"))
    return plan(runtime.db, snapshot, runtime.records(), found, date.fromisoformat(start) if start else None)
