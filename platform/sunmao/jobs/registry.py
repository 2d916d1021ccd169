"""Jobs by name: ``@job("name")`` registers a function that runners and schedules can call.

Metadata (a scheduled job document), ``enqueue()`` and Redis all refer to a job by its name
with JSON arguments, never by a Python path: the name is the contract, and arguments that
are plain JSON survive a queue, a database row and a process restart unchanged.

A job function receives a :class:`JobContext` and the arguments as keywords::

    @job("orders.remind_overdue", max_attempts=3)
    def remind_overdue(ctx: JobContext, days: int = 3) -> None:
        records = ctx.runtime.records()
        ...

A feature declares its job functions (with its work queues and outbox subscribers) in its
``Feature.jobs``; the composition root installs them (:func:`install`) in every process it builds
a runtime for, so a job is known wherever a runner may pick it up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sunmao.jobs import outbox, work

if TYPE_CHECKING:
    from sunmao.runtime import Runtime

NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")

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
        spec = JobSpec(name, fn, max_attempts, backoff, backoff_cap, (fn.__doc__ or "").strip())
        _add(spec)
        fn.job = spec  # type: ignore[attr-defined]  # what a Feature declares in its ``jobs``
        return fn

    return register


def _add(spec: JobSpec) -> None:
    existing = _JOBS.get(spec.name)
    if existing is not None and existing.fn.__qualname__ != spec.fn.__qualname__:
        raise ValueError(f"job {spec.name!r} is registered twice ({existing.fn.__module__} and {spec.fn.__module__})")
    _JOBS[spec.name] = spec


def install(items: Iterable[Any]) -> None:
    r"""Make the jobs, work queues and outbox subscribers that features declare known in this process.

    ``items`` are ``@job`` functions, :class:`~sunmao.jobs.work.WorkQueue`\ s and ``@subscribe``
    handlers (idempotent: installing twice changes nothing).
    """
    for item in items:
        if isinstance(item, work.WorkQueue):
            work.register_queue(item)
        elif isinstance(getattr(item, "job", None), JobSpec):
            _add(item.job)
        elif isinstance(getattr(item, "subscriber", None), outbox.Subscriber):
            outbox.add_subscriber(item.subscriber)
        else:
            raise TypeError(f"{item!r} is no @job function, WorkQueue or @subscribe handler")


def get_job(name: str) -> JobSpec:
    spec = _JOBS.get(name)
    if spec is None:
        raise UnknownJob(f"there is no job named {name!r}; known jobs: {', '.join(sorted(_JOBS)) or 'none'}")
    return spec


def registered_jobs() -> dict[str, JobSpec]:
    return dict(_JOBS)
