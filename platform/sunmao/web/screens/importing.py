"""Import screens: upload → column mapping → preview with per-row errors → commit.

The uploaded file is kept under the instance's files directory and its state in ``sm_import``,
so each step is a plain form post, and a background job can later run the same
:func:`sunmao.imports.runner.run_import` on the same row for files too large for a request.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Response, redirect, request

from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.imports import jobs as import_jobs
from sunmao.imports.jobs import upload_dir
from sunmao.imports.mapping import auto_map, importable, remember, remembered
from sunmao.imports.reader import Sheet, SheetError, read_sheet
from sunmao.imports.runner import run_import
from sunmao.imports.tables import upload as upload_table
from sunmao.jobs import enqueue, notify_work
from sunmao.web.app import context, language
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.routes import blueprint

MAX_FILE = 10 * 1024 * 1024
PREVIEW_ROWS = 200


def _dir() -> Path:
    return upload_dir(context().runtime.db)


def _importable_entities() -> list[tuple[str, str]]:
    lang = language()
    return [(e.key, e.label.get(lang)) for e in shell.snapshot().top_entities if shell.actor().can(e, "create")]


@blueprint.get("/app/import")
def import_start() -> tuple[str, int]:
    entities = _importable_entities()
    chosen = request.args.get("entity") or (entities[0][0] if entities else "")
    keys: list[tuple[str, str]] = []
    if chosen in shell.snapshot().entities:
        entity = shell.snapshot().entities[chosen]
        keys = [(f.key, f.label.get(language())) for f in entity.fields if f.unique and f.is_input]
    return shell.render("screens/import_start.html", title=_("Import"), entities=entities, chosen=chosen, keys=keys,
                        error=request.args.get("error"))


def _load(upload_id: str) -> dict[str, Any]:
    with context().runtime.db.read() as conn:
        row = conn.execute(sa.select(upload_table).where(upload_table.c.id == upload_id,
                                                         upload_table.c.user_id == shell.actor().id)).mappings().first()
    if row is None:
        raise NotFound(Text("导入记录不存在", "no such import"))
    return dict(row)


def _sheet(row: dict[str, Any]) -> Sheet:
    return read_sheet((_dir() / row["id"]).read_bytes(), row["filename"])


@blueprint.post("/app/import")
def import_upload() -> Response | tuple[str, int]:
    entity = request.form.get("entity") or ""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "create")
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ValidationFailed(errors={"file": [Text("请选择要导入的文件", "choose a file to import")]})
    data = file.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise ValidationFailed(errors={"file": [Text("文件不能超过 10 MiB", "the file may not exceed 10 MiB")]})
    try:
        sheet = read_sheet(data, file.filename)
    except SheetError as exc:
        raise ValidationFailed(errors={"file": [Text(exc.zh, exc.en)]}) from None
    upload_id = str(uuid.uuid4())
    (_dir() / upload_id).write_bytes(data)
    key_field = request.form.get("key_field") or None
    if key_field and not (key_field in ce.entity.by_key and ce.entity.by_key[key_field].unique):
        key_field = None
    with context().runtime.db.write() as conn:
        conn.execute(upload_table.insert().values(
            id=upload_id, user_id=shell.actor().id, entity=entity, filename=file.filename[:255],
            headers=sheet.headers, key_field=key_field, status="uploaded", created_at=datetime.now(UTC)))
    return redirect(f"/app/import/{upload_id}")


@blueprint.get("/app/import/<upload_id>")
def import_mapping(upload_id: str) -> tuple[str, int]:
    row = _load(upload_id)
    lang = language()
    ce = shell.compiled(row["entity"])
    mapping = row["mapping"] or auto_map(ce.entity, row["headers"],
                                         remembered(context().runtime.db, shell.actor().id, row["entity"]))
    fields = [(f.key, f.label.get(lang), f.required) for f in importable(ce.entity)]
    sheet = _sheet(row)
    samples = {h: [str(r[i]) for r in sheet.rows[:3] if r[i] not in (None, "")] for i, h in enumerate(sheet.headers)}
    return shell.render("screens/import_mapping.html", title=_("Import: match the columns"), upload=row,
                        entity=ce.entity, fields=fields, mapping=mapping, samples=samples, rows=len(sheet.rows),
                        keys=[(f.key, f.label.get(lang)) for f in ce.entity.fields if f.unique and f.is_input])


def _chosen_mapping(headers: list[str]) -> dict[str, str]:
    return {h: request.form.get(f"map_{i}", "") for i, h in enumerate(headers)}


@blueprint.get("/app/import/<upload_id>/status")
def import_status(upload_id: str) -> tuple[str, int]:
    """A queued import's progress; the page refreshes itself until the job is done."""
    row = _load(upload_id)
    ce = shell.compiled(row["entity"])
    result = (row["result"] or {}).get(language()) or {}
    return shell.render("screens/import_status.html", title=_("Import: in progress"), upload=row, entity=ce.entity,
                        state=row["status"], finished=row["status"] in ("done", "failed"), result=result)


