"""``/hooks/<channel>``: the webhook endpoint every push channel document generates.

Senders authenticate by signature or token (checked per channel in :mod:`.auth`), not by
session cookie, so the blueprint is CSRF-exempt. The body is read at most up to the
channel's limit before anything else happens, so an oversized upload costs no memory; the
rest of the work is :func:`.intake.receive`.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from sunmao.http.context import context, language
from sunmao.http.requests import MAX_UPLOAD_BYTES
from sunmao.i18n import Text

from .errors import ChannelNotFound
from .intake import Answer, Request, get_channel, receive

blueprint = Blueprint("hooks_inbound", __name__, url_prefix="/hooks")


def _read_body(limit: int) -> tuple[bytes, bool, int]:
    """The body (at most ``limit`` bytes kept), whether it was cut, and its announced or read size."""
    length = request.content_length
    if length is not None and length > MAX_UPLOAD_BYTES:
        return b"", True, length
    data = request.stream.read(limit + 1)
    if len(data) > limit:
        return data[:limit], True, max(length or 0, len(data))
    return data, False, len(data)


def _response(answer: Answer) -> Response:
    if isinstance(answer.body, str):
        response = Response(answer.body, status=answer.status, mimetype="text/plain")
    else:
        response = current_app.response_class(current_app.json.dumps(answer.body), status=answer.status,
                                              mimetype="application/json")
    if answer.delivery is not None:
        response.headers["X-Sunmao-Delivery"] = str(answer.delivery)
    if answer.duplicate_of is not None:
        response.headers["X-Sunmao-Duplicate-Of"] = str(answer.duplicate_of)
    return response


@blueprint.route("/<channel_key>", methods=["GET", "POST", "PUT", "HEAD"])
def hook(channel_key: str) -> Response:
    ctx = context()
    if ctx.snapshot is None or ctx.records is None:
        raise ChannelNotFound(Text("尚未安装任何应用", "no app is installed yet"))
    channel = get_channel(ctx.snapshot, channel_key, mode="push")
    body, truncated, size = _read_body(channel.max_body_bytes)
    req = Request(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        query=request.args.to_dict(),
        body=body, truncated=truncated, size=size,
    )
    answer = receive(ctx.runtime.db, ctx.snapshot, channel.key, req, records=ctx.records, lang=language())
    return _response(answer)
