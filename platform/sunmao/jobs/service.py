"""Starting the job layer in a process: the embedded service, the process runtime, wake-ups.

- :func:`start_embedded` runs a pump and a thread pool inside this process — what
  ``sunmao run`` and other web servers do when ``REDIS_URL`` is not set, and what
  ``sunmao worker`` does in the foreground without Redis.
- :func:`~sunmao.jobs.notify.notify_work` (in :mod:`.notify`, below the pump) is called after
  writes: it wakes the pumps of the services started here and, with Redis, the workers' pumps.
- :func:`process_runtime` is the runtime RQ jobs run against inside ``sunmao worker``.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from sunmao.jobs.notify import add_waker, remove_waker
from sunmao.jobs.pump import Pump
from sunmao.jobs.runners import EmbeddedRunner
from sunmao.jobs.settings import JobSettings

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
                remove_waker(id(self.runtime), self.wake)


_services: dict[int, EmbeddedService] = {}
_lock = threading.Lock()
_process_runtime: Runtime | None = None


def start_embedded(runtime: Runtime, settings: JobSettings | None = None) -> EmbeddedService:
    """Start (once per runtime and process) the embedded pump and thread pool; return the service."""
    with _lock:
        service = _services.get(id(runtime))
        if service is None or not service.running:
            service = _services[id(runtime)] = EmbeddedService(runtime, settings).start()
            add_waker(id(runtime), service.wake)
        return service


def embedded_service(runtime: Runtime) -> EmbeddedService | None:
    with _lock:
        return _services.get(id(runtime))


def set_process_runtime(runtime: Runtime) -> None:
    global _process_runtime
    _process_runtime = runtime


def process_runtime() -> Runtime:
    """The runtime of this worker process: ``sunmao worker`` sets it before it starts (RQ's work
    horses inherit it), built by the composition root with every feature."""
    if _process_runtime is None:
        raise RuntimeError("no runtime in this process: jobs run inside `sunmao worker`, which sets one "
                           "(set_process_runtime)")
    return _process_runtime
