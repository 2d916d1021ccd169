"""Work on many rows of a list at once, and on one cell of a row: the list's bulk bar and inline edit.

Every row goes its own way through the one write path as the signed-in user: a workflow action
through ``WorkflowService.transition`` (its roles, guards and required fields hold), an
assignment or a field edit through ``RecordService.update`` (validation, row permissions,
locks). A row that is refused is reported with its reason; the others go through. Ticked rows
also print as one PDF; the export takes them through ``ids=`` (``listing.export``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from sunmao.errors import Forbidden, SunmaoError
from sunmao.i18n import Text
from sunmao.meta.model import Entity, Field
from sunmao.records import checks
from sunmao.records.compiled import CompiledEntity
from sunmao.records.query import ListQuery
from sunmao.storage import system as sm
from sunmao.web.app import context, language
from sunmao.web.screens import shell
from sunmao.web.screens.fields import collect_links, display, fetch_titles
from sunmao.web.screens.record import pdf_response
from sunmao.web.screens.routes import blueprint
from sunmao.workflow import WorkflowService

MAX_ROWS = 500
#: Field types a list cell or the bulk bar can edit in place (links and tables need their own pickers).
EDITABLE_TYPES = ("string", "text", "select", "date", "datetime", "integer", "decimal", "boolean")


def editable_fields(ce: CompiledEntity) -> list[Field]:
    """The fields the signed-in user may change from a list: inputs of a plain type, not locked for
    their roles, never the workflow's state field (that moves only by an action)."""
    actor = shell.actor()
    if not actor.can(ce.entity, "update"):
        return []
    locked = checks.locked(ce, actor, "update")
    flow = shell.workflows().get(ce.key)
    state = getattr(flow, "state_field", None)
    return [f for f in ce.entity.fields if f.is_input and not f.hidden and f.type in EDITABLE_TYPES
            and f.key not in locked and f.key != state]


def bulk_actions(entity: Entity, lang: str) -> list[dict[str, Any]]:
    """The workflow actions the user's roles may take on some record (each row's state decides)."""
    flow = shell.workflows().get(entity.key)
    if flow is None:
        return []
    actor = shell.actor()
    out = []
    for t in flow.transitions.values():
        if t.system or not t.allowed_for(set(actor.roles), actor.system):
            continue
        out.append({"key": t.key, "label": t.label.get(lang), "comment_required": t.comment_required,
                    "fields_required": [(k, entity.by_key[k].label.get(lang)) for k in t.fields_required
                                        if k in entity.by_key]})
    return out


def assignees() -> list[tuple[str, str]]:
    """Active users as (username, shown name): the choices of a view's ``assign_field``."""
    with context().runtime.db.read() as conn:
        rows = conn.execute(sa.select(sm.user.c.username, sm.user.c.display_name)
                            .where(sm.user.c.active.is_(True)).order_by(sm.user.c.username))
        return [(r.username, r.display_name or r.username) for r in rows]


def _bad(path: str, zh: str, en: str) -> SunmaoError:
    return SunmaoError(Text(zh, en), errors={path: [Text(zh, en)]})


def _ids(body: Mapping[str, Any]) -> list[int]:
    ids = body.get("ids")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0
                                                       for i in ids):
        raise _bad("ids", "请勾选至少一条记录（ids 须为记录编号列表）",
                   "tick at least one record (ids: a list of record ids)")
    if len(ids) > MAX_ROWS:
        raise _bad("ids", f"一次最多处理 {MAX_ROWS} 条", f"at most {MAX_ROWS} records at once")
    return list(dict.fromkeys(ids))


def _names(ce: CompiledEntity, ids: list[int]) -> dict[int, str]:
    """Record numbers of the rows the user can see (a row they cannot see is refused as not found)."""
    query = ListQuery(filters=[("id", "in", ",".join(map(str, ids)))], limit=MAX_ROWS)
    items = shell.records().list(ce.key, query, actor=shell.actor())["items"]
    return {item["id"]: str(item.get("name") or f"#{item['id']}") for item in items}


def _reason(exc: SunmaoError, lang: str) -> str:
    body = exc.problem(lang)
    details = [m for msgs in body.get("errors", {}).values() for m in msgs]
    return "; ".join(details or [body.get("detail") or body["title"]])


def _value_field(ce: CompiledEntity, body: Mapping[str, Any], allowed: list[Field]) -> Field:
    key = body.get("field")
    f = ce.entity.by_key.get(key) if isinstance(key, str) else None
    if f is None:
        raise _bad("field", f"{ce.entity.label.zh}没有字段 {key}", f"{ce.entity.label.en} has no field {key!r}")
    if f not in allowed:
        raise Forbidden(Text(f"你的角色不能在列表中修改“{f.label.zh}”", f"your role may not change {f.label.en} "
                             "from a list"), errors={"field": [Text(f"不能修改“{f.label.zh}”",
                                                                    f"{f.label.en} cannot be changed")]})
    return f


