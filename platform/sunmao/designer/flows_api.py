"""The workflow and channel designers' routes on the designer API (``/api/v1/_design/...``).

Registered on the designer API's blueprint (imported at the end of ``designer/api.py``), so they
share its access rule (the designer or admin role), its body checks against the API document and
its answers. The work is done in ``designer/flows.py`` and ``designer/channels.py``.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Response, request

from sunmao.designer import audit, channels, flows
from sunmao.designer.api import blueprint, body, designer, drafts, reply
from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.web.app import context, language

SECRET_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


def _draft_snapshot(draft_id: int):  # type: ignore[no-untyped-def]
    from sunmao.designer.pages import draft_snapshot

    return draft_snapshot(draft_id)[0]


def _record_id(snap, entity: str, name: str) -> int:  # type: ignore[no-untyped-def]
    table = snap.tables.get(entity)
    if table is None:
        raise NotFound(Text(f"没有实体 {entity}", f"there is no entity {entity!r}"))
    with context().runtime.db.read() as conn:
        found = conn.execute(sa.select(table.c.id).where(table.c.name == name)).scalar()
    if found is None:
        raise NotFound(Text(f"没有编号为 {name} 的记录", f"no record numbered {name!r}"))
    return int(found)


@blueprint.post("/drafts/<int:draft_id>/simulate")
def simulate(draft_id: int) -> Response:
    data = body()
    drafts().info(draft_id)
    snap = _draft_snapshot(draft_id)
    entity = data["entity"]
    record_id = data.get("record_id")
    if record_id is None and data.get("record"):
        record_id = _record_id(snap, entity, str(data["record"]).strip())
    values = data.get("values")
    if record_id is None and not values:
        raise ValidationFailed(Text("请选择一条样例记录，或填写样例值", "pick a sample record or type sample values"),
                               errors={"record": [Text("必填", "required")]})
    try:
        result = flows.simulate(context().runtime.db, snap, entity, data["action"], record_id=record_id,
                                values=values, as_user=data.get("as_user") or None)
    except sa.exc.DBAPIError:
        raise _unpublished() from None
    return reply(result)


def _unpublished() -> ValidationFailed:
    return ValidationFailed(Text("草稿用到尚未发布的字段或实体，数据库中还没有它们：先发布这些字段，再模拟",
                                 "the draft reads fields or entities that are not published yet (the database "
                                 "has no column for them): publish them first, then simulate or preview"))


@blueprint.get("/flows/pinned")
def pinned() -> Response:
    runtime = context().runtime
    version = runtime.current_version(fresh=True)
    return reply({"version": version, "items": flows.pinned_runs(runtime.db)})


@blueprint.post("/drafts/<int:draft_id>/channels/preview")
def channel_preview(draft_id: int) -> Response:
    data = body()
    store = drafts()
    info = store.info(draft_id)
    runtime = context().runtime
    headers = {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
    if data.get("delivery"):
        stored = channels.stored_delivery(runtime.db, int(data["delivery"]))
        raw, headers, was_stored = stored["raw_body"].encode(), stored["headers"], True
    else:
        raw, was_stored = str(data.get("body") or "").encode(), False
    try:
        return reply(channels.preview(runtime, store.documents(draft_id), info.base_version, data["address"], raw,
                                      headers, language(), stored=was_stored))
    except sa.exc.DBAPIError:
        raise _unpublished() from None


@blueprint.get("/channels/deliveries")
def channel_deliveries() -> Response:
    return reply({"items": channels.deliveries(context().runtime.db, request.args.get("channel") or None)})


@blueprint.get("/channels/deliveries/<int:delivery_id>")
def channel_delivery(delivery_id: int) -> Response:
    return reply(channels.stored_delivery(context().runtime.db, delivery_id))


def _secret_name(name: str) -> str:
    if not SECRET_NAME.match(name):
        raise ValidationFailed(Text("密钥名称只能由小写字母、数字和下划线组成",
                                    "a secret's name is lower-case letters, digits and underscores"),
                               errors={"name": [Text("格式不对", "bad name")]})
    return name


@blueprint.get("/secrets/<name>")
def secret_state(name: str) -> Response:
    return reply(channels.secret_state(context().runtime.db, _secret_name(name)))


@blueprint.put("/secrets/<name>")
def secret_set(name: str) -> Response:
    from sunmao.hooks.inbound.secrets import set_secret

    who = designer()
    data = body()
    runtime = context().runtime
    set_secret(runtime.db, _secret_name(name), str(data["value"]))
    with runtime.db.write() as conn:
        audit.record(conn, who, "secret.set", detail={"name": name})
    return reply(channels.secret_state(runtime.db, name))
