"""Signed orders over HTTP from several shops while the installation is hurt: a worker SIGKILLed and
restarted, Redis stopped and started, a web process SIGKILLed and restarted, PostgreSQL connections
terminated. A shop does what real shops do — it resends an order until it gets a 2xx. At the end
every order that got a 2xx is stored exactly once, its audit entry exists, its ``order.created``
event reached the ERP receiver (distinct event ids), and nothing is half-written.

Bounded for CI (two web processes, two workers, 4 shops × 30 orders, faults within ~10 s); the
printed line gives the counts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.storage import system as sm
from tests.conftest import PG_URL
from tests.inbound.conftest import Shop, dumps, woo_signature
from tests.inbound.payloads import woo_order
from tests.jobs.workers import redis_up, start_redis, stop_redis
from tests.outbound.helpers import http_hook
from tests.outbound.receiver import Receiver

SHOPS = 4
ORDERS_PER_SHOP = 30
PACE = 0.3  # seconds between a shop's orders: the run spans the faults


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL with Redis and several processes: the production shape."""
    return request.getfixturevalue("pg_schema_url")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A child process in a session of its own (SIGKILL reaches gunicorn's or RQ's children too)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], workdir: Path):
        self.name, self.command, self.env, self.workdir = name, command, env, workdir
        self.starts = 0
        self.start()

    def start(self) -> None:
        self.starts += 1
        self.log = (self.workdir / f"{self.name}-{self.starts}.log").open("wb")
        self.process = subprocess.Popen(self.command, env=self.env, cwd=self.workdir, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()

    def tail(self) -> str:
        return (self.workdir / f"{self.name}-{self.starts}.log").read_text(errors="replace")[-3000:]


def start_processes(workdir: Path, db_url: str, redis_url: str, queue: str, app_name: str,
                    extra_env: dict[str, str] | None = None) -> tuple[list[str], list[Proc], list[Proc]]:
    """Two gunicorn web processes (gthread) and two ``sunmao worker``s on one installation: the
    production shape. Returns the web URLs and the processes; the caller waits and stops them."""
    env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SUNMAO_QUEUE": queue,
           "SUNMAO_JOBS": "off", "SUNMAO_JOBS_POLL": "0.2", "PGAPPNAME": app_name, "PYTHONUNBUFFERED": "1",
           **(extra_env or {})}
    bin_dir = Path(sys.executable).parent
    ports = [_port(), _port()]
    webs = [Proc(f"web{i}", [str(bin_dir / "gunicorn"), "--worker-class", "gthread", "--workers", "1", "--threads",
                             "4", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                             "sunmao.wsgi:application"], env, workdir) for i, port in enumerate(ports)]
    workers = [Proc(f"worker{i}", [sys.executable, "-m", "sunmao.cli", "worker"], env, workdir) for i in range(2)]
    return [f"http://127.0.0.1:{p}" for p in ports], webs, workers


def _wait_healthy(url: str, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310 - 127.0.0.1 only
                return
        except OSError:
            if proc.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"{proc.name} did not start: {proc.tail()}") from None
            time.sleep(0.1)


