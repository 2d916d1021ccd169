"""Workflow API: a record's actions and timeline, the task inbox, decisions.

    GET  /api/v1/<entity>/<id>/actions            what I may do now
    POST /api/v1/<entity>/<id>/actions/<action>   {"comment": ..., "values": {...}}  (If-Match honoured)
    GET  /api/v1/<entity>/<id>/timeline
    GET  /api/v1/_inbox?box=mine|cc|overdue
    POST /api/v1/_tasks/<id>/approve | reject | return | transfer | add_approver
    POST /api/v1/_tasks/bulk_approve              {"ids": [...], "comment": ...}
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from sunmao.errors import SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.web.api import _actor, _if_match, _json_body, _with_etag
from sunmao.web.app import context
from sunmao.workflow.engine import WorkflowService

CSRF_EXEMPT = True  # same rules as the record API: bearer tokens, or the session with X-CSRFToken
blueprint = Blueprint("workflow_api", __name__, url_prefix="/api/v1")


def _service() -> WorkflowService:
    ctx = context()
    if ctx.snapshot is None:
        raise SunmaoError(Text("尚未安装任何应用", "no app is installed yet"))
    return WorkflowService(ctx.runtime.db, ctx.snapshot)


def _body() -> dict[str, Any]:
    if not request.get_data(cache=True):
        return {}
    body = _json_body()
    if not isinstance(body, dict):
        raise ValidationFailed(errors={"_record": [Text("请发送 JSON 对象", "send a JSON object")]})
    return body


def _text(body: dict[str, Any], key: str, limit: int = 2000) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise ValidationFailed(errors={key: [Text(f"应为不超过 {limit} 字的文本",
                                                  f"a text of at most {limit} characters")]})
    return value


@blueprint.get("/<entity>/<int:record_id>/actions")
def actions(entity: str, record_id: int) -> dict[str, Any]:
    return {"items": _service().actions(entity, record_id, _actor())}


@blueprint.post("/<entity>/<int:record_id>/actions/<action>")
def take_action(entity: str, record_id: int, action: str) -> Response:
    actor = _actor()
    body = _body()
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise ValidationFailed(errors={"values": [Text("应为对象", "must be an object")]})
    record = _service().transition(entity, record_id, action, actor, comment=_text(body, "comment"),
                                   values=values, expected_version=_if_match())
    return _with_etag(record)


@blueprint.get("/<entity>/<int:record_id>/timeline")
def timeline(entity: str, record_id: int) -> dict[str, Any]:
    return {"items": _service().timeline(entity, record_id, _actor())}


@blueprint.get("/_inbox")
def inbox() -> dict[str, Any]:
    return {"items": _service().inbox(_actor(), request.args.get("box", "mine"))}


@blueprint.post("/_tasks/<int:task_id>/<verb>")
def task_verb(task_id: int, verb: str) -> dict[str, Any]:
    actor = _actor()
    body = _body()
    service = _service()
    comment = _text(body, "comment")
    if verb in ("approve", "reject"):
        return service.decide(task_id, actor, verb, comment)
    if verb == "return":
        return service.return_to(task_id, actor, str(body.get("step", "")), comment)
    if verb == "transfer":
        return service.transfer(task_id, actor, str(body.get("to", "")), comment)
    if verb == "add_approver":
        return service.add_approver(task_id, actor, str(body.get("user", "")), str(body.get("position", "")),
                                    comment)
    raise SunmaoError(Text(f"未知操作 {verb}", f"unknown task operation {verb!r}"))


@blueprint.post("/_tasks/bulk_approve")
def bulk_approve() -> dict[str, Any]:
    actor = _actor()
    body = _body()
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or len(ids) > 500:
        raise ValidationFailed(errors={"ids": [Text("应为不超过 500 个任务编号的列表",
                                                    "a list of at most 500 task ids")]})
    return _service().bulk_approve(ids, actor, _text(body, "comment"))
