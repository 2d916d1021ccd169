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
from sunmao.http import openapi as doc
from sunmao.http.context import EntityConverter, context
from sunmao.http.requests import current_actor, if_match, json_body, with_etag
from sunmao.i18n import Text
from sunmao.records.schema import UNSTORABLE
from sunmao.records.values import INT64_MAX
from sunmao.workflow.engine import WorkflowService

blueprint = Blueprint("workflow_api", __name__, url_prefix="/api/v1")


@blueprint.record_once
def _converters(state: Any) -> None:
    """``<flow:entity>``: an entity with a workflow (registered before the routes below use it)."""
    snapshot = state.app.extensions["sunmao"].snapshot
    workflows = snapshot.features.get("workflows", {}) if snapshot is not None else {}
    state.app.url_map.converters["flow"] = EntityConverter.of(snapshot, only=set(workflows))


def _service() -> WorkflowService:
    ctx = context()
    if ctx.snapshot is None:
        raise SunmaoError(Text("尚未安装任何应用", "no app is installed yet"))
    return WorkflowService(ctx.runtime.db, ctx.snapshot)


def _body() -> dict[str, Any]:
    if not request.get_data(cache=True):
        return {}
    body = json_body()
    if not isinstance(body, dict):
        raise ValidationFailed(errors={"_record": [Text("请发送 JSON 对象", "send a JSON object")]})
    return body


def _text(body: dict[str, Any], key: str, limit: int = 2000) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or UNSTORABLE.search(value):
        raise ValidationFailed(errors={key: [Text(f"应为不超过 {limit} 字的文本",
                                                  f"a text of at most {limit} characters")]})
    return value


@blueprint.get("/<flow:entity>/<int:record_id>/actions")
def actions(entity: str, record_id: int) -> dict[str, Any]:
    return {"items": _service().actions(entity, record_id, current_actor())}


@blueprint.post("/<flow:entity>/<int:record_id>/actions/<action>")
def take_action(entity: str, record_id: int, action: str) -> Response:
    actor = current_actor()
    body = _body()
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise ValidationFailed(errors={"values": [Text("应为对象", "must be an object")]})
    record = _service().transition(entity, record_id, action, actor, comment=_text(body, "comment"),
                                   values=values, expected_version=if_match(entity, record_id, actor))
    return with_etag(record)


@blueprint.get("/<entity:entity>/<int:record_id>/timeline")
def timeline(entity: str, record_id: int) -> dict[str, Any]:
    return {"items": _service().timeline(entity, record_id, current_actor())}


BOXES = ("mine", "cc", "overdue")
VERBS = ("approve", "reject", "return", "transfer", "add_approver")
POSITIONS = ("before", "after")


@blueprint.get("/_inbox")
def inbox() -> dict[str, Any]:
    actor = current_actor()
    box = request.args.get("box", "mine")
    if box not in BOXES:
        raise ValidationFailed(errors={"box": [Text(f"应为 {'、'.join(BOXES)} 之一",
                                                    f"must be one of {', '.join(BOXES)}")]})
    return {"items": _service().inbox(actor, box)}


@blueprint.post(f"/_tasks/<int:task_id>/<any({', '.join(VERBS)}):verb>")
def task_verb(task_id: int, verb: str) -> dict[str, Any]:
    actor = current_actor()
    body = _body()
    service = _service()
    comment = _text(body, "comment")
    if verb in ("approve", "reject"):
        return service.decide(task_id, actor, verb, comment)
    if verb == "return":
        return service.return_to(task_id, actor, _text(body, "step", 200) or "", comment)
    if verb == "transfer":
        return service.transfer(task_id, actor, _text(body, "to", 200) or "", comment)
    position = body.get("position")
    if position not in POSITIONS:
        raise ValidationFailed(errors={"position": [Text("加签位置应为 before 或 after",
                                                         "position must be before or after")]})
    return service.add_approver(task_id, actor, _text(body, "user", 200) or "", position, comment)


@blueprint.post("/_tasks/bulk_approve")
def bulk_approve() -> dict[str, Any]:
    actor = current_actor()
    body = _body()
    ids = body.get("ids")
    if not isinstance(ids, list) or len(ids) > 500 or not all(type(i) is int and 1 <= i <= INT64_MAX for i in ids):
        raise ValidationFailed(errors={"ids": [Text("应为不超过 500 个任务编号的列表",
                                                    "a list of at most 500 task ids")]})
    return _service().bulk_approve(ids, actor, _text(body, "comment"))


# -- the OpenAPI document of these routes ------------------------------------------------------

