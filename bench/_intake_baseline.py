"""The baseline of ``bench/intake.py``: the web-shop webhook written by hand, Flask + SQLAlchemy Core.

What a competent developer writes when one shop pushes orders and nothing is generated from
metadata: the secret read once at start-up, the statements built once (SQLAlchemy caches
their compiled form), one write transaction per order (``BEGIN IMMEDIATE`` on SQLite, the
same pragmas as Sunmao's engine), and the same rows as Sunmao's intake writes for one order:

    raw delivery (headers, body, status, idempotency key) · order · its lines · audit · outbox

plus the order-number counter (``SO-YYYYMM-#####``). Customer by normalised phone (an
indexed key column filled when the customer is saved), products by SKU in one query. Not a
test: it is imported by ``bench/intake.py`` (in process) and served by gunicorn through
:func:`baseline_wsgi` (``DATABASE_URL``, ``BENCH_SHOP_SECRET``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, request
from sqlalchemy import event
from sqlalchemy.dialects import sqlite

CHANNEL = "web_shop"
MAX_BODY = 262_144
SKIPPED_STATUSES = ("checkout-draft", "pending", "failed", "cancelled")
CENT = Decimal("0.01")

metadata = sa.MetaData()
Money = sa.Numeric(14, 2, asdecimal=False)

inbound = sa.Table(
    "inbound", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("received_at", sa.DateTime, nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("dedup_key", sa.String(255), unique=True),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("http_status", sa.Integer, nullable=False),
    sa.Column("order_id", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("processed_at", sa.DateTime),
)
customer = sa.Table(
    "customer", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("company_name", sa.String(120), nullable=False),
    sa.Column("phone", sa.String(30)),
    sa.Column("phone_key", sa.String(30), index=True),
    sa.Column("email", sa.String(120)),
    sa.Column("province", sa.String(40)),
    sa.Column("city", sa.String(40)),
)
product = sa.Table(
    "product", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sku", sa.String(40), nullable=False, unique=True),
    sa.Column("product_name", sa.String(100), nullable=False),
    sa.Column("spec", sa.String(100)),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("price", Money, nullable=False),
    sa.Column("cost", Money),
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
    sa.Column("customer_id", sa.ForeignKey("customer.id"), nullable=False, index=True),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("external_order_id", sa.String(64)),
    sa.Column("order_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("payment_terms", sa.String(20)),
    sa.Column("advance_payment_required", sa.Boolean, nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("total_qty", Money, nullable=False),
    sa.Column("cost", Money, nullable=False),
    sa.Column("shipping_address", sa.Text),
    sa.Column("remarks", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Index("ix_orders_external", "channel", "external_order_id"),
)
order_line = sa.Table(
    "order_line", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("order_id", sa.ForeignKey("orders.id"), nullable=False, index=True),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("product_id", sa.ForeignKey("product.id"), nullable=False),
    sa.Column("description", sa.String(200)),
    sa.Column("qty", Money, nullable=False),
    sa.Column("unit_price", Money, nullable=False),
    sa.Column("amount", Money, nullable=False),
    sa.Column("cost_amount", Money, nullable=False),
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

#: The statements, built once.
FIND_CUSTOMER = sa.select(customer.c.id).where(customer.c.phone_key == sa.bindparam("key")).limit(2)
FIND_PRODUCTS = sa.select(product.c.sku, product.c.id, product.c.cost).where(
    product.c.sku.in_(sa.bindparam("skus", expanding=True)))
NEXT_NUMBER = (sqlite.insert(series).values(prefix=sa.bindparam("prefix"), current=1)
               .on_conflict_do_update(index_elements=[series.c.prefix], set_={"current": series.c.current + 1})
               .returning(series.c.current))
INSERT_INBOUND = inbound.insert()
INSERT_ORDER = orders.insert()
INSERT_LINES = order_line.insert()
INSERT_AUDIT = audit.insert()
INSERT_OUTBOX = outbox.insert()
FIRST_ANSWER = sa.select(inbound.c.id, inbound.c.http_status, inbound.c.order_id, orders.c.name).select_from(
    inbound.outerjoin(orders, orders.c.id == inbound.c.order_id)).where(inbound.c.dedup_key == sa.bindparam("key"))

_PHONE_JUNK = re.compile(r"[\s\-().（）－\u3000]")
_MOBILE = re.compile(r"^(?:\+?86|0086)?(1[3-9]\d{9})$")


def phone_key(phone: str | None) -> str | None:
    """Chinese numbers compared without separators or the +86 prefix."""
    if not phone:
        return None
    text = _PHONE_JUNK.sub("", phone)
    m = _MOBILE.match(text)
    return m.group(1) if m else text.lstrip("+") or None


def engine_for(url: str) -> sa.Engine:
    """SQLite in explicit-transaction mode, WAL, the same pragmas as Sunmao's own engine."""
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

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
    """Create the tables and seed the same products and customers as Sunmao's side."""
    engine = engine_for(url)
    with engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(product.insert(), [
            {"sku": p["sku"], "product_name": p["product_name"], "spec": p.get("spec"), "unit": p["unit"],
             "price": Decimal(p["price"]), "cost": Decimal(p["cost"])} for p in products])
        conn.execute(customer.insert(), [
            {"company_name": c["company_name"], "phone": c["phone"], "phone_key": phone_key(c["phone"]),
             "email": c.get("email"), "province": c.get("province"), "city": c.get("city")} for c in customers])
    engine.dispose()


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _answer(status: int, body: dict[str, Any], delivery: int | None) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")
    if delivery is not None:
        response.headers["X-Delivery"] = str(delivery)
    return response


