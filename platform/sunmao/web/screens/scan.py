"""Scan pages: ``/app/scan`` and every ``scan`` view (``/app/views/<key>``).

A USB scanner types the code and Enter (keyboard wedge); a phone uses its camera through the
browser's BarcodeDetector where available, with manual entry otherwise. What a scan does is
metadata — a ``scan`` view names the entity, the fields a code is looked up in, the workflow
action and what goes with it (:mod:`sunmao.web.screens.scanning`). Without a scan view the
page still matches record numbers of the entities with a workflow and takes the action asked.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, jsonify, request

from sunmao.errors import NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import Entity
from sunmao.storage import system as sm
from sunmao.web.app import context, language
from sunmao.web.files import send_stored
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.fields import title_field
from sunmao.web.screens.layouts import ViewLayout, scan_views
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.scanning import run_scan
from sunmao.workflow import WorkflowService

MAX_CODE = 64
MAX_PACKAGES = 999


def usable_views() -> list[ViewLayout]:
    """The scan views whose records the user may read."""
    snap = shell.snapshot()
    return [v for v in scan_views(snap) if shell.actor().can(snap.entities[v.entity], "read")]


def _view(key: str | None) -> ViewLayout | None:
    views = usable_views()
    if key:
        found = next((v for v in views if v.key == key), None)
        if found is None:
            raise NotFound(Text(f"没有名为 {key} 的扫码页", f"there is no scan page named {key!r}"))
        return found
    return views[0] if views else None


def _action_label(view: ViewLayout | None, action: str) -> Text:
    flow = shell.workflows().get(view.entity) if view is not None else None
    step = flow.transitions.get(action) if flow is not None else None
    return step.label if step is not None else Text(action, action)


def render_scan(view: ViewLayout | None) -> tuple[str, int]:
    lang = language()
    action = view.scan.action if view is not None else (request.args.get("action") or "ship")
    title = view.label.get(lang) if view is not None else _("Scan")
    return shell.render("screens/scan.html", title=title, widgets=["scan"], action=action,
                        view_key=view.key if view is not None else "", button=_action_label(view, action).get(lang),
                        gate=bool(shell.workflows()))


@blueprint.get("/app/scan")
def scan_page() -> tuple[str, int]:
    return render_scan(_view(request.args.get("view")))


# -- finding the record --------------------------------------------------------------------------

def _find(entities: list[tuple[Entity, tuple[str, ...]]], code: str) -> tuple[Entity, int] | None:
    """The live record one of whose match fields holds ``code`` (one indexed lookup per field)."""
    snap = shell.snapshot()
    with context().runtime.db.read() as conn:
        for entity, fields in entities:
            table = snap.tables[entity.key]
            for key in fields:
                column = table.c[key]
                value: Any = code
                if isinstance(column.type, sa.Integer):
                    if not code.isdigit():
                        continue
                    value = int(code)
                found = conn.execute(sa.select(table.c.id).where(column == value, table.c.deleted_at.is_(None))
                                     .order_by(table.c.id).limit(1)).scalar()
                if found is not None:
                    return entity, found
    return None


def _candidates(view: ViewLayout | None) -> list[tuple[Entity, tuple[str, ...]]]:
    snap = shell.snapshot()
    if view is not None:
        return [(snap.entities[view.entity], view.scan.match)]
    flows = shell.workflows()
    entities = [e for e in snap.top_entities if e.key in flows] or snap.top_entities
    return [(e, ("name",)) for e in entities if shell.actor().can(e, "read")]


# -- the scan ----------------------------------------------------------------------------------------

def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError, OverflowError):
        return default


def _weight(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        weight = Decimal(str(value)).quantize(Decimal("0.001"))
    except ArithmeticError:
        raise ValidationFailed(errors={"weight": [Text("重量不是数字", "the weight is not a number")]}) from None
    if weight < 0 or weight > 100000:
        raise ValidationFailed(errors={"weight": [Text("重量应在 0 到 100000 千克之间",
                                                          "the weight must be between 0 and 100000 kg")]})
    return weight


def _refused(matched: dict[str, Any], exc: SunmaoError, lang: str) -> tuple[Response, int]:
    body = exc.problem(lang)
    reasons = [m for msgs in body.get("errors", {}).values() for m in msgs]
    return jsonify({"matched": matched, "done": False, "message": body.get("detail") or body["title"],
                    "reasons": reasons}), exc.status


@blueprint.post("/app/scan")
def scan() -> tuple[Response, int]:
    lang = language()
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code") or "").strip()[:MAX_CODE]
    if not code:
        raise ValidationFailed(errors={"code": [Text("请扫描或输入条码", "scan or type a code")]})
    view = _view(str(body.get("view") or "") or None)
    if view is not None and view.scan.report is not None:  # a reporting page takes no action
        raise NotFound(Text(f"{view.key} 是报工页，不执行扫码操作",
                            f"{view.key} is a reporting page: it takes no action"))
    hit = _find(_candidates(view), code)
    if hit is None:
        raise NotFound(Text(f"没有找到条码 {code} 对应的单据", f"no record has the code {code}"))
    entity, record_id = hit
    record = shell.records().get(entity.key, record_id, actor=shell.actor())
    matched: dict[str, Any] = {"entity": entity.key, "entity_label": entity.label.get(lang), "id": record_id,
                               "name": record.get("name"), "title": str(record.get(title_field(entity)) or ""),
                               "url": f"/app/{entity.key}/{record_id}"}
    if entity.key not in shell.workflows():
        return jsonify({"matched": matched, "done": False, "reasons": [],
                        "message": _("Matched, but this record has no workflow: no action can be taken.")}), 409
    action = view.scan.action if view is not None else str(body.get("action") or "ship")[:40]
    if view is None:  # no scan view: the action alone (a field it needs may come with the scan)
        given = {k: str(v).strip()[:MAX_CODE] for k, v in (body.get("values") or {}).items()} \
            if isinstance(body.get("values"), dict) else {}
        try:
            done = WorkflowService(context().runtime.db, shell.snapshot()).transition(
                entity.key, record_id, action, shell.actor(), values=given, expected_version=record.get("version"))
        except SunmaoError as exc:
            return _refused(matched, exc, lang)
        return jsonify({"matched": matched, "done": True, "waybill": None,
                        "message": f"{_action_label(None, action).get(lang)}: {done.get('name')}"}), 200
    try:
        result = run_scan(context().runtime, shell.snapshot(), entity.key, view.scan, record_id, shell.actor(),
                          expected_version=record.get("version"), courier_name=str(body.get("courier") or "local")[:20],
                          packages=_int(body.get("packages"), 1, 1, MAX_PACKAGES),
                          weight_kg=_weight(body.get("weight")), lang=lang)
    except SunmaoError as exc:
        return _refused(matched, exc, lang)
    message = f"{_action_label(view, action).get(lang)}：{matched['name']}" if lang == "zh" else \
        f"{_action_label(view, action).get(lang)}: {matched['name']}"
    if result.waybill:
        message += " · " + _("waybill %(no)s", no=result.waybill)
    answer: dict[str, Any] = {"matched": matched, "done": True, "message": message, "waybill": result.waybill,
                              "stock_moves": result.moves}
    spec = view.scan.document
    if spec is not None and result.document is not None:
        answer["document"] = {"id": result.document["id"], "name": result.document.get("name"),
                              "url": f"/app/{spec.entity}/{result.document['id']}"}
        if spec.label and result.document.get(spec.label):
            answer["label_url"] = f"/app/scan/{view.key}/label/{result.document['id']}"
            answer["label_text"] = Text("打印面单", "Print the label").get(lang)
    return jsonify(answer), 200


@blueprint.get("/app/scan/<key>/label/<int:document_id>")
def scan_label(key: str, document_id: int) -> Response:
    """A scan's label PDF, for whoever may read the document it belongs to."""
    view = _view(key)
    assert view is not None
    spec = view.scan.document
    if spec is None or not spec.label:
        raise NotFound(Text("该扫码页不打印面单", "this scan page prints no label"))
    document = shell.records().get(spec.entity, document_id, actor=shell.actor())
    file_id = document.get(spec.label)
    if not file_id:
        raise NotFound(Text("该单据没有面单", "this record has no label"))
    with context().runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.file).where(sm.file.c.id == file_id)).mappings().first()
    if row is None:
        raise NotFound(Text("面单文件不存在", "the label file is missing"))
    return send_stored(context().runtime.db.data_dir("files") / row["id"], row["name"], row["content_type"])
