"""Enqueued and scheduled job runs: the ``sm_job_run`` work queue.

:func:`enqueue` writes a row and wakes the pump, which hands the run to RQ or the embedded
runner. Writing first is what makes it safe: with Redis down the row waits, and the request
that enqueued it returns at once. Pass a connection to enqueue inside your own transaction —
the run then exists exactly when your change does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from sunmao.jobs import work
from sunmao.jobs.backoff import backoff_delay
from sunmao.jobs.dbutil import insert_ignoring_conflict, utcnow
from sunmao.jobs.notify import notify_work
from sunmao.jobs.registry import JobContext, UnknownJob, get_job
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.tables import job_run

if TYPE_CHECKING:
    from sunmao.runtime import Runtime
    from sunmao.storage import Database

log = logging.getLogger(__name__)
QUEUE = "job"


def _check_args(name: str, args: Mapping[str, Any] | None) -> dict[str, Any]:
    args = dict(args or {})
    try:
        json.dumps(args)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"arguments of job {name!r} must be plain JSON (numbers, strings, lists, objects): {exc}"
                        ) from None
    return args


def enqueue(target: Database | sa.Connection, name: str, args: Mapping[str, Any] | None = None, *,
            delay: float = 0.0, dedup_key: str | None = None, max_attempts: int | None = None,
            scheduled_for: datetime | None = None, now: datetime | None = None) -> int | None:
    """Queue job ``name`` with JSON ``args``; return the run id (None: ``dedup_key`` was taken).

    ``target`` is a :class:`~sunmao.storage.Database` (the run is committed at once and the
    pump is woken) or a connection inside your transaction (the run commits with it; the
    pump finds it on its next pass).
    """
    spec = get_job(name)
    args = _check_args(name, args)
    now = now or utcnow()
    values = {
        "job": name, "args": args, "dedup_key": dedup_key, "scheduled_for": scheduled_for,
        "status": work.PENDING, "attempts": 0, "max_attempts": max_attempts or spec.max_attempts,
        "next_attempt_at": now + timedelta(seconds=delay), "created_at": now, "updated_at": now,
    }
    if isinstance(target, sa.Connection):
        return _insert(target, values)
    with target.write() as conn:
        run_id = _insert(conn, values)
    notify_work()
    return run_id


def _insert(conn: sa.Connection, values: dict[str, Any]) -> int | None:
    if values["dedup_key"] is None:
        return conn.execute(job_run.insert().values(values)).inserted_primary_key[0]
    return insert_ignoring_conflict(conn, job_run, values, "dedup_key")


def perform_run(runtime: Runtime, run_id: int, token: str) -> None:
    """Run one reserved job run and record its outcome (retry with backoff, or dead)."""
    lease = JobSettings.from_env().lease
    with runtime.db.write() as conn:
        row = work.claim(conn, job_run, run_id, token, now=utcnow(), lease=lease)
    if row is None:
        return
    error, retry, delay = None, False, 0.0
    try:
        spec = get_job(row["job"])
    except UnknownJob as exc:
        spec, error = None, f"{exc}. Is this process running an older version of Sunmao?"
    if spec is not None:
        ctx = JobContext(runtime, run_id, row["attempts"] + 1, row["scheduled_for"])
        try:
            spec.fn(ctx, **row["args"])
        except Exception as exc:  # noqa: BLE001 - a job's failure is recorded and retried, never lost
            log.exception("job %s (run %s) failed on attempt %s", row["job"], run_id, row["attempts"] + 1)
            error, retry = f"{type(exc).__name__}: {exc}", True
            delay = backoff_delay(row["attempts"] + 1, spec.backoff, spec.backoff_cap)
    now = utcnow()
    with runtime.db.write() as conn:
        work.finish(conn, job_run, row, ok=error is None, retry=retry, now=now, delay=delay, error=error,
                    finished_at=now)


#: The queue of job runs (declared in ``jobs/feature.py``).
RUNS = work.register_queue(work.WorkQueue(QUEUE, job_run, perform_run))
