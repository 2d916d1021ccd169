"""From a mapped provider order to records, through the record service only.

The decisions, in order: map (the sender's errors stop here, nothing written); resolve the
customer; if anything is for a person to fix first (an unknown SKU, an unmatched customer)
hold the delivery and write nothing; a changed order updates the order it created; an item
of a known checkout joins that order; a possible duplicate or an uncertain customer is
created but flagged. Writes go through ``RecordService`` as the channel's actor, so role
permissions, rules, audit and outbox events are those of every other adapter.

Everything happens in the caller's write transaction (the delivery's): a new customer and
its order are written together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from sunmao.errors import RecordLocked
from sunmao.i18n import Text
from sunmao.records import RecordService
from sunmao.snapshot import Snapshot
from sunmao.storage import Prepared

from .customers import decide
from .duplicates import find_checkout, find_duplicate
from .mapping import Hold, Mapped, map_order
from .model import Channel


@dataclass
class Placed:
    """What became of one order: ``status`` processed or held, and the records touched."""

    status: str
    holds: list[Hold] = field(default_factory=list)
    order: dict[str, Any] | None = None
    warnings: list[Hold] = field(default_factory=list)
    customer: dict[str, Any] | None = None
    customer_created: bool = False
    action: str = "created"  # created | updated | merged | none

    def outcome(self) -> dict[str, Any]:
        out: dict[str, Any] = {"action": self.action, "holds": [h.as_dict() for h in self.holds]}
        if self.warnings:
            out["warnings"] = [w.as_dict() for w in self.warnings]
        if self.order:
            out["order"] = {"id": self.order["id"], "name": self.order.get("name")}
        if self.customer:
            out["customer"] = {"id": self.customer["id"], "name": self.customer.get("name"),
                               "created": self.customer_created}
        return out


def _existing_order(channel: Channel, snapshot: Snapshot, conn: sa.Connection, record: dict[str, Any]
                    ) -> tuple[int, list[int]] | None:
    """The order this channel made earlier for the same provider order id, with its line ids."""
    external = record.get(channel.external_id) if channel.external_id else None
    if external is None:
        return None
    table = snapshot.tables[channel.entity]
    mine = record.get(channel.channel_field) if channel.channel_field else None

    def build() -> Prepared:
        query = sa.select(table.c.id).where(table.c[channel.external_id] == sa.bindparam("external"),
                                            table.c.deleted_at.is_(None))
        if mine is not None:
            query = query.where(table.c[channel.channel_field] == sa.bindparam("mine"))
        return Prepared(query.order_by(table.c.id).limit(1))

    query = snapshot.memo(("inbound.existing_order", channel.key, mine is not None), build)
    order_id = query.execute(conn, {"external": external, "mine": mine}).scalar()
    if order_id is None or channel.lines is None:
        return (order_id, []) if order_id is not None else None
    lines = snapshot.tables[channel.lines.entity]
    return order_id, list(conn.execute(sa.select(lines.c.id).where(lines.c.parent_id == order_id)).scalars())


def _flag(channel: Channel, record: dict[str, Any], state: str, reason: Text, duplicate_of: int | None) -> None:
    hold = channel.hold
    if hold.status_field:
        record[hold.status_field] = hold.held_value if state == "held" else hold.review_value
    if hold.reason_field:
        previous = record.get(hold.reason_field)
        record[hold.reason_field] = f"{previous}\n{reason.zh}" if previous else reason.zh
    if hold.duplicate_field and duplicate_of is not None:
        record[hold.duplicate_field] = duplicate_of


def place_order(channel: Channel, snapshot: Snapshot, records: RecordService, conn: sa.Connection, order: Any,
                headers: dict[str, str], now: datetime) -> Placed:
    """Map and write one provider order in ``conn``'s transaction; raise the sender's errors
    (ValidationFailed) unchanged."""
    mapped = map_order(channel, snapshot, conn, order, headers)
    decision = decide(channel.customer, snapshot, conn, mapped.customer or {}) if channel.customer else None
    holds = list(mapped.holds)
    if decision is not None and decision.hold is not None:
        holds.append(decision.hold)
    if holds:
        return Placed("held", holds, action="none", warnings=mapped.warnings)
    existing = _existing_order(channel, snapshot, conn, mapped.record)
    if existing is not None:
        placed = _update(channel, records, conn, mapped, existing)
    else:
        if mapped.batch and channel.merge is not None and decision is not None and decision.existing_id is not None:
            # items of one checkout arriving at once: one of them makes the order, the others join it
            records.db.lock(conn, f"inbound-checkout:{channel.key}:{mapped.batch}")
        placed = _place(channel, snapshot, records, conn, mapped, decision, now)
    placed.warnings = mapped.warnings
    return placed


def _update(channel: Channel, records: RecordService, conn: sa.Connection, mapped: Mapped,
            existing: tuple[int, list[int]]) -> Placed:
    order_id, _old_lines = existing
    patch = dict(mapped.record)
    if channel.lines is not None:
        patch[channel.lines.field] = mapped.lines  # the provider's lines replace ours
    try:
        updated = records.update(channel.entity, order_id, patch, actor=channel.actor, conn=conn)
    except RecordLocked as exc:
        # the change came after the order went past review: a person decides (revise, then replay),
        # and the sender gets a 2xx — a refused webhook is retried, then switched off by the shop
        return Placed("held", [Hold("record_locked", exc.detail or exc.title, next(iter(exc.errors), ""))],
                      action="none")
    return Placed("processed", order=updated, action="updated")


def _place(channel: Channel, snapshot: Snapshot, records: RecordService, conn: sa.Connection, mapped: Mapped,
           decision: Any, now: datetime) -> Placed:
    record = dict(mapped.record)
    holds: list[Hold] = []
    customer_id = decision.existing_id if decision is not None else None
    if customer_id is not None and mapped.batch and channel.merge is not None:
        found = find_checkout(channel, snapshot, conn, record, customer_id, mapped.batch, now)
        if found is not None:
            order_id, _name, line_ids = found
            rows = [{"id": i} for i in line_ids] + mapped.lines
            merged = records.update(channel.entity, order_id, {channel.lines.field: rows}, actor=channel.actor,
                                    conn=conn)
            return Placed("processed", order=merged, action="merged")
    if channel.merge is not None and mapped.batch:
        record[channel.merge.field] = mapped.batch
    status = "processed"
    if customer_id is not None:
        duplicate = find_duplicate(channel, snapshot, conn, record, customer_id, mapped.lines, now)
        if duplicate is not None:
            reason = Text(f"可能与 {duplicate[1]} 重复：同一客户在 {channel.duplicates.window_hours:g} 小时内从其他渠道"
                          "下了相同产品和数量的订单，请确认后再处理",
                          f"may duplicate {duplicate[1]}: the same customer ordered the same products and quantities "
                          f"on another channel within {channel.duplicates.window_hours:g} h; confirm before processing")
            holds.append(Hold("possible_duplicate", reason, channel.entity))
            _flag(channel, record, "held", reason, duplicate[0])
            status = "held"
    if decision is not None and decision.review is not None:
        holds.append(decision.review)
        if status != "held":
            _flag(channel, record, "review", decision.review.text, None)
        else:
            _flag(channel, record, "held", decision.review.text, None)
    if channel.lines is not None:
        record[channel.lines.field] = mapped.lines
    customer = None
    created_customer = False
    if channel.customer is not None:
        if decision is not None and decision.create is not None:
            # a refused order rolls its new customer back with it: same transaction
            customer = records.create(channel.customer.entity, decision.create, actor=channel.actor, conn=conn)
            created_customer = True
            record[channel.customer.field] = customer["id"]
        else:
            customer = {"id": customer_id, "name": None}
            record[channel.customer.field] = customer_id
    # the products and the customer were read in this transaction: their links need no second check
    read = {**mapped.rows, **(decision.rows if decision is not None else {})}
    created = records.create(channel.entity, record, actor=channel.actor, conn=conn, trusted_links=read)
    return Placed(status, holds, order=created, customer=customer, customer_created=created_customer)
