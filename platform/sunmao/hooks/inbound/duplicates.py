"""Orders that may already exist: cross-channel duplicates and one checkout split into items.

* A customer who is unsure whether the web shop order went through sends the same order on
  WeCom an hour later. Same customer, same lines (products and quantities, compared as a
  multiset), inside ``duplicates.window_hours``, from another channel: the new order is
  created held, with the reason and a link to the suspected original, for a person to
  confirm — never silently dropped, never silently shipped twice.
* Some shops send one order per item of a checkout. Items with the same batch id, of the
  same customer, inside ``merge.window_minutes``, are gathered into the first order as
  further lines.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from sunmao.snapshot import Snapshot
from sunmao.storage import Prepared

from .model import Channel


def _norm(value: Any) -> str:
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return format(Decimal(str(value)).normalize(), "f")
    return "" if value is None else str(value)


def line_signature(lines: list[dict[str, Any]], compare: tuple[str, ...]) -> Counter:
    return Counter(tuple(_norm(line.get(k)) for k in compare) for line in lines)


def find_duplicate(channel: Channel, snapshot: Snapshot, conn: sa.Connection, record: dict[str, Any], customer_id: int,
                   lines: list[dict[str, Any]], now: datetime) -> tuple[int, str] | None:
    """An order of the same customer with the same lines inside the window, or None."""
    spec, lines_map, customer = channel.duplicates, channel.lines, channel.customer
    if spec is None or lines_map is None or customer is None:
        return None
    table = snapshot.tables[channel.entity]
    line_table = snapshot.tables[lines_map.entity]
    mine = record.get(channel.channel_field) if channel.channel_field else None
    other_channels = bool(spec.other_channels_only and channel.channel_field and mine is not None)

    def build() -> tuple[Prepared, Prepared]:
        query = sa.select(table.c.id, table.c.name).where(
            table.c[customer.field] == sa.bindparam("customer"), table.c.deleted_at.is_(None),
            table.c.created_at >= sa.bindparam("since")).order_by(table.c.id).limit(200)
        if channel.hold.duplicate_field:  # an order already held as a duplicate is not an original
            query = query.where(table.c[channel.hold.duplicate_field].is_(None))
        if other_channels:
            column = table.c[channel.channel_field or ""]
            query = query.where(sa.or_(column.is_(None), column != sa.bindparam("mine")))
        lines_query = sa.select(line_table.c.parent_id, *[line_table.c[k] for k in spec.compare]).where(
            line_table.c.parent_id.in_(sa.bindparam("ids", expanding=True)))
        return Prepared(query), Prepared(lines_query)

    query, lines_query = snapshot.memo(("inbound.duplicates", channel.key, other_channels), build)
    wanted = line_signature(lines, spec.compare)
    since = now - timedelta(hours=spec.window_hours)
    candidates = query.execute(conn, {"customer": customer_id, "since": since, "mine": mine}).rows
    if not candidates:
        return None
    ids = [c[0] for c in candidates]
    by_order: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    rows = lines_query.execute(conn, {"ids": ids})
    for row in rows:
        by_order[row[0]].append(dict(zip(spec.compare, row[1:], strict=True)))
    for order_id, name in candidates:
        if line_signature(by_order[order_id], spec.compare) == wanted:
            return order_id, name
    return None


def find_checkout(channel: Channel, snapshot: Snapshot, conn: sa.Connection, record: dict[str, Any], customer_id: int,
                  batch: str, now: datetime) -> tuple[int, str, list[int]] | None:
    """The order already made for this checkout: (id, name, its line ids), or None."""
    merge, lines_map, customer = channel.merge, channel.lines, channel.customer
    if merge is None or lines_map is None or customer is None:
        return None
    table = snapshot.tables[channel.entity]
    line_table = snapshot.tables[lines_map.entity]
    query = sa.select(table.c.id, table.c.name).where(
        table.c[merge.field] == batch, table.c[customer.field] == customer_id, table.c.deleted_at.is_(None),
        table.c.created_at >= now - timedelta(minutes=merge.window_minutes)).order_by(table.c.id).limit(1)
    mine = record.get(channel.channel_field) if channel.channel_field else None
    if channel.channel_field and mine is not None:
        query = query.where(table.c[channel.channel_field] == mine)
    row = conn.execute(query).first()
    if row is None:
        return None
    line_ids = list(conn.execute(sa.select(line_table.c.id).where(line_table.c.parent_id == row[0])
                                 .order_by(line_table.c.idx)).scalars())
    return row[0], row[1], line_ids
