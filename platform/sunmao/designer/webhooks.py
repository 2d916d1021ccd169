"""The webhook designer's server side: a draft's webhook or robot message rendered from a sample
record, sent once for real as a test, and its delivery log.

The preview compiles the one document being edited with the webhooks feature's own compiler
(``hooks.outbound.model.compile_webhooks``) and the published rule engine, then renders the body
exactly as the outbox subscriber does for a real event: the event a write of the chosen record
would emit (``entity``, ``id``, ``name``, ``action``, ``actor``, ``transition``, ``record``), or a
sample event typed by the person for topics that are not about one record.

"Send a test" posts that body to the target with the delivery code's own request builder, signer
and judge (``hooks.outbound.targets``), once, without retries, and records it in the delivery log
(``sm_delivery``, its event id starting with ``test-``) so it is seen where real deliveries are.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from sunmao.designer.drafts import split
from sunmao.errors import Conflict, NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.schemas import validate_document
from sunmao.meta.settings import resolve_settings

TEST_PREFIX = "test-"
_SAMPLE = {"type": "object", "properties": {
    "address": {"type": "string", "minLength": 1},
    "document": {"type": "object", "description": "the webhook as edited (default: the draft's)"},
    "record": {"type": "string", "maxLength": 100, "pattern": "^[^\\u0000]*$",
               "description": "a sample record's number (its name)"},
    "record_id": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    "topic": {"type": "string", "pattern": "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$"},
    "event": {"type": "object", "description": "a typed sample event, for topics not about one record"}},
    "required": ["address"], "additionalProperties": False}
_DELIVERY = {"type": "object"}

#: The designer API's operations of this module (see ``designer/openapi.py``).
OPERATIONS: tuple[tuple[str, str, str, str, Any, Any], ...] = (
    ("post", "/drafts/{draft_id}/webhooks/preview", "design_webhook_preview",
     "A draft's webhook rendered from a sample record: the event, the condition's answer, the exact body",
     _SAMPLE, {"type": "object", "properties": {"body": {"type": ["string", "null"]},
                                               "condition": {"type": ["boolean", "null"]},
                                               "problems": {"type": "array"}}}),
    ("post", "/drafts/{draft_id}/webhooks/test", "design_webhook_test",
     "Send the rendered body to the webhook's target once (a test delivery, in the delivery log)", _SAMPLE,
     {"type": "object", "properties": {"ok": {"type": "boolean"}, "status_code": {"type": ["integer", "null"]},
                                       "response": {"type": ["string", "null"]}, "delivery": {"type": "integer"}}}),
    ("get", "/webhooks/deliveries", "design_webhook_deliveries",
     "The delivery log of one webhook (?webhook=, ?status=dead for the dead letters), newest first", None,
     {"type": "object", "properties": {"items": {"type": "array", "items": _DELIVERY}}}),
)


class _One:
    """Just enough of a snapshot for the webhooks compiler: one document and a rule engine."""

    def __init__(self, address: str, doc: Mapping[str, Any], rules: Any) -> None:
        self.address, self.doc, self.rules = address, doc, rules

    def documents(self, kind: str) -> list[tuple[str, Mapping[str, Any]]]:
        return [(self.address, self.doc)] if kind == "webhook" else []


def _problem(path: str, message: str, address: str) -> dict[str, Any]:
    return {"kind": "document", "document": address, "path": path, "message": message}


def compile_one(runtime: Any, apps: Mapping[str, Mapping[str, Any]], address: str,
                edited: Mapping[str, Any] | None) -> tuple[Any, list[dict[str, Any]]]:
    """The webhook at ``address`` (``edited``, or the draft's) compiled, or its problems at their paths."""
    from sunmao.hooks.outbound.model import compile_webhooks

    app, path = split(address)
    doc = edited if edited is not None else apps.get(app, {}).get(path)
    if not isinstance(doc, dict) or doc.get("kind") != "webhook":
        raise NotFound(Text(f"草稿中没有 Webhook {address}", f"the draft has no webhook {address}"))
    problems = validate_document(doc, address)
    if problems:
        return None, [_problem(p.path, p.message, address) for p in problems]
    resolved, setting_problems = resolve_settings({**apps, app: {**apps.get(app, {}), path: doc}})
    if setting_problems:
        return None, [_problem(p.path, p.message, address) for p in setting_problems if p.file == address]
    _name, hooks, compile_problems = compile_webhooks(_One(address, resolved[app][path], runtime.snapshot().rules))
    if compile_problems or not hooks:
        return None, [_problem(p.path, p.message, address) for p in compile_problems]
    return hooks[0], []


def default_topic(events: tuple[str, ...]) -> str:
    """A concrete topic for a pattern: ``order.*`` → ``order.updated``, ``*.created`` → ``record.created``."""
    first = events[0]
    parts = first.split(".")
    return ".".join(p if p != "*" else ("record" if i == 0 else "updated") for i, p in enumerate(parts))


def _record_id(db: Any, snap: Any, entity: str, data: Mapping[str, Any]) -> int:
    if data.get("record_id") is not None:
        return int(data["record_id"])
    name = str(data.get("record") or "").strip()
    if not name:
        raise ValidationFailed(Text("请选择一条样例记录（编号），或填写样例事件",
                                    "pick a sample record (its number) or type a sample event"),
                               errors={"record": [Text("必填", "required")]})
    table = snap.tables[entity]
    with db.read() as conn:
        found = conn.execute(sa.select(table.c.id).where(table.c.name == name)).scalar()
    if found is None:
        raise ValidationFailed(Text(f"没有编号为 {name} 的记录", f"no record numbered {name!r}"),
                               errors={"record": [Text(f"没有编号为 {name} 的{entity}记录",
                                                       f"no {entity} record numbered {name!r}")]})
    return int(found)


def _transition(apps: Mapping[str, Mapping[str, Any]], entity: str, key: str, record: Mapping[str, Any]
                ) -> dict[str, Any]:
    """What the journal says of a transition (``step.journal()``), from the draft's workflow of ``entity``."""
    for docs in apps.values():
        for doc in docs.values():
            if isinstance(doc, dict) and doc.get("kind") == "workflow" and doc.get("entity") == entity:
                for t in doc.get("transitions", []):
                    if t.get("key") == key:
                        source = record.get(doc.get("state_field", "status"))
                        return {"action": key, "label": t.get("label"), "from": (t.get("from") or [source])[0],
                                "to": t.get("to") or source, "comment": None, "inputs": {}}
    return {"action": key, "label": None, "from": None, "to": None, "comment": None, "inputs": {}}


def sample_event(runtime: Any, apps: Mapping[str, Mapping[str, Any]], topic: str, data: Mapping[str, Any],
                 actor: str) -> Any:
    """The outbox event a write of the chosen record would emit under ``topic`` (or the typed one)."""
    from sunmao.jobs.outbox import Event

    now = datetime.now(UTC)
    event_id = str(uuid.uuid4())
    if isinstance(data.get("event"), dict):
        payload = dict(data["event"])
        return Event(0, event_id, topic, payload.get("entity"), payload.get("id"), payload, now)
    snap = runtime.snapshot()
    entity = topic.split(".")[0]
    if entity not in snap.tables or snap.entities[entity].child:
        raise ValidationFailed(Text(f"事件 {topic} 不是关于某一实体记录的事件：请填写样例事件（JSON）",
                                    f"{topic} is not about the records of one entity: type a sample event (JSON)"),
                               errors={"event": [Text("必填", "required")]})
    record_id = _record_id(runtime.db, snap, entity, data)
    try:
        record = runtime.records().get(entity, record_id)
    except NotFound:
        raise ValidationFailed(Text(f"{entity} #{record_id} 不存在", f"{entity} #{record_id} does not exist"),
                               errors={"record_id": [Text("不存在", "does not exist")]}) from None
    parts = topic.split(".")
    moved = len(parts) == 3 and parts[1] == "transition"  # <entity>.transition.<action>, as the journal names it
    action = "transition" if moved else parts[-1]
    transition = _transition(apps, entity, parts[2], record) if moved else None
    payload = {"entity": entity, "id": record_id, "name": record.get("name"), "version": record.get("version"),
               "action": action, "actor": actor, "changed": [], "transition": transition, "record": record}
    return Event(0, event_id, topic, entity, record_id, payload, now)


def _truthy(value: Any) -> bool:
    if isinstance(value, list):
        return len(value) > 0
    return bool(value) and value == value  # NaN is false, as in JSONLogic


def render(runtime: Any, apps: Mapping[str, Mapping[str, Any]], data: Mapping[str, Any], actor: str
           ) -> tuple[Any, Any, dict[str, Any]]:
    """The compiled webhook, the sample event and what the preview shows."""
    hook, problems = compile_one(runtime, apps, data["address"], data.get("document"))
    if hook is None:
        return None, None, {"compiled": False, "problems": problems, "body": None, "condition": None}
    topic = data.get("topic") or default_topic(hook.events)
    event = sample_event(runtime, apps, topic, data, actor)
    out: dict[str, Any] = {"compiled": True, "problems": [], "topic": topic, "matches": hook.wants(topic),
                           "event": json.loads(json.dumps(event.data(), default=str)), "target_type": hook.target_type}
    try:
        out["condition"] = None if hook.condition is None else _truthy(hook.condition(event.data()))
        out["body"] = hook.render_body(event)
    except Exception as exc:  # noqa: BLE001 - shown at its place, as the delivery log would say it
        out.update(condition=out.get("condition"), body=None,
                   problems=[_problem("$.payload" if hook.target_type == "http" else "$.message",
                                      f"the body could not be rendered: {type(exc).__name__}: {exc}", data["address"])])
        return hook, event, out
    try:
        out["json"] = json.loads(out["body"])
    except ValueError:
        out["json"] = None
    return hook, event, out


def send_test(runtime: Any, hook: Any, event: Any, body: str) -> dict[str, Any]:
    """Post ``body`` to the hook's target once; record it in the delivery log; the receiver's answer."""
    from sunmao.hooks.outbound import ratelimit, targets
    from sunmao.hooks.outbound.settings import OutboundSettings
    from sunmao.hooks.outbound.tables import delivery
    from sunmao.hooks.outbound.transport import post
    from sunmao.jobs import work
    from sunmao.jobs.secrets import MissingSecret, SecretKeyError, secret_store

    settings = OutboundSettings.from_env()
    target = dict(hook.target)
    if "secret_field" in target:  # the record's own robot (one per production line)
        field = target.pop("secret_field")
        name = ((event.data().get("record") or {}).get(field) or "")
        if not name:
            raise ValidationFailed(Text(f"样例记录的 {field} 为空：它没有自己的机器人",
                                        f"the sample record's {field} is empty: it names no robot"),
                                   errors={"record": [Text("没有机器人", "no robot")]})
        target["secret"] = str(name)
    now = datetime.now(UTC)
    event_id = TEST_PREFIX + uuid.uuid4().hex[:31]
    try:
        request = targets.prepare(hook.target_type, target, body, event_id, secret_store(runtime.db), settings, now)
    except MissingSecret as exc:
        where = "target.token_secret" if hook.target_type == "dingtalk" and "token" in str(exc) else "target.secret"
        raise ValidationFailed(Text(f"密钥未设置：{exc}", f"a secret is not set: {exc}"),
                               errors={where: [Text("先保存密钥", "store the secret first")]}) from None
    except SecretKeyError as exc:
        raise Conflict(Text(f"密钥无法解密：{exc}", f"the secret cannot be decrypted: {exc}")) from None
    bucket = targets.rate_bucket(hook.target_type, target, settings)
    if bucket is not None:
        wait = ratelimit.reserve(runtime.db, bucket.key, bucket.limit, bucket.window, margin=settings.rate_margin)
        if wait > 0:
            raise Conflict(Text(f"机器人每 {bucket.window:g} 秒最多 {bucket.limit} 条消息：请 {wait:.0f} 秒后再试",
                                f"the robot takes {bucket.limit} messages per {bucket.window:g} s: try again in "
                                f"{wait:.0f} s"))
    result = post(request.url, request.body, request.headers, request.timeout)
    outcome = targets.judge(hook.target_type, result)
    done = datetime.now(UTC)
    row = {"event_id": event_id, "topic": event.topic, "webhook": hook.key, "target_type": hook.target_type,
           "target": target, "body": body, "status": work.SUCCEEDED if outcome.ok else work.DEAD, "attempts": 1,
           "max_attempts": 1, "next_attempt_at": done, "created_at": now, "updated_at": done, "replays": 0,
           "last_attempt_at": done, "last_status_code": outcome.status_code, "request_url": request.shown_url,
           "response_excerpt": outcome.response, "succeeded_at": done if outcome.ok else None,
           "last_error": None if outcome.ok else f"test from the designer, not retried: {outcome.error}"}
    with runtime.db.write() as conn:
        delivery_id = conn.execute(delivery.insert().values(**row)).inserted_primary_key[0]
    return {"ok": outcome.ok, "status_code": outcome.status_code, "error": outcome.error,
            "response": result.body[:targets.EXCERPT].decode(errors="replace") if result.body else None,
            "request_url": request.shown_url, "delivery": int(delivery_id), "event_id": event_id,
            "elapsed_ms": round(result.elapsed * 1000)}


def deliveries(db: Any, webhook: str | None, status: str | None) -> list[dict[str, Any]]:
    """The newest deliveries (of one webhook), what the log shows of each; test ones say so."""
    from sunmao.hooks.outbound.deliver import deliveries as log

    keep = ("id", "event_id", "topic", "webhook", "target_type", "status", "attempts", "max_attempts",
            "last_status_code", "last_error", "response_excerpt", "request_url", "created_at", "last_attempt_at")
    return [{**{k: (r[k].isoformat() if isinstance(r[k], datetime) else r[k]) for k in keep},
             "test": str(r["event_id"]).startswith(TEST_PREFIX)}
            for r in log(db, status=status or None, webhook=webhook or None, limit=30)]
