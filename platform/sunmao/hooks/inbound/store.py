"""Reading and writing ``sm_inbound``: the raw deliveries and what became of them.

Every write here is its own committed transaction, on purpose: the raw delivery must be on
disk before anything is processed (a crash mid-way loses nothing and the delivery can be
replayed), and its outcome is recorded whatever happened to the business records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.storage import Database

from .tables import STATUSES, inbound

CLAIM_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class RawDelivery:
    channel: str
    source: str
    method: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    truncated: bool
    size: int
    received_at: datetime


def insert_raw(db: Database, raw: RawDelivery) -> int:
    """Store a delivery as received (status ``received``) and return its id."""
    with db.write() as conn:
        result = conn.execute(inbound.insert().values(
            channel=raw.channel, source=raw.source, received_at=raw.received_at, method=raw.method,
            query=raw.query, headers=raw.headers, body=raw.body, truncated=raw.truncated, size=raw.size,
            verified=False, status="received", attempts=1))
        return int(result.inserted_primary_key[0])


def claim(db: Database, delivery_id: int, channel: str, dedup_key: str, *, verified: bool = False) -> int | None:
    """Take the idempotency key for this delivery; return the id of the delivery that holds it already.

    The unique ``claim`` column decides between two copies arriving at the same moment.
    """
    value = f"{channel}{CLAIM_SEPARATOR}{dedup_key}"
    for _ in range(3):
        try:
            with db.write() as conn:
                conn.execute(inbound.update().where(inbound.c.id == delivery_id)
                             .values(claim=value, dedup_key=dedup_key, **({"verified": True} if verified else {})))
            return None
        except sa.exc.IntegrityError:
            with db.read() as conn:
                holder = conn.execute(sa.select(inbound.c.id).where(inbound.c.claim == value)).scalar()
            if holder is not None:
                return int(holder)
            # the holder was rejected and let go of the key in between: try again
    raise RuntimeError(f"could not claim the idempotency key of delivery {delivery_id}")


def mark_verified(db: Database, delivery_id: int) -> None:
    with db.write() as conn:
        conn.execute(inbound.update().where(inbound.c.id == delivery_id).values(verified=True))


def set_dedup_key(db: Database, delivery_id: int, dedup_key: str) -> None:
    with db.write() as conn:
        conn.execute(inbound.update().where(inbound.c.id == delivery_id).values(dedup_key=dedup_key))


def finish(db: Database, delivery_id: int, status: str, *, http_status: int, response: Any,
           outcome: dict[str, Any] | None = None, error: str | None = None, release_claim: bool = False,
           duplicate_of: int | None = None, verified: bool = False) -> None:
    """Record what became of a delivery; a rejected one gives up its idempotency key."""
    assert status in STATUSES
    values: dict[str, Any] = dict(status=status, http_status=http_status, response=response, outcome=outcome,
                                  error=error, processed_at=datetime.now(UTC), duplicate_of=duplicate_of)
    if release_claim:
        values["claim"] = None
    if verified:  # recorded with the outcome: one commit instead of two
        values["verified"] = True
    with db.write() as conn:
        conn.execute(inbound.update().where(inbound.c.id == delivery_id).values(values))


def start_attempt(db: Database, delivery_id: int) -> None:
    with db.write() as conn:
        conn.execute(inbound.update().where(inbound.c.id == delivery_id)
                     .values(attempts=inbound.c.attempts + 1, status="received", error=None))


def get(db: Database, delivery_id: int) -> dict[str, Any] | None:
    with db.read() as conn:
        row = conn.execute(sa.select(inbound).where(inbound.c.id == delivery_id)).mappings().first()
    return dict(row) if row else None


_SUMMARY = [c for c in inbound.c if c.name not in ("body", "headers", "query", "claim")]


def list_deliveries(db: Database, *, channel: str | None = None, status: str | None = None, limit: int = 50,
                    before: int | None = None) -> list[dict[str, Any]]:
    """The newest deliveries first, without bodies (``get`` has the whole delivery)."""
    query = sa.select(*_SUMMARY).order_by(inbound.c.id.desc()).limit(max(1, min(limit, 500)))
    if channel:
        query = query.where(inbound.c.channel == channel)
    if status:
        query = query.where(inbound.c.status == status)
    if before:
        query = query.where(inbound.c.id < before)
    with db.read() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def count(db: Database, **where: Any) -> int:
    query = sa.select(sa.func.count()).select_from(inbound)
    for key, value in where.items():
        query = query.where(inbound.c[key] == value)
    with db.read() as conn:
        return int(conn.execute(query).scalar() or 0)
