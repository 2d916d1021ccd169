"""The webhook designer's pages: a webhook or robot message not made yet
(``/designer/drafts/<id>/webhooks/new``) and what the editor starts with for one that exists.

Registered on the designer pages' blueprint (imported at the end of ``designer/pages.py``): the
same access rule and shell. Like the channel designer, the first save adds the document to the
draft (the manifest lists it by itself) and publishing the draft makes it live.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from sunmao.designer.pages import _page, _runtime, _setup, _workspace, blueprint
from sunmao.web.app import language

SAMPLES = 15


def _transitions(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per entity, the draft's workflow transitions (each emits ``<entity>.transition.<key>``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for docs in apps.values():
        for doc in docs.values():
            if isinstance(doc, dict) and doc.get("kind") == "workflow" and doc.get("entity"):
                out.setdefault(doc["entity"], []).extend(
                    {"key": t.get("key"), "label": t.get("label"), "to": t.get("to")}
                    for t in doc.get("transitions", []) if isinstance(t, dict) and t.get("key"))
    return out


def _samples(runtime: Any) -> dict[str, list[dict[str, Any]]]:
    """The newest records of each published top-level entity, to render a preview from."""
    version = runtime.current_version(fresh=True)
    if version is None:
        return {}
    snap = runtime.snapshot(version)
    out: dict[str, list[dict[str, Any]]] = {}
    with runtime.db.read() as conn:
        for key, entity in snap.entities.items():
            if entity.child or key not in snap.tables:
                continue
            table = snap.tables[key]
            query = sa.select(table.c.id, table.c.name).order_by(table.c.id.desc()).limit(SAMPLES)
            if "deleted_at" in table.c:
                query = query.where(table.c.deleted_at.is_(None))
            out[key] = [{"id": r[0], "name": r[1]} for r in conn.execute(query)]
    return out


def webhook_extras(runtime: Any, apps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {"transitions": _transitions(apps), "samples": _samples(runtime)}


@blueprint.get("/designer/drafts/<int:draft_id>/webhooks/new")
def new_webhook_page(draft_id: int) -> tuple[str, int]:
    ws = _workspace(draft_id)
    skeleton = {"kind": "webhook", "key": "", "label": {"zh": "", "en": ""}, "events": [],
                "target": {"type": "wecom", "secret": ""},
                "message": {"msgtype": "markdown", "content": "### {{ record.name }}"},
                "retry": {"max_attempts": 8, "backoff_seconds": 30, "max_backoff_seconds": 21600}}
    title = "新建 Webhook / 机器人消息" if language() == "zh" else "New webhook or robot message"
    return _page("designer/webhook.html", title, ws=ws, address=None, kind="webhook", widgets=[],
                 setup=_setup(ws, None, document=skeleton, kind="webhook", creating=True,
                              **webhook_extras(_runtime(), ws["apps"])))
