"""Starting the job layer in a process: the embedded service, the process runtime, wake-ups.

- :func:`start_embedded` runs a pump and a thread pool inside this process — what
  ``sunmao run`` and other web servers do when ``REDIS_URL`` is not set, and what
  ``sunmao worker`` does in the foreground without Redis.
- :func:`notify_work` is called after writes (by the web layer and :func:`enqueue`): it wakes
  this process's pumps and, with Redis, the workers' pumps. It never raises and never blocks
  for long.
- :func:`process_runtime` is the runtime RQ jobs run against inside ``sunmao worker``.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING

from sunmao.jobs.pump import Pump
from sunmao.jobs.runners import EmbeddedRunner
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.wake import poker

if TYPE_CHECKING:
    from sunmao.runtime import Runtime

log = logging.getLogger(__name__)


class EmbeddedService:
    """A pump thread feeding a thread pool, both inside this process."""

    def __init__(self, runtime: Runtime, settings: JobSettings | None = None):
        self.runtime = runtime
        self.settings = settings or JobSettings.from_env()
        self.runner = EmbeddedRunner(runtime, self.settings.threads, on_room=self.wake)
        self.pump = Pump(runtime, self.runner, self.settings)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.pump.run_forever, args=(self._stop,), name="sunmao-pump",
                                        daemon=True)

    def start(self) -> EmbeddedService:
        self._thread.start()
        log.info("embedded job runner started (%s threads)", self.settings.threads)
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        self.pump.wake()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking work and wait for running items; unfinished ones come back after their lease."""
        self._stop.set()
        self.pump.wake()
        self._thread.join(timeout)
        self.runner.shutdown(wait=True)
        with _lock:
            if _services.get(id(self.runtime)) is self:
                del _services[id(self.runtime)]


_services: dict[int, EmbeddedService] = {}
_lock = threading.Lock()
_process_runtime: Runtime | None = None


def start_embedded(runtime: Runtime, settings: JobSettings | None = None) -> EmbeddedService:
    """Start (once per runtime and process) the embedded pump and thread pool; return the service."""
    with _lock:
        service = _services.get(id(runtime))
        if service is None or not service.running:
            service = _services[id(runtime)] = EmbeddedService(runtime, settings).start()
        return service


def embedded_service(runtime: Runtime) -> EmbeddedService | None:
    with _lock:
        return _services.get(id(runtime))


def notify_work(settings: JobSettings | None = None) -> None:
    """Something was written that a pump should look at: wake them (best effort, fast, never raises)."""
    with _lock:
        services = list(_services.values())
    for service in services:
        service.wake()
    try:
        settings = settings or JobSettings.from_env()
        if settings.redis_url:
            poker(settings.redis_url, settings.wake_key).poke()
    except Exception as exc:  # noqa: BLE001 - a wake-up is a shortcut; the pump polls anyway
        log.warning("could not wake the job workers: %s", exc)


def set_process_runtime(runtime: Runtime) -> None:
    global _process_runtime
    _process_runtime = runtime


def process_runtime() -> Runtime:
    """The runtime of this worker process (built from ``DATABASE_URL`` on first use)."""
    global _process_runtime
    if _process_runtime is None:
        from sunmao.runtime import Runtime

        _process_runtime = Runtime(os.environ.get("DATABASE_URL"))
    return _process_runtime
