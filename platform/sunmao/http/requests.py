"""Reading a request and answering it, the same way on every JSON route.

- :func:`current_actor`: who calls (401 without a valid session or token);
- :func:`records`: the record service of the request's snapshot (an error while nothing is installed);
- :func:`json_body`: the JSON body, at most :data:`MAX_JSON_BYTES`, only as ``application/json``;
- :func:`if_match`: the record version ``If-Match`` asks a write to find;
- :func:`with_etag`: a JSON answer carrying the record's version as its ``ETag``.
"""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, request

from sunmao.errors import PayloadTooLarge, SunmaoError, Unauthorized, UnsupportedMediaType
from sunmao.http.context import context
from sunmao.http.preconditions import expected_version
from sunmao.i18n import Text
from sunmao.records import Actor, RecordService

#: The largest request body the app reads (Flask answers 413 beyond it).
MAX_UPLOAD_BYTES = 32 * 1024 * 1024
#: The largest JSON body a route reads.
MAX_JSON_BYTES = 1024 * 1024


def current_actor() -> Actor:
    """The signed-in caller (session or bearer token); 401 when there is none or the token is bad."""
    if g.get("bad_token"):
        raise Unauthorized(Text("API 令牌无效或已吊销", "the API token is not valid or was revoked"))
    if g.user is None:
        raise Unauthorized()
    return g.user.actor


def records() -> RecordService:
    """The record service of the request's snapshot."""
    service = context().records
    if service is None:
        raise SunmaoError(Text("尚未安装任何应用：请运行 sunmao app install", "no app is installed yet: run "
                               "`sunmao app install`"))
    return service


def _too_large() -> PayloadTooLarge:
    return PayloadTooLarge(Text(f"JSON 请求体不能超过 {MAX_JSON_BYTES // 1024} KiB",
                                f"a JSON body may not exceed {MAX_JSON_BYTES // 1024} KiB"))


def json_body() -> Any:
    """The request's JSON body (decimals exact), refused when too large, not JSON or malformed."""
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise _too_large()
    if not request.is_json:
        raise UnsupportedMediaType(Text("请以 application/json 发送 JSON 对象",
                                        "send a JSON object as application/json"))
    raw = request.get_data(cache=True)
    if len(raw) > MAX_JSON_BYTES:
        raise _too_large()
    try:
        return current_app.json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SunmaoError(Text(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}")) from None


def if_match(entity: str, record_id: int, caller: Actor) -> int | None:
    """The version ``If-Match`` asks the write to find (RFC 9110: a list of tags, ``*``, weak tags never match)."""
    return expected_version(lambda: records().get(entity, record_id, actor=caller)["version"])


def with_etag(body: dict[str, Any], status: int = 200) -> Response:
    """``body`` as JSON; a record's ``version`` becomes the answer's strong ``ETag``."""
    response = current_app.response_class(current_app.json.dumps(body), status=status, mimetype="application/json")
    if "version" in body:
        response.headers["ETag"] = f'"{body["version"]}"'
    return response
