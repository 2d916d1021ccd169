"""Platform tables of imports: each upload (the state a background job picks up) and the
templates users saved from the import screen (``template.py`` says why they live here)."""

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
    #: the chosen plan: {"columns": {index: target}, "key_field", "links": {path: if_missing}, "template", ...}
    sa.Column("mapping", JSONType),
    sa.Column("key_field", sa.String(40)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result", JSONType),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

template = sa.Table(
    "sm_import_template", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("document", JSONType, nullable=False),
    sa.Column("created_by", sa.BigInteger),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("entity", "name", name="uq_sm_import_template"),
)
