"""Large imports run as a job: the upload, the chosen mapping and the outcome live in ``sm_import``.

The screen commits small files at once; a file with more rows than ``BACKGROUND_ROWS`` is
queued, and the import page shows its progress (queued → running → done or failed) until the
job has written every row — or, all-or-nothing as always, none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sunmao import accounts
from sunmao.imports.reader import read_sheet
from sunmao.imports.runner import run_import
from sunmao.imports.tables import upload as upload_table
from sunmao.jobs.registry import JobContext, job
from sunmao.storage import Database

BACKGROUND_ROWS = 1000


def upload_dir(db: Database) -> Path:
    """Where uploaded import files are kept."""
    return db.data_dir("imports")


def _set(db: Database, upload_id: str, **values: Any) -> None:
    with db.write() as conn:
        conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(**values))


@job("imports.commit", max_attempts=1)
def commit_import(ctx: JobContext, upload_id: str) -> dict[str, Any]:
    """Write a queued import through the record service, as the user who uploaded it."""
    db = ctx.runtime.db
    with db.read() as conn:
        row = conn.execute(sa.select(upload_table).where(upload_table.c.id == upload_id)).mappings().first()
    if row is None or row["status"] not in ("queued", "running"):
        return {"skipped": True}
    user = accounts.get_user(db, row["user_id"])
    if user is None:
        _set(db, upload_id, status="failed", result={"ok": False, "error": "the uploading user no longer exists"})
        return {"ok": False}
    _set(db, upload_id, status="running")
    sheet = read_sheet((upload_dir(db) / row["id"]).read_bytes(), row["filename"])
    mapping = {h: k for h, k in (row["mapping"] or {}).items() if k}
    result = run_import(ctx.runtime.records(), user.actor, row["entity"], sheet.headers, sheet.rows, mapping,
                        key_field=row["key_field"], commit=True)
    _set(db, upload_id, status="done" if result.committed else "failed",
         result={"zh": result.as_json("zh"), "en": result.as_json("en")})
    return {"ok": result.committed}
