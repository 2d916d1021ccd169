"""Progress reporting (报工) from a phone: a ``scan`` view with a ``report`` object.

The operator scans (or types) the record's code — a dispatch order's barcode — and sees its
rows (the operations) with their planned dates; each row is started, then finished with the good
and scrap quantities. Every report is one update of the record through the record service as
the operator (their permissions, the record's rules and the optimistic version), so whatever
follows the rows — roll-ups such as an order's production per cent — follows the report.
The same change over the REST API is a ``PATCH`` of the record's rows.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, jsonify, request

from sunmao import clock
from sunmao.errors import Conflict, NotFound, TransitionRefused, ValidationFailed
from sunmao.i18n import Text
from sunmao.records import Actor
from sunmao.web.app import context, language
from sunmao.web.screens import shell
from sunmao.web.screens.fields import display, title_field
from sunmao.web.screens.layouts import ViewLayout
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.scan import MAX_CODE, _find, usable_views
from sunmao.workflow import WorkflowService

MAX_QTY = Decimal("1e9")


def render_report(view: ViewLayout) -> tuple[str, int]:
    return shell.render("screens/report.html", title=view.label.get(language()), widgets=["report", "scan"],
                        view_key=view.key)


def _report_view(key: str) -> ViewLayout:
    view = next((v for v in usable_views() if v.key == key and v.scan.report is not None), None)
    if view is None:
        raise NotFound(Text(f"没有名为 {key} 的报工页", f"there is no reporting page named {key!r}"))
    return view


def _state(report: Any, row: dict[str, Any]) -> str:
    if row.get(report.finished):
        return "done"
    return "running" if row.get(report.started) else "waiting"


def _answer(view: ViewLayout, record: dict[str, Any], message: str = "") -> Response:
    """The record and its rows as the page shows them."""
    lang = language()
    report = view.scan.report
    snap = shell.snapshot()
    entity = snap.entities[view.entity]
    rows_entity = snap.entities[entity.by_key[report.rows].of or ""]
    key = title_field(rows_entity)

    def shown(row: dict[str, Any], name: str | None) -> str:
        return display(rows_entity.by_key[name], row.get(name), lang) if name else ""

    rows = [{"id": row["id"], "title": str(row.get(key) or ""), "state": _state(report, row),
             "facts": [[rows_entity.by_key[k].label.get(lang), shown(row, k)] for k in report.show if row.get(k)],
             "started": shown(row, report.started), "finished": shown(row, report.finished),
             "good": str(row.get(report.good) or "") if report.good else None,
             "scrap": str(row.get(report.scrap) or "") if report.scrap else None,
             "by": str(row.get(report.by) or "") if report.by else ""}
            for row in record.get(report.rows) or ()]
    title = record.get(title_field(entity))
    return jsonify({"record": {"id": record["id"], "name": record.get("name"), "version": record.get("version"),
                               "title": str(title or "") if title != record.get("name") else "",
                               "url": f"/app/{entity.key}/{record['id']}"},
                    "rows": rows, "message": message})


@blueprint.post("/app/report/<key>/find")
def report_find(key: str) -> Response:
    view = _report_view(key)
    body = request.get_json(silent=True)
    code = str((body or {}).get("code") or "").strip()[:MAX_CODE] if isinstance(body, dict) else ""
    if not code:
        raise ValidationFailed(errors={"code": [Text("请扫描或输入条码", "scan or type a code")]})
    snap = shell.snapshot()
    hit = _find([(snap.entities[view.entity], view.scan.match)], code)
    if hit is None:
        raise NotFound(Text(f"没有找到条码 {code} 对应的单据", f"no record has the code {code}"))
    return _answer(view, shell.records().get(view.entity, hit[1], actor=shell.actor()))


def _quantity(body: dict[str, Any], name: str) -> Decimal | None:
    raw = body.get(name)
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or value > MAX_QTY:
        raise ValidationFailed(errors={name: [Text("数量应为不小于 0 的数字",
                                                   "the quantity must be a number of 0 or more")]})
    return value


def _complete(conn: Any, view: ViewLayout, complete: tuple[str, str], record: dict[str, Any], actor: Any) -> None:
    """Every row has finished: the action on the linked record, where its state and guards allow
    (an order goes to QC when its last dispatch order finishes); otherwise the report stands alone."""
    link, action = complete
    target = shell.snapshot().entities[view.entity].by_key[link].to or ""
    if record.get(link) is None:
        return
    flows = WorkflowService(context().runtime.db, shell.snapshot())
    wf = flows.workflow(target)
    state = flows.records.fetch(conn, target, record[link]).get(wf.state_field)
    if state not in wf.transitions[action].sources:
        return
    try:
        flows.transition(target, record[link], action, Actor(id=actor.id, username=actor.username, system=True),
                         conn=conn)
    except TransitionRefused:
        pass


def _now_for(field: Any) -> str:
    return clock.today().isoformat() if field.value_type == "date" else \
        clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z")


@blueprint.post("/app/report/<key>/<int:record_id>/<int:row_id>")
def report_row(key: str, record_id: int, row_id: int) -> Response:
    """Start or finish one row: ``{"event": "start" | "finish", "good", "scrap", "version"}``."""
    view = _report_view(key)
    report = view.scan.report
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    event = body.get("event")
    if event not in ("start", "finish"):
        raise ValidationFailed(errors={"event": [Text("只能是 start（开工）或 finish（完工）",
                                                      "must be start or finish")]})
    good, scrap = _quantity(body, "good"), _quantity(body, "scrap")
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValidationFailed(errors={"version": [Text("缺少记录版本，请重新扫码",
                                                        "the record's version is missing; scan again")]})
    records, actor = shell.records(), shell.actor()
    record = records.get(view.entity, record_id, actor=actor)
    rows = [dict(r) for r in record.get(report.rows) or ()]
    row = next((r for r in rows if r.get("id") == row_id), None)
    if row is None:
        raise NotFound(Text("该单据没有这一行", "the record has no such row"))
    snap = shell.snapshot()
    rows_entity = snap.entities[snap.entities[view.entity].by_key[report.rows].of or ""]
    fields = rows_entity.by_key
    if row.get(report.finished):
        raise Conflict(Text("这道工序已经完工报过了", "this row was already reported finished"))
    if event == "start" and row.get(report.started):
        raise Conflict(Text("这道工序已经开工", "this row has already started"))
    if not row.get(report.started):  # a finish without a start starts it too
        row[report.started] = _now_for(fields[report.started])
    if report.by:
        row[report.by] = (actor.username or "")[:fields[report.by].length or 40]
    if event == "finish":
        row[report.finished] = _now_for(fields[report.finished])
        for name, value in ((report.good, good), (report.scrap, scrap)):
            if name and value is not None:
                row[name] = str(value)
    with context().runtime.db.write() as conn:
        saved = records.update(view.entity, record_id, {report.rows: rows}, actor=actor, expected_version=version,
                               conn=conn)
        if report.complete is not None and all(r.get(report.finished) for r in rows):
            _complete(conn, view, report.complete, saved, actor)
    done = {"start": Text("已开工", "started"), "finish": Text("已完工", "finished")}[event].get(language())
    title = str(row.get(title_field(rows_entity)) or "")
    return _answer(view, records.get(view.entity, saved["id"], actor=actor), f"{title} {done}".strip())
