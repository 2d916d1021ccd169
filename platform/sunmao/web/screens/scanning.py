"""Scan actions: what scanning a code does, declared in a ``scan`` view, run in one transaction.

A scan view names the entity whose records a scanned code finds and by which fields, the
workflow action the scan takes (its guards decide: a blocked scan comes back with their
reasons), and what goes with it — all optional, all metadata:

- ``waybill``: a field the action needs that a courier adapter fills (a waybill number);
- ``issue``: stock to take out for the record's lines — quantities summed per item, checked
  against the stock records' available quantity (a shortfall refuses the scan, naming each item),
  then one movement record per item;
- ``document``: the record the action creates (a shipment) or that the scan creates, with the
  courier, packages, weight and the label file;
- ``label``: what the printed label shows, as JSONLogic over the record (links expanded).

Everything writes through the record service as the scanning user, in one transaction: a
refusal at any step leaves nothing behind, and the courier's waybill is cancelled. The order
app's scan-to-ship page is one such view; a repair shop's scan-to-receive is another.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from sunmao import shipping
from sunmao.errors import Conflict
from sunmao.i18n import Text
from sunmao.meta.errors import Problem
from sunmao.meta.model import Entity
from sunmao.printing.label import render_label
from sunmao.records import Actor
from sunmao.rules import RuleError
from sunmao.shipping import Waybill
from sunmao.snapshot import Snapshot
from sunmao.storage import system as sm
from sunmao.web.i18n import DEFAULT_TIMEZONE
from sunmao.workflow import WorkflowService

Rule = Callable[[Any], Any]


@dataclass(frozen=True)
class Issue:
    """Stock that leaves with the scan: one movement per item of the record's lines."""

    lines: str
    item: str
    quantity: str
    stock_entity: str
    stock_item: str
    stock_available: str
    move_entity: str
    move_item: str
    move_quantity: str
    item_entity: str
    item_label: tuple[str, ...] = ()
    weight: str | None = None
    move_values: Mapping[str, Any] = field(default_factory=dict)
    move_record: str | None = None
    move_document: str | None = None
    move_note: str | None = None


@dataclass(frozen=True)
class Document:
    """The record a scan produces (a shipment), found by its link to the scanned record and its waybill."""

    entity: str
    record: str
    waybill: str | None = None
    courier: str | None = None
    packages: str | None = None
    weight: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class Report:
    """Progress reporting (报工) on the scanned record's rows: start, finish, good and scrap, who."""

    rows: str
    started: str
    finished: str
    good: str | None = None
    scrap: str | None = None
    by: str | None = None
    show: tuple[str, ...] = ()
    #: (link field, action): when every row has finished, the action on the linked record (if allowed).
    complete: tuple[str, str] | None = None


@dataclass(frozen=True)
class ScanAction:
    match: tuple[str, ...]
    action: str    # "" for a report page, which takes no workflow action
    waybill: str | None = None
    issue: Issue | None = None
    document: Document | None = None
    label: Mapping[str, Rule] = field(default_factory=dict)
    report: Report | None = None


# -- compiling the view's ``scan`` object -------------------------------------------------------

