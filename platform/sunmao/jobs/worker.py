"""``sunmao worker``: the process that performs jobs.

With ``REDIS_URL``: an RQ worker (with RQ's scheduler) performing the work items on the
queue, and beside it a pump thread that dispatches the outbox, claims scheduled ticks and
feeds the queue. Run as many as you like, on as many machines; they share the database and
Redis. Without ``REDIS_URL``: the embedded runner in the foreground (useful when the web
server runs with ``SUNMAO_JOBS=off``).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from typing import Any

import click
import redis
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from sunmao.console import command_runtime
from sunmao.jobs.pump import Pump
from sunmao.jobs.redisconn import blocking_client
from sunmao.jobs.runners import InlineRunner, RQRunner
from sunmao.jobs.service import set_process_runtime, start_embedded
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.wake import RedisWaiter
from sunmao.runtime import Runtime

log = logging.getLogger("sunmao.worker")


class SunmaoWorker(SimpleWorker):
    """RQ's in-process worker (no fork per item: the items are small), reconnecting within seconds."""

    max_connection_wait_time = 5.0


def _wait_for_redis(url: str, stop: threading.Event) -> bool:
    client = blocking_client(url)
    delay = 0.5
    while not stop.is_set():
        try:
            client.ping()
            return True
        except (redis.exceptions.RedisError, OSError) as exc:
            log.warning("waiting for Redis at %s (%s); the outbox keeps the work meanwhile", url, exc)
            stop.wait(delay)
            delay = min(5.0, delay * 2)
    return False


def _run_rq(runtime: Runtime, settings: JobSettings, burst: bool) -> None:
    url = settings.redis_url or ""
    runner = RQRunner(url, settings.queue, lease=settings.lease, backlog=settings.batch)
    pump = Pump(runtime, runner, settings, waiter=RedisWaiter(url, settings.wake_key))
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    if burst:
        pump.run_once()
    else:
        threading.Thread(target=pump.run_forever, args=(stop,), name="sunmao-pump", daemon=True).start()
    try:
        while not stop.is_set():
            signal.signal(signal.SIGTERM, _stop)  # RQ installs its own handlers while it works
            signal.signal(signal.SIGINT, _stop)
            if not _wait_for_redis(url, stop):
                return
            worker = SunmaoWorker([settings.queue], connection=blocking_client(url), serializer=JSONSerializer)
            try:
                worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
                return  # a warm shutdown (SIGTERM) or the end of a burst
            except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as exc:
                # RQ survives an outage while it waits for jobs, not one in the middle of its bookkeeping.
                log.warning("lost Redis (%s); starting the RQ worker again once it is back", exc)
    finally:
        stop.set()
        pump.wake()


def _run_embedded(runtime: Runtime, settings: JobSettings, burst: bool) -> None:
    if burst:
        pump = Pump(runtime, InlineRunner(runtime), settings)
        while pump.run_once().busy:
            pass
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    service = start_embedded(runtime, settings)
    click.echo("Embedded job runner started (no REDIS_URL); Ctrl-C to stop.")
    while not stop.wait(1.0):
        pass
    service.stop()


@click.command("worker")
@click.option("--burst", is_flag=True, help="perform the work that is due now, then exit")
@click.option("--threads", type=int, default=None, help="threads of the embedded runner (without REDIS_URL)")
def command(burst: bool, threads: int | None) -> None:
    """Perform jobs: outbox events, webhook deliveries, scheduled and enqueued jobs.

    Uses RQ on REDIS_URL when it is set (run several workers to scale out), the embedded
    runner otherwise. The database is DATABASE_URL.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = JobSettings.from_env()
    if threads:
        settings = JobSettings(**{**settings.__dict__, "threads": threads})
    runtime = command_runtime()
    set_process_runtime(runtime)
    started = time.monotonic()
    if settings.redis_url:
        click.echo(f"Sunmao worker on queue {settings.queue!r} at {settings.redis_url} "
                   f"(database {runtime.db.url.render_as_string()})")
        _run_rq(runtime, settings, burst)
    else:
        _run_embedded(runtime, settings, burst)
    log.info("worker stopped after %.0f s", time.monotonic() - started)