@blueprint.post("/app/<entity>/bulk")
def bulk(entity: str) -> tuple[Response, int]:
    """``{"op": "transition", "action", "comment"?, "values"?}``, ``{"op": "assign", "value"}`` or
    ``{"op": "set", "field", "value"}`` over ``ids``: ``{"done": [...], "refused": [{id, name, reason}]}``."""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    lang = language()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _bad("op", "请求须为 JSON 对象", "the request must be a JSON object")
    op = body.get("op")
    if op not in ("transition", "assign", "set"):
        raise _bad("op", "op 须为 transition、assign 或 set", "op must be transition, assign or set")
    ids = _ids(body)
    if op == "transition":
        action = body.get("action")
        if not any(a["key"] == action for a in bulk_actions(ce.entity, lang)):
            raise Forbidden(Text(f"你的角色不能执行操作 {action}", f"your role may not take the action {action!r}"),
                            errors={"action": [Text("不是你可执行的操作", "not an action your role may take")]})
        values = body.get("values") or {}
        if not isinstance(values, dict):
            raise _bad("values", "values 须为对象", "values must be an object")
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise _bad("comment", "comment 须为文字", "comment must be text")
        comment = (comment or "").strip() or None
        service = WorkflowService(context().runtime.db, shell.snapshot())

        def apply(record_id: int) -> None:
            service.transition(entity, record_id, action, shell.actor(), comment=comment, values=values)
    else:
        if op == "assign":
            view = shell.snapshot().features.get("views", {}).get(body.get("view") or "")
            key = getattr(view, "assign_field", None) if view is not None and view.entity == entity else None
            if key is None:
                raise _bad("view", "该视图没有声明指派字段（assign_field）", "the view declares no assign_field")
            field = _value_field(ce, {"field": key}, editable_fields(ce))
        else:
            field = _value_field(ce, body, editable_fields(ce))
        value = body.get("value")
        value = None if value == "" else value

        def apply(record_id: int) -> None:
            shell.records().update(entity, record_id, {field.key: value}, actor=shell.actor())
    names = _names(ce, ids)
    done, refused = [], []
    for record_id in ids:
        if record_id not in names:
            refused.append({"id": record_id, "name": f"#{record_id}",
                            "reason": Text("找不到该记录，或你无权查看", "not found, or not yours to see").get(lang)})
            continue
        try:
            apply(record_id)
            done.append(record_id)
        except SunmaoError as exc:
            refused.append({"id": record_id, "name": names[record_id], "reason": _reason(exc, lang)})
    return jsonify({"done": done, "refused": refused}), 200


@blueprint.post("/app/<entity>/<int:record_id>/cell")
def edit_cell(entity: str, record_id: int) -> tuple[Response, int]:
    """Inline edit of one list cell: ``{"field", "value", "version"?}`` through the record service;
    answers the value as the list shows it, or the service's problem with the field's message."""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "update")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise _bad("field", "请求须为 JSON 对象", "the request must be a JSON object")
    field = _value_field(ce, body, editable_fields(ce))
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise _bad("version", "version 须为整数", "version must be an integer")
    value = body.get("value")
    service = shell.records()
    record = service.update(entity, record_id, {field.key: None if value == "" else value}, actor=shell.actor(),
                            expected_version=version)
    lang = language()
    titles = fetch_titles(service, shell.actor(), collect_links(service.snapshot, ce.entity, [record]))
    return jsonify({"text": display(field, record.get(field.key), lang, titles, record),
                    "value": record.get(field.key), "version": record.get("version")}), 200


@blueprint.get("/app/<entity>/print-selected")
@blueprint.get("/app/<entity>/print-selected/<key>")
def print_selected(entity: str, key: str | None = None) -> Response:
    """The ticked rows in one PDF, each on its own page, with the entity's print template ``key``."""
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    raw = [p for p in (request.args.get("ids") or "").split(",") if p]
    if not raw or not all(p.isdigit() for p in raw):
        raise _bad("ids", "请勾选至少一条记录（ids 须为逗号分隔的记录编号）",
                   "tick at least one record (ids: record ids separated by commas)")
    ids = _ids({"ids": [int(p) for p in raw]})
    records = [shell.records().get(entity, record_id, actor=shell.actor()) for record_id in ids]
    return pdf_response(ce.entity, records, key, f"{entity}-{len(records)}-{key or 'records'}")