def compile_scan(snapshot: Snapshot, entity: Entity, spec: Mapping[str, Any], file: str,
                 problems: list[Problem]) -> ScanAction | None:
    """Check every name the spec uses against the snapshot; report each problem at its path."""
    found = len(problems)

    def need(target: Entity | None, key: str | None, path: str, types: tuple[str, ...] = ()) -> None:
        if target is None or key is None:
            return
        f = target.by_key.get(key)
        if f is None and key not in ("name", "id"):
            problems.append(Problem(file, path, f"{key!r} is not a field of {target.key}"))
        elif f is not None and types and f.value_type not in types and f.type not in types:
            problems.append(Problem(file, path, f"{target.key}.{key} must be a {' or '.join(types)} field"))

    def entity_at(key: str, path: str) -> Entity | None:
        target = snapshot.entities.get(key)
        if target is None or target.child:
            problems.append(Problem(file, path, f"{key!r} is not an entity with records"))
            return None
        return target

    def rows_of(key: str, path: str) -> Entity | None:
        """The entity of the rows of the table field ``key`` (None, with a problem, if it is not one)."""
        need(entity, key, path, ("table",))
        table = entity.by_key.get(key)
        return snapshot.entities.get(table.of or "") if table is not None and table.type == "table" else None

    for i, key in enumerate(spec["match"]):
        need(entity, key, f"$.scan.match[{i}]", ("string", "integer"))
    need(entity, spec.get("waybill"), "$.scan.waybill", ("string",))
    issue = None
    if "issue" in spec:
        s, base = spec["issue"], "$.scan.issue"
        child = rows_of(s["lines"], f"{base}.lines")
        need(child, s["item"], f"{base}.item", ("link",))
        need(child, s["quantity"], f"{base}.quantity", ("decimal", "integer"))
        item_link = child.by_key.get(s["item"]) if child is not None else None
        item_entity = snapshot.entities.get(item_link.to or "") if item_link is not None else None
        for j, key in enumerate(s.get("item_label", ())):
            need(item_entity, key, f"{base}.item_label[{j}]")
        need(item_entity, s.get("weight"), f"{base}.weight", ("decimal", "integer"))
        stock = entity_at(s["stock"]["entity"], f"{base}.stock.entity")
        need(stock, s["stock"]["item"], f"{base}.stock.item", ("link",))
        need(stock, s["stock"]["available"], f"{base}.stock.available", ("decimal", "integer"))
        move = entity_at(s["movement"]["entity"], f"{base}.movement.entity")
        for name in ("item", "quantity", "record", "document", "note"):
            need(move, s["movement"].get(name), f"{base}.movement.{name}")
        for key in s["movement"].get("values", {}):
            need(move, key, f"{base}.movement.values.{key}")
        issue = Issue(
            lines=s["lines"], item=s["item"], quantity=s["quantity"], stock_entity=s["stock"]["entity"],
            stock_item=s["stock"]["item"], stock_available=s["stock"]["available"],
            move_entity=s["movement"]["entity"], move_item=s["movement"]["item"],
            move_quantity=s["movement"]["quantity"], item_entity=item_entity.key if item_entity else "",
            item_label=tuple(s.get("item_label", ())), weight=s.get("weight"),
            move_values=MappingProxyType(dict(s["movement"].get("values", {}))),
            move_record=s["movement"].get("record"),
            move_document=s["movement"].get("document"), move_note=s["movement"].get("note"))
    document = None
    if "document" in spec:
        d, base = spec["document"], "$.scan.document"
        target = entity_at(d["entity"], f"{base}.entity")
        need(target, d["record"], f"{base}.record", ("link",))
        for name, types in (("waybill", ("string",)), ("courier", ("select", "string")),
                            ("packages", ("integer",)), ("weight", ("decimal",)), ("label", ("attachment",))):
            need(target, d.get(name), f"{base}.{name}", types)
        document = Document(d["entity"], d["record"], d.get("waybill"), d.get("courier"), d.get("packages"),
                            d.get("weight"), d.get("label"))
    report = None
    if "report" in spec:
        r, base = spec["report"], "$.scan.report"
        rows = rows_of(r["rows"], f"{base}.rows")
        for name, types in (("started", ("date", "datetime")), ("finished", ("date", "datetime")),
                            ("good", ("decimal", "integer")), ("scrap", ("decimal", "integer")), ("by", ("string",))):
            need(rows, r.get(name), f"{base}.{name}", types)
        for j, key in enumerate(r.get("show", ())):
            need(rows, key, f"{base}.show[{j}]")
        complete = None
        if "complete" in r:
            link, action = r["complete"]["link"], r["complete"]["action"]
            need(entity, link, f"{base}.complete.link", ("link",))
            target = entity.by_key[link].to if link in entity.by_key else None
            actions = {t["key"] for _f, flow in snapshot.documents("workflow") if flow.get("entity") == target
                       for t in flow.get("transitions", ())}
            if target is not None and action not in actions:
                problems.append(Problem(file, f"{base}.complete.action",
                                        f"{action!r} is not an action of {target}'s workflow"))
            complete = (link, action)
        report = Report(r["rows"], r["started"], r["finished"], r.get("good"), r.get("scrap"), r.get("by"),
                        tuple(r.get("show", ())), complete)
    label: dict[str, Rule] = {}
    for key, rule in spec.get("label", {}).items():
        try:
            label[key] = snapshot.rules.compile(rule, name=f"scan.label.{key}")
        except RuleError as exc:
            problems.append(Problem(file, f"$.scan.label.{key}", str(exc)))
    if len(problems) > found:
        return None
    return ScanAction(tuple(spec["match"]), spec.get("action", ""), spec.get("waybill"), issue, document,
                      MappingProxyType(label), report)


# -- running a scan --------------------------------------------------------------------------------

@dataclass
class Scanned:
    record: dict[str, Any]
    waybill: str | None = None
    document: dict[str, Any] | None = None
    moves: int = 0


