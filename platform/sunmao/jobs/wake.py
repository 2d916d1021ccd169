"""Waking pumps after a write, so that events leave within milliseconds instead of a poll interval.

In one process a pump sleeps on a thread event. Across processes (web → ``sunmao worker``) a
write pushes to a Redis list that the worker's pump waits on with BLPOP. Waking is only a
shortcut: if Redis is down the poke fails in well under a second (and is not tried again for
a few seconds), and the pump finds the work on its next poll anyway.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from sunmao.jobs.pump import Waiter
from sunmao.jobs.redisconn import blocking_client, quick_client

log = logging.getLogger(__name__)
#: After a failed poke, skip Redis for this many seconds (the request path must not pay twice).
BACKOFF_AFTER_FAILURE = 5.0


class RedisWaiter(Waiter):
    """Sleeps on a Redis list (BLPOP), so that pokes from other processes wake it."""

    def __init__(self, url: str, key: str):
        super().__init__()
        self.key = key
        self._client = blocking_client(url)

    def wait(self, seconds: float) -> None:
        try:
            self._client.blpop([self.key], timeout=max(0.05, seconds))
            self._client.delete(self.key)
        except (redis.exceptions.RedisError, OSError):
            super().wait(seconds)


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
