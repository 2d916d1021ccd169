"""The baseline of ``bench/intake.py``: the web-shop webhook written by hand, Flask + SQLAlchemy Core.

It does the work Sunmao's intake does for one order of ``apps/order_management/channels/web_shop.json``,
written out by hand the way a competent developer would: no metadata, no generic engine, the
secret read once at start-up, the statements built once (SQLAlchemy caches their compiled
form), one write transaction per order (``BEGIN IMMEDIATE`` on SQLite, the same pragmas as
Sunmao's engine), the order table indexed as the app's order document declares. For one
signed WooCommerce order:

1. the body size limit and the HMAC-SHA256 signature (base64, ``X-WC-Webhook-Signature``);
   the skip rules (draft, pending, failed and cancelled orders; test orders) → ``ignored``;
2. the order read and checked (:func:`read_order`): external id, order date (Asia/Shanghai),
   due date (``_delivery_date``, else 30 days on; not before the order date), currency
   (RMB/CNH → CNY; CNY, USD, EUR), advance payment, shipping address, remarks, checkout id,
   billing name, and the line items (SKU, name, quantity ≥ 0.01 and price ≥ 0 with at most
   two decimals); a malformed order is rejected (422) and stored as such;
3. idempotency: a copy of an accepted delivery (same ``wc-<id>@<date_modified_gmt>``) gets
   the first answer again and is stored as ``duplicate``;
4. the customer matched by normalised phone, then e-mail (an indexed key column each), the
   products by SKU in one query; an unknown SKU or customer holds the delivery (202);
5. the order this channel made before for the same order id is updated (its lines replaced);
   an item of a checkout seen in the last 30 minutes joins that checkout's order;
6. otherwise a new order ``SO-YYYYMM-#####``; a possible duplicate (same customer, another
   channel, within 72 hours, same products and quantities) is created held, with the reason
   and a link to the order it may repeat;
7. the stored values of ``order.json`` and ``order_line.json`` computed by hand: the defaults
   (exchange rate, priority from the customer's grade, intake, QC and payment status, the line's
   unit from its product, line discount) and the formulas (line amount and cost, totals, amount in CNY, gross margin,
   margin rate, days to due, priority score, special-process flags);
8. the customer's roll-ups of ``customer.json`` refreshed in the same transaction (payments
   due and paid on time, orders and average margin over 12 months, on-time rate, score,
   grade) and the customer row updated when they changed;
9. an audit row and an outbox event (with the whole record) for the order and for the
   customer, then the delivery: headers, body, status, answer and outcome.

The formulas give the stored values to the last digit: as in the app's formula language,
arithmetic is on doubles, ``round`` is half-up on the shortest decimal form of the double, and
a decimal column keeps its scale. ``bench/intake.py`` compares what both sides stored.

Left out, because no bench order takes that path: a customer that matches no key (Sunmao
creates one, flagged for review when it matches only by company name: here the delivery is
held), the second accepted secret of a rotation, and soft deletion (the recycle bin).

``create_app(url, secret, minimal=True)`` is the previous, minimal endpoint, kept measurable:
the same delivery handling, but the order written with its amount, quantity and cost only —
no existing-order, checkout or duplicate look-up, no other formula, no customer roll-ups (one
audit row and one event per order).

Not a test: it is imported by ``bench/intake.py`` (in process) and served by gunicorn through
:func:`baseline_wsgi` (``DATABASE_URL``, ``BENCH_SHOP_SECRET``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.dialects import sqlite

CHANNEL = "web_shop"
CHANNEL_CODE = "WEB_SHOP"
ACTOR = "channel:web_shop"
CHANNELS = (("WEB_SHOP", "官网商城"), ("WECOM", "企业微信"), ("ALIBABA", "阿里巴巴国际站"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_BODY = 262_144
SKIPPED_STATUSES = ("checkout-draft", "pending", "failed", "cancelled")
CURRENCIES = ("CNY", "USD", "EUR")
CURRENCY_ALIASES = {"RMB": "CNY", "CNH": "CNY"}
DUE_AFTER = timedelta(days=30)
DUPLICATE_WINDOW = timedelta(hours=72)
CHECKOUT_WINDOW = timedelta(minutes=30)
ROLLUP_WINDOW = timedelta(days=365)
GRADE_POINTS = {"A": 50, "B": 30}  # any other grade: 10
CENT = Decimal("0.01")


def Number(scale: int) -> sa.Numeric:  # noqa: N802 - a column type
    """A decimal column (a REAL on SQLite, read back as a Decimal of this scale)."""
    return sa.Numeric(18, scale)


metadata = sa.MetaData()

inbound = sa.Table(
    "inbound", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("dedup_key", sa.String(255)),
    sa.Column("claim", sa.String(255), unique=True),  # the key of the one accepted delivery
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON),  # the answer, without the delivery id
    sa.Column("outcome", sa.JSON),
    sa.Column("order_id", sa.Integer),
    sa.Column("duplicate_of", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("processed_at", sa.DateTime),
)
channel = sa.Table(
    "channel", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code", sa.String(40), nullable=False, unique=True),
    sa.Column("channel_name", sa.String(60), nullable=False),
)
customer = sa.Table(
    "customer", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("company_name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(30)),
    sa.Column("phone_key", sa.String(30), index=True),
    sa.Column("email", sa.String(120)),
    sa.Column("email_key", sa.String(120), index=True),
    sa.Column("country", sa.String(60)),
    sa.Column("province", sa.String(40)),
    sa.Column("city", sa.String(40)),
    sa.Column("payment_terms", sa.String(20)),
    sa.Column("credit_limit", Number(2)),
    sa.Column("grade_override", sa.String(1)),
    sa.Column("payments_due", sa.Integer),
    sa.Column("payments_on_time", sa.Integer),
    sa.Column("on_time_rate", Number(4)),
    sa.Column("orders_12m", sa.Integer),
    sa.Column("avg_margin", Number(4)),
    sa.Column("score", Number(1)),
    sa.Column("grade", sa.String(1)),
    sa.Column("active", sa.Boolean, nullable=False),
)
product = sa.Table(
    "product", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(40), nullable=False, unique=True),
    sa.Column("product_name", sa.String(100), nullable=False),
    sa.Column("spec", sa.String(100)),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("price", Number(2), nullable=False),
    sa.Column("cost", Number(2)),
)
payment = sa.Table(  # none in the bench, but the customer's payment roll-ups read it on every refresh
    "payment", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("customer.id"), nullable=False, index=True),
    sa.Column("amount", Number(2), nullable=False),
    sa.Column("due_date", sa.Date),
    sa.Column("paid_date", sa.Date),
)
series = sa.Table(
    "series", metadata,
    sa.Column("prefix", sa.String(64), primary_key=True),
    sa.Column("current", sa.Integer, nullable=False),
)
orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("customer_id", sa.ForeignKey("customer.id"), nullable=False, index=True),
    sa.Column("channel_id", sa.ForeignKey("channel.id")),
    sa.Column("external_order_id", sa.String(64)),
    sa.Column("order_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("exchange_rate", Number(4)),
    sa.Column("payment_terms", sa.String(20)),
    sa.Column("advance_payment_required", sa.Boolean),
    sa.Column("priority", sa.String(10)),
    sa.Column("goods_amount", Number(2)),
    sa.Column("shipping_fee", Number(2)),
    sa.Column("order_discount", Number(2)),
    sa.Column("amount", Number(2)),
    sa.Column("amount_cny", Number(2)),
    sa.Column("total_qty", Number(2)),
    sa.Column("has_special_process", sa.Boolean),
    sa.Column("cost", Number(2)),
    sa.Column("gross_margin", Number(2)),
    sa.Column("margin_rate", Number(4)),
    sa.Column("days_to_due", sa.Integer),
    sa.Column("priority_score", Number(1)),
    sa.Column("shipping_address", sa.Text),
    sa.Column("remarks", sa.Text),
    sa.Column("intake_status", sa.String(10)),
    sa.Column("hold_reason", sa.Text),
    sa.Column("possible_duplicate_of", sa.ForeignKey("orders.id")),
    sa.Column("checkout_id", sa.String(64)),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("qc_status", sa.String(10)),
    sa.Column("payment_status", sa.String(10)),
    sa.Column("sales_rep", sa.String(64)),
    # the indexes the app's order document declares for its screens and look-ups
    # (apps/order_management/entities/order.json "indexes"; customer_id is indexed above)
    sa.Index("ix_orders_external", "channel_id", "external_order_id"),
    sa.Index("ix_orders_due_date", "due_date"),
    sa.Index("ix_orders_order_date", "order_date"),
    sa.Index("ix_orders_sales_rep", "sales_rep"),
    sa.Index("ix_orders_status", "status"),
    sa.Index("ix_orders_priority_score", "priority_score"),
)
order_line = sa.Table(
    "order_line", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("product_id", sa.ForeignKey("product.id"), nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("qty", Number(2), nullable=False),
    sa.Column("unit_price", Number(2), nullable=False),
    sa.Column("unit", sa.String(8)),
    sa.Column("discount_pct", Number(2)),
    sa.Column("amount", Number(2)),
    sa.Column("cost_amount", Number(2)),
    sa.Column("special_processes", sa.JSON),
    sa.Column("has_special_process", sa.Boolean),
)
audit = sa.Table(
    "audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(40), nullable=False),
    sa.Column("record_id", sa.Integer, nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("diff", sa.JSON, nullable=False),
    sa.Index("ix_audit_record", "entity", "record_id"),
)
outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(36), nullable=False, unique=True),
    sa.Column("topic", sa.String(96), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("dispatched_at", sa.DateTime),
    sa.Index("ix_outbox_pending", "dispatched_at", "id"),
)

# -- the statements, built once ------------------------------------------------------------


def _param(name: str, type_: Any = None) -> sa.BindParameter:
    return sa.bindparam(name, type_=type_)


CHANNEL_ID = sa.select(channel.c.id).where(channel.c.code == _param("code"))
FIRST_ANSWER = sa.select(inbound.c.id, inbound.c.http_status, inbound.c.response).where(
    inbound.c.claim == _param("claim"))
#: Customers by a normalised key; two rows found is no match (the key is not certain then).
FIND_CUSTOMER = {key: sa.select(customer).where(customer.c[key] == _param("key")).order_by(customer.c.id).limit(2)
                 for key in ("phone_key", "email_key")}
CUSTOMER_BY_ID = sa.select(customer).where(customer.c.id == _param("customer_id"))
FIND_PRODUCTS = sa.select(product.c.sku, product.c.id, product.c.cost, product.c.unit).where(
    product.c.sku.in_(sa.bindparam("skus", expanding=True)))
EXISTING_ORDER = sa.select(orders).where(
    orders.c.channel_id == _param("channel_id"), orders.c.external_order_id == _param("external")
).order_by(orders.c.id).limit(1)
CHECKOUT_ORDER = sa.select(orders).where(
    orders.c.checkout_id == _param("checkout"), orders.c.customer_id == _param("customer_id"),
    orders.c.channel_id == _param("channel_id"), orders.c.created_at >= _param("since", sa.DateTime),
).order_by(orders.c.id).limit(1)
#: Orders a new one may repeat: same customer, another channel, recent, not a suspected copy itself.
DUPLICATE_CANDIDATES = sa.select(orders.c.id, orders.c.name).where(
    orders.c.customer_id == _param("customer_id"), orders.c.created_at >= _param("since", sa.DateTime),
    orders.c.possible_duplicate_of.is_(None),
    sa.or_(orders.c.channel_id.is_(None), orders.c.channel_id != _param("channel_id")),
).order_by(orders.c.id).limit(200)
LINE_SIGNATURES = sa.select(order_line.c.order_id, order_line.c.product_id, order_line.c.qty).where(
    order_line.c.order_id.in_(sa.bindparam("ids", expanding=True)))
LINES_OF = sa.select(order_line).where(order_line.c.order_id == _param("order_id")).order_by(order_line.c.idx)
DELETE_LINES = order_line.delete().where(order_line.c.order_id == _param("order_id"))
NEXT_NUMBER = (sqlite.insert(series).values(prefix=_param("prefix"), current=1)
               .on_conflict_do_update(index_elements=[series.c.prefix], set_={"current": series.c.current + 1})
               .returning(series.c.current))
INSERT_INBOUND = inbound.insert()
INSERT_ORDER = orders.insert()
INSERT_LINES = order_line.insert()
INSERT_AUDIT = audit.insert()
INSERT_OUTBOX = outbox.insert()
UPDATE_ORDER = orders.update().where(orders.c.id == _param("order_id")).values(version=orders.c.version + 1)
UPDATE_CUSTOMER = customer.update().where(customer.c.id == _param("customer_id")).values(
    version=customer.c.version + 1)


def _rollups() -> sa.Select:
    """Every roll-up of ``customer.json`` for one customer, in one SELECT."""
    who, today, since = _param("customer_id"), _param("today", sa.Date), _param("since", sa.Date)
    recent_orders = (orders.c.customer_id == who, orders.c.order_date >= since, orders.c.status != "cancelled")
    due = (payment.c.customer_id == who, payment.c.due_date <= today, payment.c.due_date >= since)
    on_time = (*due, payment.c.paid_date.is_not(None), payment.c.paid_date <= payment.c.due_date)

    def scalar(measure: Any, table: sa.Table, where: tuple[Any, ...], label: str) -> Any:
        return sa.select(measure).select_from(table).where(*where).scalar_subquery().label(label)

    return sa.select(scalar(sa.func.count(), payment, due, "payments_due"),
                     scalar(sa.func.count(), payment, on_time, "payments_on_time"),
                     scalar(sa.func.count(), orders, recent_orders, "orders_12m"),
                     scalar(sa.func.avg(orders.c.margin_rate), orders, recent_orders, "avg_margin"))


ROLLUPS = _rollups()

# -- the formulas of order.json, order_line.json and customer.json, by hand ----------------


def js_round(x: float, places: int) -> Decimal:
    """The formula language's ``round``: half-up, on the shortest decimal form of the double."""
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def at_scale(x: float, places: int) -> Decimal:
    """A double (a formula's or an aggregate's result) as a decimal column of this scale keeps it."""
    return Decimal(repr(x)).quantize(Decimal(1).scaleb(-places))


