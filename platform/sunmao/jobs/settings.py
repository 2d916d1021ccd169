"""How the job layer is configured: environment variables, read when a runner starts.

Everything has a default that works on one machine with no Redis; production sets
``REDIS_URL`` and runs ``sunmao worker``. Tests shorten the lease and poll interval so that a
killed worker's work comes back within seconds instead of a minute.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number; unset it or give seconds, e.g. {default:g}") from None
    if value < minimum:
        raise ValueError(f"{name}={raw!r} is too small; use at least {minimum:g}")
    return value


@dataclass(frozen=True)
class JobSettings:
    """``REDIS_URL``: RQ on Redis when set, the embedded runner otherwise.

    ``SUNMAO_QUEUE``: the RQ queue name (also the prefix of the wake-up key).
    ``SUNMAO_JOBS_LEASE``: seconds a reserved or running work item is held before another
    process may take it again; longer than the slowest job (HTTP timeouts included).
    ``SUNMAO_JOBS_POLL``: seconds between two passes of the pump when nothing wakes it.
    ``SUNMAO_JOBS_THREADS``: threads of the embedded runner.
    ``SUNMAO_JOBS``: ``off`` keeps web processes from starting the embedded runner.
    """

    redis_url: str | None = None
    queue: str = "sunmao"
    lease: float = 60.0
    poll_interval: float = 1.0
    threads: int = 4
    batch: int = 200
    embedded_enabled: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JobSettings:
        env = os.environ if environ is None else environ
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            queue=env.get("SUNMAO_QUEUE") or "sunmao",
            lease=_number(env, "SUNMAO_JOBS_LEASE", 60.0, 1.0),
            poll_interval=_number(env, "SUNMAO_JOBS_POLL", 1.0, 0.05),
            threads=int(_number(env, "SUNMAO_JOBS_THREADS", 4, 1)),
            embedded_enabled=(env.get("SUNMAO_JOBS") or "auto").lower() not in ("off", "0", "no", "false"),
        )

    @property
    def wake_key(self) -> str:
        """The Redis list a web process pushes to after a write, so the worker's pump runs at once."""
        return f"{self.queue}:wake"
