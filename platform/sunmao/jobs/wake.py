"""Waking pumps after a write, so that events leave within milliseconds instead of a poll interval.

The waking side is :mod:`.notify`; this is the waiting side. In one process a pump sleeps on a
thread event. Across processes (web → ``sunmao worker``) a write pushes to a Redis list that the
worker's pump waits on with BLPOP. Waking is only a shortcut: if Redis is down the poke fails in
well under a second (and is not tried again for a few seconds), and the pump finds the work on
its next poll anyway.
"""

from __future__ import annotations

import redis

from sunmao.jobs.pump import Waiter
from sunmao.jobs.redisconn import blocking_client


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
