"""Approval runs and their tasks (platform tables)."""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

run = sa.Table(
    "sm_flow_run", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("workflow", sa.String(40), nullable=False),
    sa.Column("approval", sa.String(40), nullable=False),
    #: The metadata version the run started on; its approval definition is pinned in ``definition``.
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("definition", JSONType, nullable=False),
    sa.Column("branches", JSONType, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, default=0),
    sa.Column("submitter_id", sa.BigInteger),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Index("ix_sm_flow_run_record", "entity", "record_id"),
)

task = sa.Table(
    "sm_task", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("branch", sa.String(40), nullable=False),
    sa.Column("step_index", sa.Integer, nullable=False),
    sa.Column("step_key", sa.String(40), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),  # approve | cc
    sa.Column("assignee_id", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(12), nullable=False),  # pending waiting approved rejected cancelled transferred
    sa.Column("priority", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("due_at", UTCDateTime),
    sa.Column("decided_at", UTCDateTime),
    sa.Column("decided_by", sa.BigInteger),
    sa.Column("comment", sa.Text),
    sa.Column("delegated_from", sa.BigInteger),
    sa.Column("added_by", sa.BigInteger),
    sa.Column("reminded_at", UTCDateTime),
    sa.Column("escalated_at", UTCDateTime),
    sa.Index("ix_sm_task_inbox", "assignee_id", "status", "priority"),
)
