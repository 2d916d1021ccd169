"""The warehouse scan page ``/app/scan``: scan a package barcode, ship the order in one action.

A USB scanner types the code and Enter (keyboard wedge); a phone uses its camera through the
browser's BarcodeDetector where available, with manual entry otherwise. The server finds the
record whose number (``name``) is the code, among entities that have a workflow, and runs the
chosen workflow action (``ship`` by default) through ``WorkflowService.transition`` — so the
ship gate of the workflow decides, and a blocked shipment comes back with the gate's reasons.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from sunmao.errors import NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import Entity
from sunmao.web.app import context, language
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.fields import title_field
from sunmao.web.screens.routes import blueprint

DEFAULT_ACTION = "ship"
MAX_CODE = 64


class LocalWaybills:
    """The built-in courier adapter: waybill numbers from the local clock and the record number.

    A real courier (SF Express, Kuaidi100 electronic waybills) would implement the same
    ``number(record)`` call against its API; this one works offline.
    """

    def number(self, record: dict[str, Any]) -> str:
        digits = "".join(ch for ch in str(record.get("name") or record.get("id")) if ch.isdigit())[-10:]
        return f"SM{datetime.now(UTC):%y%m%d}{digits}"


COURIER = LocalWaybills()


def action_values(entity: str, action: str, record: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """Fields the action requires: what the page sent, else a waybill number from the courier adapter."""
    flow = shell.workflows().get(entity)
    step = getattr(flow, "transitions", {}).get(action) if flow is not None else None
    values: dict[str, Any] = {}
    for key in getattr(step, "fields_required", ()) or ():
        if given.get(key):
            values[key] = given[key]
        elif not record.get(key) and "waybill" in key:
            values[key] = COURIER.number(record)
    return values


def _candidates() -> list[Entity]:
    """Entities whose records can be scanned: those with a workflow, else every readable one."""
    snap = shell.snapshot()
    flows = shell.workflows()
    entities = [e for e in snap.top_entities if e.key in flows] or snap.top_entities
    return [e for e in entities if shell.actor().can(e, "read")]


def find_by_code(code: str) -> tuple[Entity, int] | None:
    """The live record whose number is ``code`` (one indexed lookup per candidate entity)."""
    snap = shell.snapshot()
    with context().runtime.db.read() as conn:
        for entity in _candidates():
            table = snap.tables[entity.key]
            found = conn.execute(sa.select(table.c.id).where(table.c.name == code, table.c.deleted_at.is_(None))
                                 .limit(1)).scalar()
            if found is not None:
                return entity, found
    return None


@blueprint.get("/app/scan")
def scan_page() -> tuple[str, int]:
    action = request.args.get("action") or DEFAULT_ACTION
    return shell.render("screens/scan.html", title=_("Scan to ship"), widgets=["scan"], action=action,
                        gate=bool(shell.workflows()))


def _problem_text(exc: SunmaoError, lang: str) -> tuple[str, list[str]]:
    body = exc.problem(lang)
    return body.get("detail") or body["title"], [m for msgs in body.get("errors", {}).values() for m in msgs]


@blueprint.post("/app/scan")
def scan() -> tuple[Response, int]:
    lang = language()
    body = request.get_json(silent=True) or {}
    code = str(body.get("code") or "").strip()[:MAX_CODE]
    action = str(body.get("action") or DEFAULT_ACTION)[:40]
    if not code:
        raise ValidationFailed(errors={"code": [Text("请扫描或输入条码", "scan or type a code")]})
    hit = find_by_code(code)
    if hit is None:
        raise NotFound(Text(f"没有找到条码 {code} 对应的单据", f"no record has the code {code}"))
    entity, record_id = hit
    record = shell.records().get(entity.key, record_id, actor=shell.actor())
    matched: dict[str, Any] = {"entity": entity.key, "entity_label": entity.label.get(lang), "id": record_id,
                               "name": record.get("name"), "title": str(record.get(title_field(entity)) or ""),
                               "url": f"/app/{entity.key}/{record_id}"}
    if entity.key not in shell.workflows():
        return jsonify({"matched": matched, "done": False,
                        "message": _("Matched, but this record has no workflow: shipping is not available yet."),
                        "reasons": []}), 409
    from sunmao.workflow import WorkflowService  # type: ignore[import-not-found]

    service = WorkflowService(context().runtime.db, shell.snapshot())
    try:
        given = {"waybill_no": str(body.get("waybill") or "").strip()[:MAX_CODE]}
        result = service.transition(entity.key, record_id, action, shell.actor(),
                                    values=action_values(entity.key, action, record, given),
                                    expected_version=record.get("version"))
    except SunmaoError as exc:
        message, reasons = _problem_text(exc, lang)
        return jsonify({"matched": matched, "done": False, "message": message, "reasons": reasons}), exc.status
    done = result if isinstance(result, dict) else {}
    waybill = done.get("waybill_no")
    message = _("Shipped: %(name)s", name=matched["name"])
    if waybill:
        message += " · " + _("waybill %(no)s", no=waybill)
    return jsonify({"matched": matched, "done": True, "message": message, "waybill": waybill,
                    "label_url": f"/app/{entity.key}/{record_id}/print/delivery_note"}), 200
