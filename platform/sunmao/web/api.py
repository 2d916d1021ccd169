"""REST API ``/api/v1/<entity>``, generated from the snapshot's entities.

Every call goes through the record service with the caller as actor, so role permissions,
validation, locking, audit and events are the same as for every other adapter. Versions
travel as ETags: ``GET`` returns ``ETag: "<version>"``, ``PATCH`` and ``DELETE`` honour
``If-Match`` and answer 412 when it is stale.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, request

from sunmao.errors import NotFound, PayloadTooLarge, ValidationFailed
from sunmao.http.context import context
from sunmao.http.requests import current_actor, if_match, json_body, records, with_etag
from sunmao.i18n import Text
from sunmao.records.query import parse_query
from sunmao.storage import system as sm
from sunmao.web import openapi as doc
from sunmao.web.files import file_name, media_type, send_stored

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_FILE_BYTES = 25 * 1024 * 1024


@blueprint.get("/<entity:entity>")
def list_records(entity: str) -> Response:
    actor = current_actor()
    service = records()
    ce = service.compiled(entity)
    return with_etag(service.list(entity, parse_query(ce, request.args), actor=actor))


@blueprint.post("/<entity:entity>")
def create_record(entity: str) -> Response:
    actor = current_actor()
    body = json_body()
    created = records().create(entity, body, actor=actor)
    response = with_etag(created, 201)
    response.headers["Location"] = f"/api/v1/{entity}/{created['id']}"
    return response


@blueprint.get("/<entity:entity>/<int:record_id>")
def get_record(entity: str, record_id: int) -> Response:
    return with_etag(records().get(entity, record_id, actor=current_actor()))


@blueprint.patch("/<entity:entity>/<int:record_id>")
def patch_record(entity: str, record_id: int) -> Response:
    actor = current_actor()
    body = json_body()
    expected = if_match(entity, record_id, actor)
    if expected is None and isinstance(body, dict) and isinstance(body.get("version"), int):
        expected = body["version"]
    return with_etag(records().update(entity, record_id, body, actor=actor, expected_version=expected))


@blueprint.delete("/<entity:entity>/<int:record_id>")
def delete_record(entity: str, record_id: int) -> Response:
    actor = current_actor()
    records().delete(entity, record_id, actor=actor, expected_version=if_match(entity, record_id, actor))
    return Response(status=204)


# -- attachments ---------------------------------------------------------------------------

def _file_dir() -> Path:
    return context().runtime.db.data_dir("files")


@blueprint.post("/files")
def upload_file() -> tuple[dict[str, Any], int]:
    """Store an uploaded file; its id is the value of attachment fields."""
    actor = current_actor()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise ValidationFailed(errors={"file": [Text("请以 multipart 字段 file 上传文件",
                                                     "upload the file as the multipart field `file`")]})
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(Text("文件不能超过 25 MiB", "a file may not exceed 25 MiB"))
    file_id = str(uuid.uuid4())
    digest = hashlib.sha256(data).hexdigest()
    (_file_dir() / file_id).write_bytes(data)
    row = {"id": file_id, "name": file_name(upload.filename), "content_type": media_type(upload.mimetype),
           "size": len(data), "sha256": digest, "created_at": datetime.now(UTC), "created_by": actor.id}
    with context().runtime.db.write() as conn:
        conn.execute(sm.file.insert().values(**row))
    return {**row, "created_at": row["created_at"].isoformat()}, 201


@blueprint.get("/files/<uuid:file_id>")
def download_file(file_id: uuid.UUID) -> Response:
    current_actor()
    with context().runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.file).where(sm.file.c.id == str(file_id))).mappings().first()
    if row is None:
        raise NotFound(Text("文件不存在", "no such file"))
    return send_stored(_file_dir() / row["id"], row["name"], row["content_type"])


# -- the OpenAPI document of these routes ------------------------------------------------------

FILE = {"type": "object", "properties": {
    "id": {"type": "string", "format": "uuid"}, "name": {"type": "string"}, "content_type": {"type": "string"},
    "size": {"type": "integer"}, "sha256": {"type": "string"}, "created_at": {"type": "string", "format": "date-time"},
    "created_by": {"type": ["integer", "null"]}}}
ETAG = {"ETag": {"description": "the record's version, a strong entity tag", "schema": {"type": "string"}}}


def openapi(snapshot: Any) -> dict[str, dict[str, Any]]:
    """The record routes of every top entity, and the file routes."""
    paths: dict[str, dict[str, Any]] = {
        "/api/v1/files": {"post": {
            "tags": ["files"], "summary": "Upload a file (the value of attachment fields)",
            "operationId": "upload_file",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"]}}}},
            "responses": doc.responses({"201": {"description": "stored", "content": doc.json_content(FILE)}},
                                       400, 401, 413, 422)}},
        "/api/v1/files/{file_id}": {"get": {
            "tags": ["files"], "summary": "Download a file (images of an allow-list are shown inline)",
            "operationId": "download_file",
            "parameters": [{"name": "file_id", "in": "path", "required": True,
                            "schema": {"type": "string", "format": "uuid"}}],
            "responses": doc.responses({"200": {"description": "the file, as an attachment", "content": {
                "*/*": {"schema": {"type": "string", "format": "binary"}}}}}, 401, 404)}},
    }
    for entity in snapshot.top_entities if snapshot is not None else ():
        key, label = entity.key, entity.label.en
        out, inp, patch = (doc.ref(doc.schema_name(entity, kind)) for kind in ("output", "input", "patch"))
        one = {"description": label, "content": doc.json_content(out), "headers": ETAG}
        created = {**one, "headers": {**ETAG, "Location": {"schema": {"type": "string"},
                                                            "description": "the new record's address"}}}
        page = {"type": "object", "properties": {
            "items": {"type": "array", "items": out}, "total": {"type": "integer"},
            "total_capped": {"type": "boolean"}, "limit": {"type": "integer"}, "page": {"type": "integer"},
            "next": {"type": "string"}}}
        tags = [key]
        paths[f"/api/v1/{key}"] = {
            "get": {"tags": tags, "summary": f"List {label}", "operationId": f"list_{key}",
                    "parameters": doc.list_parameters(entity),
                    "responses": doc.responses({"200": {"description": "one page", "content": doc.json_content(page)}},
                                               401, 403, 422)},
            "post": {"tags": tags, "summary": f"Create {label}", "operationId": f"create_{key}",
                     "requestBody": {"required": True, "content": doc.json_content(inp)},
                     "responses": doc.responses({"201": created}, *doc.BODY_STATUSES, 409)},
        }
        paths[f"/api/v1/{key}/{{record_id}}"] = {
            "parameters": [doc.RECORD_ID],
            "get": {"tags": tags, "summary": f"Read {label}", "operationId": f"get_{key}",
                    "responses": doc.responses({"200": one}, 401, 403, 404, 422)},
            "patch": {"tags": tags, "summary": f"Change {label}", "operationId": f"update_{key}",
                      "parameters": [doc.IF_MATCH],
                      "requestBody": {"required": True, "content": doc.json_content(patch)},
                      "responses": doc.responses({"200": one}, *doc.BODY_STATUSES, 404, 409, 412)},
            "delete": {"tags": tags, "summary": f"Move {label} to the recycle bin", "operationId": f"delete_{key}",
                       "parameters": [doc.IF_MATCH],
                       "responses": doc.responses({"204": {"description": "moved to the recycle bin"}},
                                                  400, 401, 403, 404, 409, 412, 422)},
        }
    return paths
