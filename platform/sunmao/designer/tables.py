"""The designer's platform tables: drafts, their documents, their edit logs, and the audit.

A draft is a full copy of the published documents it was made from (``base_version``), one row
per document so that an autosave rewrites one document, not the app. Every change to a draft
is one row of ``sm_draft_edit`` holding the replacements it made (``diff.Change``s), so undo
and redo are replays that survive a reload and a restart. ``rev`` counts every change of the
draft and is its ETag: a save based on an older ``rev`` is refused, never merged silently.
"""

from __future__ import annotations

import sqlalchemy as sa

from sunmao.storage.system import system_metadata
from sunmao.storage.types import IdType, JSONType, UTCDateTime

draft = sa.Table(
    "sm_draft", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("base_version", sa.Integer, nullable=False),
    #: open · published · discarded
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("rev", sa.Integer, nullable=False),
    #: Original texts of package files ({app: {path: text}}), carried to the published revision.
    sa.Column("texts", JSONType, nullable=False),
    #: Where the draft came from: {"kind": "new" | "package" | "rollback" | "revert", ...}.
    sa.Column("origin", JSONType, nullable=False),
    #: Conflicts a person still has to decide (merge or upgrade), as ``Conflict.as_dict()``s.
    sa.Column("conflicts", JSONType, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_by", sa.String(64), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("published_version", sa.Integer),
)

draft_document = sa.Table(
    "sm_draft_document", system_metadata,
    sa.Column("draft_id", sa.BigInteger, primary_key=True),
    sa.Column("app", sa.String(64), primary_key=True),
    sa.Column("path", sa.String(255), primary_key=True),
    sa.Column("document", JSONType, nullable=False),
)

draft_edit = sa.Table(
    "sm_draft_edit", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("draft_id", sa.BigInteger, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    #: What the edit did, in both languages ({"zh", "en"}).
    sa.Column("summary", JSONType, nullable=False),
    #: [{"d": "app/path", "p": [...], "o": old, "n": new}, ...] — absent o/n: added/removed.
    sa.Column("changes", JSONType, nullable=False),
    sa.Column("undone", sa.Boolean, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("by", sa.String(64), nullable=False),
    sa.UniqueConstraint("draft_id", "seq", name="uq_sm_draft_edit_seq"),
)

design_audit = sa.Table(
    "sm_design_audit", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("username", sa.String(64), nullable=False),
    #: draft.create · draft.edit · draft.undo · draft.redo · draft.check · draft.publish · draft.merge ·
    #: draft.discard · revision.rollback · revision.revert · package.export · package.import ...
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("draft_id", sa.BigInteger),
    sa.Column("version", sa.Integer),
    sa.Column("detail", JSONType, nullable=False),
    sa.Index("ix_sm_design_audit_at", "at"),
)
