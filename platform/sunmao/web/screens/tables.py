"""Platform tables of the screens: saved list views per user, and comments on records.

Declared in the web feature's ``Feature.tables`` (``web/feature.py``); this module holds table
definitions only.
"""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

saved_view = sa.Table(
    "sm_saved_view", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("label", sa.String(60), nullable=False),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_sm_saved_view_user", "user_id", "entity"),
)

comment = sa.Table(
    "sm_comment", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("mentions", JSONType, nullable=False),
    sa.Column("files", JSONType, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_sm_comment_record", "entity", "record_id"),
)