def create_app(url: str, secret: str) -> Flask:
    app = Flask(__name__)
    engine = engine_for(url)
    key = secret.encode()

    def store_only(conn: sa.Connection, headers: dict[str, str], body: bytes, status: str, http_status: int,
                   error: str | None, now: datetime) -> int:
        return conn.execute(INSERT_INBOUND, {
            "channel": CHANNEL, "received_at": now, "headers": headers, "body": body, "size": len(body),
            "status": status, "http_status": http_status, "error": error, "processed_at": now}).inserted_primary_key[0]

    def reject(headers: dict[str, str], body: bytes, http_status: int, error: str, now: datetime) -> Response:
        with engine.begin() as conn:
            delivery = store_only(conn, headers, body, "rejected", http_status, error, now)
        return _answer(http_status, {"status": "rejected", "detail": error, "delivery": delivery}, delivery)

    @app.post(f"/hooks/{CHANNEL}")
    def web_shop() -> Response:
        now = datetime.now(UTC).replace(tzinfo=None)
        body = request.stream.read(MAX_BODY + 1)
        headers = {k.lower(): v for k, v in request.headers.items()}
        if len(body) > MAX_BODY:
            return reject(headers, body[:MAX_BODY], 413, "the body is too large", now)
        expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
        if not hmac.compare_digest(headers.get("x-wc-webhook-signature", "").encode(), expected):
            return reject(headers, body, 401, "bad signature", now)
        try:
            order = json.loads(body, parse_float=Decimal)
            dedup = f"wc-{order['id']}@{order['date_modified_gmt']}"
            created = datetime.fromisoformat(order["date_created"])
            items = order["line_items"]
            billing = order["billing"]
        except (ValueError, KeyError, TypeError) as exc:
            return reject(headers, body, 422, f"malformed order: {exc}", now)
        if order.get("status") in SKIPPED_STATUSES:
            with engine.begin() as conn:
                delivery = store_only(conn, headers, body, "ignored", 200, None, now)
            return _answer(200, {"status": "ignored", "delivery": delivery}, delivery)
        with engine.begin() as conn:
            first = conn.execute(FIRST_ANSWER, {"key": dedup}).first()
            if first is not None:
                delivery = store_only(conn, headers, body, "duplicate", first.http_status, None, now)
                return _answer(first.http_status, {"status": "duplicate", "delivery": first.id,
                                                   "order": {"id": first.order_id, "name": first.name}}, delivery)
            found = conn.execute(FIND_CUSTOMER, {"key": phone_key(billing.get("phone"))}).all()
            known = {r.sku: r for r in conn.execute(FIND_PRODUCTS, {"skus": [i["sku"] for i in items]})}
            if len(found) != 1 or any(i["sku"] not in known for i in items):
                why = "unknown SKU" if len(found) == 1 else "customer not matched by phone"
                delivery = conn.execute(INSERT_INBOUND, {
                    "channel": CHANNEL, "received_at": now, "headers": headers, "body": body, "size": len(body),
                    "dedup_key": dedup, "status": "held", "http_status": 202, "error": why,
                    "processed_at": now}).inserted_primary_key[0]
                return _answer(202, {"status": "held", "delivery": delivery, "reason": why}, delivery)
            lines = []
            for idx, item in enumerate(items):
                p = known[item["sku"]]
                qty, price = Decimal(item["quantity"]), Decimal(str(item["price"]))
                lines.append({"idx": idx, "product_id": p.id, "description": item.get("name"), "qty": qty,
                              "unit_price": price, "amount": (qty * price).quantize(CENT),
                              "cost_amount": (qty * Decimal(str(p.cost or 0))).quantize(CENT)})
            shipping = order.get("shipping") or {}
            prefix = f"SO-{created:%Y%m}-"
            number = conn.execute(NEXT_NUMBER, {"prefix": prefix}).scalar_one()
            values = {
                "name": f"{prefix}{number:05d}", "customer_id": found[0].id, "channel": CHANNEL,
                "external_order_id": str(order["id"]), "order_date": created.date(),
                "due_date": created.date() + timedelta(days=30),
                "currency": {"RMB": "CNY", "CNH": "CNY"}.get(order.get("currency"), order.get("currency") or "CNY"),
                "payment_terms": "advance", "advance_payment_required": not order.get("date_paid"),
                "amount": sum((line["amount"] for line in lines), Decimal(0)),
                "total_qty": sum((line["qty"] for line in lines), Decimal(0)),
                "cost": sum((line["cost_amount"] for line in lines), Decimal(0)),
                "shipping_address": "".join(shipping.get(k) or "" for k in ("state", "city", "address_1"))
                + " " + (shipping.get("address_2") or ""),
                "remarks": order.get("customer_note") or None, "status": "draft", "created_at": now,
                "created_by": f"channel:{CHANNEL}",
            }
            order_id = conn.execute(INSERT_ORDER, values).inserted_primary_key[0]
            conn.execute(INSERT_LINES, [{"order_id": order_id, **line} for line in lines])
            record = json.loads(json.dumps({"id": order_id, **values, "lines": lines}, default=_json))
            conn.execute(INSERT_AUDIT, {"entity": "order", "record_id": order_id, "action": "created",
                                        "actor": values["created_by"], "at": now,
                                        "diff": {k: [None, v] for k, v in record.items()}})
            conn.execute(INSERT_OUTBOX, {"event_id": str(uuid.uuid4()), "topic": "order.created", "created_at": now,
                                         "payload": {"entity": "order", "id": order_id, "name": values["name"],
                                                     "action": "created", "actor": values["created_by"],
                                                     "record": record}})
            delivery = conn.execute(INSERT_INBOUND, {
                "channel": CHANNEL, "received_at": now, "headers": headers, "body": body, "size": len(body),
                "dedup_key": dedup, "status": "processed", "http_status": 200, "order_id": order_id,
                "processed_at": now}).inserted_primary_key[0]
        return _answer(200, {"status": "processed", "delivery": delivery,
                             "order": {"id": order_id, "name": values["name"]}}, delivery)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def count_rows(url: str) -> dict[str, int]:
    engine = engine_for(url)
    with engine.connect() as conn:
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
