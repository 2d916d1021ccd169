"""The warehouse scan page ``/app/scan``: scan a package barcode, ship the order in one action.

A USB scanner types the code and Enter (keyboard wedge); a phone uses its camera through the
browser's BarcodeDetector where available, with manual entry otherwise. The server finds the
record whose number (``name``) is the code, among entities that have a workflow.

For an order and the ``ship`` action (``ship_order``), one write transaction does it all: a
waybill number from the courier adapter (``sunmao.shipping``), the workflow action — so the
ship gate decides, and a blocked scan comes back with the gate's reasons —, the stock check
and deduction (one ``stock_move`` per product, ``stock_level`` lowered; never below zero), the
shipment (created by the action's ``create`` effect) and its PDF label. Any other entity or
action runs through ``WorkflowService.transition`` as before.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Response, jsonify, request, send_file

from sunmao import shipping
from sunmao.errors import Conflict, NotFound, SunmaoError, ValidationFailed
from sunmao.i18n import Text
from sunmao.meta.model import Entity
from sunmao.printing.label import render_label
from sunmao.records import Actor
from sunmao.shipping import CourierAdapter, Waybill
from sunmao.storage import system as sm
from sunmao.web.app import context, language
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.fields import title_field
from sunmao.web.screens.routes import blueprint

DEFAULT_ACTION = "ship"
MAX_CODE = 64
#: Scanning this entity with the ship action also deducts stock, creates the shipment and its label.
SHIP_ENTITY = "order"
STOCK_ENTITIES = ("shipment", "stock_level", "stock_move")
MAX_PACKAGES = 999
LOCAL_ZONE = ZoneInfo("Asia/Shanghai")


def action_values(entity: str, action: str, record: dict[str, Any], given: dict[str, Any],
                  courier: CourierAdapter | None = None) -> dict[str, Any]:
    """Fields the action requires: what the page sent, else a waybill number from the courier adapter."""
    flow = shell.workflows().get(entity)
    step = getattr(flow, "transitions", {}).get(action) if flow is not None else None
    values: dict[str, Any] = {}
    for key in getattr(step, "fields_required", ()) or ():
        if given.get(key):
            values[key] = given[key]
        elif not record.get(key) and "waybill" in key:
            adapter = courier or shipping.courier("local", context().runtime.db)
            values[key] = adapter.create_waybill(record, {}).number
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


def _qty(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except ArithmeticError:
        return Decimal(0)


def _fmt(value: Decimal) -> str:
    """A quantity without trailing zeros: 200, 12.5."""
    return f"{value.normalize():f}"


def ship_order(order_id: int, actor: Actor, *, expected_version: int | None = None, courier_name: str = "local",
               packages: int = 1, weight_kg: Decimal | None = None, lang: str = "zh") -> dict[str, Any]:
    """Ship one order in ONE transaction: gate, stock, shipment, moves, label — or nothing at all.

    1. a waybill number from the courier adapter;
    2. the workflow action ``ship`` (the gate's guards decide; its effects create the
       receivable and the shipment);
    3. stock: every line's quantity (summed per product) must be available — otherwise the scan
       is refused naming each product and its shortfall; then one ``stock_move`` per product and
       the ``stock_level`` lowered, all through the record service as ``actor``;
    4. the shipping label PDF, stored as a file and kept in the shipment's ``label`` field.

    Any refusal rolls everything back (and cancels the waybill at the courier), so a retried
    scan starts from scratch, and a second scan of a shipped order is refused by the workflow.
    """
    runtime = context().runtime
    snap = shell.snapshot()
    from sunmao.workflow import WorkflowService  # type: ignore[import-not-found]

    service = WorkflowService(runtime.db, snap)
    records = service.records
    adapter = shipping.courier(courier_name, runtime.db)
    waybill: Waybill | None = None
    try:
        with runtime.db.write() as conn:
            order = records.fetch(conn, SHIP_ENTITY, order_id, lock=True)
            adapter = shipping.courier(courier_name, runtime.db, conn)
            product_table = snap.tables["product"]
            needs: dict[int, Decimal] = {}
            for line in order.get("lines") or []:
                if line.get("product") is not None:
                    needs[line["product"]] = needs.get(line["product"], Decimal(0)) + _qty(line.get("qty"))
            products = {r.id: r for r in conn.execute(sa.select(
                product_table.c.id, product_table.c.sku, product_table.c.full_name, product_table.c.weight_kg)
                .where(product_table.c.id.in_(list(needs))))} if needs else {}
            if weight_kg is None:
                weight_kg = sum((qty * _qty(products[pid].weight_kg) for pid, qty in needs.items() if pid in products),
                                Decimal(0)).quantize(Decimal("0.001"))
            draft = {"courier": courier_name, "packages": packages, "weight_kg": weight_kg}
            waybill = adapter.create_waybill(records.dump(records.compiled(SHIP_ENTITY), order), draft)
            shipped = service.transition(SHIP_ENTITY, order_id, DEFAULT_ACTION, actor,
                                         values={"waybill_no": waybill.number}, expected_version=expected_version,
                                         conn=conn)

            level_table = snap.tables["stock_level"]
            query = sa.select(level_table.c.id, level_table.c.product, level_table.c.on_hand,
                              level_table.c.reserved).where(level_table.c.product.in_(list(needs)),
                                                            level_table.c.deleted_at.is_(None))
            query = query.order_by(level_table.c.id)  # one lock order for concurrent scans
            if not runtime.db.is_sqlite:  # SQLite's write transaction already holds the database lock
                query = query.with_for_update()
            levels = {r.product: r for r in conn.execute(query)} if needs else {}
            short = []
            for pid, qty in needs.items():
                level = levels.get(pid)
                available = _qty(level.on_hand) - _qty(level.reserved) if level is not None else Decimal(0)
                if available < qty:
                    p = products.get(pid)
                    name = f"{p.sku} {p.full_name}" if p is not None else f"#{pid}"
                    short.append((name, qty, available))
            if short:
                raise Conflict(Text(
                    "库存不足，不能发货：" + "；".join(f"{n} 需要 {_fmt(q)}，可用 {_fmt(a)}，缺 {_fmt(q - a)}"
                                                  for n, q, a in short),
                    "Not enough stock to ship: " + "; ".join(
                        f"{n} needs {_fmt(q)}, {_fmt(a)} available, short by {_fmt(q - a)}" for n, q, a in short)))

            ship_table = snap.tables["shipment"]
            shipment_id = conn.execute(sa.select(ship_table.c.id).where(
                ship_table.c.order == order_id, ship_table.c.waybill_no == waybill.number,
                ship_table.c.deleted_at.is_(None))).scalar()
            if shipment_id is None:  # the workflow's ship action does not create one (older app version)
                shipment_id = records.create("shipment", {"order": order_id, "courier": courier_name,
                                                          "waybill_no": waybill.number}, actor=actor,
                                             conn=conn)["id"]
            note = f"{shipped.get('name')} / {waybill.number}"
            if needs:
                records.create_many("stock_move", [
                    {"product": pid, "qty": str(-qty), "kind": "out", "order": order_id, "shipment": shipment_id,
                     "note": note} for pid, qty in needs.items()], actor=actor, conn=conn)
            if snap.entities["stock_level"].by_key["on_hand"].is_input:
                # an app whose on-hand is not rolled up from the movements: lower it by hand
                for pid, qty in needs.items():
                    level = levels[pid]
                    records.update("stock_level", level.id, {"on_hand": str(_qty(level.on_hand) - qty)},
                                   actor=actor, conn=conn)

            customer = records.fetch(conn, "customer", order["customer"]) if order.get("customer") else {}
            courier_field = snap.entities["shipment"].by_key["courier"]
            courier_label = next((o.label.get(lang) for o in courier_field.options or () if o.value == courier_name),
                                 courier_name)
            pdf = render_label({
                "waybill_no": waybill.number, "order_no": shipped.get("name"), "courier": courier_label,
                "customer": customer.get("company_name") or customer.get("name") or "",
                "address": order.get("shipping_address") or customer.get("address") or "",
                "phone": customer.get("phone") or "", "packages": packages, "weight_kg": _fmt(weight_kg),
                "shipped_on": datetime.now(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")}, lang)
            file_id = str(uuid.uuid4())
            (context().runtime.db.data_dir("files") / file_id).write_bytes(pdf)
            conn.execute(sm.file.insert().values(
                id=file_id, name=f"label-{waybill.number}.pdf", content_type="application/pdf", size=len(pdf),
                sha256=hashlib.sha256(pdf).hexdigest(), created_at=datetime.now(UTC), created_by=actor.id))
            shipment = records.update("shipment", shipment_id, {
                "courier": courier_name, "packages": packages, "weight_kg": str(weight_kg), "label": file_id},
                actor=actor, conn=conn)
    except BaseException:
        if waybill is not None:
            adapter.cancel(waybill.number)
        raise
    return {"order": shipped, "shipment": shipment, "waybill": waybill.number, "moves": len(needs),
            "label_url": f"/app/scan/label/{shipment['id']}"}


def _int(value: Any, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(value), low), high)
    except (TypeError, ValueError):
        return default


def _weight(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        weight = Decimal(str(value)).quantize(Decimal("0.001"))
    except ArithmeticError:
        raise ValidationFailed(errors={"weight_kg": [Text("重量不是数字", "the weight is not a number")]}) from None
    if weight < 0 or weight > 100000:
        raise ValidationFailed(errors={"weight_kg": [Text("重量超出范围", "the weight is out of range")]})
    return weight


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
    snap = shell.snapshot()
    if entity.key == SHIP_ENTITY and action == DEFAULT_ACTION and all(e in snap.entities for e in STOCK_ENTITIES):
        courier_name = str(body.get("courier") or "local")[:20]
        try:
            done = ship_order(record_id, shell.actor(), expected_version=record.get("version"),
                              courier_name=courier_name, packages=_int(body.get("packages"), 1, 1, MAX_PACKAGES),
                              weight_kg=_weight(body.get("weight_kg")), lang=lang)
        except SunmaoError as exc:
            message, reasons = _problem_text(exc, lang)
            return jsonify({"matched": matched, "done": False, "message": message, "reasons": reasons}), exc.status
        message = _("Shipped: %(name)s", name=matched["name"]) + " · " + _("waybill %(no)s", no=done["waybill"])
        return jsonify({"matched": matched, "done": True, "message": message, "waybill": done["waybill"],
                        "shipment": {"id": done["shipment"]["id"], "name": done["shipment"].get("name"),
                                     "url": f"/app/shipment/{done['shipment']['id']}"},
                        "stock_moves": done["moves"], "label_url": done["label_url"],
                        "label_text": Text("打印面单", "Print the label").get(lang)}), 200

    from sunmao.workflow import WorkflowService  # type: ignore[import-not-found]

    service = WorkflowService(context().runtime.db, snap)
    try:
        given = {"waybill_no": str(body.get("waybill") or "").strip()[:MAX_CODE]}
        result = service.transition(entity.key, record_id, action, shell.actor(),
                                    values=action_values(entity.key, action, record, given),
                                    expected_version=record.get("version"))
    except SunmaoError as exc:
        message, reasons = _problem_text(exc, lang)
        return jsonify({"matched": matched, "done": False, "message": message, "reasons": reasons}), exc.status
    result = result if isinstance(result, dict) else {}
    waybill = result.get("waybill_no")
    message = _("Shipped: %(name)s", name=matched["name"])
    if waybill:
        message += " · " + _("waybill %(no)s", no=waybill)
    return jsonify({"matched": matched, "done": True, "message": message, "waybill": waybill,
                    "label_url": f"/app/{entity.key}/{record_id}/print/delivery_note"}), 200


@blueprint.get("/app/scan/label/<int:shipment_id>")
def shipment_label(shipment_id: int) -> Response:
    """The shipment's label PDF, for whoever may read the shipment."""
    shipment = shell.records().get("shipment", shipment_id, actor=shell.actor())
    file_id = shipment.get("label")
    if not file_id:
        raise NotFound(Text("该发货单没有面单", "this shipment has no label"))
    with context().runtime.db.read() as conn:
        row = conn.execute(sa.select(sm.file).where(sm.file.c.id == file_id)).mappings().first()
    if row is None:
        raise NotFound(Text("面单文件不存在", "the label file is missing"))
    return send_file(context().runtime.db.data_dir("files") / row["id"], mimetype=row["content_type"],
                     download_name=row["name"])
