"""Running ``sunmao worker`` as a real subprocess, and stopping or restarting Redis around it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from sunmao.jobs.redisconn import quick_client
from sunmao.jobs.secrets import generate_webhook_secret, secret_store
from sunmao.runtime import Runtime
from sunmao.storage import system as sm
from tests.outbound.helpers import add_documents, http_hook
from tests.outbound.receiver import Receiver


class WorkerProcess:
    def __init__(self, db_url: str, redis_url: str, queue: str, workdir: Path, name: str = "worker"):
        env = {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "SUNMAO_QUEUE": queue,
               "SUNMAO_JOBS_LEASE": "3", "SUNMAO_JOBS_POLL": "0.2", "PYTHONUNBUFFERED": "1"}
        self.log_path = workdir / f"{name}.log"
        self._log = self.log_path.open("wb")
        # A session of its own: SIGKILL reaches the worker and RQ's scheduler process alike.
        self.process = subprocess.Popen([sys.executable, "-m", "sunmao.cli", "worker"], env=env, cwd=workdir,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        """SIGKILL, mid-job: no cleanup of any kind."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self._log.close()

    def stop(self) -> None:
        """SIGTERM (RQ's warm shutdown), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        if not self._log.closed:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def redis_up(url: str = "redis://127.0.0.1:6379/0") -> bool:
    try:
        return bool(quick_client(url).ping())
    except Exception:  # noqa: BLE001 - down is down
        return False


def stop_redis() -> None:
    """The one way these tests stop Redis: a shutdown without saving (the queues are lost)."""
    subprocess.run(["redis-cli", "-p", "6379", "shutdown", "nosave"], capture_output=True, timeout=10)
    deadline = time.monotonic() + 10
    while redis_up() and time.monotonic() < deadline:
        time.sleep(0.05)


def start_redis() -> None:
    if redis_up():
        return
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "",
                    "--appendonly", "no"], check=True, capture_output=True, timeout=10)
    deadline = time.monotonic() + 10
    while not redis_up():
        if time.monotonic() > deadline:
            raise RuntimeError("Redis did not come back within 10 s")
        time.sleep(0.05)


def install_erp_hook(lab: Runtime, lab_dir: Path, receiver: Receiver) -> None:
    """The lab app with one signed HTTP webhook on ``widget.created`` pointing at ``receiver``."""
    secret_store(lab.db).set("erp_hook", generate_webhook_secret())
    add_documents(lab_dir, {"webhooks/erp.json": http_hook(
        "erp", receiver.url, events=["widget.created"],
        retry={"max_attempts": 20, "backoff_seconds": 0.2, "max_backoff_seconds": 1})})
    lab.install_app(lab_dir)


def created_event_ids(runtime: Runtime) -> set[str]:
    with runtime.db.read() as conn:
        return set(conn.execute(sa.select(sm.outbox.c.event_id).where(sm.outbox.c.topic == "widget.created"))
                   .scalars())