def _text_schema(limit: int) -> dict[str, Any]:
    return {"type": ["string", "null"], "maxLength": limit}


TASK = {"type": "object", "properties": {
    "id": {"type": "integer"}, "entity": {"type": "string"}, "record_id": {"type": "integer"},
    "step_key": {"type": "string"}, "status": {"type": "string"}, "step_label": {}}}
ITEMS = {"type": "object", "properties": {"items": {"type": "array", "items": {"type": "object"}}}}
TASK_BODY = {"type": "object", "properties": {
    "comment": _text_schema(2000), "step": _text_schema(200), "to": _text_schema(200), "user": _text_schema(200),
    "position": {"type": "string", "enum": list(POSITIONS), "description": "add_approver: before or after "
                 "the current step (required there)"}}}


def openapi(snapshot: Any) -> dict[str, dict[str, Any]]:
    """Actions and timelines of records, the inbox, task decisions."""
    listed = {"200": {"description": "the list", "content": doc.json_content(ITEMS)}}
    paths: dict[str, dict[str, Any]] = {
        "/api/v1/_inbox": {"get": {
            "tags": ["workflow"], "summary": "My tasks", "operationId": "inbox",
            "parameters": [{"name": "box", "in": "query", "schema": {"type": "string", "enum": list(BOXES)}}],
            "responses": doc.responses({"200": {"description": "tasks", "content": doc.json_content(
                {"type": "object", "properties": {"items": {"type": "array", "items": TASK}}})}}, 401, 422)}},
        "/api/v1/_tasks/{task_id}/{verb}": {"post": {
            "tags": ["workflow"], "summary": "Decide, return, transfer a task or add an approver",
            "operationId": "task_verb",
            "parameters": [{**doc.RECORD_ID, "name": "task_id"},
                           {"name": "verb", "in": "path", "required": True,
                            "schema": {"type": "string", "enum": list(VERBS)}}],
            "requestBody": {"required": False, "content": doc.json_content(TASK_BODY)},
            "responses": doc.responses({"200": {"description": "the task", "content": doc.json_content(TASK)}},
                                       *doc.BODY_STATUSES, 404, 409)}},
        "/api/v1/_tasks/bulk_approve": {"post": {
            "tags": ["workflow"], "summary": "Approve several tasks", "operationId": "bulk_approve",
            "requestBody": {"required": True, "content": doc.json_content({
                "type": "object", "required": ["ids"], "properties": {
                    "ids": {"type": "array", "maxItems": 500, "items": doc.RECORD_ID["schema"]},
                    "comment": _text_schema(2000)}})},
            "responses": doc.responses({"200": {"description": "approved ids and failures by id",
                                                "content": doc.json_content({"type": "object", "properties": {
                                                    "approved": {"type": "array"}, "failed": {"type": "object"}}})}},
                                       *doc.BODY_STATUSES)}},
    }
    workflows = snapshot.features.get("workflows", {}) if snapshot is not None else {}
    for entity in snapshot.top_entities if snapshot is not None else ():
        key, tags = entity.key, [entity.key]
        paths[f"/api/v1/{key}/{{record_id}}/timeline"] = {"get": {
            "tags": tags, "summary": "What happened to the record", "operationId": f"timeline_{key}",
            "parameters": [doc.RECORD_ID], "responses": doc.responses(listed, 401, 403, 404, 422)}}
        workflow = workflows.get(key)
        if workflow is None:
            continue
        paths[f"/api/v1/{key}/{{record_id}}/actions"] = {"get": {
            "tags": tags, "summary": "The workflow actions I may take now", "operationId": f"actions_{key}",
            "parameters": [doc.RECORD_ID], "responses": doc.responses(listed, 401, 403, 404, 422)}}
        record = {"description": "the record after the action", "content": doc.json_content(
            doc.ref(doc.schema_name(entity, "output"))), "headers": {"ETag": {"schema": {"type": "string"}}}}
        paths[f"/api/v1/{key}/{{record_id}}/actions/{{action}}"] = {"post": {
            "tags": tags, "summary": "Take a workflow action", "operationId": f"take_action_{key}",
            "parameters": [doc.RECORD_ID, {"name": "action", "in": "path", "required": True,
                                           "schema": {"type": "string", "enum": sorted(workflow.transitions)}},
                           doc.IF_MATCH],
            "requestBody": {"required": False, "content": doc.json_content({"type": "object", "properties": {
                "comment": _text_schema(2000), "values": {"type": ["object", "null"]}}})},
            "responses": doc.responses({"200": record}, *doc.BODY_STATUSES, 404, 409, 412)}}
    return paths
