"""Orders per second through the whole web-shop intake, beside a hand-written endpoint doing the same work, on SQLite.

The whole path of one order pushed by the web shop (``apps/order_management/channels/web_shop.json``):
signed POST ``/hooks/web_shop`` → raw delivery stored → HMAC checked → parsed, skip rules,
idempotency key claimed → mapped and cleaned → customer matched by phone → same order id
before? checkout and duplicate checks → order with its lines written through the record
service (defaults, formulas, rules, links, naming, audit, outbox event) → the customer's
roll-ups refreshed (an update with its own audit row and outbox event) → outcome stored with
the delivery.

The baseline, ``bench/_intake_baseline.py``, is a hand-written Flask + SQLAlchemy Core endpoint
that does the same work by hand (its docstring lists every step): the same checks and
look-ups, the same stored values of the order, its lines and the customer's roll-ups, the
same rows (delivery, order, lines, customer update, two audit rows and two outbox events per
order), statements built once, one write transaction, no metadata. The previous, minimal
endpoint stays measurable beside it as ``baseline-min`` (``create_app(..., minimal=True)``:
order, lines, one audit row and one event; no look-ups before the insert, only amount,
quantity and cost computed, no roll-ups) — less work, shown for transparency only.

Each payload is a WooCommerce-style order built like ``tests/inbound/payloads.py`` does: a
distinct order id, 1–4 line items of seeded SKUs, the billing phone of a seeded customer in
another format than the stored one (so the customer is matched, never created), signed with
HMAC-SHA256 (base64) in ``X-WC-Webhook-Signature``. The same bytes go to every side. No
customer appears twice among ``SPREAD`` consecutive payloads, so the concurrent HTTP requests
never race on one customer: each order sees the same customer grade (which feeds its priority
and priority score) on both sides.

Measurements (same payloads on every side), each warmed up before it is timed:

1. in process, ours: werkzeug's test ``Client`` over ``sunmao.web.create_wsgi(runtime)`` (the
   version dispatcher, the snapshot's Flask app, the ``hooks_inbound`` blueprint, ``receive``),
   one request after the other; the sides take turns in 10 rounds;
2. in process, baseline and baseline-min: the same client over the hand-written Flask app
   (own tables, own SQLite file each, same channels, products and customers);
3. over HTTP (ours and the baseline), each side served by ``gunicorn -k gthread --threads 4 -w 1`` on 127.0.0.1 (a
   subprocess; ours is ``create_wsgi(assembly.runtime(DATABASE_URL))``), one server at a time, driven by
   4 client threads on keep-alive ``http.client`` connections. Ours runs with ``SUNMAO_JOBS=off``
   (as beside ``sunmao worker`` in production): without it the first request starts the
   embedded job runner in the web process, which would then also dispatch the outbox — work
   the baseline does not do. Both sides fill their outbox; neither dispatches it here.

Parity, the proof that the figures compare equal work, checked before profiling: every order
written on both sides (joined by its external order id) must have the same stored values —
customer (by phone), channel (by code), dates, currency and rate, amounts, cost, margin and
margin rate, days to due, priority and priority score, special-process flag, intake, QC,
payment and workflow status, hold reason and suspected original, shipping address, remarks,
checkout id — and the same lines in order (product by SKU, description, quantity, unit, price,
discount, amount, cost, special-process flag); every customer (by phone) the same roll-ups
(payments due and on time, on-time rate, orders in 12 months, average margin, score,
grade); and both sides the same number of audit rows and outbox events. Only the
representation is normalised (Decimal, float or text; date or ISO text). Any difference is
printed and the bench exits with status 1, without figures.

Then ours again in process: each stage of the path timed by wrapping the engine's functions
(in this process only, no profiler), and a cProfile run for the SQLAlchemy/sqlite split and
the top functions by own time.

Run: ``.venv/bin/python bench/intake.py [--orders 2000] [--http-orders 1000] [--customers 1000]
[--products 200] [--profile-orders 300]``. Prints figures; asserts that every order was
accepted (200 ``processed``) and the parity above. Takes about 30 s on 2 cores with the defaults.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import hmac
import http.client
import importlib
import json
import os
import pstats
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy import event
from werkzeug.test import Client

os.environ.setdefault("SUNMAO_SECRET_KEY", Fernet.generate_key().decode())

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _intake_baseline as baseline  # noqa: E402
from _results import QUICK, report  # noqa: E402

from sunmao import assembly  # noqa: E402
from sunmao.hooks.inbound import set_secret  # noqa: E402
from sunmao.hooks.inbound.tables import inbound  # noqa: E402
from sunmao.records import SYSTEM  # noqa: E402
from sunmao.resources import app_path  # noqa: E402
from sunmao.runtime import Runtime  # noqa: E402
from sunmao.storage import system as sm  # noqa: E402
from sunmao.web import create_wsgi  # noqa: E402

BENCH = Path(__file__).resolve().parent
SHOP_SECRET = "wc_bench_secret_3f9a1c77"  # noqa: S105 - a bench fixture
SHANGHAI = ZoneInfo("Asia/Shanghai")
PATH = "/hooks/web_shop"
CLIENT_THREADS = 4
GOAL_RATIO = 1.3
GOAL_RATE = 1000.0
ROUNDS = 10  # in process, the sides take turns this many times (the VM drifts; turns cancel it)
#: No customer twice among this many consecutive deliveries (see the module docstring).
SPREAD = 64

Delivery = tuple[bytes, dict[str, str]]


# -- the seed: same products and customers on both sides ------------------------------------

CITIES = [("浙江", "宁波"), ("江苏", "苏州"), ("广东", "佛山"), ("浙江", "温州"), ("山东", "青岛"), ("河北", "沧州"),
          ("江苏", "无锡"), ("广东", "东莞"), ("福建", "泉州"), ("天津", "天津")]
WORDS = ["鑫达", "恒通", "宏远", "金泰", "华盛", "永安", "瑞丰", "精工", "荣昌", "天成", "正泰", "博远", "新亚",
         "东升", "利民", "中信", "隆兴", "汇通", "佳美", "德力"]
TRADES = ["五金制品", "精密机械", "紧固件", "汽车配件", "机电设备", "建材", "模具", "阀门"]
ITEMS = [("BLT", "六角螺栓", "pc"), ("NUT", "六角螺母", "pc"), ("WSH", "平垫圈", "kg"), ("HNG", "不锈钢合页", "pc"),
         ("SCR", "自攻螺钉", "pc"), ("PIN", "圆柱销", "pc"), ("FLG", "法兰", "pc"), ("BRG", "深沟球轴承", "pc")]


def seed_data(rng: random.Random, n_customers: int, n_products: int
              ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    products = []
    for i in range(n_products):
        code, name, unit = ITEMS[i % len(ITEMS)]
        price = rng.uniform(0.1, 80)
        products.append({"sku": f"{code}-{i:04d}", "product_name": name, "spec": f"M{6 + i % 10}×{20 + i % 50}",
                         "unit": unit, "price": f"{price:.2f}", "cost": f"{price * rng.uniform(0.5, 0.8):.2f}"})
    customers = []
    mobiles = rng.sample(range(10**8), n_customers)  # distinct: every order matches exactly one customer
    for i in range(n_customers):
        province, city = CITIES[i % len(CITIES)]
        words = WORDS[i % len(WORDS)] + WORDS[(i // len(WORDS)) % len(WORDS)]
        mobile = f"13{rng.randint(0, 9)}{mobiles[i]:08d}"
        stored = (f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}", mobile, f"+86 {mobile}")[i % 3]
        customers.append({"company_name": f"{city}{words}{TRADES[i % len(TRADES)]}有限公司", "phone": stored,
                          "email": f"caigou{i:04d}@supplier{i:04d}.example", "province": province, "city": city,
                          "_mobile": mobile})
    return products, customers


def woo_order(order_id: int, customer: dict[str, Any], lines: list[tuple[dict[str, Any], int]]) -> dict[str, Any]:
    """A WooCommerce ``order.created`` body, shaped like ``tests/inbound/payloads.py: woo_order``."""
    created = datetime.now(SHANGHAI).replace(microsecond=0, tzinfo=None)
    mobile = customer["_mobile"]
    return {
        "id": order_id, "parent_id": 0, "number": str(order_id), "order_key": f"wc_order_{order_id:08d}",
        "created_via": "checkout", "status": "processing", "currency": "CNY",
        "date_created": created.isoformat(), "date_created_gmt": (created - timedelta(hours=8)).isoformat(),
        "date_modified": created.isoformat(), "date_modified_gmt": (created - timedelta(hours=8)).isoformat(),
        "date_paid": created.isoformat(), "total": "0.00", "customer_id": 10_000 + order_id % 977,
        "customer_note": "请开增值税专用发票" if order_id % 5 == 0 else "",
        "billing": {"first_name": "伟", "last_name": "张", "company": customer["company_name"],
                    "address_1": "江北区金山路 88 号", "address_2": "", "city": customer["city"],
                    "state": customer["province"], "postcode": "315033", "country": "CN",
                    "email": customer["email"], "phone": f"+86 {mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"},
        "shipping": {"first_name": "伟", "last_name": "张", "company": customer["company_name"],
                     "address_1": "江北区金山路 88 号", "address_2": "3号仓库", "city": customer["city"],
                     "state": customer["province"], "postcode": "315033", "country": "CN"},
        "payment_method": "alipay", "payment_method_title": "支付宝",
        "meta_data": [{"id": 9001, "key": "_wc_order_attribution_source_type", "value": "typein"}],
        "line_items": [
            {"id": 100 + i, "name": f"{p['product_name']} {p['spec']}", "product_id": 500 + i, "variation_id": 0,
             "quantity": qty, "tax_class": "", "subtotal": "0.00", "total": "0.00", "sku": p["sku"],
             "price": float(p["price"])}
            for i, (p, qty) in enumerate(lines)],
    }


def deliveries(rng: random.Random, first_id: int, count: int, products: list[dict[str, Any]],
               customers: list[dict[str, Any]]) -> list[Delivery]:
    """Signed bodies with WooCommerce's headers, built before any timing starts."""
    out = []
    recent: deque[int] = deque(maxlen=min(SPREAD, len(customers) // 2))
    for order_id in range(first_id, first_id + count):
        lines = [(p, rng.choice((10, 50, 100, 200, 500, 1000, 1200, 5000)))
                 for p in rng.sample(products, rng.randint(1, 4))]
        buyer = rng.randrange(len(customers))
        while buyer in recent:
            buyer = rng.randrange(len(customers))
        recent.append(buyer)
        body = json.dumps(woo_order(order_id, customers[buyer], lines), ensure_ascii=False).encode()
        signature = base64.b64encode(hmac.new(SHOP_SECRET.encode(), body, hashlib.sha256).digest()).decode()
        out.append((body, {
            "Content-Type": "application/json", "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
            "X-WC-Webhook-Source": "https://shop.example.cn/", "X-WC-Webhook-Topic": "order.created",
            "X-WC-Webhook-Resource": "order", "X-WC-Webhook-Event": "created",
            "X-WC-Webhook-Signature": signature, "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": uuid.uuid4().hex}))
    return out


def setup_ours(url: str, products: list[dict[str, Any]], customers: list[dict[str, Any]]) -> Runtime:
    runtime = assembly.runtime(url)
    runtime.setup()
    runtime.install_app(app_path("order_management"))
    records = runtime.records()
    records.create_many("channel", [
        {"channel_code": "WEB_SHOP", "channel_name": "官网商城", "channel_type": "web_shop"},
        {"channel_code": "WECOM", "channel_name": "企业微信", "channel_type": "wecom"},
        {"channel_code": "ALIBABA", "channel_name": "阿里巴巴国际站", "channel_type": "alibaba"}], actor=SYSTEM)
    records.create_many("product", products, actor=SYSTEM)
    records.create_many("customer", [{k: v for k, v in c.items() if not k.startswith("_")} for c in customers],
                        actor=SYSTEM)
    set_secret(runtime.db, "web_shop_webhook", SHOP_SECRET)
    return runtime


def count_ours(runtime: Runtime) -> dict[str, int]:
    snap = runtime.snapshot()
    with runtime.db.read() as conn:
        def n(table: sa.Table) -> int:
            return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        return {"inbound": n(inbound), "order": n(snap.tables["order"]), "lines": n(snap.tables["order_line"]),
                "audit": n(sm.audit), "outbox": n(sm.outbox), "customer": n(snap.tables["customer"])}


def ours_wsgi() -> Any:
    """The gunicorn entry point: ``intake:ours_wsgi()`` with ``DATABASE_URL`` set."""
    return create_wsgi(assembly.runtime(os.environ["DATABASE_URL"]))


# -- parity: both sides stored the same values ----------------------------------------------

#: The order's values compared (besides its customer, channel, suspected original and lines).
ORDER_FIELDS = ("order_date", "due_date", "currency", "exchange_rate", "payment_terms", "advance_payment_required",
                "priority", "goods_amount", "shipping_fee", "order_discount", "amount", "amount_cny", "total_qty",
                "has_special_process", "cost", "gross_margin",
                "margin_rate", "days_to_due", "priority_score", "shipping_address", "remarks", "intake_status",
                "hold_reason", "checkout_id", "status", "qc_status", "payment_status")
LINE_FIELDS = ("description", "qty", "unit", "unit_price", "discount_pct", "amount", "cost_amount",
               "has_special_process")
CUSTOMER_FIELDS = ("payments_due", "payments_on_time", "on_time_rate", "orders_12m", "avg_margin", "score", "grade")


def _same_form(value: Any) -> Any:
    """One representation for both sides: numbers as Decimal, dates as ISO text."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    if isinstance(value, date):
        return value.isoformat()
    return value


def _stored(conn: sa.Connection, order_rows: sa.Select, line_rows: sa.Select, customer_rows: sa.Select
            ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Orders by external id (their lines under ``lines``) and customers by phone, in one form."""
    orders, by_id = {}, {}
    for row in conn.execute(order_rows).mappings():
        record = {k: _same_form(v) for k, v in row.items() if k != "id"}
        record["lines"] = []
        orders[row["external_order_id"]] = by_id[row["id"]] = record
    for row in conn.execute(line_rows).mappings():
        by_id[row["order_id"]]["lines"].append({k: _same_form(v) for k, v in row.items() if k != "order_id"})
    customers = {row["phone"]: {k: _same_form(v) for k, v in row.items()}
                 for row in conn.execute(customer_rows).mappings()}
    return orders, customers


def stored_ours(runtime: Runtime) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    t = runtime.snapshot().tables
    order, line, customer, channel, product = (t[k] for k in ("order", "order_line", "customer", "channel",
                                                               "product"))
    original = order.alias("original")
    order_rows = sa.select(
        order.c.id, order.c.external_order_id, customer.c.phone.label("customer"),
        channel.c.channel_code.label("channel"), original.c.external_order_id.label("possible_duplicate_of"),
        *(order.c[f] for f in ORDER_FIELDS),
    ).select_from(order.join(customer, customer.c.id == order.c.customer)
                  .outerjoin(channel, channel.c.id == order.c.channel)
                  .outerjoin(original, original.c.id == order.c.possible_duplicate_of))
    line_rows = (sa.select(line.c.parent_id.label("order_id"), product.c.sku.label("product"),
                           *(line.c[f] for f in LINE_FIELDS))
                 .join(product, product.c.id == line.c.product).order_by(line.c.parent_id, line.c.idx))
    customer_rows = sa.select(customer.c.phone, *(customer.c[f] for f in CUSTOMER_FIELDS))
    with runtime.db.read() as conn:
        return _stored(conn, order_rows, line_rows, customer_rows)


def stored_baseline(url: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    order, line, customer, channel, product = (baseline.orders, baseline.order_line, baseline.customer,
                                               baseline.channel, baseline.product)
    original = order.alias("original")
    order_rows = sa.select(
        order.c.id, order.c.external_order_id, customer.c.phone.label("customer"), channel.c.code.label("channel"),
        original.c.external_order_id.label("possible_duplicate_of"), *(order.c[f] for f in ORDER_FIELDS),
    ).select_from(order.join(customer, customer.c.id == order.c.customer_id)
                  .outerjoin(channel, channel.c.id == order.c.channel_id)
                  .outerjoin(original, original.c.id == order.c.possible_duplicate_of))
    line_rows = (sa.select(line.c.order_id, product.c.sku.label("product"), *(line.c[f] for f in LINE_FIELDS))
                 .join(product, product.c.id == line.c.product_id).order_by(line.c.order_id, line.c.idx))
    customer_rows = sa.select(customer.c.phone, *(customer.c[f] for f in CUSTOMER_FIELDS))
    engine = baseline.engine_for(url)
    try:
        with engine.begin() as conn:
            return _stored(conn, order_rows, line_rows, customer_rows)
    finally:
        engine.dispose()


def _on_both(what: str, ours: dict[str, Any], base: dict[str, Any], differences: list[str]
             ) -> Iterator[tuple[str, Any, Any]]:
    """(key, ours, baseline) for each key stored on both sides; a key on one side only is noted in
    ``differences``."""
    for key in sorted(ours.keys() | base.keys()):
        a, b = ours.get(key), base.get(key)
        if a is None or b is None:
            differences.append(f"{what} {key}: only on {'sunmao' if b is None else 'the baseline'}")
        else:
            yield key, a, b


def _unequal(label: str, ours: dict[str, Any], base: dict[str, Any], skip: str = "") -> list[str]:
    return [f"{label} {key}: sunmao {ours[key]!r}, baseline {base[key]!r}"
            for key in ours if key != skip and ours[key] != base[key]]


def parity(runtime: Runtime, base_url: str, journal_rows: dict[str, dict[str, int]]) -> tuple[str, list[str]]:
    """(the summary line, the differences) between what Sunmao and the baseline stored."""
    ours_orders, ours_customers = stored_ours(runtime)
    base_orders, base_customers = stored_baseline(base_url)
    differences = [f"{kind}: sunmao {journal_rows['sunmao'][kind]}, baseline {journal_rows['baseline'][kind]}"
                   for kind in ("audit", "outbox") if journal_rows["sunmao"][kind] != journal_rows["baseline"][kind]]
    orders = lines = 0
    for external, ours, base in _on_both("order", ours_orders, base_orders, differences):
        orders += 1
        lines += len(ours["lines"])
        differences += _unequal(f"order {external}", ours, base, skip="lines")
        if len(ours["lines"]) != len(base["lines"]):
            differences.append(f"order {external}: {len(ours['lines'])} lines on sunmao, {len(base['lines'])} on "
                               "the baseline")
            continue
        for i, (a, b) in enumerate(zip(ours["lines"], base["lines"], strict=True)):
            differences += _unequal(f"order {external} line {i}", a, b)
    customers = 0
    for phone, ours, base in _on_both("customer", ours_customers, base_customers, differences):
        customers += 1
        differences += _unequal(f"customer {phone}", ours, base)
    verdict = "all equal" if not differences else f"{len(differences)} differences"
    return f"parity: {orders} orders, {lines} lines, {customers} customers compared — {verdict}", differences


# -- driving --------------------------------------------------------------------------------

class Rejected(RuntimeError):
    pass


def _accepted(status: int, body: bytes) -> None:
    if status != 200 or json.loads(body).get("status") != "processed":
        raise Rejected(f"{status} {body[:400]!r}")


def drive_in_process(wsgi: Any, items: list[Delivery]) -> tuple[float, list[float]]:
    """Each delivery through the WSGI stack with werkzeug's test client; (wall seconds, latencies)."""
    client = Client(wsgi)
    latencies = []
    started = time.perf_counter()
    for body, headers in items:
        t0 = time.perf_counter()
        response = client.post(PATH, data=body, headers=headers)
        latencies.append(time.perf_counter() - t0)
        _accepted(response.status_code, response.get_data())
    return time.perf_counter() - started, latencies


def drive_http(port: int, items: list[Delivery], threads: int = CLIENT_THREADS) -> tuple[float, list[float]]:
    """``threads`` keep-alive connections taking deliveries from one shared list."""
    latencies: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    it = iter(items)

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            while True:
                with lock:
                    item = next(it, None)
                if item is None or errors:
                    return
                body, headers = item
                t0 = time.perf_counter()
                conn.request("POST", PATH, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - t0
                if response.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                _accepted(response.status, data)
                with lock:
                    latencies.append(elapsed)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            errors.append(exc)
        finally:
            conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall, latencies


def server_cpu(master: int) -> float:
    """CPU seconds used so far by a gunicorn master and its workers (Linux ``/proc``)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(app: str, env: dict[str, str], threads: int = 4) -> Iterator[tuple[int, int]]:
    """``gunicorn -k gthread --threads 4 -w 1`` on a free port of 127.0.0.1; (port, master pid), stopped on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", str(threads), "-w", "1",
         "-b", f"127.0.0.1:{port}",
         "--pythonpath", str(BENCH), "--log-level", "warning", app],
        env={**os.environ, **env}, cwd=BENCH.parent)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited with {proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def statement_counter() -> Iterator[dict[str, int]]:
    """Counts SQL statements and write transactions (``BEGIN IMMEDIATE``) on every engine, at the
    driver (``sqlite3``'s trace callback): statements that Sunmao runs on the cursor directly
    (``storage/_prepared.py``) never pass SQLAlchemy's events, so those would undercount."""
    counts = {"statements": 0, "writes": 0, "reads": 0}

    def trace(statement: str) -> None:
        if statement.startswith(("COMMIT", "ROLLBACK")):
            return  # the end of a transaction, not a statement of its own (as before)
        counts["statements"] += 1
        if statement.startswith("BEGIN IMMEDIATE"):
            counts["writes"] += 1

    def on_checkout(dbapi_connection, *args):  # type: ignore[no-untyped-def]
        counts["reads"] += 1
        dbapi_connection.set_trace_callback(trace)

    def on_checkin(dbapi_connection, *args):  # type: ignore[no-untyped-def]
        if dbapi_connection is not None:
            dbapi_connection.set_trace_callback(None)

    event.listen(sa.pool.Pool, "checkout", on_checkout)
    event.listen(sa.pool.Pool, "checkin", on_checkin)
    try:
        yield counts
    finally:
        event.remove(sa.pool.Pool, "checkout", on_checkout)
        event.remove(sa.pool.Pool, "checkin", on_checkin)


# -- reporting ------------------------------------------------------------------------------

def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def figures(n: int, wall: float, latencies: list[float]) -> tuple[float, float, float]:
    return n / wall, 1000 * pct(latencies, 0.50), 1000 * pct(latencies, 0.95)


#: Stages of our path, timed without a profiler by wrapping the engine's functions in this
#: process only: (label, module, qualified name). Indented labels are part of the line above;
#: a name that no longer exists is skipped.
STAGES: list[tuple[str, str, str]] = [
    ("receive() — the intake, inside the Flask view", "sunmao.hooks.inbound.intake", "receive"),
    ("  auth.verify — HMAC check", "sunmao.hooks.inbound.auth", "verify"),
    ("    SecretStore.accepted — one secret read", "sunmao.jobs.secrets", "SecretStore.accepted"),
    ("  parse_json — body parsed once (ping rules, then the order)", "sunmao.hooks.inbound.intake", "parse_json"),
    ("  store.insert — delivery row claiming its key", "sunmao.hooks.inbound.store", "insert"),
    ("  place_order", "sunmao.hooks.inbound.orders", "place_order"),
    ("    map_order — mapping, cleaning, SKU lookup", "sunmao.hooks.inbound.mapping", "map_order"),
    ("    customers.decide — match by phone", "sunmao.hooks.inbound.customers", "decide"),
    ("    _existing_order — same external id before?", "sunmao.hooks.inbound.orders", "_existing_order"),
    ("    find_duplicate — other channels", "sunmao.hooks.inbound.duplicates", "find_duplicate"),
    ("    RecordService.create — the order", "sunmao.records.service", "RecordService.create"),
    ("      parse — marshmallow, order and lines", "sunmao.records.parse", "parse"),
    ("      prefetch — linked rows not known yet, one query per entity", "sunmao.records.defaults", "prefetch"),
    ("      complete — defaults, formulas, rules", "sunmao.records.defaults", "complete"),
    ("      checks.links", "sunmao.records.checks", "links"),
    ("      next_names — SO-YYYYMM-#####", "sunmao.records.naming", "next_names"),
    ("      persist.insert — order row and line rows", "sunmao.records.persist", "insert"),
    ("      journal.add — audit + outbox rows made", "sunmao.records.journal", "add"),
    ("      propagate — customer roll-ups updated", "sunmao.records.lifecycle", "propagate"),
    ("        rollup_values — roll-up query", "sunmao.records.defaults", "rollup_values"),
    ("      journal.write — audit + outbox inserts", "sunmao.records.journal", "write"),
    ("  store.finish — outcome", "sunmao.hooks.inbound.store", "finish"),
]


@contextmanager
def stage_timers() -> Iterator[dict[str, list[float]]]:
    """Wrap each stage's function (and every ``sunmao`` module's name bound to it); restore on exit."""
    spent: dict[str, list[float]] = {}
    restore: list[tuple[Any, str, Any]] = []

    def timed(label: str, fn: Any) -> Any:
        depth = [0]
        totals = spent.setdefault(label, [0.0, 0.0])  # seconds, calls

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    totals[0] += time.perf_counter() - started
                    totals[1] += 1
        return wrapper

    for label, module_name, qualname in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        original = getattr(owner, name, None)
        if original is None:
            continue
        wrapped = timed(label, original)
        targets = [(owner, name)]
        if not path:  # a module function: also the names other modules imported it under
            targets += [(m, attr) for m in list(sys.modules.values())
                        if getattr(m, "__name__", "").startswith("sunmao") and m is not owner
                        for attr, value in list(vars(m).items()) if value is original]
        for target, attr in targets:
            restore.append((target, attr, original))
            setattr(target, attr, wrapped)
    try:
        yield spent
    finally:
        for target, attr, original in reversed(restore):
            setattr(target, attr, original)


def stage_report(wsgi: Any, items: list[Delivery]) -> list[str]:
    with stage_timers() as spent:
        wall, _ = drive_in_process(wsgi, items)
    n = len(items)
    out = [f"stages of ours in process, {n} orders, no profiler ({1000 * wall / n:.2f} ms/order wall; "
           "indented lines are part of the line above):"]
    for label, _module, _name in STAGES:
        if label in spent and spent[label][1]:
            seconds, calls = spent[label]
            out.append(f"  {label:56s} {1000 * seconds / n:7.3f} ms/order {100 * seconds / wall:5.1f} %"
                       f"  ({calls / n:.1f} calls/order)")
    return out


#: Totals from cProfile: (label, file suffix, function name).
PROFILE_TOTALS: list[tuple[str, str, str]] = [
    ("Prepared.execute, statements on the driver's cursor", "sunmao/storage/_prepared.py", "execute"),
    ("SQLAlchemy Connection.execute, the other statements", "sqlalchemy/engine/base.py", "execute"),
    ("  sqlite3 Cursor.execute (the database's own work)", "~", "<method 'execute' of 'sqlite3.Cursor' objects>"),
    ("  sqlite3 Cursor.fetchall and fetchone", "~", "<method 'fetchall' of 'sqlite3.Cursor' objects>"),
    ("  sqlite3 Connection.commit", "~", "<method 'commit' of 'sqlite3.Connection' objects>"),
    ("  statement cache keys (_generate_cache_key)", "sqlalchemy/sql/cache_key.py", "_generate_cache_key"),
    ("statement building (coercions.expect, outside execute too)", "sqlalchemy/sql/coercions.py", "expect"),
    ("marshmallow Schema.load", "marshmallow/schema.py", "load"),
]


def profile_report(wsgi: Any, items: list[Delivery]) -> list[str]:
    profiler = cProfile.Profile()
    client = Client(wsgi)
    profiler.enable()
    started = time.perf_counter()
    for body, headers in items:
        response = client.post(PATH, data=body, headers=headers)
        _accepted(response.status_code, response.get_data())
    total = time.perf_counter() - started
    profiler.disable()
    raw = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    n = len(items)
    out = [f"cProfile of ours in process, {n} orders ({1000 * total / n:.2f} ms/order with the profiler's overhead):"]
    for label, suffix, name in PROFILE_TOTALS:
        found = [(ct, nc) for (filename, _line, func), (_cc, nc, _tt, ct, _callers) in raw.items()
                 if func == name and filename.endswith(suffix)]
        if found:  # several functions of one name may call each other: the outermost one counts
            cum, calls = max(found)
            out.append(f"  {label:58s} {1000 * cum / n:7.3f} ms/order {100 * cum / total:5.1f} %"
                       f"  ({calls / n:.1f} calls/order)")
    out.append("  top functions by own time:")
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in sorted(raw.items(), key=lambda kv: kv[1][2],
                                                                       reverse=True)[:15]:
        where = filename.split("site-packages/")[-1].split("platform/")[-1]
        out.append(f"  {1000 * tt / n:7.3f} ms/order own {1000 * ct / n:7.3f} cum {nc / n:6.1f} calls  "
                   f"{func} ({where}:{line})")
    return out


# -- main -----------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few orders: only shows that it runs")
    parser.add_argument("--orders", type=int, default=60 if QUICK else 2000, help="timed orders in process, per side")
    parser.add_argument("--http-orders", type=int, default=40 if QUICK else 1000,
                        help="timed orders over HTTP, per side")
    parser.add_argument("--warmup", type=int, default=10 if QUICK else 200, help="untimed orders before each timed run")
    parser.add_argument("--customers", type=int, default=50 if QUICK else 1000)
    parser.add_argument("--products", type=int, default=20 if QUICK else 200)
    parser.add_argument("--profile-orders", type=int, default=0 if QUICK else 300, help="0: no profile")
    args = parser.parse_args()
    began = time.perf_counter()
    rng = random.Random(20261125)
    products, customers = seed_data(rng, args.customers, args.products)
    plan = [("warm in process", args.warmup), ("in process", args.orders), ("warm HTTP", args.warmup),
            ("HTTP", args.http_orders), ("count", 20), ("stages", args.profile_orders),
            ("profile", args.profile_orders)]
    batches: dict[str, list[Delivery]] = {}
    next_id = 100_001
    for name, count in plan:
        batches[name] = deliveries(rng, next_id, count, products, customers)
        next_id += count
    # what each side was sent before profiling (baseline-min: in process only)
    sent = {"sunmao": sum(len(batches[name]) for name, _ in plan if name not in ("stages", "profile"))}
    sent["baseline"] = sent["sunmao"]
    sent["baseline-min"] = sum(len(batches[name]) for name in ("warm in process", "in process", "count"))

    results: dict[tuple[str, str], tuple[float, float, float]] = {}
    cpu_use: dict[tuple[str, str], tuple[float, float]] = {}  # (CPU seconds, wall seconds) of the timed run
    with tempfile.TemporaryDirectory() as tmp:
        ours_url, base_url, min_url = (f"sqlite:///{tmp}/{name}.db" for name in ("sunmao", "baseline", "minimal"))
        t0 = time.perf_counter()
        runtime = setup_ours(ours_url, products, customers)
        baseline.setup(base_url, products, customers)
        baseline.setup(min_url, products, customers)
        print(f"seeded {len(products)} products and {len(customers)} customers on every side "
              f"in {time.perf_counter() - t0:.1f} s", flush=True)
        seeded = {"sunmao": count_ours(runtime), "baseline": baseline.count_rows(base_url),
                  "baseline-min": baseline.count_rows(min_url)}
        ours = create_wsgi(runtime)
        theirs = baseline.create_app(base_url, SHOP_SECRET)
        minimal = baseline.create_app(min_url, SHOP_SECRET, minimal=True)
        sides = (("baseline", theirs), ("baseline-min", minimal), ("sunmao", ours))

        # 1-2. in process: the sides take turns, so a slow moment of the machine hits each of them
        for _side, wsgi in sides:
            drive_in_process(wsgi, batches["warm in process"])
        spent = {side: [0.0, 0.0, []] for side, _ in sides}  # wall, CPU, latencies
        timed = batches["in process"]
        step = max(1, len(timed) // ROUNDS)
        for start in range(0, len(timed), step):
            for side, wsgi in sides:
                cpu = time.process_time()
                wall, lat = drive_in_process(wsgi, timed[start:start + step])
                spent[side][0] += wall
                spent[side][1] += time.process_time() - cpu
                spent[side][2] += lat
        for side, (wall, cpu, lat) in spent.items():
            cpu_use[("in process", side)] = (cpu, wall)
            results[("in process", side)] = figures(len(lat), wall, lat)
            print(f"  in process {side}: {wall:.1f} s in {ROUNDS} turns", flush=True)

        # 3. over HTTP, one server at a time
        for side, app, url in (("baseline", "_intake_baseline:baseline_wsgi()", base_url),
                               ("sunmao", "intake:ours_wsgi()", ours_url)):
            env = {"DATABASE_URL": url, "BENCH_SHOP_SECRET": SHOP_SECRET, "SUNMAO_JOBS": "off"}
            with gunicorn(app, env) as (port, pid):
                drive_http(port, batches["warm HTTP"])
                cpu = server_cpu(pid)
                wall, lat = drive_http(port, batches["HTTP"])
                cpu = server_cpu(pid) - cpu
            results[("HTTP", side)] = figures(len(lat), wall, lat)
            cpu_use[("HTTP", side)] = (cpu, wall)
            print(f"  HTTP {side}: done in {wall:.1f} s", flush=True)

        # what one order costs in SQL, and the rows each side wrote
        per_order: dict[str, dict[str, float]] = {}
        for side, wsgi in sides:
            with statement_counter() as counts:
                drive_in_process(wsgi, batches["count"])
            per_order[side] = {k: v / len(batches["count"]) for k, v in counts.items()}
        rows = {"sunmao": count_ours(runtime), "baseline": baseline.count_rows(base_url),
                "baseline-min": baseline.count_rows(min_url)}
        written = {side: {k: v - seeded[side][k] for k, v in counts.items()} for side, counts in rows.items()}

        # the proof that the figures compare equal work
        same, differences = parity(runtime, base_url, written)
        print(same, flush=True)
        if differences:
            print("\n".join(f"  {d}" for d in differences[:10]))
            if len(differences) > 10:
                print(f"  … and {len(differences) - 10} more")
            runtime.db.dispose()
            sys.exit("the sides did not store the same values: their figures would compare unequal work")

        profile = []
        if args.profile_orders:
            profile = stage_report(ours, batches["stages"]) + [""] + profile_report(ours, batches["profile"])
        runtime.db.dispose()

    print()
    print(f"web-shop intake, SQLite (WAL), {len(products)} products, {len(customers)} customers; "
          f"{args.orders} orders in process, {args.http_orders} over HTTP "
          f"(gunicorn gthread 1×4, {CLIENT_THREADS} keep-alive client threads); {os.cpu_count()} CPUs")
    print(f"{'path':12s} {'side':12s} {'orders/s':>9s} {'p50 ms':>8s} {'p95 ms':>8s} {'CPU ms/order':>13s} "
          f"{'CPU busy':>9s}")
    for mode, mode_sides in (("in process", ("sunmao", "baseline", "baseline-min")), ("HTTP", ("sunmao", "baseline"))):
        for side in mode_sides:
            rate, p50, p95 = results[(mode, side)]
            cpu, wall = cpu_use[(mode, side)]
            n = args.orders if mode == "in process" else args.http_orders
            print(f"{mode:12s} {side:12s} {rate:9.0f} {p50:8.2f} {p95:8.2f} {1000 * cpu / n:13.2f} "
                  f"{100 * cpu / wall:8.0f}%")
    print("(CPU: in process, the whole bench process; over HTTP, the gunicorn processes only; busy = CPU / wall)")
    print()
    for mode in ("in process", "HTTP"):
        ours_rate, ours_p50, _ = results[(mode, "sunmao")]
        base_rate, base_p50, _ = results[(mode, "baseline")]
        ratio = base_rate / ours_rate
        verdict = "met" if ratio <= GOAL_RATIO else "NOT met"
        print(f"ratio ours/baseline, time per order, {mode:10s}: {ratio:5.2f}x  (p50 {ours_p50 / base_p50:.2f}x)"
              f"  goal ≤ {GOAL_RATIO}x: {verdict}")
        report(f"web-shop intake {mode}: orders/s vs the same-work Flask endpoint", ours_rate, "orders/s",
               baseline=base_rate, ratio=ratio, goal=f"≤ {GOAL_RATIO}× its time per order", met=ratio <= GOAL_RATIO)
    ours_rate, ours_p50, _ = results[("in process", "sunmao")]
    min_rate, min_p50, _ = results[("in process", "baseline-min")]
    print(f"ratio ours/baseline-min (rows only, less work), in process: {min_rate / ours_rate:5.2f}x  "
          f"(p50 {ours_p50 / min_p50:.2f}x)")
    verdict = "met" if ours_rate >= GOAL_RATE else "NOT met"
    print(f"ours in process: {ours_rate:.0f} orders/s; goal ≥ {GOAL_RATE:.0f}/s: {verdict}")
    report("web-shop intake in process, full work", ours_rate, "orders/s", baseline=min_rate,
           ratio=min_rate / ours_rate, goal=f"≥ {GOAL_RATE:.0f} orders/s", met=ours_rate >= GOAL_RATE)
    print()
    print("per order:        SQL statements (incl. BEGIN)  write transactions  pool checkouts")
    for side in ("sunmao", "baseline", "baseline-min"):
        c = per_order[side]
        print(f"  {side:12s} {c['statements']:28.1f} {c['writes']:19.1f} {c['reads']:15.1f}")
    print(f"rows written per order ({sent['sunmao']} orders sent to sunmao and the baseline, {sent['baseline-min']} to "
          "baseline-min, before profiling):")
    for side in ("sunmao", "baseline", "baseline-min"):
        print(f"  {side:12s} " + "  ".join(f"{k} {v / sent[side]:.2f}" for k, v in written[side].items()))
    print(same)
    if profile:
        print()
        print("\n".join(profile))
    print(f"\ntotal run time {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
