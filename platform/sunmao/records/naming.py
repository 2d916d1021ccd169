"""Naming series: ``SO-{YYYY}{MM}-{#####}`` → ``SO-202611-00042``.

SQLite serialises writers anyway, so there the counter is a row of ``sm_series`` (one per
distinct prefix) moved inside the write transaction: no gaps. On PostgreSQL each prefix has a
sequence of its own (``sm_seq_…``, made once, starting after the prefix's ``sm_series`` value),
and the number is taken with ``nextval`` on the record's own connection, inside its transaction:
one transaction per record, and concurrent inserts never wait on each other (a rolled-back
insert leaves a gap, as every serious numbering scheme accepts).
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from sunmao import clock
from sunmao.storage import Database, Prepared
from sunmao.storage.system import series

LOCAL_ZONE = clock.BUSINESS_ZONE
_PLACEHOLDER = re.compile(r"\{(YYYY|YY|MM|DD|#+)\}")


def default_pattern(entity_key: str) -> str:
    return entity_key.upper().replace("_", "-")[:12] + "-{######}"


def split(pattern: str, when: datetime) -> tuple[str, str, int]:
    """Render the date parts; return (text before the counter, text after it, counter width)."""
    local = when.astimezone(LOCAL_ZONE)
    parts = {"YYYY": f"{local.year:04d}", "YY": f"{local.year % 100:02d}", "MM": f"{local.month:02d}",
             "DD": f"{local.day:02d}"}
    before, after, width, seen_counter = [], [], 0, False
    pos = 0
    for m in _PLACEHOLDER.finditer(pattern):
        (after if seen_counter else before).append(pattern[pos:m.start()])
        token = m.group(1)
        if token.startswith("#"):
            seen_counter, width = True, len(token)
        else:
            (after if seen_counter else before).append(parts[token])
        pos = m.end()
    (after if seen_counter else before).append(pattern[pos:])
    if not seen_counter:
        width = 5
    return "".join(before), "".join(after), width


def _reserve_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    count = sa.bindparam("count", type_=sa.Integer)
    stmt = insert(series).values(prefix=sa.bindparam("prefix"), current=count)
    return stmt.on_conflict_do_update(index_elements=[series.c.prefix],
                                      set_={"current": series.c.current + count}).returning(series.c.current)


_RESERVE = {name: Prepared(_reserve_statement(name), by_keys=False) for name in ("sqlite", "postgresql")}


def _reserve(conn: sa.Connection, prefix: str, count: int) -> int:
    """Advance the counter of ``prefix`` by ``count``; return the last number reserved."""
    return int(_RESERVE[conn.dialect.name].execute(conn, {"prefix": prefix, "count": count}).scalar())


#: The sequences known to exist, per database URL (made once per prefix; a process asks once).
_sequences: set[tuple[str, str]] = set()
_sequences_lock = threading.Lock()


def sequence_name(key: str) -> str:
    return "sm_seq_" + hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


def _sequence(db: Database, key: str) -> str:
    """The PostgreSQL sequence of a prefix, made (in its own autocommit connection) the first
    time the prefix is used, after the number ``sm_series`` holds for it."""
    name = sequence_name(key)
    marker = (str(db.url), name)
    if marker in _sequences:
        return name
    with _sequences_lock, db.autocommit() as own:
        start = own.execute(sa.select(series.c.current).where(series.c.prefix == key)).scalar()
        if start is None:
            own.execute(postgresql.insert(series).values(prefix=key, current=0).on_conflict_do_nothing())
        own.exec_driver_sql(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {int(start or 0) + 1}")
        _sequences.add(marker)
    return name


def next_names(db: Database, conn: sa.Connection, pattern: str, count: int, when: datetime) -> list[str]:
    """Reserve ``count`` names of a series (consecutive on SQLite; unique and rising on PostgreSQL,
    where a concurrent writer may take numbers in between)."""
    before, after, width = split(pattern, when)
    key = f"{before}{{}}{after}"[:64]
    if db.is_sqlite:
        last = _reserve(conn, key, count)
        numbers: Any = range(last - count + 1, last + 1)
    else:
        sequence = _sequence(db, key)
        numbers = conn.execute(sa.text(f"SELECT nextval('{sequence}') FROM generate_series(1, :n)"),  # noqa: S608 - a name we made
                               {"n": count}).scalars().all()
    return [f"{before}{n:0{width}d}{after}" for n in numbers]