def line_values(product_id: int, cost: Decimal | None, unit: str | None, description: str | None, qty: Decimal,
                unit_price: Decimal) -> dict[str, Any]:
    """One order line as stored: the defaults (the product's unit, no discount) and the amount and
    cost formulas."""
    discount = Decimal("0.00")
    return {"product_id": product_id, "description": description, "qty": qty, "unit_price": unit_price,
            "unit": unit, "discount_pct": discount,
            "amount": js_round(float(qty) * float(unit_price) * (1 - float(discount) / 100), 2),
            "cost_amount": js_round(float(qty) * float(cost if cost is not None else 0), 2),
            "special_processes": None, "has_special_process": False}


def order_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """Goods amount, quantity and cost: exact sums over the lines."""
    return {key: sum((line[field] for line in lines), Decimal("0.00"))
            for key, field in (("goods_amount", "amount"), ("total_qty", "qty"), ("cost", "cost_amount"))}


def order_formulas(lines: list[dict[str, Any]], *, exchange_rate: Decimal, due_date: date, grade: str | None,
                   today: date, shipping_fee: Decimal = Decimal("0.00"), order_discount: Decimal = Decimal("0.00")
                   ) -> dict[str, Any]:
    """Every computed value of an order, from its lines, its charges and its customer's grade."""
    values = order_totals(lines)
    values["amount"] = js_round(float(values["goods_amount"]) + float(shipping_fee) - float(order_discount), 2)
    amount_cny = js_round(float(values["amount"]) * float(exchange_rate), 2)
    goods_cny = js_round((float(values["goods_amount"]) - float(order_discount)) * float(exchange_rate), 2)
    gross_margin = at_scale(float(goods_cny) - float(values["cost"]), 2)
    margin_rate = js_round(float(gross_margin) / float(amount_cny), 4) if amount_cny > 0 else Decimal("0.0000")
    days_to_due = due_date.toordinal() - today.toordinal()
    urgency = max(0.0, min(30.0, 30.0 - days_to_due))
    profit = max(0.0, min(20.0, float(gross_margin) / 1000))
    return {**values, "amount_cny": amount_cny, "gross_margin": gross_margin, "margin_rate": margin_rate,
            "days_to_due": days_to_due, "priority_score": js_round(GRADE_POINTS.get(grade or "", 10) + urgency
                                                                   + profit, 1),
            "has_special_process": any(line["has_special_process"] for line in lines)}


