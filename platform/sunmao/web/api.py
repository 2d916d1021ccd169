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
from flask import Blueprint, Response, current_app, g, request, send_file

from sunmao.errors import (
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    SunmaoError,
    Unauthorized,
    ValidationFailed,
)
from sunmao.i18n import Text
from sunmao.records import Actor, RecordService
from sunmao.records.query import parse_query
from sunmao.storage import system as sm
from sunmao.web.app import context

CSRF_EXEMPT = True  # bearer tokens; cookie-authenticated writes are checked in _csrf_for_sessions
blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_JSON_BYTES = 1024 * 1024
MAX_FILE_BYTES = 25 * 1024 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _actor() -> Actor:
    if g.get("bad_token"):
        raise Unauthorized(Text("API 令牌无效或已吊销", "the API token is not valid or was revoked"))
    if g.user is None:
        raise Unauthorized()
    return g.user.actor


def _records() -> RecordService:
    records = context().records
    if records is None:
        raise SunmaoError(Text("尚未安装任何应用：请运行 sunmao app install", "no app is installed yet: run "
                               "`sunmao app install`"))
    return records


def _json_body() -> Any:
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise PayloadTooLarge(Text(f"JSON 请求体不能超过 {MAX_JSON_BYTES // 1024} KiB",
                                   f"a JSON body may not exceed {MAX_JSON_BYTES // 1024} KiB"))
    if not request.is_json:
        raise SunmaoError(Text("请以 application/json 发送 JSON 对象", "send a JSON object as application/json"),
                          )
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise PayloadTooLarge(Text(f"JSON 请求体不能超过 {MAX_JSON_BYTES // 1024} KiB",
                                   f"a JSON body may not exceed {MAX_JSON_BYTES // 1024} KiB"))
    try:
        return current_app.json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SunmaoError(Text(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}")) from None


def _if_match() -> int | None:
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    tag = header.strip().removeprefix("W/").strip('"')
    try:
        return int(tag)
    except ValueError:
        raise PreconditionFailed(Text("If-Match 应为记录的版本号 ETag，如 \"3\"",
                                      'If-Match must be the ETag of the record version, e.g. "3"')) from None


def _with_etag(body: dict[str, Any], status: int = 200) -> Response:
    response = current_app.response_class(current_app.json.dumps(body), status=status, mimetype="application/json")
    if "version" in body:
        response.headers["ETag"] = f'"{body["version"]}"'
    return response


@blueprint.get("/<entity>")
def list_records(entity: str) -> Response:
    actor = _actor()
    records = _records()
    ce = records.compiled(entity)
    return _with_etag(records.list(entity, parse_query(ce, request.args), actor=actor))


@blueprint.post("/<entity>")
def create_record(entity: str) -> Response:
    actor = _actor()
    body = _json_body()
    created = _records().create(entity, body, actor=actor)
    response = _with_etag(created, 201)
    response.headers["Location"] = f"/api/v1/{entity}/{created['id']}"
    return response


@blueprint.get("/<entity>/<int:record_id>")
def get_record(entity: str, record_id: int) -> Response:
    return _with_etag(_records().get(entity, record_id, actor=_actor()))


@blueprint.patch("/<entity>/<int:record_id>")
def patch_record(entity: str, record_id: int) -> Response:
    actor = _actor()
    body = _json_body()
    expected = _if_match()
    if expected is None and isinstance(body, dict) and isinstance(body.get("version"), int):
        expected = body["version"]
    return _with_etag(_records().update(entity, record_id, body, actor=actor, expected_version=expected))


@blueprint.delete("/<entity>/<int:record_id>")
def delete_record(entity: str, record_id: int) -> Response:
    _records().delete(entity, record_id, actor=_actor(), expected_version=_if_match())
    return Response(status=204)


# -- attachments ---------------------------------------------------------------------------

def _file_dir() -> Path:
    return context().runtime.db.data_dir("files")


@blueprint.post("/files")
def upload_file() -> tuple[dict[str, Any], int]:
    """Store an uploaded file; its id is the value of attachment fields."""
    actor = _actor()
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
    row = {"id": file_id, "name": upload.filename[:255], "content_type": upload.mimetype or
           "application/octet-stream", "size": len(data), "sha256": digest, "created_at": datetime.now(UTC),
           "created_by": actor.id}
    with context().runtime.db.write() as conn:
        conn.execute(sm.file.insert().values(**row))
    return {**row, "created_at": row["created_at"].isoformat()}, 201


@blueprint.get("/files/<file_id>")
def download_file(file_id: str) -> Response:
    _actor()
    with context().runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.file).where(sm.file.c.id == file_id)).mappings().first()
    if row is None:
        raise NotFound(Text("文件不存在", "no such file"))
    return send_file(_file_dir() / row["id"], mimetype=row["content_type"], download_name=row["name"])
