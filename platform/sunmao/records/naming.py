"""Naming series: ``SO-{YYYY}{MM}-{#####}`` → ``SO-202611-00042``.

The counter lives in ``sm_series``, one row per distinct prefix. On PostgreSQL numbers are
taken in their own short autocommit transaction, so concurrent inserts never wait on each
other's counter row (a rolled-back insert leaves a gap, as every serious numbering scheme
accepts); a bulk import reserves a whole block with one statement. SQLite serialises writers
anyway, so there the counter moves inside the write transaction and has no gaps.
"""

from __future__ import annotations

import re
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


def next_names(db: Database, conn: sa.Connection, pattern: str, count: int, when: datetime) -> list[str]:
    """Reserve ``count`` consecutive names of a series."""
    before, after, width = split(pattern, when)
    key = f"{before}{{}}{after}"[:64]
    if db.is_sqlite:
        last = _reserve(conn, key, count)
    else:
        with db.autocommit() as own:
            last = _reserve(own, key, count)
    first = last - count + 1
    return [f"{before}{n:0{width}d}{after}" for n in range(first, last + 1)]