def customer_scores(payments_due: int, payments_on_time: int, orders_12m: int, avg_margin: float | None,
                    grade_override: str | None) -> dict[str, Any]:
    """A customer's roll-ups (the aggregates as read) and the on-time rate, score and grade on them."""
    avg = at_scale(avg_margin, 4) if avg_margin is not None else None
    on_time_rate = js_round(payments_on_time / payments_due, 4) if payments_due > 0 else Decimal("0.8000")
    score = js_round(100 * (0.4 * float(on_time_rate) + 0.3 * min(1, orders_12m / 24)
                            + 0.3 * min(1, max(0, float(avg or 0) / 0.35))), 1)
    grade = grade_override or ("A" if score >= 80 else "B" if score >= 55 else "C")
    return {"payments_due": payments_due, "payments_on_time": payments_on_time, "on_time_rate": on_time_rate,
            "orders_12m": orders_12m, "avg_margin": avg, "score": score, "grade": grade}


#: What a new order starts with (order.json's defaults; status: the workflow's first state).
ORDER_DEFAULTS = {"exchange_rate": Decimal("1.0000"), "advance_payment_required": False, "intake_status": "normal",
                  "shipping_fee": Decimal("0.00"), "order_discount": Decimal("0.00"),
                  "status": "draft", "qc_status": "pending", "payment_status": "pending", "shipping_address": None,
                  "remarks": None, "hold_reason": None, "possible_duplicate_of": None, "checkout_id": None}

