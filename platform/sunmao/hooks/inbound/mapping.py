"""Mapping: a provider's order → the values of our order, its lines and its customer.

For each target field the source gives a value (path, constant or JSONLogic over
``{value, order, item, headers}``), which is trimmed, cleaned, mapped through a value table,
defaulted, converted to the field's type (:mod:`.convert`) and, for links, looked up
(a SKU becomes a product id; all lookups of a delivery are one query per entity and key).

Two kinds of trouble are kept apart, because the sender can fix one and only we can fix the
other: a value that is missing or malformed is the sender's error (``ValidationFailed``,
422, keyed by our field path with the source path in the message); a well-formed value we
cannot use yet — an unknown SKU — is a :class:`Hold` for a person, and the delivery is
accepted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

import sqlalchemy as sa

from sunmao.errors import FieldErrors, ValidationFailed
from sunmao.i18n import Text
from sunmao.snapshot import Snapshot
from sunmao.storage import Prepared

from .clean import trim
from .convert import ConvertError, convert
from .model import Channel, Source, Target
from .paths import MISSING, get_path


@dataclass(frozen=True)
class Hold:
    """Why a person has to look at a delivery before (or after) it becomes an order."""

    code: str
    text: Text
    path: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.text.as_dict()}


@dataclass
class Mapped:
    record: dict[str, Any]
    lines: list[dict[str, Any]]
    customer: dict[str, Any] | None
    batch: str | None
    holds: list[Hold] = field(default_factory=list)
    #: What was left empty because a lookup found nothing and the channel said to skip it: the
    #: order is taken, and the delivery log says what is missing.
    warnings: list[Hold] = field(default_factory=list)
    #: The live records the lookups found, whole, by (entity, id): the record service's rules and
    #: link checks read them from here instead of reading them again in the same transaction.
    rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Pending:
    """A value waiting for its lookup (SKU → product id)."""

    entity: str
    by: str
    value: Any
    if_missing: str
    where: str
    shown: str


class _Mapper:
    def __init__(self, channel: Channel, snapshot: Snapshot, order: Any, headers: dict[str, str]):
        self.channel = channel
        self.snapshot = snapshot
        self.order = order
        self.headers = headers
        self.app_zone = snapshot.rules.time_zone
        self.errors: FieldErrors = {}
        self.pending: list[tuple[dict[str, Any], str, _Pending]] = []
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}

    def error(self, path: str, text: Text) -> None:
        self.errors.setdefault(path, []).append(text)

    def raw(self, source: Source, item: Any) -> Any:
        value: Any = MISSING
        if source.path is not None:
            value = get_path(item, source.path)
        elif source.constant is not MISSING:
            value = source.constant
        if source.rule is not None:
            value = source.rule({"value": None if value is MISSING else value, "order": self.order,
                                 "item": item if item is not self.order else None, "headers": self.headers})
        value = trim(value)
        if value is MISSING or value is None or value == "":
            value = MISSING if source.default is MISSING else source.default
        if value is MISSING:
            return MISSING
        for clean in source.clean:
            value = clean(value)
        if source.mapping is not None and isinstance(value, str | int) and not isinstance(value, bool) \
                and str(value) in source.mapping:
            value = source.mapping[str(value)]
        return MISSING if value is None or value == "" else value

    def fill(self, out: dict[str, Any], targets: tuple[Target, ...], item: Any, prefix: str) -> None:
        for target in targets:
            f, source = target.field, target.source
            path = f"{prefix}{f.key}"
            try:
                value = self.raw(source, item)
            except Exception as exc:  # noqa: BLE001 - a rule failing on this payload is the payload's problem
                message = getattr(exc, "message_en", str(exc))
                self.error(path, Text(f"{source.shown} 的转换规则无法计算：{getattr(exc, 'message_zh', message)}",
                                      f"the rule for {source.shown} failed: {message}"))
                continue
            if value is MISSING:
                if source.required or (f.required and f.default is None and f.type != "boolean"):
                    self.error(path, Text(f"缺少必填值：{source.shown}（{f.label.zh}）",
                                          f"missing required value at {source.shown} ({f.label.en})"))
                continue
            if source.lookup is not None:
                pending = _Pending(source.lookup.entity, source.lookup.by, value, source.lookup.if_missing, path,
                                   source.shown)
                self.pending.append((out, f.key, pending))
                out[f.key] = pending
                continue
            try:
                out[f.key] = convert(f, value, factor=source.factor, local=source.time_zone or self.channel.time_zone,
                                     app_zone=self.app_zone)
            except ConvertError as exc:
                self.error(path, Text(f"{source.shown}：{exc.text.zh}", f"{source.shown}: {exc.text.en}"))

    def resolve(self, conn: sa.Connection, holds: list[Hold], warnings: list[Hold]) -> None:
        """Replace every pending lookup by a record id, one query per entity and key field."""
        wanted: dict[tuple[str, str], set[Any]] = defaultdict(set)
        for _out, _key, p in self.pending:
            wanted[(p.entity, p.by)].add(_lookup_value(self.snapshot, p))
        found: dict[tuple[str, str], dict[Any, int]] = {}
        for (entity, by), values in wanted.items():
            table = self.snapshot.tables[entity]
            query = self.snapshot.memo(("inbound.lookup", entity, by), partial(_lookup_query, table, by))
            ids: dict[Any, int] = {}
            chunk = sorted(values, key=str)
            for start in range(0, len(chunk), 500):
                for row in query.execute(conn, {"values": chunk[start:start + 500]}).mappings():
                    ids.setdefault(row[by], row["id"])
                    self.rows[(entity, row["id"])] = row
            found[(entity, by)] = ids
        for out, key, p in self.pending:
            record_id = found[(p.entity, p.by)].get(_lookup_value(self.snapshot, p))
            if record_id is not None:
                out[key] = record_id
                continue
            out.pop(key, None)
            label = self.snapshot.entities[p.entity].label
            by = self.snapshot.entities[p.entity].by_key[p.by].label
            if p.if_missing == "hold":
                holds.append(Hold("unknown_record", Text(
                    f"{label.zh}{by.zh}“{p.value}”不存在（{p.shown}）：请先建立该{label.zh}，再重放此请求",
                    f"no {label.en.lower()} with {by.en.lower()} {p.value!r} ({p.shown}): create it, then replay "
                    "this delivery"), p.where))
            else:
                warnings.append(Hold("lookup_not_found", Text(
                    f"{label.zh}{by.zh}“{p.value}”不存在（{p.shown}），该字段留空：请建立该{label.zh}或修正渠道映射",
                    f"no {label.en.lower()} with {by.en.lower()} {p.value!r} ({p.shown}); the field was left "
                    "empty: create it or fix the channel's mapping"), p.where))


def _lookup_query(table: sa.Table, by: str) -> Prepared:
    column = table.c[by]
    return Prepared(sa.select(table).where(column.in_(sa.bindparam("values", expanding=True)),
                                           table.c.deleted_at.is_(None)).order_by(table.c.id))


def _lookup_value(snapshot: Snapshot, p: _Pending) -> Any:
    f = snapshot.entities[p.entity].by_key[p.by]
    if f.value_type == "integer":
        try:
            return int(p.value)
        except (TypeError, ValueError):
            return str(p.value)
    return str(p.value)


def _apply_units(channel: Channel, snapshot: Snapshot, line: dict[str, Any]) -> None:
    units = channel.lines.units if channel.lines else None
    if units is None:
        return
    rule = units.table.get(str(line.get(units.unit_field)))
    if rule is None:
        return
    line[units.unit_field] = rule.unit
    qty = line.get(units.qty_field)
    if isinstance(qty, Decimal | int):
        line[units.qty_field] = Decimal(qty) * rule.factor
    if units.price_field and isinstance(line.get(units.price_field), Decimal | int) and rule.factor:
        f = snapshot.entities[channel.lines.entity].by_key[units.price_field]
        price = Decimal(line[units.price_field]) / rule.factor
        line[units.price_field] = price.quantize(Decimal(1).scaleb(-(f.scale or 2))) if f.scale is not None else price


def map_order(channel: Channel, snapshot: Snapshot, conn: sa.Connection, order: Any, headers: dict[str, str]
              ) -> Mapped:
    """Map one provider order; raise ValidationFailed for the sender's errors, return holds for ours."""
    if not isinstance(order, dict):
        raise ValidationFailed(Text("订单应为 JSON 对象", "the order must be a JSON object"))
    m = _Mapper(channel, snapshot, order, headers)
    record: dict[str, Any] = {}
    m.fill(record, channel.targets, order, "")
    lines: list[dict[str, Any]] = []
    if channel.lines is not None:
        items = get_path(order, channel.lines.path)
        if not isinstance(items, list) or not items:
            m.error(channel.lines.field, Text(f"{channel.lines.path_text} 处应有至少一行订单明细",
                                              f"{channel.lines.path_text} must be a non-empty list of order lines"))
        else:
            for i, item in enumerate(items):
                line: dict[str, Any] = {}
                m.fill(line, channel.lines.targets, item, f"{channel.lines.field}[{i}].")
                lines.append(line)
    customer: dict[str, Any] | None = None
    if channel.customer is not None:
        customer = {}
        m.fill(customer, channel.customer.targets, order, f"{channel.customer.field}.")
    batch = None
    if channel.merge is not None:
        try:
            value = m.raw(channel.merge.batch, order)
        except Exception as exc:  # noqa: BLE001 - a rule failing on this payload is the payload's problem
            m.error(channel.merge.field, Text(f"结账批次号无法计算：{exc}", f"the checkout id failed: {exc}"))
            value = MISSING
        batch = None if value is MISSING else str(value)
    if m.errors:
        raise ValidationFailed(Text("订单数据不完整或格式不对，未创建任何记录",
                                    "the order is incomplete or malformed; nothing was created"), errors=m.errors)
    holds: list[Hold] = []
    warnings: list[Hold] = []
    if m.pending:
        m.resolve(conn, holds, warnings)
    for line in lines:
        _apply_units(channel, snapshot, line)
    return Mapped(record, lines, customer, batch, holds, warnings, m.rows)