@blueprint.post("/app/import/<upload_id>")
def import_run(upload_id: str) -> tuple[str, int]:
    """Preview (validate only) or commit, depending on the button pressed."""
    row = _load(upload_id)
    ce = shell.compiled(row["entity"])
    shell.require(ce.entity, "create")
    lang = language()
    db = context().runtime.db
    mapping = _chosen_mapping(row["headers"])
    key_field = request.form.get("key_field") or None
    if key_field and not (key_field in ce.entity.by_key and ce.entity.by_key[key_field].unique):
        key_field = None
    remember(db, shell.actor().id, row["entity"], mapping)
    commit = request.form.get("step") == "commit"
    sheet = _sheet(row)
    if commit and len(sheet.rows) > import_jobs.BACKGROUND_ROWS:
        with db.write() as conn:
            conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(
                mapping=mapping, key_field=key_field, status="queued"))
            enqueue(conn, "imports.commit", {"upload_id": upload_id}, dedup_key=f"import:{upload_id}")
        notify_work()
        return import_status(upload_id)
    result = run_import(shell.records(), shell.actor(), row["entity"], sheet.headers, sheet.rows,
                        {h: k for h, k in mapping.items() if k}, key_field=key_field, commit=commit)
    status = "done" if result.committed else ("failed" if not result.ok else "previewed")
    with db.write() as conn:
        conn.execute(upload_table.update().where(upload_table.c.id == upload_id).values(
            mapping=mapping, key_field=key_field, status=status, result=result.as_json("en")))
    labels = {f.key: f.label.get(lang) for f in ce.entity.fields}
    labels["_record"] = _("Row")
    mapped = [(i, h, mapping[h]) for i, h in enumerate(sheet.headers) if mapping.get(h)]
    by_row: dict[int, list[tuple[str, list[str]]]] = {}
    for p in result.problems:
        by_row.setdefault(p.row, []).append((labels.get(p.field.split(".")[0], p.field),
                                             [m.get(lang) for m in p.messages]))
    preview = [{"n": n + 1, "cells": [str(r[i]) if r[i] is not None else "" for i, _h, _k in mapped],
                "errors": by_row.get(n + 1, [])} for n, r in enumerate(sheet.rows[:PREVIEW_ROWS])]
    extra_errors = [(n, errs) for n, errs in sorted(by_row.items()) if n > PREVIEW_ROWS or n < 1]
    return shell.render("screens/import_preview.html", title=_("Import: check and confirm"), upload=row,
                        entity=ce.entity, result=result, preview=preview, extra_errors=extra_errors,
                        columns=[labels.get(k, k) for _i, _h, k in mapped], mapping=mapping, key_field=key_field,
                        headers=row["headers"], error_rows=len(by_row))
