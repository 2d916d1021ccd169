"""With Redis unreachable, requests stay fast and the work waits in the database."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from sunmao.jobs import RQRunner, RunnerUnavailable, enqueue, job
from sunmao.jobs.pump import Pump
from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.jobs.settings import JobSettings
from sunmao.jobs.work import WorkItem
from sunmao.runtime import Runtime
from tests.conftest import make_api
from tests.outbound.helpers import add_documents, http_hook, statuses


@job("tests.later")
def later(ctx: object) -> None:
    """Never runs in these tests: there is no runner."""


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """Redis being down is what is tested, not the database; SQLite only."""
    return f"sqlite:///{tmp_path / 'sunmao.db'}"


@pytest.fixture
def dead_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    """A Redis URL where nothing listens (a port that was free a moment ago)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    monkeypatch.setenv("REDIS_URL", url)
    return url


def test_api_writes_return_quickly_when_redis_is_down(lab: Runtime, dead_redis: str) -> None:
    api = make_api(lab, "clerk1", ["admin"])
    assert api.post("/api/v1/widget", json={"title": "warm-up"}).status_code == 201
    for i in range(3):
        started = time.perf_counter()
        response = api.post("/api/v1/widget", json={"title": f"w{i}"})
        elapsed = time.perf_counter() - started
        assert response.status_code == 201
        assert elapsed < 1.0, f"a create took {elapsed:.2f} s with Redis down"
    started = time.perf_counter()
    assert enqueue(lab.db, "tests.later") is not None
    assert time.perf_counter() - started < 1.0


def test_a_pump_with_redis_down_dispatches_and_keeps_the_work(lab: Runtime, lab_dir: Path, dead_redis: str) -> None:
    secret_store(lab.db).set("erp_hook", generate_webhook_secret())
    add_documents(lab_dir, {"webhooks/erp.json": http_hook("erp", "http://127.0.0.1:9/never")})
    lab.install_app(lab_dir)
    lab.records().create_many("widget", [{"title": f"w{i}"} for i in range(5)])
    runner = RQRunner(dead_redis, "sunmao-test", lease=30)
    started = time.perf_counter()
    with pytest.raises(RunnerUnavailable, match="Redis is unreachable"):
        runner.submit_many([WorkItem("delivery", 1, "t")])
    report = Pump(lab, runner, JobSettings(redis_url=dead_redis, lease=30)).run_once()
    assert time.perf_counter() - started < 2.0
    assert report.dispatched == 5 and report.runner_down and report.submitted == 0
    assert statuses(lab) == ["pending"] * 5  # recorded, waiting for Redis; nothing lost, nothing attempted
