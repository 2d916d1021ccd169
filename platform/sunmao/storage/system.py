"""The platform's own tables: revisions, users, tokens, audit, outbox, naming counters, files.

These are fixed (not metadata-driven) and created by ``sunmao db upgrade``. A feature defines
its own ``sm_*`` tables on :data:`system_metadata` in a module of its own and declares them in
its ``Feature.tables``; this module imports no feature. Entity tables
are prefixed ``t_``; platform tables ``sm_``, so the two never collide.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from sunmao.storage.types import IdType, JSONType, UTCDateTime

system_metadata = sa.MetaData()

revision = sa.Table(
    "sm_revision", system_metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("documents", JSONType, nullable=False),
    sa.Column("texts", JSONType, nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.String(64)),
)

setting = sa.Table(
    "sm_setting", system_metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

user = sa.Table(
    "sm_user", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("username", sa.String(64), nullable=False, unique=True),
    sa.Column("display_name", sa.String(128)),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("roles", JSONType, nullable=False),
    sa.Column("language", sa.String(8)),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

token = sa.Table(
    "sm_token", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("user_id", sa.ForeignKey("sm_user.id"), nullable=False),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_used_at", UTCDateTime),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)

audit = sa.Table(
    "sm_audit", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("user_id", sa.BigInteger),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("diff", JSONType, nullable=False),
    sa.Index("ix_sm_audit_record", "entity", "record_id"),
    sa.Index("ix_sm_audit_entity_id", "entity", "id"),  # an entity's latest entry: its data version
)

outbox = sa.Table(
    "sm_outbox", system_metadata,
    sa.Column("id", IdType, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic", sa.String(96), nullable=False),
    sa.Column("entity", sa.String(40)),
    sa.Column("record_id", sa.BigInteger),
    sa.Column("payload", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("dispatched_at", UTCDateTime),
    sa.Index("ix_sm_outbox_pending", "dispatched_at", "id"),
)

series = sa.Table(
    "sm_series", system_metadata,
    sa.Column("prefix", sa.String(64), primary_key=True),
    sa.Column("current", sa.BigInteger, nullable=False),
)

archived_field = sa.Table(
    "sm_archived_field", system_metadata,
    sa.Column("entity", sa.String(40), primary_key=True),
    sa.Column("field_id", sa.String(40), primary_key=True),
    sa.Column("column", sa.String(64), nullable=False),
    sa.Column("definition", JSONType, nullable=False),
    sa.Column("archived_at", UTCDateTime, nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
)

file = sa.Table(
    "sm_file", system_metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("content_type", sa.String(128), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.BigInteger),
)


#: The tables defined above: every installation has them, whatever its features.
CORE_TABLES: tuple[sa.Table, ...] = tuple(system_metadata.sorted_tables)


def create_system_tables(conn: sa.Connection, tables: Iterable[sa.Table] = ()) -> None:
    """Create the platform tables that do not exist yet (idempotent): the core ones and ``tables``,
    those the features declare (``Feature.tables``; ``Runtime.setup`` passes them)."""
    wanted = list(dict.fromkeys([*CORE_TABLES, *tables]))
    system_metadata.create_all(conn, tables=wanted, checkfirst=True)
    for table in wanted:  # indexes added since a table was created
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    for table in APPEND_ONLY:
        append_only(conn, table.name)


#: Tables whose rows are never changed or deleted once written: the database refuses it.
APPEND_ONLY = (audit,)


def append_only(conn: sa.Connection, table: str) -> None:
    """Triggers that refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of ``table``'s rows, whoever
    asks — the platform's own code, a plugin, a script with the database URL. Idempotent."""
    message = f"{table} is append-only: its rows are never changed or deleted"
    if conn.dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                                 f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
        return
    exists = conn.execute(sa.text("SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                                  "WHERE c.oid = to_regclass(:table) AND t.tgname = :name"),
                          {"table": table, "name": f"{table}_append_only"}).first()
    if exists:
        return
    conn.execute(sa.text(
        "CREATE OR REPLACE FUNCTION sm_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only: its rows are never changed or deleted', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$"))
    conn.exec_driver_sql(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                         "FOR EACH ROW EXECUTE FUNCTION sm_refuse_change()")
    conn.exec_driver_sql(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                         "FOR EACH STATEMENT EXECUTE FUNCTION sm_refuse_change()")
