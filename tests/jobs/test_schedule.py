"""Scheduled jobs as metadata: cron checked at publish, each tick run once however many schedulers run."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from sunmao import assembly
from sunmao.jobs import JobContext, job
from sunmao.jobs.pump import Pump
from sunmao.jobs.runners import InlineRunner
from sunmao.jobs.schedule import tick
from sunmao.jobs.tables import job_run
from sunmao.meta.errors import MetadataError
from sunmao.runtime import Runtime
from tests.outbound.helpers import FAST, add_documents

TICKS: list[tuple[str, datetime | None]] = []
_lock = threading.Lock()


@job("tests.tick")
def tick_job(ctx: JobContext, tag: str) -> None:
    """Records which scheduled time it ran for."""
    with _lock:
        TICKS.append((tag, ctx.scheduled_for))


def job_doc(key: str, cron: str, **extra: object) -> dict:
    return {"kind": "job", "key": key, "label": {"zh": "测试", "en": "Test"}, "cron": cron, "job": "tests.tick",
            "args": {"tag": key}, **extra}


def test_an_invalid_cron_or_unknown_job_refuses_the_publish(runtime: Runtime, lab_dir: Path) -> None:
    add_documents(lab_dir, {"jobs/bad_cron.json": job_doc("bad_cron", "61 2 * * *"),
                            "jobs/no_job.json": {**job_doc("no_job", "0 2 * * *"), "job": "tests.nothing"},
                            "jobs/bad_tz.json": job_doc("bad_tz", "0 2 * * *", timezone="Mars/Olympus")})
    with pytest.raises(MetadataError) as caught:
        runtime.install_app(lab_dir)
    found = {(p.file, p.path) for p in caught.value.problems}
    assert found == {("lab/jobs/bad_cron.json", "$.cron"), ("lab/jobs/no_job.json", "$.job"),
                     ("lab/jobs/bad_tz.json", "$.timezone")}
    cron_problem = next(p for p in caught.value.problems if p.path == "$.cron")
    assert "61 2 * * *" in cron_problem.message and "30 2 * * *" in cron_problem.message  # says how to fix it


def test_each_tick_runs_once_with_two_schedulers(lab: Runtime, lab_dir: Path, db_url: str) -> None:
    tag = f"every_second_{db_url[:6]}"
    add_documents(lab_dir, {"jobs/every_second.json": job_doc("every_second", "* * * * * *", args={"tag": tag})})
    lab.install_app(lab_dir)
    stop = threading.Event()
    schedulers = [assembly.runtime(db_url, check_interval=0) for _ in range(2)]  # two processes' worth

    def scheduler(rt: Runtime) -> None:
        pump = Pump(rt, InlineRunner(rt), FAST)
        while not stop.is_set():
            pump.run_once()
            time.sleep(0.01)

    threads = [threading.Thread(target=scheduler, args=(rt,)) for rt in schedulers]
    for t in threads:
        t.start()
    time.sleep(3.2)
    stop.set()
    for t in threads:
        t.join(10)
    for rt in schedulers:
        rt.db.dispose()
    ran = [when for t, when in TICKS if t == tag]
    assert len(ran) >= 2 and len(ran) == len(set(ran))  # ticks ran, and none of them twice
    assert all(w.microsecond == 0 for w in ran)  # each run knows the tick it is for
    with lab.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(job_run)).scalar() == len(ran)


def test_missed_ticks_beyond_the_grace_and_disabled_jobs_do_not_run(lab: Runtime, lab_dir: Path) -> None:
    add_documents(lab_dir, {"jobs/yearly.json": job_doc("yearly", "0 0 1 1 *"),
                            "jobs/off.json": job_doc("off", "* * * * * *", enabled=False)})
    lab.install_app(lab_dir)
    assert tick(lab, datetime(2026, 6, 1, tzinfo=UTC)) == 0  # New Year was months ago
    assert tick(lab, datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC)) == 1  # 00:00:30 on 1 January in Shanghai
