"""The importer over the API: ``POST`` a file, get the preview, confirm.

* ``POST /api/v1/<entity>/import`` (multipart ``file``; optional ``template``, ``sheet``) reads the
  file and answers the preview — records to create or update, every problem with its row and
  column — with the upload's ``id``. ``commit=true`` (and ``good_rows_only=true``) imports at once.
* ``POST /api/v1/imports/<id>/commit`` (``good_rows_only=true`` to skip the bad records) imports
  the upload as previewed; ``GET /api/v1/imports/<id>`` is its state, progress and outcome.

Files longer than ``jobs.BACKGROUND_ROWS`` run as a job: the answer is ``202`` with the state
URL to poll. Bearer tokens authenticate (the feature mounts it ``csrf_exempt``); a call riding on the screens'
cookie still needs its CSRF token (``web/app.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from sunmao.errors import Forbidden, SunmaoError, Unauthorized, ValidationFailed
from sunmao.http import openapi as doc
from sunmao.http.context import context, language
from sunmao.i18n import Text
from sunmao.imports import jobs
from sunmao.imports.plan import UnknownTemplate, prepare
from sunmao.imports.reader import SheetError
from sunmao.records import Actor, RecordService

blueprint = Blueprint("imports_api", __name__, url_prefix="/api/v1")


def _actor() -> Actor:
    if g.get("bad_token") or g.user is None:
        raise Unauthorized()
    return g.user.actor


def _records() -> RecordService:
    records = context().records
    if records is None:
        raise SunmaoError(Text("尚未安装任何应用", "no app is installed yet"))
    return records


def _flag(name: str) -> bool:
    return (request.values.get(name) or "").lower() in ("1", "true", "yes")


def _answer(upload_id: str, status: int = 200) -> Response:
    db = context().runtime.db
    row = jobs.load(db, upload_id, _actor().id)
    result = row["result"] or {}
    done, total = jobs.progress_of(db, upload_id)
    body: dict[str, Any] = {"id": upload_id, "entity": row["entity"], "filename": row["filename"],
                            "status": row["status"], "plan": row["mapping"], "progress": {"done": done, "total": total},
                            "result": result.get(language()) if "error" not in result else None,
                            "error": result.get("error"),
                            "commit_url": f"/api/v1/imports/{upload_id}/commit", "url": f"/api/v1/imports/{upload_id}"}
    response = jsonify(body)
    response.status_code = status
    return response


def _run(upload_id: str, mode: str) -> Response:
    db = context().runtime.db
    actor = _actor()
    row = jobs.load(db, upload_id, actor.id)
    if (row["mapping"] or {}).get("rows", 0) > jobs.BACKGROUND_ROWS:
        jobs.queue(db, upload_id, mode)
        return _answer(upload_id, 202)
    jobs.execute(_records(), actor, row, mode)
    return _answer(upload_id)


@blueprint.post("/<entity:entity>/import")
def upload(entity: str) -> Response:
    actor = _actor()
    records = _records()
    ce = records.compiled(entity)
    if not actor.can(ce.entity, "create"):
        raise Forbidden(Text(f"你的角色不能新建{ce.entity.label.zh}", f"your role may not create "
                             f"{ce.entity.label.en} records"))
    file = request.files.get("file")
    if file is None or not file.filename:
        raise ValidationFailed(errors={"file": [Text("请上传文件（multipart 字段 file）", "send the file as the "
                                                     "multipart field `file`")]})
    data = file.read()
    try:
        prepared = prepare(records, entity, data, file.filename, template=request.values.get("template") or None,
                           sheet=request.values.get("sheet") or None)
    except SheetError as exc:
        raise ValidationFailed(errors={"file": [exc.text]}) from None
    except UnknownTemplate:
        raise ValidationFailed(errors={"template": [Text("没有这个导入模板", "no such import template")]}) from None
    upload_id = jobs.store(context().runtime.db, actor.id, prepared, data, file.filename)
    mode = ("commit_good" if _flag("good_rows_only") else "commit") if _flag("commit") else "preview"
    return _run(upload_id, mode)


@blueprint.post("/imports/<uuid:upload_id>/commit")
def commit(upload_id: uuid.UUID) -> Response:
    return _run(str(upload_id), "commit_good" if _flag("good_rows_only") else "commit")


@blueprint.get("/imports/<uuid:upload_id>")
def state(upload_id: uuid.UUID) -> Response:
    return _answer(str(upload_id))


# -- the OpenAPI document of these routes (declared in imports/feature.py) -------------------------------------

UPLOAD = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "entity": {"type": "string"}, "filename": {"type": "string"},
    "status": {"type": "string"}, "plan": {}, "progress": {"type": "object"}, "result": {}, "error": {},
    "commit_url": {"type": "string"}, "url": {"type": "string"}}}
FLAG = {"type": "string", "enum": ["true", "false", "1", "0", "yes", "no"]}


def openapi(snapshot: Any) -> dict[str, dict[str, Any]]:
    """The import of a file into each top entity, and an upload's commit and state."""
    answered = {"200": {"description": "the upload: its preview, or its outcome", "content": doc.json_content(UPLOAD)},
                "202": {"description": "a long file runs as a job: poll `url`", "content": doc.json_content(UPLOAD)}}
    upload_id = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
    paths: dict[str, dict[str, Any]] = {
        "/api/v1/imports/{upload_id}/commit": {"post": {
            "tags": ["imports"], "summary": "Import an upload as previewed", "operationId": "commit_import",
            "parameters": [upload_id, {"name": "good_rows_only", "in": "query", "schema": FLAG}],
            "responses": doc.responses(answered, 401, 404, 422)}},
        "/api/v1/imports/{upload_id}": {"get": {
            "tags": ["imports"], "summary": "An upload's state, progress and outcome", "operationId": "import_state",
            "parameters": [upload_id], "responses": doc.responses({"200": answered["200"]}, 401, 404)}},
    }
    for entity in snapshot.top_entities if snapshot is not None else ():
        paths[f"/api/v1/{entity.key}/import"] = {"post": {
            "tags": [entity.key], "summary": f"Import {entity.label.en} records from a workbook or CSV file",
            "operationId": f"import_{entity.key}",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"}, "template": {"type": "string"},
                    "sheet": {"type": "string"}, "commit": FLAG, "good_rows_only": FLAG}}}}},
            "responses": doc.responses(answered, 400, 401, 403, 413, 422)}}
    return paths