# -- reading the shop's order --------------------------------------------------------------

_PHONE_JUNK = re.compile(r"[\s\-()（）－]")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[0-9]{10})\Z")


def phone_key(phone: str | None) -> str | None:
    """Chinese numbers compared without separators or the +86 prefix."""
    text = _PHONE_JUNK.sub("", unicodedata.normalize("NFKC", phone or ""))
    m = _MOBILE.match(text)
    return m.group(1) if m else text or None


def email_key(email: str | None) -> str | None:
    return unicodedata.normalize("NFKC", email or "").strip().lower() or None


class Malformed(ValueError):
    """The sender's error: the delivery is rejected (422)."""


@dataclass(frozen=True)
class Item:
    sku: str
    description: str | None
    qty: Decimal
    unit_price: Decimal


@dataclass(frozen=True)
class Incoming:
    """A shop order, read and checked before any database work."""

    external_id: str
    #: The order's own values (an update writes these; the address and remarks only when sent).
    fields: dict[str, Any]
    items: list[Item]
    phone_key: str | None
    email_key: str | None
    checkout: str | None


def _cat(value: Any) -> str:
    return "" if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)


def _text(value: Any) -> str | None:
    """A value as trimmed text, None when empty."""
    if isinstance(value, dict | list):
        raise Malformed("text expected")
    return _cat(value).strip() or None


