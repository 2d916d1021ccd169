"""Reading and writing ``sm_inbound``: the raw deliveries and what became of them.

A delivery is written in the same transaction as the records it makes: the row (raw headers
and body, claiming its idempotency key) first, the business records, then the outcome. So a
delivery is either stored with everything it made, or — when processing fails — rolled back
and stored again on its own with the error (:func:`keep`), replayable once the cause is
fixed. A sender is only ever told 2xx after the commit; a process killed mid-way never
answered, and the sender's retry finds nothing half-done.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.jobs.dbutil import insert_ignoring_conflict
from sunmao.storage import Database, Prepared

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


def claim_value(channel: str, dedup_key: str) -> str:
    return f"{channel}{CLAIM_SEPARATOR}{dedup_key}"


_UPDATE = Prepared(inbound.update().where(inbound.c.id == sa.bindparam("delivery_id")))
_HOLDER = Prepared(sa.select(inbound.c.id).where(inbound.c.claim == sa.bindparam("claim")))
_BY_ID = sa.select(inbound).where(inbound.c.id == sa.bindparam("delivery_id"))


def insert(conn: sa.Connection, raw: RawDelivery, *, verified: bool, claim: str | None = None,
           dedup_key: str | None = None) -> int | None:
    """Store a delivery (status ``received``) holding ``claim``; None when another delivery holds it
    (on PostgreSQL a concurrent twin waits for the holder's commit, then inserts nothing)."""
    found = insert_ignoring_conflict(conn, inbound, {
        "channel": raw.channel, "source": raw.source, "received_at": raw.received_at, "method": raw.method,
        "query": raw.query, "headers": raw.headers, "body": raw.body, "truncated": raw.truncated, "size": raw.size,
        "verified": verified, "status": "received", "attempts": 1, "claim": claim, "dedup_key": dedup_key}, "claim")
    return None if found is None else int(found)


def holder(conn: sa.Connection, claim: str) -> int | None:
    """The delivery that holds an idempotency key."""
    found = _HOLDER.execute(conn, {"claim": claim}).scalar()
    return None if found is None else int(found)


def take_claim(conn: sa.Connection, delivery_id: int, claim: str, dedup_key: str) -> int | None:
    """A stored delivery (replayed) takes its key; return the other delivery holding it, if any."""
    other = holder(conn, claim)
    if other is not None and other != delivery_id:
        return other
    _UPDATE.execute(conn, {"delivery_id": delivery_id, "claim": claim, "dedup_key": dedup_key})
    return None


def finish(conn: sa.Connection, delivery_id: int, status: str, *, http_status: int, response: Any,
           outcome: dict[str, Any] | None = None, error: str | None = None, duplicate_of: int | None = None,
           release_claim: bool = False, verified: bool | None = None) -> None:
    """Record what became of a delivery, in the caller's transaction."""
    assert status in STATUSES
    values: dict[str, Any] = {"delivery_id": delivery_id, "status": status, "http_status": http_status,
                              "response": response, "outcome": outcome, "error": error,
                              "processed_at": datetime.now(UTC), "duplicate_of": duplicate_of}
    if release_claim:
        values["claim"] = None
    if verified is not None:
        values["verified"] = verified
    _UPDATE.execute(conn, values)


def keep(db: Database, raw: RawDelivery, delivery_id: int | None, status: str, *, verified: bool,
         answer: Any, **outcome: Any) -> int:
    """After a failed attempt was rolled back: store the delivery with its outcome in a transaction of
    its own (a new row, or the stored row of a replay); it holds no idempotency key. ``answer`` is
    the response body, or a function of the delivery id giving it."""
    with db.write() as conn:
        if delivery_id is None:
            delivery_id = insert(conn, raw, verified=verified)
            assert delivery_id is not None  # no claim, no conflict
        response = answer(delivery_id) if callable(answer) else answer
        finish(conn, delivery_id, status, response=response, release_claim=True, verified=verified, **outcome)
    return delivery_id


def start_attempt(db: Database, delivery_id: int) -> None:
    with db.write() as conn:
        conn.execute(inbound.update().where(inbound.c.id == delivery_id)
                     .values(attempts=inbound.c.attempts + 1, status="received", error=None))


def get(db: Database, delivery_id: int, conn: sa.Connection | None = None) -> dict[str, Any] | None:
    if conn is not None:
        row = conn.execute(_BY_ID, {"delivery_id": delivery_id}).mappings().first()
        return dict(row) if row else None
    with db.read() as own:
        return get(db, delivery_id, own)


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
