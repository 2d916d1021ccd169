"""The platform tables of inbound channels: raw deliveries and pull cursors.

Declared in the channels feature's ``Feature.tables`` (``hooks/inbound/feature.py``), so that
``Runtime.setup()`` creates them with the other ``sm_*`` tables.

``sm_inbound`` keeps every delivery as it arrived (headers, raw bytes), written in the
delivery's transaction with what became of it (or, after a failure, on its own). ``claim``
is the idempotency lock: it holds ``<channel>\\x1f<dedup key>`` on the one delivery that was
accepted for a key, and is unique, so two copies of one order arriving at the same moment
cannot both be processed. Rejected deliveries hold no claim, so a corrected resend is
processed normally.
"""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

#: Every status a delivery can have.
STATUSES = ("received", "processed", "held", "rejected", "duplicate", "ignored")

inbound = sa.Table(
    "sm_inbound", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("source", sa.String(8), nullable=False),  # push | pull
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("method", sa.String(8), nullable=False),
    sa.Column("query", JSONType, nullable=False),
    sa.Column("headers", JSONType, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("truncated", sa.Boolean, nullable=False, default=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("verified", sa.Boolean, nullable=False, default=False),
    sa.Column("dedup_key", sa.String(255)),
    sa.Column("claim", sa.String(300), unique=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("http_status", sa.Integer),
    sa.Column("response", JSONType),
    sa.Column("outcome", JSONType),
    sa.Column("error", sa.Text),
    sa.Column("duplicate_of", sa.BigInteger),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("processed_at", UTCDateTime),
    sa.Index("ix_sm_inbound_channel", "channel", "received_at"),
    sa.Index("ix_sm_inbound_status", "status", "received_at"),
)

cursor = sa.Table(
    "sm_inbound_cursor", system_metadata,
    sa.Column("channel", sa.String(40), primary_key=True),
    sa.Column("cursor", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("last_run", JSONType),
)
