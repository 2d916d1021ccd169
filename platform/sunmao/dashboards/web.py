"""Board pages, widget data, exports, the wall screen and plotly.js (served from the installed package).

- ``/dashboards`` — the boards the reader may open; ``/dashboards/<key>`` — a board with its filters;
- ``/dashboards/<key>/w/<id>`` — one widget as JSON (a Plotly figure, a number card or a table, with
  the drill-down URL of each point); ``.xlsx`` — a table as Excel;
- ``/dashboards/wall/<key>`` — full screen for a wall (1920×1080 without scrolling): refreshes itself,
  rotates through the board's playlist, keeps the last figures through a network blip;
- ``/dashboards/plotly.min.js`` — ``plotly.offline.get_plotlyjs()``, read once, never a CDN.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, redirect, render_template, request

from sunmao.dashboards import figures
from sunmao.dashboards.model import Board, Widget
from sunmao.dashboards.service import PRESETS, DashboardService, Denied, board_filter_options
from sunmao.errors import NotFound
from sunmao.http.context import context, language
from sunmao.i18n import Text
from sunmao.records import Actor
from sunmao.web.screens import shell

blueprint = Blueprint("dashboards", __name__, template_folder="templates")
PUBLIC = ("dashboards.plotly_js_file", "dashboards.empty_topojson")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "object-src 'none'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'")


@cache
def _plotly_bytes() -> tuple[bytes, str]:
    import plotly.offline

    data = plotly.offline.get_plotlyjs().encode()
    return data, hashlib.sha256(data).hexdigest()[:16]


@blueprint.before_request
def _signed_in() -> Response | None:
    if request.endpoint in PUBLIC:
        return None
    if g.get("user") is None:
        if request.path.endswith(".xlsx") or "/w/" in request.path or request.path.endswith("/layout"):
            return Response('{"title": "sign in"}', status=401, mimetype="application/problem+json")
        target = request.full_path.rstrip("?")
        return redirect(f"/login?next={quote(target, safe='/')}")
    return None


@blueprint.after_request
def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if request.endpoint not in PUBLIC:
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def service() -> DashboardService:
    return DashboardService(shell.records())


def actor() -> Actor:
    return g.user.actor


@blueprint.get("/dashboards/plotly.min.js")
def plotly_js_file() -> Response:
    data, etag = _plotly_bytes()
    response = Response(data, mimetype="application/javascript")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response.make_conditional(request)


@blueprint.get("/dashboards/topojson/<name>.json")
def empty_topojson(name: str) -> Response:
    """plotly.js asks its CDN for a base map before drawing a geo chart even when it is hidden; the map
    widget draws our own Natural Earth shapes, so the base map it is given (config.topojsonURL) is empty."""
    layers = ("land", "ocean", "coastlines", "lakes", "rivers", "countries", "subunits")
    body = {"type": "Topology", "arcs": [],
            "objects": {k: {"type": "GeometryCollection", "geometries": []} for k in layers}}
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def layout(board: Board, lang: str, state: Mapping[str, Any]) -> dict[str, Any]:
    """What the browser builds the grid from (the board page and the wall alike)."""
    query = urlencode({k: v for k, v in state.items() if v is not None})
    return {"key": board.key, "label": board.label.get(lang), "columns": board.columns,
            "refresh": board.refresh_seconds, "query": query,
            "rows": board.wall.get("rows") or max((w.y + w.h for w in board.widgets), default=1),
            "playlist": [board.key, *board.wall.get("playlist", ())], "seconds": board.wall.get("seconds", 60),
            "widgets": [{"id": w.id, "type": w.type, "title": w.title.get(lang), "x": w.x, "y": w.y, "w": w.w,
                         "h": w.h, "table": w.type in ("table", "late")} for w in board.widgets]}


def filters_view(svc: DashboardService, board: Board, state: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    out = []
    names = {"this_week": ("本周", "This week"), "this_month": ("本月", "This month"),
             "this_quarter": ("本季度", "This quarter"), "this_year": ("今年", "This year"),
             "last_7_days": ("近 7 天", "Last 7 days"), "last_30_days": ("近 30 天", "Last 30 days"),
             "last_90_days": ("近 90 天", "Last 90 days"), "last_365_days": ("近一年", "Last 365 days"),
             "all": ("全部", "All")}
    for f in board.filters:
        if f.type == "date_range":
            options = [(p, names[p][0 if lang == "zh" else 1]) for p in PRESETS]
            if state.get(f.key) not in PRESETS:
                options.append((state.get(f.key), str(state.get(f.key))))
        else:
            options = [("", "全部" if lang == "zh" else "All")] + board_filter_options(svc, f, actor(), lang)
        out.append({"key": f.key, "label": f.label.get(lang), "options": options,
                    "value": "" if state.get(f.key) is None else str(state.get(f.key))})
    return out


@blueprint.get("/dashboards")
def index() -> tuple[str, int]:
    lang = language()
    boards = service().boards_for(actor())
    return shell.render("dashboards/index.html", title="看板" if lang == "zh" else "Dashboards",
                        boards=[(b.key, b.label.get(lang), b.description.get(lang) if b.description else "")
                                for b in boards])


def board_context(key: str) -> dict[str, Any]:
    """The template values of a board (its page, or the home page of a role)."""
    svc = service()
    board = svc.board(key, actor())
    lang = language()
    state = svc.state(board, request.args)
    return {"board": board, "board_label": board.label.get(lang), "layout": layout(board, lang, state),
            "filters": filters_view(svc, board, state, lang)}


def home_board(roles: frozenset[str] | set[str]) -> dict[str, Any] | None:
    """The board a user with these roles sees on the home page (``home_for``), as template values."""
    snap = context().snapshot
    dashboards = snap.features.get("dashboards") if snap is not None else None
    home = dashboards.home_for(roles) if dashboards is not None else None
    return board_context(home.key) if home is not None else None


@blueprint.get("/dashboards/<key>")
def board_page(key: str) -> tuple[str, int]:
    values = board_context(key)
    return shell.render("dashboards/board.html", title=values["board_label"], widgets=["dashboard"], **values)


@blueprint.get("/dashboards/<key>/layout")
def board_layout(key: str) -> Response:
    svc = service()
    board = svc.board(key, actor())
    return jsonify(layout(board, language(), svc.state(board, request.args)))


@blueprint.get("/dashboards/wall/<key>")
def wall(key: str) -> str:
    svc = service()
    board = svc.board(key, actor())
    lang = language()
    shown = layout(board, lang, svc.state(board, request.args))
    for name in ("refresh", "seconds"):  # a wall may refresh and rotate faster than the board says (≥ 10 s)
        if (request.args.get(name) or "").isdigit():
            shown[name] = max(10, int(request.args[name]))
    return render_template("dashboards/wall.html", lang=lang, title=board.label.get(lang), layout=shown)


def _titles(svc: DashboardService, widget: Widget, rows: list[dict[str, Any]]) -> dict[tuple[str, Any], str]:
    """Titles of the linked records a widget groups by (a customer's name instead of its id)."""
    out: dict[tuple[str, Any], str] = {}
    groups = widget.query.groups if widget.query is not None else ()
    for i, group in enumerate(groups):
        f = group.path.field
        if f is None or f.type != "link":
            continue
        ids = sorted({r.get(f"g{i}") for r in rows if isinstance(r.get(f"g{i}"), int)})
        entity = svc.snapshot.entities[f.to or ""]
        table = svc.snapshot.tables[entity.key]
        title = entity.title_field if entity.title_field in table.c else "name"
        if ids:
            with svc.db.read() as conn:
                for rid, text in conn.execute(sa.select(table.c.id, table.c[title]).where(table.c.id.in_(ids))):
                    out[(entity.key, rid)] = str(text)
    return out


def _table(svc: DashboardService, board: Board, widget: Widget, rows: list[dict[str, Any]], lang: str,
           state: Mapping[str, Any]) -> dict[str, Any]:
    query = widget.query
    assert query is not None
    if query.is_rows:
        columns = [p.label.get(lang) for p in query.columns]
        body = [[_cell(p.field, r.get(p.text), lang) for p in query.columns] for r in rows]
        links = [f"/app/{query.top}/{r['id']}" for r in rows]
        return {"columns": columns, "rows": body, "links": links}
    titles = _titles(svc, widget, rows)
    measures = figures.shown(query.measures)
    columns = [g.label.get(lang) for g in query.groups] + [m.label.get(lang) for m in measures]
    body = [[figures.group_label(g, r.get(f"g{i}"), lang, titles) for i, g in enumerate(query.groups)] +
            [figures.format_value(m, r.get(m.key), lang) for m in measures] for r in rows]
    return {"columns": columns, "rows": body, "links": [svc.drill(board, widget, state, r) for r in rows]}


def _cell(f: Any, value: Any, lang: str) -> str:
    if value is None:
        return ""
    if f is not None and f.options:
        return next((o.label.get(lang) for o in f.options if o.value == value), str(value))
    if isinstance(value, str) and len(value) > 16 and value[10:11] == "T":
        return value[:16].replace("T", " ")
    return str(value)


def late_table(widget: Widget, rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    spec = widget.late
    assert spec is not None
    zh = lang == "zh"
    columns = ["单号" if zh else "Number", "问题" if zh else "Problem"]
    columns += [p.label.get(lang) for p in ([spec.owner] if spec.owner else []) + list(spec.columns)]
    columns += ["起始" if zh else "Since", "超期天数" if zh else "Days late"]
    body = []
    paths = ([spec.owner] if spec.owner else []) + list(spec.columns)
    for r in rows:
        cells = [r["name"], Text.of(r["check_label"]).get(lang)]
        cells += [_cell(p.field, r.get(p.text), lang) for p in paths]
        cells += [_cell(None, r.get("since"), lang)[:16], f"{r['days_late']:.1f}"]
        body.append(cells)
    return {"columns": columns, "rows": body, "links": [f"/app/{spec.entity}/{r['id']}" for r in rows]}


def payload(svc: DashboardService, board: Board, widget: Widget, who: Actor, state: Mapping[str, Any],
            lang: str) -> dict[str, Any]:
    """One widget as the browser draws it; a widget the reader may not see says why instead."""
    out: dict[str, Any] = {"id": widget.id, "type": widget.type, "title": widget.title.get(lang)}
    try:
        if widget.type == "late":
            out["table"] = late_table(widget, svc.late(widget, who), lang)
            return out
        result = svc.data(board, widget, who, state)
        out["cached"] = result.cached
        rows = result.rows
        if widget.type == "table":
            out["table"] = _table(svc, board, widget, rows, lang, state)
        elif widget.type == "number":
            out["number"] = figures.number(widget, rows, result.previous, lang)
            out["drill"] = svc.drill(board, widget, state, {})
        elif widget.type == "gauge":
            out["figure"] = figures.gauge(widget, rows, lang)
            out["drill"] = svc.drill(board, widget, state, {})
        elif widget.type == "gantt":
            out["figure"] = figures.gantt(widget, rows, lang, _titles(svc, widget, rows))
        elif not rows:
            out["empty"] = "没有数据" if lang == "zh" else "No data"
        else:
            out["figure"] = figures.chart(widget, rows, lang, _titles(svc, widget, rows),
                                          lambda r: svc.drill(board, widget, state, r))
    except Denied as exc:
        out["denied"] = exc.text.get(lang)
    return out


@blueprint.get("/dashboards/<key>/w/<wid>")
def widget_data(key: str, wid: str) -> Response:
    svc = service()
    board = svc.board(key, actor())
    widget = board.widget(wid)
    if widget is None:
        raise NotFound(Text(f"看板中没有部件 {wid}", f"the board has no widget {wid!r}"))
    return jsonify(payload(svc, board, widget, actor(), svc.state(board, request.args), language()))


@blueprint.get("/dashboards/<key>/w/<wid>.xlsx")
def widget_excel(key: str, wid: str) -> Response:
    svc = service()
    board = svc.board(key, actor())
    widget = board.widget(wid)
    lang = language()
    data = payload(svc, board, widget, actor(), svc.state(board, request.args), lang) if widget else {}
    if "table" not in data:
        raise NotFound(Text("只有表格部件可导出 Excel", "only table widgets export to Excel"))
    body = excel(data["title"], data["table"])
    return Response(body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename=\"{board.key}-{wid}.xlsx\""})


def excel(title: str, table: Mapping[str, Any]) -> bytes:
    """A table as an .xlsx workbook (numbers stay numbers; text never becomes a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31] or "table"
    ws.append(list(table["columns"]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table["rows"]:
        values = []
        for value in row:
            try:
                values.append(float(str(value).replace(",", "").replace("¥", "")) if str(value).strip() and
                              str(value).replace(",", "").replace(".", "", 1).replace("-", "", 1).isdigit() else value)
            except ValueError:
                values.append(value)
        ws.append([("'" + v) if isinstance(v, str) and v[:1] in "=+@" else v for v in values])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
