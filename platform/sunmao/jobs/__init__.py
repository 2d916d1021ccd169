"""``sunmao.jobs``: background work that loses nothing.

- jobs by name (:func:`job`), queued durably (:func:`enqueue`) or scheduled by ``job``
  documents (cron, :mod:`.schedule`);
- the transactional outbox dispatcher and its subscribers (:func:`subscribe`, :mod:`.outbox`);
- runners: RQ on Redis (``sunmao worker``) or an embedded thread pool (:func:`start_embedded`);
- the secret store (:mod:`.secrets`).

Work is always a database row first (:mod:`.work`); Redis and threads only carry references,
so an outage or a killed worker delays work and never drops it. See ``docs/jobs.md``.
"""

from sunmao.jobs.notify import notify_work
from sunmao.jobs.outbox import DispatchContext, Event, subscribe, topic_matches
from sunmao.jobs.registry import JobContext, job
from sunmao.jobs.runners import EmbeddedRunner, InlineRunner, RQRunner, Runner, RunnerUnavailable
from sunmao.jobs.runs import enqueue
from sunmao.jobs.service import start_embedded
from sunmao.jobs.settings import JobSettings

__all__ = [
    "DispatchContext",
    "EmbeddedRunner",
    "Event",
    "InlineRunner",
    "JobContext",
    "JobSettings",
    "RQRunner",
    "Runner",
    "RunnerUnavailable",
    "enqueue",
    "job",
    "notify_work",
    "start_embedded",
    "subscribe",
    "topic_matches",
]
