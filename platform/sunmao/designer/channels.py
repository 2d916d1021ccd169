"""The channel designer's server side: a draft's channel tried on a sample, secrets, stored deliveries.

The preview compiles the draft (its channel documents included) with the engine's own compiler
and hands the sample to ``hooks.inbound.preview.preview_delivery`` — the intake's real path in a
rolled-back transaction. A channel document that does not compile yet is not an error of the
preview: its problems are the answer, at their JSON paths, so the person sees what to fix.

Secrets never enter a document: the designer stores them in the platform's encrypted secret
store (``sunmao secret set`` does the same) and can only learn whether one is set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sunmao.designer.drafts import split
from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.errors import MetadataError
from sunmao.snapshot import compile_snapshot

_DELIVERY = {"type": "object"}

#: The designer API's operations of this module (see ``designer/openapi.py``).
OPERATIONS: tuple[tuple[str, str, str, str, Any, Any], ...] = (
    ("post", "/drafts/{draft_id}/channels/preview", "design_channel_preview",
     "A sample delivery to a draft's channel: the order it would make and the problems (nothing is kept)",
     {"type": "object", "required": ["address"],
      "properties": {"address": {"type": "string"}, "body": {"type": "string"},
                     "headers": {"type": "object", "additionalProperties": {"type": "string"}},
                     "delivery": {"type": "integer", "minimum": 1}}},
     {"type": "object", "properties": {"status": {"type": ["integer", "null"]}, "problems": {"type": "array"},
                                       "order": {"type": ["object", "null"]}}}),
    ("get", "/channels/deliveries", "design_channel_deliveries", "Stored raw deliveries (?channel=), newest first",
     None, {"type": "object", "properties": {"items": {"type": "array", "items": _DELIVERY}}}),
    ("get", "/channels/deliveries/{delivery_id}", "design_channel_delivery",
     "One stored raw delivery: its headers and body, to use as a sample", None, _DELIVERY),
    ("get", "/secrets/{name}", "design_secret_state", "Whether a secret is set (never its value)", None,
     {"type": "object", "properties": {"name": {"type": "string"}, "set": {"type": "boolean"}}}),
    ("put", "/secrets/{name}", "design_secret_set", "Store a secret, encrypted (the previous value stays accepted)",
     {"type": "object", "required": ["value"], "properties": {"value": {"type": "string", "minLength": 8}}},
     {"type": "object", "properties": {"name": {"type": "string"}, "set": {"type": "boolean"}}}),
)


def _channel_doc(apps: Mapping[str, Mapping[str, Any]], address: str) -> dict[str, Any]:
    app, path = split(address)
    doc = apps.get(app, {}).get(path)
    if not isinstance(doc, dict) or doc.get("kind") != "channel":
        raise NotFound(Text(f"草稿中没有渠道 {address}", f"the draft has no channel {address}"))
    return doc


def preview(runtime: Any, apps: Mapping[str, Mapping[str, Any]], base_version: int, address: str, body: bytes,
            headers: Mapping[str, str], lang: str, *, stored: bool = False) -> dict[str, Any]:
    """What the draft's channel at ``address`` would make of the sample."""
    from sunmao.hooks.inbound.intake import channels
    from sunmao.hooks.inbound.preview import preview_delivery

    doc = _channel_doc(apps, address)
    try:
        snap = compile_snapshot(base_version, apps, features=runtime.compilers)
    except MetadataError as exc:
        mine = [p for p in exc.problems if p.file == address] or list(exc.problems)
        return {"compiled": False, "status": None, "order": None, "customer": None, "answer": None,
                "signature": None, "problems": [{"kind": "document", "path": p.path, "document": p.file,
                                                 "message": p.message} for p in mine]}
    channel = channels(snap).get(doc.get("key", ""))
    if channel is None:
        raise NotFound(Text(f"渠道 {doc.get('key')} 未能编译", f"channel {doc.get('key')!r} did not compile"))
    if channel.mode != "push":
        raise ValidationFailed(Text("只有推送渠道可以用样例试收", "only push channels take a pasted sample"))
    return {"compiled": True, **preview_delivery(runtime.db, snap, channel, body, headers, lang=lang,
                                                       check_signature=not stored)}


def stored_delivery(db: Any, delivery_id: int) -> dict[str, Any]:
    from sunmao.hooks.inbound import store

    row = store.get(db, delivery_id)
    if row is None:
        raise NotFound(Text(f"接收记录 #{delivery_id} 不存在", f"delivery #{delivery_id} does not exist"))
    raw = bytes(row["body"] or b"")
    try:
        text = raw.decode("utf-8")
        pretty = json.dumps(json.loads(text), ensure_ascii=False, indent=2) if text.strip() else text
    except (UnicodeDecodeError, ValueError):
        pretty = raw.decode("utf-8", "replace")
    return {"id": row["id"], "channel": row["channel"], "status": row["status"], "headers": dict(row["headers"]),
            "body": pretty, "raw_body": raw.decode("utf-8", "replace"),
            "received_at": row["received_at"].isoformat() if row["received_at"] else None}


def deliveries(db: Any, channel: str | None) -> list[dict[str, Any]]:
    from sunmao.hooks.inbound import store

    return [{"id": r["id"], "channel": r["channel"], "status": r["status"],
             "received_at": r["received_at"].isoformat() if r["received_at"] else None}
            for r in store.list_deliveries(db, channel=channel, limit=30)]


def secret_state(db: Any, name: str) -> dict[str, Any]:
    from sunmao.hooks.inbound.secrets import secret_store

    return {"name": name, "set": secret_store(db).get(name) is not None}