def _send(url: str, body: bytes, delivery: str) -> int:
    headers = {"Content-Type": "application/json", "Accept-Language": "en", "X-WC-Webhook-Topic": "order.created",
               "X-WC-Webhook-Signature": woo_signature(body), "X-WC-Webhook-Delivery-ID": delivery}
    request = urllib.request.Request(f"{url}/hooks/web_shop", data=body, method="POST", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310 - 127.0.0.1 only
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0  # connection refused or reset: the web process is down


def test_orders_and_events_survive_killed_processes_redis_and_database_faults(
        shop: Shop, db_url: str, redis_url: str, rq_queue: str, receiver: Receiver, tmp_path: Path) -> None:
    runtime = shop.runtime
    secret_store(runtime.db).set("erp_hook", generate_webhook_secret())
    apps, texts = runtime.current_apps()
    apps["order_management"]["webhooks/erp_faults.json"] = http_hook(
        "erp_faults", receiver.url, events=["order.created"],
        retry={"max_attempts": 30, "backoff_seconds": 0.2, "max_backoff_seconds": 1})
    runtime.publish(apps, texts=texts)

    app_name = f"sunmao-faults-{uuid.uuid4().hex[:8]}"  # only these connections are terminated
    urls, webs, workers = start_processes(tmp_path, db_url, redis_url, rq_queue, app_name,
                                          {"SUNMAO_JOBS_LEASE": "3"})
    accepted: dict[int, int] = {}
    attempts: Counter[int] = Counter()
    stop_faults = threading.Event()
    try:
        for url, web in zip(urls, webs, strict=True):
            _wait_healthy(url, web)

        def shop_client(n: int) -> None:
            for k in range(ORDERS_PER_SHOP):
                order_id = 90000 + n * 1000 + k
                body = dumps(woo_order(order_id, lines=[("BLT-M8-30", 1000 + order_id % 997, 0.35)]))
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    attempts[order_id] += 1
                    status = _send(urls[(n + attempts[order_id]) % 2], body, f"d-{order_id}-{attempts[order_id]}")
                    if 200 <= status < 300:
                        accepted[order_id] = status
                        break
                    time.sleep(0.2)
                time.sleep(PACE)

        def faults() -> None:
            steps = [
                (1.0, lambda: workers[0].kill()), (1.5, workers[0].start),
                (2.5, stop_redis), (4.0, start_redis),
                (5.0, lambda: webs[0].kill()), (5.5, webs[0].start),
                (7.0, lambda: _terminate(app_name)), (8.5, lambda: _terminate(app_name)),
            ]
            began = time.monotonic()
            for at, step in steps:
                while time.monotonic() - began < at:
                    if stop_faults.wait(0.05):
                        return
                step()

        clients = [threading.Thread(target=shop_client, args=(n,)) for n in range(SHOPS)]
        chaos = threading.Thread(target=faults)
        chaos.start()
        for c in clients:
            c.start()
        for c in clients:
            c.join(timeout=300)
        chaos.join(timeout=60)
        start_redis()

        sent = SHOPS * ORDERS_PER_SHOP
        table = runtime.snapshot().tables["order"]
        with runtime.db.read() as conn:
            stored = Counter(conn.execute(sa.select(table.c.external_order_id)
                                          .where(table.c.deleted_at.is_(None))).scalars())
            created = dict(conn.execute(sa.select(sm.outbox.c.event_id, sm.outbox.c.record_id)
                                        .where(sm.outbox.c.topic == "order.created")).all())
            audited = set(conn.execute(sa.select(sm.audit.c.record_id).where(
                sm.audit.c.entity == "order", sm.audit.c.action == "created")).scalars())
        ids = {str(i) for i in accepted}
        duplicates = {k: v for k, v in stored.items() if v > 1}
        missing = ids - set(stored)
        receiver.wait_for(lambda rs: {r.headers["webhook-id"] for r in rs} >= set(created), timeout=90)
        delivered = {r.headers["webhook-id"] for r in receiver.snapshot()}
        with runtime.db.read() as conn:
            order_ids = set(conn.execute(sa.select(table.c.id)).scalars())
        print(f"\nfaults: sent {sent}, accepted {len(accepted)} (attempts {sum(attempts.values())}), stored "
              f"{sum(stored.values())}, duplicates {len(duplicates)}, missing {len(missing)}, events "
              f"{len(created)}, delivered {len(delivered & set(created))}, web restarts {webs[0].starts - 1}, "
              f"worker restarts {workers[0].starts - 1}")
        assert len(accepted) == sent, f"orders that never got a 2xx: {sorted(set(range(sent)) - set(accepted))[:5]}"
        assert not duplicates and not missing
        assert set(stored) == ids  # nothing stored that was not accepted
        assert set(created.values()) == order_ids  # one order.created event per stored order
        assert audited >= order_ids  # every order has its audit entry
        assert set(created) <= delivered  # every event reached the receiver
    finally:
        stop_faults.set()
        if not redis_up():
            start_redis()
        for proc in [*webs, *workers]:
            proc.kill(signal.SIGTERM)


def _terminate(app_name: str) -> None:
    """pg_terminate_backend on every connection the installation's processes hold (and no one else's)."""
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE application_name = :name AND pid <> pg_backend_pid()"), {"name": app_name})
    admin.dispose()
