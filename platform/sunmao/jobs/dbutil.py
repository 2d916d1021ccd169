"""Small SQL helpers the job layer needs on both SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sunmao.storage import Prepared


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
    columns = (unique,) if isinstance(unique, str) else tuple(unique)
    return _insert_ignoring(table, columns, conn.dialect.name).execute(conn, values).scalar()


@lru_cache(maxsize=128)
def _insert_ignoring(table: sa.Table, unique: tuple[str, ...], dialect: str) -> Prepared:
    """The statement, built once per table, key and dialect (the values are its parameters)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return Prepared(module.insert(table).on_conflict_do_nothing(index_elements=list(unique)).returning(table.c.id))
