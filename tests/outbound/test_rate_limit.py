"""The robots' rate limit: a sliding window in the database, shared by every worker, on both databases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sunmao.jobs.secrets import secret_store
from sunmao.runtime import Runtime
from tests.outbound.helpers import drive, install_hook, robot_hook, rows, statuses
from tests.outbound.receiver import Receiver


def test_wecom_rate_limit_is_never_exceeded_in_any_window(runtime: Runtime, lab_dir: Path, robots: Receiver,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    limit, window = 2, 1.0
    monkeypatch.setenv("SUNMAO_WECOM_RATE_LIMIT", str(limit))
    monkeypatch.setenv("SUNMAO_WECOM_RATE_WINDOW", str(window))
    monkeypatch.setenv("SUNMAO_ROBOT_RATE_MARGIN", "0.4")  # absorbs scheduling jitter on a busy machine
    secret_store(runtime.db).set("wecom_robot", "K")
    install_hook(runtime, lab_dir, robot_hook("wecom", "wecom", {"secret": "wecom_robot"},
                                          {"msgtype": "text", "content": "{{ record.title }}"}))
    runtime.records().create_many("widget", [{"title": f"w{i}"} for i in range(6)])
    started = time.monotonic()
    drive(runtime, lambda: statuses(runtime) == ["succeeded"] * 6)
    seen = robots.snapshot()
    assert sorted(r.json()["text"]["content"] for r in seen) == [f"w{i}" for i in range(6)]
    times = sorted(r.at for r in seen)
    for i, t in enumerate(times):
        in_window = [u for u in times[i:] if u < t + window]
        assert len(in_window) <= limit, f"{len(in_window)} messages within {window} s from {i}: {times}"
    assert time.monotonic() - started >= 2 * window  # six messages at two per window: queued, not dropped
    assert all(r["attempts"] == 1 for r in rows(runtime))  # waiting for a slot spends no attempt
