"""What a load balancer or a person on call asks ``/healthz``: is the database there, is Redis, how
far behind are the events and the jobs.

Only a database that does not answer makes the installation unhealthy (503): without Redis the
web processes keep taking orders and the events wait in the outbox, so Redis down, events behind
or jobs piling up make it *degraded* (200, with the reason), which a monitor alerts on and a load
balancer keeps routing to.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sunmao.jobs.dbutil import utcnow
from sunmao.jobs.redisconn import quick_client
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.tables import job_run
from sunmao.jobs.work import DEAD, DUE_STATUSES
from sunmao.storage.db import Database
from sunmao.storage.system import outbox

#: Events older than this still in the outbox, or due jobs older than this, make the state degraded.
LAG_LIMIT_SECONDS = 300


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max(0.0, (now - then).total_seconds()), 1)


def health(db: Database, settings: JobSettings | None = None) -> tuple[int, dict[str, Any]]:
    """(HTTP status, report) of the database, Redis, the outbox and the job runs."""
    report: dict[str, Any] = {"status": "ok"}
    reasons: list[str] = []
    started = time.perf_counter()
    try:
        with db.read() as conn:
            now = utcnow()
            conn.execute(sa.text("SELECT 1"))
            report["database"] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
            pending = sa.select(sa.func.count(), sa.func.min(outbox.c.created_at)).where(
                outbox.c.dispatched_at.is_(None))
            count, oldest = conn.execute(pending).one()
            report["outbox"] = {"pending": count, "oldest_seconds": _age(now, oldest)}
            due = sa.select(sa.func.count(), sa.func.min(job_run.c.next_attempt_at)).where(
                job_run.c.status.in_(DUE_STATUSES), job_run.c.next_attempt_at <= now)
            jobs, first_due = conn.execute(due).one()
            dead = conn.execute(sa.select(sa.func.count()).where(job_run.c.status == DEAD)).scalar_one()
            report["jobs"] = {"due": jobs, "oldest_due_seconds": _age(now, first_due), "dead": dead}
    except sa.exc.SQLAlchemyError as exc:
        report["database"] = {"ok": False, "error": type(exc.orig or exc).__name__}
        report["status"] = "down"
        return 503, report
    for what, age in (("events", report["outbox"]["oldest_seconds"]), ("jobs", report["jobs"]["oldest_due_seconds"])):
        if age is not None and age > LAG_LIMIT_SECONDS:
            reasons.append(f"{what} waiting for {age:.0f} s")
    settings = settings or JobSettings.from_env()
    if settings.redis_url:
        try:
            quick_client(settings.redis_url).ping()
            report["redis"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "down"
            report["redis"] = {"ok": False, "error": type(exc).__name__}
            reasons.append("Redis does not answer; jobs wait in the database")
    else:
        report["redis"] = None  # not configured: jobs run in the web process
    if reasons:
        report["status"] = "degraded"
        report["reasons"] = reasons
    return 200, report
