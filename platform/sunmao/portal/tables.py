"""The portal's attempt counters (a fixed-window rate limiter kept in the database, so it holds
across every process and worker)."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import UTCDateTime

attempt = sa.Table(
    "sm_portal_attempt", system_metadata,
    sa.Column("key", sa.String(120), primary_key=True),
    sa.Column("window_start", UTCDateTime, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
)
