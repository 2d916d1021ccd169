"""Scheduled jobs as metadata: compiled from ``job`` documents, run once per tick.

A ``job`` document names a registered job, its JSON arguments and a cron expression (five
fields, or six with seconds last), read in the document's time zone (default Asia/Shanghai:
"02:30 every night" means the factory's night, not UTC's).

Every process that runs a pump (web processes in the embedded mode, each ``sunmao worker``)
also runs the scheduler. They do not need to agree on anything: each computes the latest
tick of each job and tries to insert ``cron:<key>:<tick>`` into ``sm_job_run``'s unique
``dedup_key``. One insert wins; that run is performed once, like any enqueued job. A tick
older than the job's misfire grace (default five minutes) is skipped — a worker that was down
overnight does not replay every missed minute when it comes back.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterError, croniter

from sunmao import clock
from sunmao.i18n import Text
from sunmao.jobs.dbutil import utcnow
from sunmao.jobs.registry import registered_jobs
from sunmao.jobs.runs import enqueue
from sunmao.meta.errors import Problem

if TYPE_CHECKING:
    from sunmao.runtime import Runtime
    from sunmao.snapshot import Snapshot

DEFAULT_TIME_ZONE = clock.TIME_ZONE
DEFAULT_MISFIRE_GRACE = 300.0
CRON_HELP = ("use five fields 'minute hour day-of-month month day-of-week' (e.g. '30 2 * * *' for 02:30 "
             "every day), or six with seconds last")


@dataclass(frozen=True)
class ScheduledJob:
    key: str
    file: str
    label: Text
    cron: str
    job: str
    args: Mapping[str, Any]
    enabled: bool
    timezone: str
    max_attempts: int | None
    misfire_grace: float

    def last_tick(self, now: datetime) -> datetime:
        """The latest scheduled time at or before ``now`` (aware, UTC)."""
        local = now.astimezone(ZoneInfo(self.timezone))
        return croniter(self.cron, local + timedelta(microseconds=1)).get_prev(datetime).astimezone(UTC)

    def next_tick(self, now: datetime) -> datetime:
        local = now.astimezone(ZoneInfo(self.timezone))
        return croniter(self.cron, local).get_next(datetime).astimezone(UTC)


def compile_jobs(snapshot: Snapshot) -> tuple[str, tuple[ScheduledJob, ...], list[Problem]]:
    """The feature compiler of ``job`` documents (listed in ``features.FEATURES``)."""
    problems: list[Problem] = []
    compiled: list[ScheduledJob] = []
    seen: dict[str, str] = {}
    known = registered_jobs()
    for file, doc in snapshot.documents("job"):
        key = doc["key"]
        if key in seen:
            problems.append(Problem(file, "$.key", f"job key {key!r} is also used by {seen[key]}; keys must be unique"))
            continue
        seen[key] = file
        cron = doc["cron"].strip()
        try:
            croniter(cron)
        except (CroniterError, ValueError) as exc:
            problems.append(Problem(file, "$.cron", f"{cron!r} is not a valid cron expression ({exc}); {CRON_HELP}"))
        tz = doc.get("timezone", DEFAULT_TIME_ZONE)
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(Problem(file, "$.timezone", f"unknown time zone {tz!r}; use an IANA name such as "
                                                        "'Asia/Shanghai'"))
        if doc["job"] not in known:
            problems.append(Problem(file, "$.job", f"there is no job named {doc['job']!r}; known jobs: "
                                                   f"{', '.join(sorted(known))}"))
        compiled.append(ScheduledJob(
            key=key, file=file, label=Text.of(doc["label"]), cron=cron, job=doc["job"], args=doc.get("args", {}),
            enabled=doc.get("enabled", True), timezone=tz, max_attempts=doc.get("max_attempts"),
            misfire_grace=float(doc.get("misfire_grace_seconds", DEFAULT_MISFIRE_GRACE))))
    return "jobs", tuple(compiled), problems


_seen: dict[tuple[int, str], datetime] = {}
_seen_lock = threading.Lock()


def scheduled_jobs(runtime: Runtime) -> tuple[ScheduledJob, ...]:
    try:
        snapshot = runtime.snapshot()
    except LookupError:
        return ()
    return tuple(snapshot.features.get("jobs", ()))


def tick(runtime: Runtime, now: datetime | None = None) -> int:
    """Claim the current tick of every due scheduled job; return how many runs this process created."""
    now = now or utcnow()
    created = 0
    for scheduled in scheduled_jobs(runtime):
        if not scheduled.enabled:
            continue
        due = scheduled.last_tick(now)
        if (now - due).total_seconds() > scheduled.misfire_grace:
            continue
        seen_key = (id(runtime.db), scheduled.key)
        with _seen_lock:
            if _seen.get(seen_key) == due:
                continue
        with runtime.db.write() as conn:
            run_id = enqueue(conn, scheduled.job, scheduled.args, dedup_key=f"cron:{scheduled.key}:{due.isoformat()}",
                             scheduled_for=due, max_attempts=scheduled.max_attempts, now=now)
        with _seen_lock:
            _seen[seen_key] = due
        created += run_id is not None
    return created
