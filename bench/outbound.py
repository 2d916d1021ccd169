"""Outbound deliveries: events per second from the outbox to a receiver on 127.0.0.1.

Measures, on SQLite in a temporary directory, with the embedded runner (4 threads):

- the whole path — dispatch (outbox → delivery rows), reserve, sign, POST, record — for
  N events created in one burst: deliveries per second and p50/p95 from commit to success;
- beside it, in the same run, the bare cost of the same N signed POSTs sent by 4 threads
  with no bookkeeping at all: the price of "nothing is lost" is the ratio between the two.

Run: ``.venv/bin/python bench/outbound.py [N]`` (default 500). Prints figures; asserts nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

os.environ.setdefault("SUNMAO_SECRET_KEY", Fernet.generate_key().decode())

from _results import QUICK, report

from sunmao import assembly
from sunmao.hooks.outbound.signing import standard_webhook_headers  # noqa: E402
from sunmao.hooks.outbound.tables import delivery  # noqa: E402
from sunmao.jobs.pump import Pump  # noqa: E402
from sunmao.jobs.runners import EmbeddedRunner  # noqa: E402
from sunmao.jobs.secrets import generate_webhook_secret, secret_store  # noqa: E402
from sunmao.jobs.settings import JobSettings  # noqa: E402
from sunmao.storage import system as sm  # noqa: E402

THREADS = 4


class _Sink(BaseHTTPRequestHandler):
    count = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Sink.lock:
            _Sink.count += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _app(directory: Path, url: str) -> Path:
    docs = {
        "app.json": {"kind": "app", "key": "bench", "version": "1.0.0", "label": {"zh": "基准", "en": "Bench"},
                     "documents": ["entities/ticket.json", "webhooks/sink.json"]},
        "entities/ticket.json": {"kind": "entity", "key": "ticket", "label": {"zh": "工单", "en": "Ticket"},
                                 "fields": [{"id": "f_title", "key": "title", "type": "string", "required": True,
                                             "label": {"zh": "标题", "en": "Title"}}]},
        "webhooks/sink.json": {"kind": "webhook", "key": "sink", "label": {"zh": "接收", "en": "Sink"},
                               "events": ["ticket.created"], "target": {"type": "http", "url": url, "secret": "sink"}},
    }
    for rel, doc in docs.items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return directory


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main(n: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    with tempfile.TemporaryDirectory() as tmp:
        runtime = assembly.runtime(f"sqlite:///{tmp}/bench.db", check_interval=0)
        runtime.setup()
        secret = generate_webhook_secret()
        secret_store(runtime.db).set("sink", secret)
        runtime.install_app(_app(Path(tmp) / "app", url))
        runtime.records().create_many("ticket", [{"title": f"t{i}"} for i in range(n)])

        settings = JobSettings(lease=60, poll_interval=0.05, threads=THREADS)
        runner = EmbeddedRunner(runtime, THREADS)
        pump = Pump(runtime, runner, settings)
        runner.on_room = pump.wake
        stop = threading.Event()
        started = time.perf_counter()
        thread = threading.Thread(target=pump.run_forever, args=(stop,), daemon=True)
        thread.start()
        while _Sink.count < n:
            time.sleep(0.005)
        whole = time.perf_counter() - started
        while not runner.idle():
            time.sleep(0.01)
        stop.set()
        pump.wake()
        thread.join()
        runner.shutdown()
        with runtime.db.read() as conn:
            rows = conn.execute(sa.select(sm.outbox.c.created_at, delivery.c.succeeded_at)
                                .join(delivery, delivery.c.event_id == sm.outbox.c.event_id)).all()
            bodies = list(conn.execute(sa.select(delivery.c.event_id, delivery.c.body)))
        latencies = [(done - created).total_seconds() for created, done in rows if done is not None]

        def post(item: tuple[str, str]) -> None:
            event_id, body = item
            headers = {"Content-Type": "application/json",
                       **standard_webhook_headers(secret, event_id, int(time.time()), body)}
            request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")  # noqa: S310
            urllib.request.urlopen(request, timeout=10).close()  # noqa: S310

        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(post, bodies))
        bare = time.perf_counter() - started
        runtime.db.dispose()
    server.shutdown()

    print(f"outbound deliveries, {n} events, SQLite, embedded runner ({THREADS} threads), receiver on 127.0.0.1")
    print(f"  whole path (dispatch, reserve, sign, POST, record): {n / whole:8.0f} deliveries/s "
          f"({whole:.2f} s; {len(latencies)} succeeded)")
    p50, p95 = _pct(latencies, 50) * 1000, _pct(latencies, 95) * 1000
    print(f"  commit → success latency: p50 {p50:.0f} ms, p95 {p95:.0f} ms"
          " (all events committed at once: includes queueing behind the burst)")
    print(f"  bare signed POSTs, same bodies, no bookkeeping: {n / bare:8.0f} requests/s ({bare:.2f} s)")
    print(f"  price of durability: {whole / bare:.2f}x the time of the bare POSTs")
    report(f"{n} outbound deliveries: whole path vs bare signed POSTs", n / whole, "deliveries/s", baseline=n / bare,
           ratio=whole / bare)
    report("outbound: commit → delivered latency, p95 (all committed at once)", p95, "ms")


if __name__ == "__main__":
    sizes = [a for a in sys.argv[1:] if a.isdigit()]
    main(int(sizes[0]) if sizes else 40 if QUICK else 500)
