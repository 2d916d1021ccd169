"""The job layer's platform tables: job runs (durable queue and schedule claims) and secrets.

Declared in the jobs feature's ``Feature.tables`` (``jobs/feature.py``), so that ``Runtime.setup()``
creates them with the other ``sm_*`` tables.

``sm_job_run`` is both the durable queue of enqueued jobs and the once-only claim of a
scheduled tick: ``dedup_key`` is unique, and a scheduler that inserts
``cron:<job key>:<tick time>`` second finds the row taken and does nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.jobs.work import work_columns
from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

job_run = sa.Table(
    "sm_job_run", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("job", sa.String(96), nullable=False),
    sa.Column("args", JSONType, nullable=False),
    sa.Column("dedup_key", sa.String(200), unique=True),
    sa.Column("scheduled_for", UTCDateTime),
    *work_columns(),
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_sm_job_run_due", "status", "next_attempt_at"),
)

secret = sa.Table(
    "sm_secret", system_metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("current", sa.Text, nullable=False),  # Fernet token
    sa.Column("previous", sa.Text),  # the value being rotated out, still accepted until retired
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(64)),
)
