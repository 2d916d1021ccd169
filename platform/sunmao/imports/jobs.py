"""An upload's life: stored file, stored plan, a run in the request or as a job, the stored outcome.

The screen and the API run small files in the request; a file with more rows than
``BACKGROUND_ROWS`` is run by the ``imports.run`` job (preview or import alike), and the page
follows its progress. Progress goes to a small file beside the upload, not to the database:
an import holds its write transaction from start to end, and on SQLite a progress row written
from the same process would wait for that very transaction.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sunmao import accounts
from sunmao.errors import NotFound
from sunmao.i18n import Text
from sunmao.imports.plan import Prepared, plan_json, prepare_stored
from sunmao.imports.reader import SheetError
from sunmao.imports.runner import Outcome, run_import
from sunmao.imports.tables import upload as upload_table
from sunmao.jobs.notify import notify_work
from sunmao.jobs.registry import JobContext, job
from sunmao.jobs.runs import enqueue
from sunmao.records import Actor, RecordService
from sunmao.storage import Database

BACKGROUND_ROWS = 1000
MODES = ("preview", "commit", "commit_good")


def upload_dir(db: Database) -> Path:
    """Where uploaded import files are kept."""
    return db.data_dir("imports")


def store(db: Database, user_id: int, prepared: Prepared, data: bytes, filename: str) -> str:
    """Keep an upload and its plan; returns its id."""
    upload_id = str(uuid.uuid4())
    (upload_dir(db) / upload_id).write_bytes(data)
    with db.write() as conn:
        conn.execute(upload_table.insert().values(
            id=upload_id, user_id=user_id, entity=prepared.entity.key, filename=filename[:255],
            headers=prepared.table.headers, mapping=plan_json(prepared), key_field=prepared.plan.key_field,
            status="uploaded", created_at=datetime.now(UTC)))
    return upload_id


def load(db: Database, upload_id: str, user_id: int | None = None) -> dict[str, Any]:
    query = sa.select(upload_table).where(upload_table.c.id == upload_id)
    if user_id is not None:
        query = query.where(upload_table.c.user_id == user_id)
    with db.read() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise NotFound(Text("导入记录不存在", "no such import"))
    return dict(row)


def file_of(db: Database, row: dict[str, Any]) -> bytes:
    return (upload_dir(db) / row["id"]).read_bytes()


def set_plan(db: Database, upload_id: str, plan: dict[str, Any], **values: Any) -> None:
    with db.write() as conn:
        conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(
            mapping=plan, key_field=plan.get("key_field"), **values))


def _set(db: Database, upload_id: str, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(**values))


def progress_of(db: Database, upload_id: str) -> tuple[int, int]:
    try:
        done, total = json.loads((upload_dir(db) / f"{upload_id}.progress").read_text())
        return int(done), int(total)
    except (OSError, ValueError):
        return 0, 0


def _progress_writer(db: Database, upload_id: str) -> Any:
    path = upload_dir(db) / f"{upload_id}.progress"

    def write(done: int, total: int) -> None:
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps([done, total]))
        os.replace(temp, path)

    return write


def execute(service: RecordService, actor: Actor, row: dict[str, Any], mode: str, *, background: bool = False
            ) -> Outcome:
    """Run an upload's stored plan (``mode``: preview, commit, commit_good) and store the outcome."""
    db = service.db
    prepared = prepare_stored(service, row["entity"], file_of(db, row), row["filename"], row["mapping"] or {})
    outcome = run_import(service, actor, prepared.table, prepared.plan, prepared.targets,
                         commit=mode != "preview", good_rows_only=mode == "commit_good",
                         progress=_progress_writer(db, row["id"]) if background else None)
    status = "done" if outcome.committed else ("previewed" if mode == "preview" else "failed")
    _set(db, row["id"], status=status, result={"mode": mode, "zh": outcome.as_json("zh"),
                                               "en": outcome.as_json("en")})
    return outcome


def queue(db: Database, upload_id: str, mode: str) -> None:
    with db.write() as conn:
        conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(status="queued"))
        enqueue(conn, "imports.run", {"upload_id": upload_id, "mode": mode},
                dedup_key=f"import:{upload_id}:{mode}:{uuid.uuid4().hex[:8]}")
    notify_work()


@job("imports.run", max_attempts=1)
def run_upload(ctx: JobContext, upload_id: str, mode: str = "commit") -> dict[str, Any]:
    """Preview or import a queued upload through the record service, as the user who uploaded it."""
    db = ctx.runtime.db
    row = load(db, upload_id)
    if row["status"] not in ("queued", "running") or mode not in MODES:
        return {"skipped": True}
    user = accounts.get_user(db, row["user_id"])
    if user is None:
        _set(db, upload_id, status="failed", result={"error": "the uploading user no longer exists"})
        return {"ok": False}
    _set(db, upload_id, status="running")
    try:
        outcome = execute(ctx.runtime.records(), user.actor, row, mode, background=True)
    except SheetError as exc:
        _set(db, upload_id, status="failed", result={"error": exc.en, "zh": {"error": exc.zh}})
        return {"ok": False}
    return {"ok": outcome.committed or (mode == "preview"), "problems": len(outcome.problems)}
