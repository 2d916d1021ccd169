"""Platform tables of imports: each upload (the state a background job can pick up later) and the
column mapping a user chose last time for an entity (offered again on the next import)."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

upload = sa.Table(
    "sm_import", system_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("headers", JSONType, nullable=False),
    sa.Column("mapping", JSONType),
    sa.Column("key_field", sa.String(40)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result", JSONType),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

mapping = sa.Table(
    "sm_import_mapping", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.BigInteger, nullable=False),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("mapping", JSONType, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "entity", name="uq_sm_import_mapping"),
)
