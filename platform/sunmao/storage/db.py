"""Database connections for SQLite (the embedded default) and PostgreSQL.

SQLite is driven in explicit-transaction mode (the pysqlite driver's own transaction
handling is switched off) so that DDL is transactional — a failed migration leaves the
database as it was — and so that writers can take the write lock up front
(``BEGIN IMMEDIATE``) instead of failing half-way with "database is locked".
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from sunmao.fields.columns import _json_default, json_serializer  # noqa: F401  (JSON columns' text)

DEFAULT_SQLITE = "sqlite:///instance/sunmao.db"


def normalise_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}


def _setup_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.connection.dbapi_connection.execute(_BEGIN[mode])  # type: ignore[union-attr]


class Database:
    """One engine and the two ways to use it: a read connection and a write transaction."""

    def __init__(self, url: str | None = None, *, pool_size: int = 10, echo: bool = False):
        url = normalise_url(url or os.environ.get("DATABASE_URL") or DEFAULT_SQLITE)
        self.url = sa.engine.make_url(url)
        self.is_sqlite = self.url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = sa.create_engine(
                self.url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30},
                json_serializer=json_serializer,
                # the connection used last is used next: its page cache is the one that is warm
                pool_use_lifo=True,
            )
            _setup_sqlite(self.engine)
            self._writer = threading.RLock()
        else:
            self.engine = sa.create_engine(
                self.url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
                json_serializer=json_serializer,
            )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection for reads; its implicit transaction is rolled back at the end."""
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction: committed when the block ends, rolled back on any error.

        On SQLite the writers of this process queue on a lock before ``BEGIN IMMEDIATE``: SQLite
        lets one writer in at a time anyway, and a thread waiting in its busy handler sleeps in
        steps of milliseconds, while one waiting here runs the moment the writer before it
        commits. (Writers in other processes still wait in the busy handler.)"""
        if not self.is_sqlite:
            with self.engine.connect() as conn, conn.begin():
                yield conn
            return
        with self._writer, self.engine.connect() as conn:
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            with conn.begin():
                yield conn

    @contextmanager
    def autocommit(self) -> Iterator[Connection]:
        """A connection whose statements commit one by one (counters that must not hold locks)."""
        with self.engine.connect() as conn:
            if self.is_sqlite:
                with conn.begin():
                    yield conn
            else:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")

    def lock(self, conn: Connection, key: str) -> None:
        """Serialise the writers of one ``key`` until ``conn``'s transaction ends (a PostgreSQL
        advisory lock; on SQLite a write transaction already holds the whole database)."""
        if not self.is_sqlite:
            number = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": number})

    def data_dir(self, name: str) -> Path:
        """A directory for this database's files (uploads, imports): beside the SQLite file, or
        under ``instance/``; created on first use, returned absolute."""
        base = Path(self.url.database).parent if self.is_sqlite and self.url.database else Path("instance")
        path = (base / name).resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def dispose(self) -> None:
        self.engine.dispose()
