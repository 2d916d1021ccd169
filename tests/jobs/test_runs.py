"""Enqueued jobs: by name with JSON arguments, durable, retried with backoff, dead after their attempts."""

from __future__ import annotations

import time
import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from sunmao.jobs import JobContext, enqueue, job
from sunmao.jobs.registry import UnknownJob
from sunmao.jobs.tables import job_run
from sunmao.runtime import Runtime
from tests.outbound.helpers import drive

CALLS: dict[str, list[float]] = {}


@job("tests.flaky", max_attempts=3, backoff=0.2, backoff_cap=1.0)
def flaky(ctx: JobContext, tag: str, fail_times: int) -> None:
    """Fails ``fail_times`` times, then succeeds; records when it was called."""
    CALLS.setdefault(tag, []).append(time.monotonic())
    assert ctx.attempt == len(CALLS[tag])
    if len(CALLS[tag]) <= fail_times:
        raise RuntimeError(f"failure {len(CALLS[tag])} of {fail_times}")


def _run(runtime: Runtime, run_id: int) -> dict:
    with runtime.db.read() as conn:
        return dict(conn.execute(sa.select(job_run).where(job_run.c.id == run_id)).mappings().one())


def test_a_failing_job_is_retried_with_backoff_then_succeeds(runtime: Runtime) -> None:
    tag = uuid.uuid4().hex
    run_id = enqueue(runtime.db, "tests.flaky", {"tag": tag, "fail_times": 2})
    drive(runtime, lambda: _run(runtime, run_id)["status"] == "succeeded")
    calls = CALLS[tag]
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.1 and calls[2] - calls[1] >= 0.2  # 0.2 s doubling, half of it fixed
    assert _run(runtime, run_id)["attempts"] == 3


def test_a_job_that_keeps_failing_is_dead_with_its_error(runtime: Runtime) -> None:
    tag = uuid.uuid4().hex
    run_id = enqueue(runtime.db, "tests.flaky", {"tag": tag, "fail_times": 99})
    drive(runtime, lambda: _run(runtime, run_id)["status"] == "dead")
    run = _run(runtime, run_id)
    assert run["attempts"] == 3 and "failure 3 of 99" in run["last_error"]


def test_enqueue_inside_a_transaction_shares_its_fate(runtime: Runtime) -> None:
    with pytest.raises(RuntimeError), runtime.db.write() as conn:
        enqueue(conn, "tests.flaky", {"tag": "never", "fail_times": 0})
        raise RuntimeError("the change is rolled back")
    with runtime.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(job_run)).scalar() == 0


def test_dedup_key_queues_a_job_once(runtime: Runtime) -> None:
    first = enqueue(runtime.db, "tests.flaky", {"tag": "d", "fail_times": 0}, dedup_key="nightly:2026-11-25")
    second = enqueue(runtime.db, "tests.flaky", {"tag": "d", "fail_times": 0}, dedup_key="nightly:2026-11-25")
    assert first is not None and second is None


def test_jobs_are_named_and_take_json_arguments(runtime: Runtime) -> None:
    with pytest.raises(UnknownJob, match="tests.flaky"):
        enqueue(runtime.db, "tests.nope")
    with pytest.raises(TypeError, match="plain JSON"):
        enqueue(runtime.db, "tests.flaky", {"tag": "x", "fail_times": 0, "when": date.today()})
