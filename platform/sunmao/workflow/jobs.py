"""Scheduled work of the workflow engine: overdue approval tasks (schedule with a ``job`` document)."""

from __future__ import annotations

from sunmao.jobs.registry import JobContext, job
from sunmao.workflow.engine import WorkflowService


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
