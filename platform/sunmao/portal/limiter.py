"""Fixed-window attempt counting: ``hit(db, keys)`` is False once any key is over its limit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from sunmao.portal.tables import attempt
from sunmao.storage import Database

WINDOW = timedelta(minutes=15)


def hit(db: Database, limits: Mapping[str, int], now: datetime | None = None) -> bool:
    """Count one attempt against every key; True while all keys are within their limits."""
    now = now or datetime.now(UTC)
    allowed = True
    with db.write() as conn:
        for key, limit in limits.items():
            row = conn.execute(sa.select(attempt).where(attempt.c.key == key)).mappings().first()
            if row is None:
                conn.execute(attempt.insert().values(key=key, window_start=now, count=1))
                count = 1
            elif now - row["window_start"] >= WINDOW:
                conn.execute(attempt.update().where(attempt.c.key == key).values(window_start=now, count=1))
                count = 1
            else:
                count = row["count"] + 1
                conn.execute(attempt.update().where(attempt.c.key == key).values(count=count))
            allowed = allowed and count <= limit
        conn.execute(attempt.delete().where(attempt.c.window_start < now - 4 * WINDOW))
    return allowed
