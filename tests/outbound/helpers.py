"""Helpers shared by the outbound and jobs tests: apps with webhooks, driving the pump."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sunmao.hooks.outbound.tables import delivery
from sunmao.jobs.pump import Pump
from sunmao.jobs.runners import InlineRunner
from sunmao.jobs.settings import JobSettings
from sunmao.runtime import Runtime

FAST = JobSettings(lease=5.0, poll_interval=0.05, threads=4, batch=200)


def add_documents(app_dir: Path, docs: dict[str, dict[str, Any]]) -> None:
    """Write documents (path → document) into a package directory and list them in its app.json."""
    manifest_path = app_dir / "app.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    for rel, doc in docs.items():
        path = app_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
        if rel not in manifest["documents"]:
            manifest["documents"].append(rel)
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")


def http_hook(key: str, url: str, *, events: list[str] | None = None, secret: str = "erp_hook",  # noqa: S107
              retry: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"kind": "webhook", "key": key, "label": {"zh": "测试", "en": "Test"}, "events": events or ["widget.*"],
            "target": {"type": "http", "url": url, "secret": secret},
            "retry": retry or {"max_attempts": 5, "backoff_seconds": 0.2, "max_backoff_seconds": 1}, **extra}


def pump(runtime: Runtime) -> Pump:
    return Pump(runtime, InlineRunner(runtime), FAST)


def drive(runtime: Runtime, until: Callable[[], bool], timeout: float = 15.0) -> None:
    """Run pump passes (work performed inline) until ``until()`` holds."""
    p = pump(runtime)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p.run_once()
        if until():
            return
        time.sleep(0.02)
    raise AssertionError(f"condition not reached within {timeout} s; deliveries: {rows(runtime)}")


def rows(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(delivery).order_by(delivery.c.id)).mappings()]


def statuses(runtime: Runtime) -> list[str]:
    return [r["status"] for r in rows(runtime)]


FAST_RETRY = {"max_attempts": 4, "backoff_seconds": 0.05, "max_backoff_seconds": 0.2}


def robot_hook(key: str, kind: str, target: dict[str, Any], message: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "webhook", "key": key, "label": {"zh": "新部件通知", "en": "New widgets"},
            "events": ["widget.created"], "target": {"type": kind, **target}, "message": message,
            "retry": FAST_RETRY}


def install_hook(runtime: Runtime, lab_dir: Path, hook: dict[str, Any]) -> None:
    add_documents(lab_dir, {f"webhooks/{hook['key']}.json": hook})
    runtime.install_app(lab_dir)
