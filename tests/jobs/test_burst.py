"""A worker SIGKILLed and Redis stopped and restarted in the middle of a burst of 1,000 orders: delivery
is delayed, nothing is lost — every event reaches the receiver (counted by distinct event id)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao.jobs import notify_work
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from tests.jobs.workers import WorkerProcess, created_event_ids, install_erp_hook, redis_up, start_redis, stop_redis
from tests.outbound.helpers import rows
from tests.outbound.receiver import Receiver


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL, as in production with Redis (the worker test runs on SQLite)."""
    return request.getfixturevalue("pg_schema_url")


def test_sigkill_and_redis_restart_during_a_burst_lose_nothing(lab: Runtime, lab_dir: Path, receiver: Receiver,
                                                               redis_url: str, rq_queue: str, db_url: str,
                                                               tmp_path: Path) -> None:
    install_erp_hook(lab, lab_dir, receiver)
    records = lab.records()
    first = WorkerProcess(db_url, redis_url, rq_queue, tmp_path, "first")
    second = None
    try:
        for batch in range(6):  # 600 orders while the first worker delivers
            records.create_many("widget", [{"title": f"a{batch}-{i}"} for i in range(100)])
            notify_work()
        receiver.wait_for(lambda rs: len({r.headers["webhook-id"] for r in rs}) >= 150, timeout=30)
        first.kill()  # SIGKILL mid-run: items claimed or queued in Redis are left hanging
        delivered_before = len({r.headers["webhook-id"] for r in receiver.snapshot()})
        stop_redis()  # the queue in Redis is gone for good (no persistence)
        for batch in range(4):  # 400 more while Redis is down: writes stay fast
            records.create_many("widget", [{"title": f"b{batch}-{i}"} for i in range(100)])
            started = time.perf_counter()
            notify_work()
            assert time.perf_counter() - started < 1.0
        second = WorkerProcess(db_url, redis_url, rq_queue, tmp_path, "second")  # starts while Redis is down
        time.sleep(1.0)
        start_redis()
        expected = created_event_ids(lab)
        assert len(expected) == 1000 and delivered_before < 1000
        try:
            seen = receiver.wait_for(lambda rs: {r.headers["webhook-id"] for r in rs} >= expected, timeout=90)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- first worker:\n{first.log()}\n--- second worker:\n{second.log()}"
                                 ) from None
    finally:
        first.kill()
        if second is not None:
            second.stop()
        if not redis_up():
            start_redis()
    received = {r.headers["webhook-id"] for r in seen}
    assert received == expected  # every event reached the receiver; duplicates from retries are allowed
    assert all(r["status"] == "succeeded" for r in rows(lab)) and len(rows(lab)) == 1000
    with lab.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).where(sm.outbox.c.dispatched_at.is_(None))).scalar() == 0
