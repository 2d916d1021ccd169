"""Matching an incoming customer to the customers we already have, across channels.

The same buyer writes "+86 138-0013-8000" on the web shop and "13800138000" on a WeCom
form; "宁波鑫达五金制品有限公司" on one and "宁波鑫达五金制品" on the other. The channel's
``customer.match`` list says which keys are compared, in which order, and which of them
are certain. Keys are normalised the same way on both sides (:mod:`.clean`): phone numbers
inside SQL (stripping separators, so formatted stored numbers are found through the index
of candidates), e-mail and tax ids in SQL, company names in Python over a narrow candidate
list.

* a certain key that finds exactly one customer links the order to it;
* a match only on uncertain keys (a company name), or a certain key that finds several
  customers, is not merged: a new customer is created, flagged for review with a link to
  the one it may be, and the order is flagged too;
* nothing found: a new customer, or — when the channel may not create customers — a hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa

from sunmao.i18n import Text
from sunmao.snapshot import Snapshot
from sunmao.storage import Prepared

from .clean import company_key, half_width, match_key
from .mapping import Hold
from .model import CustomerMap, MatchRule

_PHONE_SEPARATORS = (" ", "-", "(", ")", "（", "）", "－", ".", "\u3000", "+")
_MAX_CANDIDATES = 200


@dataclass
class CustomerDecision:
    existing_id: int | None = None
    create: dict[str, Any] | None = None
    review: Hold | None = None
    hold: Hold | None = None
    matched_by: str | None = None
    #: Whole rows of the customers found by an indexed key, by (entity, id), for the record service.
    rows: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)


def _stripped(column: Any, chars: tuple[str, ...]) -> Any:
    expr = column
    for ch in chars:
        expr = sa.func.replace(expr, ch, "")
    return expr


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _by_key(table: sa.Table, key_field: str) -> Prepared:
    return Prepared(sa.select(table).where(table.c[key_field] == sa.bindparam("key"),
                                           table.c.deleted_at.is_(None)).order_by(table.c.id).limit(_MAX_CANDIDATES))


def find_matches(conn: sa.Connection, snapshot: Snapshot, table: sa.Table, rule: MatchRule, key: str,
          rows: dict[int, dict[str, Any]]) -> list[int]:
    """The ids of the live customers whose ``rule`` key is ``key``; whole rows go to ``rows`` when
    the indexed key column answers."""
    column = table.c[rule.field]
    live = table.c.deleted_at.is_(None)
    if rule.key_field is not None and rule.kind != "company":  # the indexed normalised key: the usual case
        query = snapshot.memo(("inbound.customer_key", table.name, rule.key_field),
                              partial(_by_key, table, rule.key_field))
        found = query.execute(conn, {"key": key}).mappings()
        for row in found:
            rows[row["id"]] = row
        return [row["id"] for row in found]
    if rule.kind == "phone":
        digits = key.lstrip("+")
        forms = {digits, "86" + digits, "0086" + digits}
        query = sa.select(table.c.id).where(_stripped(column, _PHONE_SEPARATORS).in_(sorted(forms)), live)
    elif rule.kind == "email":
        query = sa.select(table.c.id).where(sa.func.lower(sa.func.trim(column)) == key, live)
    elif rule.kind == "tax_id":
        query = sa.select(table.c.id).where(sa.func.upper(_stripped(column, (" ", "-"))) == key, live)
    elif rule.kind == "exact":
        query = sa.select(table.c.id).where(column == key, live)
    else:  # company: narrow by a fragment in SQL, compare the full key in Python
        fragment = key[:2] if not key[:1].isascii() else key[:4]
        query = (sa.select(table.c.id, column)
                 .where(sa.func.lower(column).like(f"%{_like_escape(fragment)}%", escape="\\"), live)
                 .order_by(table.c.id).limit(_MAX_CANDIDATES))
        return [row[0] for row in conn.execute(query) if row[1] and company_key(half_width(row[1])) == key]
    return list(conn.execute(query.order_by(table.c.id).limit(_MAX_CANDIDATES)).scalars())


def decide(spec: CustomerMap, snapshot: Snapshot, conn: sa.Connection, values: dict[str, Any]) -> CustomerDecision:
    """Which customer an incoming order belongs to (see the module docstring)."""
    table = snapshot.tables[spec.entity]
    entity = snapshot.entities[spec.entity]
    suspects: list[tuple[MatchRule, list[int]]] = []
    rows: dict[int, dict[str, Any]] = {}
    for rule in spec.match:
        key = match_key(rule.kind, values.get(rule.field))
        if key is None:
            continue
        ids = find_matches(conn, snapshot, table, rule, key, rows)
        if not ids:
            continue
        if rule.certain and len(ids) == 1:
            return CustomerDecision(existing_id=ids[0], matched_by=rule.field,
                                    rows={(spec.entity, i): row for i, row in rows.items()})
        suspects.append((rule, ids))
    names: dict[int, str] = {}
    if suspects:
        ids = sorted({i for _, found in suspects for i in found})
        title = entity.title_field or "name"
        column = table.c[title] if title in table.c else table.c.name
        rows = conn.execute(sa.select(table.c.id, table.c.name, column).where(table.c.id.in_(ids)))
        names = {r[0]: f"{r[1]} {r[2] or ''}".strip() for r in rows}
    if not spec.create and not suspects:
        return CustomerDecision(hold=Hold("unmatched_customer", Text(
            f"找不到对应的{entity.label.zh}，且此渠道不自动新建：请先建立或关联{entity.label.zh}，再重放此请求",
            f"no matching {entity.label.en.lower()}, and this channel does not create them: create or pick one, "
            "then replay this delivery"), spec.field))
    if not suspects:
        return CustomerDecision(create=dict(values))
    rule, found = suspects[0]
    first = found[0]
    how = ", ".join(f"{r.field}" for r, _ in suspects)
    shown = "、".join(names.get(i, f"#{i}") for i in sorted({i for _, f in suspects for i in f}))
    review = Hold("customer_review", Text(
        f"{entity.label.zh}仅凭不确定的信息（{how}）匹配到 {shown}：已新建{entity.label.zh}待人工确认是否合并",
        f"the {entity.label.en.lower()} matched {shown} only on uncertain keys ({how}): a new one was created "
        "for a person to confirm or merge"), spec.field)
    created = dict(values)
    if spec.status_field:
        created[spec.status_field] = spec.review_value
    if spec.duplicate_field:
        created[spec.duplicate_field] = first
    if not spec.create:
        return CustomerDecision(hold=review)
    return CustomerDecision(create=created, review=review, matched_by=rule.field)
