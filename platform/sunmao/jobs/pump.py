"""The pump: one loop that moves work from the database to a runner.

Each pass (every ``SUNMAO_JOBS_POLL`` seconds, or at once when woken):

1. dispatch pending outbox events to their subscribers (:mod:`sunmao.jobs.outbox`);
2. claim the current tick of every scheduled job (:mod:`sunmao.jobs.schedule`);
3. reserve due work items — new deliveries, retries whose time has come, runs whose worker
   died — as many as the runner has room for, and submit them.

Every process that performs work runs one pump: the web process in the embedded mode, each
``sunmao worker`` with Redis. They coordinate only through the database, so any number may
run, and any may die at any moment.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sunmao.jobs import outbox, schedule, work
from sunmao.jobs.dbutil import utcnow
from sunmao.jobs.runners import Runner, RunnerUnavailable
from sunmao.jobs.settings import JobSettings

if TYPE_CHECKING:
    from sunmao.runtime import Runtime

log = logging.getLogger(__name__)
MAX_BATCHES_PER_PASS = 10


@dataclass
class PassReport:
    dispatched: int = 0
    scheduled: int = 0
    submitted: int = 0
    runner_down: bool = False

    @property
    def busy(self) -> bool:
        return bool(self.dispatched or self.submitted) and not self.runner_down


class Waiter:
    """How a pump sleeps between passes; ``wake`` cuts the sleep short."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)
        self._event.clear()

    def wake(self) -> None:
        self._event.set()


class Pump:
    def __init__(self, runtime: Runtime, runner: Runner, settings: JobSettings | None = None,
                 waiter: Waiter | None = None):
        self.runtime = runtime
        self.runner = runner
        self.settings = settings or JobSettings.from_env()
        self.waiter = waiter or Waiter()
        self._last_warning = 0.0

    # -- one pass --------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> PassReport:
        """Dispatch, schedule and submit once; safe to call from tests and CLI commands."""
        report = PassReport()
        for _ in range(MAX_BATCHES_PER_PASS):
            count, items = outbox.dispatch_batch(self.runtime, limit=self.settings.batch, now=now)
            report.dispatched += count
            self._submit(items, report)
            if count < self.settings.batch:
                break
        report.scheduled = schedule.tick(self.runtime, now)
        if not report.runner_down:
            self._sweep(now or utcnow(), report)
        return report

    def _sweep(self, now: datetime, report: PassReport) -> None:
        for queue in work.queues().values():
            try:
                room = min(self.runner.capacity(), self.settings.batch)
            except RunnerUnavailable as exc:
                report.runner_down = True
                self._warn(str(exc))
                return
            if room <= 0:
                continue
            reserved = work.reserve_due(self.runtime.db, queue.table, now=now, lease=self.settings.lease, limit=room)
            self._submit([work.WorkItem(queue.name, item_id, token) for item_id, token in reserved], report)
            if report.runner_down:
                return

    def _submit(self, items: Sequence[work.WorkItem], report: PassReport) -> None:
        if not items:
            return
        try:
            self.runner.submit_many(items)
        except RunnerUnavailable as exc:
            report.runner_down = True
            self._warn(f"{exc}; {len(items)} items wait in the database")
            by_queue: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for item in items:
                by_queue[item.queue].append((item.id, item.token))
            known = work.queues()
            for name, pairs in by_queue.items():
                work.release(self.runtime.db, known[name].table, pairs)
            return
        report.submitted += len(items)

    def _warn(self, message: str) -> None:
        if time.monotonic() - self._last_warning > 60:
            self._last_warning = time.monotonic()
            log.warning("job runner %s unavailable: %s", self.runner.name, message)

    # -- the loop --------------------------------------------------------------------------

    def wake(self) -> None:
        self.waiter.wake()

    def run_forever(self, stop: threading.Event) -> None:
        """Pass after pass until ``stop`` is set; errors (a database restart) back off, never end the loop."""
        errors = 0
        while not stop.is_set():
            try:
                report = self.run_once()
                errors = 0
            except Exception:  # noqa: BLE001 - the pump must outlive a database or network hiccup
                errors += 1
                log.exception("job pump pass failed (%s in a row); trying again", errors)
                self.waiter.wait(min(30.0, self.settings.poll_interval * 2 ** errors))
                continue
            if report.busy:
                continue
            self.waiter.wait(self.settings.poll_interval * (3 if report.runner_down else 1))
