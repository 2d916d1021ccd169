"""The inbound channels' scheduled job (declared in ``hooks/inbound/feature.py``)."""

from __future__ import annotations

from sunmao.hooks.inbound.pull import pull, pull_all
from sunmao.jobs.registry import JobContext, job


@job("hooks.pull", max_attempts=3, backoff=60.0)
def pull_channel(ctx: JobContext, channel: str | None = None) -> None:
    """Poll a pull channel's provider for new and changed orders (every enabled pull channel without ``channel``).

    The scheduled entry point of :mod:`sunmao.hooks.inbound.pull`; a provider that cannot be
    reached raises, and the run is retried with backoff.
    """
    if channel is None:
        pull_all(ctx.runtime)
    else:
        pull(ctx.runtime.db, ctx.runtime.snapshot(), channel)
