"""The scheduled report of a board's ``late`` widget: an Excel file, and an event that webhooks send on.

``dashboards.report`` (a registered job, scheduled by a ``job`` document) lists the widget's late
records as the system sees them (everyone's), stores them as an ``.xlsx`` in the files store, and
emits the outbox event ``dashboards.report.<board>.<widget>`` with the count, the most late records,
a link to the board and to the file — a ``webhook`` document turns it into a WeCom robot message.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from datetime import UTC, datetime
from typing import Any

from sunmao.dashboards.service import DashboardService
from sunmao.dashboards.web import excel, late_table
from sunmao.jobs.registry import JobContext, job
from sunmao.records import SYSTEM, journal
from sunmao.storage import system as sm


def run_report(runtime: Any, board: str, widget: str, link_base: str | None = None, top: int = 10
               ) -> dict[str, Any]:
    service = DashboardService(runtime.records())
    found = service.board(board, SYSTEM)
    spec = found.widget(widget)
    if spec is None or spec.type != "late":
        raise LookupError(f"board {board!r} has no late widget {widget!r}")
    rows = service.late(spec, SYSTEM)
    table = late_table(spec, rows, "zh")
    data = excel(spec.title.zh, table)
    file_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    name = f"{board}-{widget}-{now:%Y%m%d}.xlsx"
    (runtime.db.data_dir("files") / file_id).write_bytes(data)
    base = (link_base or os.environ.get("SUNMAO_PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/")
    summary = [{"name": r["name"], "problem": r["check_label"]["zh"], "owner": r.get("owner") or "—",
                "days_late": r["days_late"]} for r in rows[:top]]
    lines = "\n".join(f"> {s['name']} · {s['problem']} · {s['owner']} · 超期 {s['days_late']} 天" for s in summary)
    payload = {"board": board, "widget": widget, "title": spec.title.as_dict(), "count": len(rows),
               "top": summary, "lines": lines or "> 无", "link": f"{base}/dashboards/{board}",
               "file_id": file_id, "file_name": name, "file_url": f"{base}/api/v1/files/{file_id}",
               "generated_at": now.isoformat()}
    with runtime.db.write() as conn:
        conn.execute(sm.file.insert().values(
            id=file_id, name=name, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            size=len(data), sha256=hashlib.sha256(data).hexdigest(), created_at=now, created_by=None))
        journal.emit(conn, topic=f"dashboards.report.{board}.{widget}", payload=payload, at=now)
    return payload


@job("dashboards.report", max_attempts=3, backoff=300.0)
def report(ctx: JobContext, board: str, widget: str, link_base: str | None = None) -> int:
    """List a board's late records, store them as Excel and announce them (see the module)."""
    return int(run_report(ctx.runtime, board, widget, link_base)["count"])
