"""Redis clients with explicit timeouts and retry policies.

redis-py's defaults retry a failed connection for seconds; on the request path that would
turn a Redis outage into slow pages. Each use gets its own policy: the web process and the
pump give up within a fraction of a second (the work is safe in the database and will be
handed over later); the RQ worker's blocking client waits as long as RQ asks.
"""

from __future__ import annotations

from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def quick_client(url: str, *, connect_timeout: float = 0.5, timeout: float = 2.0) -> Redis:
    """A client that fails fast: no retries, short connect and read timeouts."""
    return Redis.from_url(url, socket_connect_timeout=connect_timeout, socket_timeout=timeout,
                          retry=Retry(NoBackoff(), 0), health_check_interval=0)


def blocking_client(url: str) -> Redis:
    """A client for blocking reads (RQ's BLPOP): a short connect timeout, no read timeout of its own."""
    return Redis.from_url(url, socket_connect_timeout=2.0, socket_timeout=None, retry=Retry(NoBackoff(), 0),
                          health_check_interval=30)