def _qty(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except ArithmeticError:
        return Decimal(0)


def _fmt(value: Decimal) -> str:
    """A quantity without trailing zeros: 200, 12.5."""
    return f"{value.normalize():f}"


def run_scan(runtime: Any, snapshot: Snapshot, entity: str, spec: ScanAction, record_id: int, actor: Actor, *,
             expected_version: int | None = None, courier_name: str = "local", packages: int = 1,
             weight_kg: Decimal | None = None, lang: str = "zh", now: datetime | None = None) -> Scanned:
    """Take the scan's action on one record in ONE transaction — waybill, action, stock, document,
    label — or nothing at all (the waybill is cancelled at the courier on any refusal)."""
    service = WorkflowService(runtime.db, snapshot)
    records = service.records
    adapter = shipping.courier(courier_name, runtime.db)
    waybill: Waybill | None = None
    now = now or datetime.now(UTC)
    try:
        with runtime.db.write() as conn:
            record = records.fetch(conn, entity, record_id, lock=True)
            adapter = shipping.courier(courier_name, runtime.db, conn)
            needs, items = _needs(conn, snapshot, spec.issue, record)
            if weight_kg is None and spec.issue is not None and spec.issue.weight:
                weight_kg = sum((qty * _qty(items[i].get(spec.issue.weight)) for i, qty in needs.items() if i in items),
                                Decimal(0)).quantize(Decimal("0.001"))
            values: dict[str, Any] = {}
            if spec.waybill:
                draft = {"courier": courier_name, "packages": packages, "weight": weight_kg}
                waybill = adapter.create_waybill(records.dump(records.compiled(entity), record), draft)
                values[spec.waybill] = waybill.number
            done = service.transition(entity, record_id, spec.action, actor, values=values,
                                      expected_version=expected_version, conn=conn)
            result = Scanned(done, waybill.number if waybill else None)
            if spec.issue is not None:
                _check_stock(conn, snapshot, spec.issue, needs, items, runtime.db.is_sqlite)
            if spec.document is not None:
                result.document = _document(conn, records, spec.document, record_id, waybill, actor,
                                            courier_name, packages, weight_kg)
            if spec.issue is not None and needs:
                note = f"{done.get('name')} / {waybill.number}" if waybill else str(done.get("name"))
                result.moves = _issue(conn, records, spec.issue, needs, record_id, result.document, note, actor)
            if spec.document is not None and spec.document.label and result.document is not None:
                result.document = _label(conn, runtime, snapshot, records, spec, entity, done, result.document,
                                         courier_name, packages, weight_kg, lang, actor, now)
    except BaseException:
        if waybill is not None:
            adapter.cancel(waybill.number)
        raise
    return result


def _needs(conn: sa.Connection, snapshot: Snapshot, issue: Issue | None, record: Mapping[str, Any]
           ) -> tuple[dict[Any, Decimal], dict[Any, dict[str, Any]]]:
    """The quantity per item over the record's lines, and the items' rows."""
    if issue is None:
        return {}, {}
    needs: dict[Any, Decimal] = {}
    for line in record.get(issue.lines) or []:
        if line.get(issue.item) is not None:
            needs[line[issue.item]] = needs.get(line[issue.item], Decimal(0)) + _qty(line.get(issue.quantity))
    table = snapshot.tables[issue.item_entity]
    rows = conn.execute(sa.select(table).where(table.c.id.in_(list(needs)))).mappings() if needs else []
    return needs, {r["id"]: dict(r) for r in rows}


def _check_stock(conn: sa.Connection, snapshot: Snapshot, issue: Issue, needs: Mapping[Any, Decimal],
                 items: Mapping[Any, Mapping[str, Any]], sqlite: bool) -> None:
    """Every item must be available in the quantity the lines need; otherwise refuse, naming each."""
    if not needs:
        return
    table = snapshot.tables[issue.stock_entity]
    column = table.c[issue.stock_item]
    query = sa.select(column, table.c[issue.stock_available]).where(column.in_(list(needs)),
                                                                    table.c.deleted_at.is_(None)).order_by(table.c.id)
    if not sqlite:  # one lock order for concurrent scans; SQLite's write transaction holds the database
        query = query.with_for_update()
    available = {row[0]: _qty(row[1]) for row in conn.execute(query)}
    short = [(i, qty, available.get(i, Decimal(0))) for i, qty in needs.items() if available.get(i, Decimal(0)) < qty]
    if not short:
        return

    def name(item_id: Any) -> str:
        row = items.get(item_id, {})
        shown = " ".join(str(row.get(k)) for k in issue.item_label if row.get(k) not in (None, ""))
        return shown or f"#{item_id}"

    raise Conflict(Text(
        "库存不足：" + "；".join(f"{name(i)} 需要 {_fmt(q)}，可用 {_fmt(a)}，缺 {_fmt(q - a)}" for i, q, a in short),
        "Not enough stock: " + "; ".join(
            f"{name(i)} needs {_fmt(q)}, {_fmt(a)} available, short by {_fmt(q - a)}" for i, q, a in short)))


def _document(conn: sa.Connection, records: Any, spec: Document, record_id: int, waybill: Waybill | None,
              actor: Actor, courier: str, packages: int, weight: Decimal | None) -> dict[str, Any]:
    """The record the action created for this scan (by link and waybill), else one made here, with
    the parcel's courier, packages and weight."""
    table = records.snapshot.tables[spec.entity]
    query = sa.select(table.c.id).where(table.c[spec.record] == record_id, table.c.deleted_at.is_(None))
    if spec.waybill and waybill is not None:
        query = query.where(table.c[spec.waybill] == waybill.number)
    found = conn.execute(query.order_by(table.c.id.desc()).limit(1)).scalar()
    values: dict[str, Any] = {}
    for key, value in ((spec.courier, courier), (spec.packages, packages),
                       (spec.weight, str(weight) if weight is not None else None)):
        if key and value is not None:
            values[key] = value
    if found is None:
        first = {spec.record: record_id, **values}
        if spec.waybill and waybill is not None:
            first[spec.waybill] = waybill.number
        return records.create(spec.entity, first, actor=actor, conn=conn)
    return records.update(spec.entity, found, values, actor=actor, conn=conn)


def _issue(conn: sa.Connection, records: Any, issue: Issue, needs: Mapping[Any, Decimal], record_id: int,
           document: Mapping[str, Any] | None, note: str, actor: Actor) -> int:
    """One movement per item, out of stock (negative), linked to the record and the document."""
    moves = []
    for item_id, qty in needs.items():
        move = {issue.move_item: item_id, issue.move_quantity: str(-qty), **issue.move_values}
        if issue.move_record:
            move[issue.move_record] = record_id
        if issue.move_document and document is not None:
            move[issue.move_document] = document["id"]
        if issue.move_note:
            move[issue.move_note] = note
        moves.append(move)
    records.create_many(issue.move_entity, moves, actor=actor, conn=conn)
    return len(moves)


def _label(conn: sa.Connection, runtime: Any, snapshot: Snapshot, records: Any, spec: ScanAction, entity: str,
           record: Mapping[str, Any], document: Mapping[str, Any], courier: str, packages: int,
           weight: Decimal | None, lang: str, actor: Actor, now: datetime) -> dict[str, Any]:
    """Draw the label, keep it as a file, and put it on the document."""
    from zoneinfo import ZoneInfo

    assert spec.document is not None and spec.document.label
    data = records.evaluation_data(entity, records.fetch(conn, entity, record["id"]), conn)
    shown: dict[str, Any] = {}
    for key, rule in spec.label.items():
        try:
            shown[key] = rule(data)
        except RuleError:
            shown[key] = ""
    courier_label = courier
    target = snapshot.entities[spec.document.entity]
    courier_field = target.by_key.get(spec.document.courier or "")
    if courier_field is not None:
        courier_label = next((o.label.get(lang) for o in courier_field.options if o.value == courier), courier)
    pdf = render_label({
        "waybill_no": document.get(spec.document.waybill or "") or record.get(spec.waybill or ""),
        "record_no": record.get("name"), "courier": courier_label, "to": shown.get("to", ""),
        "address": shown.get("address", ""), "phone": shown.get("phone", ""), "packages": packages,
        "weight": _fmt(weight) if weight is not None else "",
        "shipped_on": now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%Y-%m-%d %H:%M")}, lang)
    file_id = str(uuid.uuid4())
    (runtime.db.data_dir("files") / file_id).write_bytes(pdf)
    conn.execute(sm.file.insert().values(
        id=file_id, name=f"label-{document.get(spec.document.waybill or '') or record.get('name')}.pdf",
        content_type="application/pdf", size=len(pdf), sha256=hashlib.sha256(pdf).hexdigest(),
        created_at=datetime.now(UTC), created_by=actor.id))
    return records.update(spec.document.entity, document["id"], {spec.document.label: file_id}, actor=actor,
                          conn=conn)