def _day(value: Any, what: str) -> date:
    """A calendar date in Asia/Shanghai: a date as written, a time without an offset as local."""
    text = _text(value)
    if text is None:
        raise Malformed(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Malformed(f"{what} is not a date: {text!r}") from None
    return moment.date() if moment.tzinfo is None else moment.astimezone(SHANGHAI).date()


def _decimal(value: Any, what: str, minimum: Decimal) -> Decimal:
    """An amount with at most two decimals, at least ``minimum``."""
    try:
        number = Decimal(_cat(value).strip().replace(",", "")) if not isinstance(value, bool) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number != number.quantize(CENT):
        raise Malformed(f"{what} is not a number with at most two decimals: {value!r}")
    if number < minimum:
        raise Malformed(f"{what} must be at least {minimum}")
    return number.quantize(CENT)


def _meta(order: Mapping[str, Any], key: str) -> Any:
    for entry in order.get("meta_data") or ():
        if isinstance(entry, dict) and entry.get("key") == key:
            return entry.get("value")
    return None


def skip_reason(order: Mapping[str, Any]) -> str | None:
    """Why the order is not taken (the channel's skip rules), or None."""
    billing = order.get("billing") if isinstance(order.get("billing"), dict) else {}
    if order.get("status") in SKIPPED_STATUSES:
        return "草稿、未付款、失败或已取消的订单不接"
    note = order.get("customer_note")
    if (isinstance(note, str) and "测试订单" in note) or _cat(billing.get("last_name")).upper() == "TEST":
        return "测试订单"
    return None


def read_order(order: Mapping[str, Any]) -> Incoming:
    """The shop's order as our order's values; raise Malformed for what the sender must fix."""
    external = _text(order.get("id"))
    if external is None:
        raise Malformed("the order has no id")
    order_date = _day(order.get("date_created"), "date_created")
    promised = _text(_meta(order, "_delivery_date"))
    due_date = _day(promised, "_delivery_date") if promised else order_date + DUE_AFTER
    if due_date < order_date:
        raise Malformed("the due date cannot be before the order date")
    currency = _text(order.get("currency")) or "CNY"
    currency = CURRENCY_ALIASES.get(currency, currency)
    if currency not in CURRENCIES:
        raise Malformed(f"unknown currency {currency!r}")
    fields: dict[str, Any] = {"external_order_id": external, "order_date": order_date, "due_date": due_date,
                              "currency": currency, "payment_terms": "advance",
                              "advance_payment_required": not order.get("date_paid")}
    shipping = order.get("shipping") if isinstance(order.get("shipping"), dict) else {}
    address = "".join(_cat(shipping.get(k)) for k in ("state", "city", "address_1")) + " " \
        + _cat(shipping.get("address_2"))
    if address.strip():
        fields["shipping_address"] = address.strip()
    remarks = _text(order.get("customer_note"))
    if remarks:
        fields["remarks"] = remarks
    items = order.get("line_items")
    if not isinstance(items, list) or not items:
        raise Malformed("line_items must be a non-empty list")
    lines = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or _text(item.get("sku")) is None:
            raise Malformed(f"line_items[{i}] has no SKU")
        lines.append(Item(_text(item["sku"]) or "", _text(item.get("name")),
                          _decimal(item.get("quantity"), f"line_items[{i}].quantity", CENT),
                          _decimal(item.get("price"), f"line_items[{i}].price", Decimal(0))))
    billing = order.get("billing") if isinstance(order.get("billing"), dict) else {}
    if not (_text(billing.get("company")) or _text(_cat(billing.get("last_name")) + _cat(billing.get("first_name")))):
        raise Malformed("billing has neither a company nor a name")
    checkout = _text(_meta(order, "_checkout_id"))
    return Incoming(external, fields, lines, phone_key(_text(billing.get("phone"))),
                    email_key(_text(billing.get("email"))), checkout)


# -- the endpoint ---------------------------------------------------------------------------

def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


dumps = partial(json.dumps, default=_json, ensure_ascii=False)


def engine_for(url: str) -> sa.Engine:
    """SQLite in explicit-transaction mode, WAL, the same pragmas as Sunmao's own engine."""
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=dumps)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def setup(url: str, products: Iterable[Mapping[str, Any]], customers: Iterable[Mapping[str, Any]]) -> None:
    """Create the tables and seed the same channels, products and customers as Sunmao's side
    (customers with the roll-ups of no orders and no payments, as Sunmao computes them)."""
    engine = engine_for(url)
    now = datetime.now(UTC).replace(tzinfo=None)
    initial = customer_scores(0, 0, 0, None, None)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(channel.insert(), [{"code": code, "channel_name": name} for code, name in CHANNELS])
        conn.execute(product.insert(), [
            {"sku": p["sku"], "product_name": p["product_name"], "spec": p.get("spec"), "unit": p["unit"],
             "price": Decimal(p["price"]), "cost": Decimal(p["cost"])} for p in products])
        conn.execute(customer.insert(), [
            {"name": f"CUS-{i:05d}", "version": 1, "created_at": now, "updated_at": now,
             "company_name": c["company_name"], "phone": c["phone"], "phone_key": phone_key(c["phone"]),
             "email": c.get("email"), "email_key": email_key(c.get("email")), "country": "中国",
             "province": c.get("province"), "city": c.get("city"), "payment_terms": "advance",
             "credit_limit": Decimal("0.00"), "active": True, **initial} for i, c in enumerate(customers, 1)])
    engine.dispose()


