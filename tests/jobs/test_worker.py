"""RQ on the real Redis: ``sunmao worker`` (a real subprocess) performs deliveries and jobs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao.jobs import enqueue, notify_work
from sunmao.jobs.tables import job_run
from sunmao.runtime import Runtime
from tests.jobs.workers import WorkerProcess, created_event_ids, install_erp_hook
from tests.outbound.receiver import Receiver


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite: the burst test runs workers on PostgreSQL."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


def test_worker_delivers_and_runs_jobs(lab: Runtime, lab_dir: Path, receiver: Receiver, redis_url: str,
                                       rq_queue: str, db_url: str, tmp_path: Path) -> None:
    install_erp_hook(lab, lab_dir, receiver)
    worker = WorkerProcess(db_url, redis_url, rq_queue, tmp_path)
    try:
        lab.records().create_many("widget", [{"title": f"w{i}"} for i in range(20)])
        notify_work()  # what the web layer does after a write: the worker's pump wakes at once
        run_id = enqueue(lab.db, "sunmao.prune", {"keep_days": 1})
        try:
            seen = receiver.wait_for(lambda rs: len({r.headers["webhook-id"] for r in rs}) == 20, timeout=30)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- worker:\n{worker.log()}") from None
        assert {r.headers["webhook-id"] for r in seen} == created_event_ids(lab)

        def prune_done() -> bool:
            with lab.db.read() as conn:
                return conn.execute(sa.select(job_run.c.status).where(job_run.c.id == run_id)).scalar() == "succeeded"

        deadline = time.monotonic() + 20
        while not prune_done():
            assert time.monotonic() < deadline, worker.log()
            time.sleep(0.05)
    finally:
        worker.stop()
    assert worker.process.returncode is not None
