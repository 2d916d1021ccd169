"""Tables of outbound deliveries: the delivery log / work queue, and the robots' send log.

Declared in the webhooks feature's ``Feature.tables`` (``hooks/outbound/feature.py``).

``sm_delivery`` has one row per (event, webhook): what is sent (``body``, rendered when the
event was dispatched, so every retry sends the same bytes), where (``target``: URL and
secret *names*, never values), and what happened (attempts, status, last status code, error
and response excerpt). It is at once the delivery log, the retry queue and the dead-letter list.

``sm_rate_slot`` records each message sent to a chat robot, so that every worker process
sees the same sliding window of the robot's rate limit.
"""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.jobs.work import work_columns
from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

delivery = sa.Table(
    "sm_delivery", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False),
    sa.Column("topic", sa.String(96), nullable=False),
    sa.Column("webhook", sa.String(40), nullable=False),
    sa.Column("target_type", sa.String(12), nullable=False),
    sa.Column("target", JSONType, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    *work_columns(),
    sa.Column("last_attempt_at", UTCDateTime),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("request_url", sa.String(500)),
    sa.Column("response_excerpt", sa.Text),
    sa.Column("succeeded_at", UTCDateTime),
    sa.Column("replays", sa.Integer, nullable=False, default=0),
    sa.UniqueConstraint("event_id", "webhook", name="uq_sm_delivery_event_webhook"),
    sa.Index("ix_sm_delivery_due", "status", "next_attempt_at"),
    sa.Index("ix_sm_delivery_webhook", "webhook", "created_at"),
)

rate_slot = sa.Table(
    "sm_rate_slot", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("bucket", sa.String(80), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_sm_rate_slot_bucket", "bucket", "at"),
)
