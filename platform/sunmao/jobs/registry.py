"""Jobs by name: ``@job("name")`` registers a function that runners and schedules can call.

Metadata (a scheduled job document), ``enqueue()`` and Redis all refer to a job by its name
with JSON arguments, never by a Python path: the name is the contract, and arguments that
are plain JSON survive a queue, a database row and a process restart unchanged.

A job function receives a :class:`JobContext` and the arguments as keywords::

    @job("orders.remind_overdue", max_attempts=3)
    def remind_overdue(ctx: JobContext, days: int = 3) -> None:
        records = ctx.runtime.records()
        ...

Modules that define jobs, work queues or outbox subscribers are listed in
:data:`JOB_MODULES`; every process that runs jobs imports them all.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sunmao.runtime import Runtime

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")

#: Modules that register jobs, work queues or outbox subscribers when imported.
JOB_MODULES: tuple[str, ...] = (
    "sunmao.jobs.runs",
    "sunmao.jobs.builtin",
    "sunmao.hooks.outbound.deliver",
    "sunmao.workflow.jobs",
    "sunmao.notices",
    "sunmao.imports.jobs",
    "sunmao.dashboards.report",
)


@dataclass(frozen=True)
class JobContext:
    """What a running job knows: the runtime, which run this is, and for a schedule, which tick."""

    runtime: Runtime
    run_id: int | None
    attempt: int
    scheduled_for: datetime | None = None


@dataclass(frozen=True)
class JobSpec:
    name: str
    fn: Callable[..., Any]
    max_attempts: int
    backoff: float
    backoff_cap: float
    doc: str


_JOBS: dict[str, JobSpec] = {}
_loaded = False
_load_lock = threading.Lock()


class UnknownJob(LookupError):
    """A name that no module registered; the message lists the names that exist."""


def job(name: str, *, max_attempts: int = 5, backoff: float = 10.0,
        backoff_cap: float = 3600.0) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as job ``name``.

    ``max_attempts`` counts the first run; a failure is retried after an exponential delay
    starting at ``backoff`` seconds (with jitter, at most ``backoff_cap``).
    """
    if not NAME.match(name):
        raise ValueError(f"job name {name!r}: use lower-case words separated by dots, e.g. 'orders.remind'")
    if max_attempts < 1:
        raise ValueError("max_attempts counts the first run: it must be at least 1")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        existing = _JOBS.get(name)
        if existing is not None and existing.fn.__qualname__ != fn.__qualname__:
            raise ValueError(f"job {name!r} is registered twice ({existing.fn.__module__} and {fn.__module__})")
        _JOBS[name] = JobSpec(name, fn, max_attempts, backoff, backoff_cap, (fn.__doc__ or "").strip())
        return fn

    return register


def load_job_modules() -> None:
    """Import every module of :data:`JOB_MODULES` (once per process)."""
    global _loaded
    if _loaded:
        return
    with _load_lock:
        if not _loaded:
            for module in JOB_MODULES:
                importlib.import_module(module)
            _loaded = True


def get_job(name: str) -> JobSpec:
    load_job_modules()
    spec = _JOBS.get(name)
    if spec is None:
        raise UnknownJob(f"there is no job named {name!r}; known jobs: {', '.join(sorted(_JOBS)) or 'none'}")
    return spec


def registered_jobs() -> dict[str, JobSpec]:
    load_job_modules()
    return dict(_JOBS)
