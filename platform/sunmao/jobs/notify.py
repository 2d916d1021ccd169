"""Waking the pumps after a write: :func:`notify_work`, called by whoever queued work.

A write that queues work (an outbox event, a delivery, a job run) calls :func:`notify_work`:
the pumps of this process wake at once (each embedded service adds its waker), and with Redis
the workers' pumps too, through a short list they wait on (:mod:`.wake`). Waking is only a
shortcut: it never raises, never blocks for long, and a pump finds the work on its next poll
anyway. This module imports nothing of the pump, so every writer may import it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import redis

from sunmao.jobs.redisconn import quick_client
from sunmao.jobs.settings import JobSettings

log = logging.getLogger(__name__)
#: After a failed poke, skip Redis for this many seconds (the request path must not pay twice).
BACKOFF_AFTER_FAILURE = 5.0

_wakers: dict[int, Callable[[], None]] = {}
_wakers_lock = threading.Lock()


def add_waker(key: int, wake: Callable[[], None]) -> None:
    """Call ``wake`` on every :func:`notify_work` of this process (an embedded service's pump)."""
    with _wakers_lock:
        _wakers[key] = wake


def remove_waker(key: int, wake: Callable[[], None] | None = None) -> None:
    """Stop calling the waker under ``key`` (only if it is still ``wake``, when given)."""
    with _wakers_lock:
        if wake is None or _wakers.get(key) == wake:
            _wakers.pop(key, None)


def notify_work(settings: JobSettings | None = None) -> None:
    """Something was written that a pump should look at: wake them (best effort, fast, never raises)."""
    with _wakers_lock:
        wakers = list(_wakers.values())
    for wake in wakers:
        wake()
    try:
        settings = settings or JobSettings.from_env()
        if settings.redis_url:
            poker(settings.redis_url, settings.wake_key).poke()
    except Exception as exc:  # noqa: BLE001 - a wake-up is a shortcut; the pump polls anyway
        log.warning("could not wake the job workers: %s", exc)


class Poker:
    """Pushes wake-ups to Redis with a short timeout and a pause after each failure."""

    def __init__(self, url: str, key: str):
        self.url = url
        self.key = key
        self._client = quick_client(url, connect_timeout=0.25, timeout=0.5)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def poke(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        try:
            pipe = self._client.pipeline(transaction=False)
            pipe.rpush(self.key, b"1")
            pipe.ltrim(self.key, -1, -1)
            pipe.expire(self.key, 60)
            pipe.execute()
            return True
        except (redis.exceptions.RedisError, OSError) as exc:
            with self._lock:
                self._down_until = time.monotonic() + BACKOFF_AFTER_FAILURE
            log.warning("could not wake the job worker through Redis (%s); it will find the work on its next poll",
                        exc)
            return False


_pokers: dict[tuple[str, str], Poker] = {}
_pokers_lock = threading.Lock()


def poker(url: str, key: str) -> Poker:
    with _pokers_lock:
        found = _pokers.get((url, key))
        if found is None:
            found = _pokers[(url, key)] = Poker(url, key)
        return found