Journal = list[tuple[dict[str, Any], dict[str, Any]]]


def _journal(journal: Journal, entity: str, action: str, record: dict[str, Any], diff: dict[str, Any],
             actor: str, now: datetime) -> None:
    """The audit row and the outbox event of one write (inserted together at the end)."""
    journal.append((
        {"entity": entity, "record_id": record["id"], "action": action, "actor": actor, "at": now, "diff": diff},
        {"event_id": str(uuid.uuid4()), "topic": f"{entity}.{action}", "created_at": now,
         "payload": {"entity": entity, "id": record["id"], "name": record["name"], "version": record["version"],
                     "action": action, "actor": actor, "changed": sorted(diff), "record": record}}))


def _hold(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


class Intake:
    """The endpoint's work for one delivery; the Flask view only reads the request and answers."""

    def __init__(self, url: str, secret: str, *, minimal: bool = False):
        self.engine = engine_for(url)
        self.key = secret.encode()
        self.minimal = minimal
        with self.engine.begin() as conn:
            self.channel_id = conn.execute(CHANNEL_ID, {"code": CHANNEL_CODE}).scalar()

    def receive(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, Any]]:
        """(HTTP status, answer) for one delivery; the delivery is stored whatever happens."""
        now = datetime.now(UTC).replace(tzinfo=None)
        raw = {"channel": CHANNEL, "received_at": now, "headers": headers, "body": body[:MAX_BODY], "size": len(body)}
        if len(body) > MAX_BODY:
            return self._store(raw, "rejected", 413, {"status": "rejected", "detail": "the body is too large"})
        expected = base64.b64encode(hmac.new(self.key, body, hashlib.sha256).digest())
        if not hmac.compare_digest(headers.get("x-wc-webhook-signature", "").encode(), expected):
            return self._store(raw, "rejected", 401, {"status": "rejected", "detail": "bad signature"})
        try:
            order = json.loads(body, parse_float=Decimal)
        except ValueError as exc:  # not UTF-8, or not JSON
            return self._store(raw, "rejected", 400, {"status": "rejected", "detail": f"malformed JSON: {exc}"})
        try:
            if not isinstance(order, dict):
                raise Malformed("the body must be an order object")
            reason = skip_reason(order)
            if reason is not None:
                return self._store(raw, "ignored", 200, {"status": "ignored", "reason": reason})
            incoming = read_order(order)
        except Malformed as exc:
            return self._store(raw, "rejected", 422, {"status": "rejected", "detail": f"malformed order: {exc}"})
        claim = f"wc-{_cat(order.get('id'))}@{_cat(order.get('date_modified_gmt'))}"
        with self.engine.begin() as conn:
            first = conn.execute(FIRST_ANSWER, {"claim": claim}).first()
            if first is not None:  # the same delivery again: the first answer
                conn.execute(INSERT_INBOUND, {**raw, "dedup_key": claim, "status": "duplicate",
                                              "http_status": first.http_status, "response": first.response,
                                              "duplicate_of": first.id, "processed_at": now})
                return first.http_status, {**first.response, "delivery": first.id}
            status, answer, outcome = self._place(conn, incoming, now)
            http_status = 202 if status == "held" else 200
            delivery = conn.execute(INSERT_INBOUND, {
                **raw, "dedup_key": claim, "claim": claim, "status": status, "http_status": http_status,
                "response": answer, "outcome": outcome, "order_id": (outcome.get("order") or {}).get("id"),
                "processed_at": now}).inserted_primary_key[0]
        return http_status, {**answer, "delivery": delivery}

    def _store(self, raw: dict[str, Any], status: str, http_status: int, answer: dict[str, Any]
               ) -> tuple[int, dict[str, Any]]:
        """A delivery that makes nothing, in a transaction of its own."""
        with self.engine.begin() as conn:
            delivery = conn.execute(INSERT_INBOUND, {
                **raw, "status": status, "http_status": http_status, "response": answer,
                "error": answer.get("detail"), "processed_at": raw["received_at"]}).inserted_primary_key[0]
        return http_status, {**answer, "delivery": delivery}

    def _customer(self, conn: sa.Connection, incoming: Incoming) -> sa.Row | None:
        for key_field, key in (("phone_key", incoming.phone_key), ("email_key", incoming.email_key)):
            if key is not None:
                found = conn.execute(FIND_CUSTOMER[key_field], {"key": key}).all()
                if len(found) == 1:
                    return found[0]
        return None

    def _place(self, conn: sa.Connection, incoming: Incoming, now: datetime
               ) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """The order written (or the delivery held): (status, answer, outcome)."""
        buyer = self._customer(conn, incoming)
        known = {r.sku: r for r in conn.execute(FIND_PRODUCTS, {"skus": [i.sku for i in incoming.items]})}
        holds = [_hold("unknown_record", f"产品SKU“{item.sku}”不存在") for item in incoming.items
                 if item.sku not in known]
        if buyer is None:
            holds.append(_hold("unmatched_customer", "找不到对应的客户"))
        if holds:
            return "held", {"status": "held", "holds": holds}, {"action": "none", "holds": holds}
        lines = [line_values(known[i.sku].id, known[i.sku].cost, known[i.sku].unit, i.description, i.qty,
                             i.unit_price)
                 for i in incoming.items]
        journal: Journal = []
        today = now.replace(tzinfo=UTC).astimezone(SHANGHAI).date()
        if self.minimal:
            order, action, holds = self._create(conn, incoming, buyer, lines, {}, now, today, journal), "created", []
        else:
            order, action, holds, owner = self._write(conn, incoming, buyer, lines, now, today, journal)
            self._refresh(conn, owner, now, today, journal)
        conn.execute(INSERT_AUDIT, [entry for entry, _event in journal])
        conn.execute(INSERT_OUTBOX, [event for _entry, event in journal])
        status = "held" if holds else "processed"
        answer: dict[str, Any] = {"status": status, "order": {"id": order["id"], "name": order["name"]}}
        if action != "created":
            answer["action"] = action
        if holds:
            answer["holds"] = holds
        return status, answer, {"action": action, "holds": holds, "order": answer["order"],
                                "customer": {"id": buyer.id, "created": False}}

    def _write(self, conn: sa.Connection, incoming: Incoming, buyer: sa.Row, lines: list[dict[str, Any]],
               now: datetime, today: date, journal: Journal
               ) -> tuple[dict[str, Any], str, list[dict[str, str]], sa.Row]:
        """Update the order this channel made before, join the checkout's order, or create one:
        (the order, what was done, holds, the order's customer)."""
        existing = conn.execute(EXISTING_ORDER, {"channel_id": self.channel_id,
                                                 "external": incoming.external_id}).first()
        if existing is not None:  # the shop changed the order: its values and lines replace ours
            owner = buyer if existing.customer_id == buyer.id else \
                conn.execute(CUSTOMER_BY_ID, {"customer_id": existing.customer_id}).one()
            order = self._rewrite(conn, existing, owner, incoming.fields, lines, True, now, today, journal)
            return order, "updated", [], owner
        if incoming.checkout is not None:
            joined = conn.execute(CHECKOUT_ORDER, {"checkout": incoming.checkout, "customer_id": buyer.id,
                                                   "channel_id": self.channel_id,
                                                   "since": now - CHECKOUT_WINDOW}).first()
            if joined is not None:  # one more item of a checkout: a further line of its order
                return self._rewrite(conn, joined, buyer, {}, lines, False, now, today, journal), "merged", [], buyer
        flags: dict[str, Any] = {"checkout_id": incoming.checkout}
        holds = []
        original = self._duplicate_of(conn, buyer.id, lines, now)
        if original is not None:
            reason = (f"可能与 {original.name} 重复：同一客户在 {DUPLICATE_WINDOW.total_seconds() / 3600:g} 小时内"
                      "从其他渠道下了相同产品和数量的订单，请确认后再处理")
            flags.update(intake_status="held", hold_reason=reason, possible_duplicate_of=original.id)
            holds.append(_hold("possible_duplicate", reason))
        return self._create(conn, incoming, buyer, lines, flags, now, today, journal), "created", holds, buyer

    def _duplicate_of(self, conn: sa.Connection, customer_id: int, lines: list[dict[str, Any]], now: datetime
                      ) -> sa.Row | None:
        """An order of the same customer from another channel, recent, with the same products and quantities."""
        candidates = conn.execute(DUPLICATE_CANDIDATES, {"customer_id": customer_id, "channel_id": self.channel_id,
                                                         "since": now - DUPLICATE_WINDOW}).all()
        if not candidates:
            return None
        signatures: dict[int, Counter] = {c.id: Counter() for c in candidates}
        for row in conn.execute(LINE_SIGNATURES, {"ids": list(signatures)}):
            signatures[row.order_id][(row.product_id, row.qty)] += 1
        wanted = Counter((line["product_id"], line["qty"]) for line in lines)
        return next((c for c in candidates if signatures[c.id] == wanted), None)

    def _create(self, conn: sa.Connection, incoming: Incoming, buyer: sa.Row, lines: list[dict[str, Any]],
                flags: dict[str, Any], now: datetime, today: date, journal: Journal) -> dict[str, Any]:
        values = {**ORDER_DEFAULTS, **incoming.fields, **flags, "customer_id": buyer.id,
                  "channel_id": self.channel_id, "version": 1, "created_at": now, "updated_at": now,
                  "created_by": ACTOR}
        if self.minimal:
            values.update(order_totals(lines))
        else:
            values["priority"] = "urgent" if buyer.grade == "A" else "normal"
            values.update(order_formulas(lines, exchange_rate=values["exchange_rate"], due_date=values["due_date"],
                                         grade=buyer.grade, today=today))
        prefix = f"SO-{now.replace(tzinfo=UTC).astimezone(SHANGHAI):%Y%m}-"
        values["name"] = f"{prefix}{conn.execute(NEXT_NUMBER, {'prefix': prefix}).scalar_one():05d}"
        order_id = conn.execute(INSERT_ORDER, values).inserted_primary_key[0]
        conn.execute(INSERT_LINES, [{"order_id": order_id, "idx": idx, **line} for idx, line in enumerate(lines)])
        record = {"id": order_id, **values, "lines": lines}
        diff = {k: [None, v] for k, v in record.items() if v is not None and k not in ("id", "lines")}
        _journal(journal, "order", "created", record, {**diff, "lines": {"added": lines}}, ACTOR, now)
        return record

    def _rewrite(self, conn: sa.Connection, current: sa.Row, owner: sa.Row, changes: dict[str, Any],
                 new_lines: list[dict[str, Any]], replace: bool, now: datetime, today: date, journal: Journal
                 ) -> dict[str, Any]:
        """An order changed (``replace``: its lines replaced) or grown by lines; formulas computed again."""
        old_lines = [dict(r) for r in conn.execute(LINES_OF, {"order_id": current.id}).mappings()]
        kept = [] if replace else old_lines
        if replace:
            conn.execute(DELETE_LINES, {"order_id": current.id})
        conn.execute(INSERT_LINES, [{"order_id": current.id, "idx": idx, **line}
                                    for idx, line in enumerate(new_lines, len(kept))])
        before = dict(current._mapping)
        values = {k: v for k, v in {**before, **changes}.items() if k not in ("id", "version")}
        values.update(order_formulas(kept + new_lines, exchange_rate=values["exchange_rate"],
                                     due_date=values["due_date"], grade=owner.grade, today=today), updated_at=now)
        conn.execute(UPDATE_ORDER, {"order_id": current.id, **values})
        record = {"id": current.id, "version": current.version + 1, **values, "lines": kept + new_lines}
        diff: dict[str, Any] = {k: [before[k], v] for k, v in values.items() if before[k] != v and k != "updated_at"}
        diff["lines"] = {"added": new_lines, **({"removed": old_lines} if replace else {})}
        _journal(journal, "order", "updated", record, diff, ACTOR, now)
        return record

    def _refresh(self, conn: sa.Connection, row: sa.Row, now: datetime, today: date, journal: Journal) -> None:
        """The customer's roll-ups after a write of one of its orders; updated and journaled when changed."""
        found = conn.execute(ROLLUPS, {"customer_id": row.id, "today": today, "since": today - ROLLUP_WINDOW}).one()
        scores = customer_scores(**found._mapping, grade_override=row.grade_override)
        diff = {k: [row._mapping[k], v] for k, v in scores.items() if row._mapping[k] != v}
        if not diff:
            return
        conn.execute(UPDATE_CUSTOMER, {"customer_id": row.id, **scores, "updated_at": now})
        record = {**row._mapping, **scores, "version": row.version + 1, "updated_at": now}
        _journal(journal, "customer", "updated", record, diff, "system", now)


def create_app(url: str, secret: str, *, minimal: bool = False) -> Flask:
    app = Flask(__name__)
    intake = Intake(url, secret, minimal=minimal)

    @app.post(f"/hooks/{CHANNEL}")
    def web_shop() -> Response:
        body = request.stream.read(MAX_BODY + 1)
        status, answer = intake.receive({k.lower(): v for k, v in request.headers.items()}, body)
        response = Response(dumps(answer), status=status, mimetype="application/json")
        response.headers["X-Delivery"] = str(answer["delivery"])
        return response

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def count_rows(url: str) -> dict[str, int]:
    engine = engine_for(url)
    with engine.begin() as conn:
        out = {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
               for name, table in (("inbound", inbound), ("order", orders), ("lines", order_line),
                                   ("audit", audit), ("outbox", outbox), ("customer", customer))}
    engine.dispose()
    return out


def baseline_wsgi() -> Flask:
    """The gunicorn entry point: ``_intake_baseline:baseline_wsgi()``."""
    return create_app(os.environ["DATABASE_URL"], os.environ["BENCH_SHOP_SECRET"])


if __name__ == "__main__":
    print("helper of bench/intake.py (the hand-written baseline); run that script instead")
