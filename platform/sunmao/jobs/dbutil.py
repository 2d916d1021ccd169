"""Small SQL helpers the job layer needs on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


def utcnow() -> datetime:
    return datetime.now(UTC)


def relaxed_commit(conn: sa.Connection) -> None:
    """Let this transaction commit without waiting for PostgreSQL's WAL flush.

    For the job layer's own bookkeeping only (leases, attempt outcomes, dispatch marks): a
    database crash may forget the last few milliseconds of it, which at worst sends something
    once more — allowed, since delivery is at least once — while every commit stays atomic.
    It halves the time of a delivery on a server whose disk flush is slow. The events
    themselves are written by the record service with full durability.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL synchronous_commit TO OFF")


def insert_ignoring_conflict(conn: sa.Connection, table: sa.Table, values: Mapping[str, Any],
                             unique: str | Sequence[str]) -> int | None:
    """Insert a row unless one with the same ``unique`` column(s) exists; return the new id or None.

    This is how "exactly once across processes" is made: whoever inserts the key first wins,
    the others see no row come back and do nothing, without an error in the transaction.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table).values(dict(values)).on_conflict_do_nothing(
        index_elements=[unique] if isinstance(unique, str) else list(unique))
    return conn.execute(stmt.returning(table.c.id)).scalar()
