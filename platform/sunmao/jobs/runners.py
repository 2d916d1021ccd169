"""Runners carry reserved work items to where they are performed.

Three runners behind one interface (:class:`Runner`):

- :class:`RQRunner` pushes item references to an RQ queue on Redis; ``sunmao worker``
  processes perform them (the production setup, several machines);
- :class:`EmbeddedRunner` performs them on a thread pool in this process (the default
  without Redis: ``sunmao run`` on one machine needs no other server);
- :class:`InlineRunner` performs them at once in the calling thread (tests, CLI one-offs).

A runner that cannot take work raises :class:`RunnerUnavailable`; the pump then gives the
reservations back and tries again later. Nothing is lost, because the work is a database row.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

import redis
from rq import Queue
from rq.serializers import JSONSerializer

from sunmao.jobs.redisconn import quick_client
from sunmao.jobs.work import WorkItem, perform

if TYPE_CHECKING:
    from sunmao.runtime import Runtime

log = logging.getLogger(__name__)

#: The function RQ workers import and call, with a few items per RQ job.
RQ_ENTRY = "sunmao.jobs.execute.perform_items"
#: Items per RQ job: RQ's own bookkeeping costs about as much as a small delivery, so share it.
ITEMS_PER_RQ_JOB = 10


class RunnerUnavailable(RuntimeError):
    """The runner cannot take work now (Redis down, pool stopped); the work stays in the database."""


class Runner(Protocol):
    name: str

    def capacity(self) -> int:
        """How many more items it is sensible to reserve for this runner now."""
        ...

    def submit_many(self, items: Sequence[WorkItem]) -> None:
        """Hand items over, or raise RunnerUnavailable having handed none."""
        ...


class InlineRunner:
    """Performs each item immediately in the calling thread."""

    name = "inline"

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def capacity(self) -> int:
        return 1_000_000

    def submit_many(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            _perform_logged(self.runtime, item)


class EmbeddedRunner:
    """A thread pool in this process.

    It takes at most ``threads * 8`` items at a time, so that reservations do not outlive their
    lease while they wait in the pool; when it was full, finishing items wakes the pump
    (``on_room``) to reserve more instead of letting it sleep a whole poll interval.
    """

    name = "embedded"

    def __init__(self, runtime: Runtime, threads: int = 4, on_room: Callable[[], None] | None = None):
        self.runtime = runtime
        self.threads = threads
        self.limit = threads * 8
        self.on_room = on_room
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sunmao-job")
        self._inflight = 0
        self._full = False
        self._lock = threading.Lock()
        self._closed = False

    def capacity(self) -> int:
        with self._lock:
            room = max(0, self.limit - self._inflight)
            self._full = room == 0 or self._full
            return room

    def submit_many(self, items: Sequence[WorkItem]) -> None:
        if self._closed:
            raise RunnerUnavailable("the embedded runner is stopped")
        with self._lock:
            self._inflight += len(items)
            self._full = self._full or self._inflight >= self.limit
        for item in items:
            self._pool.submit(self._run, item)

    def _run(self, item: WorkItem) -> None:
        try:
            _perform_logged(self.runtime, item)
        finally:
            with self._lock:
                self._inflight -= 1
                wake = self._full and self._inflight <= self.limit // 2
                if wake:
                    self._full = False
            if wake and self.on_room is not None:
                self.on_room()

    def idle(self) -> bool:
        with self._lock:
            return self._inflight == 0

    def shutdown(self, wait: bool = True) -> None:
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=not wait)


class RQRunner:
    """Pushes item references to an RQ queue; fails fast when Redis is unreachable."""

    name = "rq"

    def __init__(self, redis_url: str, queue: str = "sunmao", *, lease: float = 60.0, backlog: int = 200,
                 per_job: int = ITEMS_PER_RQ_JOB):
        self.connection = quick_client(redis_url)
        self.queue = Queue(queue, connection=self.connection, serializer=JSONSerializer)
        self.lease = lease
        self.backlog = backlog
        self.per_job = per_job

    def capacity(self) -> int:
        try:
            waiting = self.queue.count * self.per_job
        except (redis.exceptions.RedisError, OSError) as exc:
            raise RunnerUnavailable(f"Redis is unreachable: {exc}") from None
        return max(0, self.backlog - waiting)

    def submit_many(self, items: Sequence[WorkItem]) -> None:
        if not items:
            return
        chunks = [items[i:i + self.per_job] for i in range(0, len(items), self.per_job)]
        # An item whose reservation expires while it waits is simply reserved again by a pump; a
        # job killed by its timeout leaves its unfinished items to their leases. Neither loses work.
        data = [Queue.prepare_data(RQ_ENTRY, args=([[i.queue, i.id, i.token] for i in chunk],),
                                   timeout=max(1, int(self.lease * len(chunk))), result_ttl=0,
                                   failure_ttl=7 * 86400, ttl=max(60, int(self.lease * 10)),
                                   description=", ".join(f"{i.queue} #{i.id}" for i in chunk))
                for chunk in chunks]
        try:
            self.queue.enqueue_many(data)
        except (redis.exceptions.RedisError, OSError) as exc:
            raise RunnerUnavailable(f"Redis is unreachable: {exc}") from None


def _perform_logged(runtime: Runtime, item: WorkItem) -> None:
    try:
        perform(runtime, item.queue, item.id, item.token)
    except Exception:  # noqa: BLE001 - the item's lease expires and it is tried again
        log.exception("work item %s #%s failed outside its own error handling", item.queue, item.id)
