"""The list page of an entity: columns, filters, search, sort, keyset pages, saved views,
bulk delete, and export to Excel and CSV.

Everything reads through ``RecordService.list`` with the signed-in user as actor, with the
API's own query parameters (``priority=urgent&due_date__ge=...&q=...&sort=-due_date``), so a
list, its export and the API always agree on what a role may see.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, flash, redirect, request
from werkzeug.datastructures import MultiDict

from sunmao.errors import NotFound, SunmaoError, ValidationFailed
from sunmao.fields import stored_type
from sunmao.i18n import Text
from sunmao.imports.export import number_format, write_workbook
from sunmao.meta.model import Entity, Field
from sunmao.records.compiled import CompiledEntity
from sunmao.records.query import ListQuery, parse_query
from sunmao.web.app import context, language
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.boards import render_calendar, render_gantt, render_kanban
from sunmao.web.screens.fields import collect_links, display, fetch_titles, option_color, value_href
from sunmao.web.screens.gantt import render_row_gantt
from sunmao.web.screens.layouts import ViewLayout, field_or_system, main_view, views_of
from sunmao.web.screens.reporting import render_report
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.scan import render_scan
from sunmao.web.screens.tables import saved_view

PAGE_PARAMS = ("view", "lang")
PAGE_SIZE = 50
EXPORT_CAP = 100_000
EXPORT_BATCH = 500
FILTER_TYPES = ("string", "text", "select", "boolean", "date", "datetime", "integer", "decimal")


def clean_args(args: Mapping[str, str], view: ViewLayout) -> MultiDict[str, str]:
    """The API query of a page: empty inputs dropped, the view's sort and filters as defaults."""
    out: MultiDict[str, str] = MultiDict()
    for key, value in args.items():
        if key in PAGE_PARAMS or value == "":
            continue
        out[key] = value
    if "sort" not in out and view.sort:
        out["sort"] = ",".join(view.sort)
    for key, op, value in view.filters:
        param = key if op == "eq" else f"{key}__{op}"
        if param not in out:
            out[param] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def list_query(ce: CompiledEntity, args: Mapping[str, str], *, limit: int = PAGE_SIZE) -> ListQuery:
    query = parse_query(ce, {**args, "limit": str(limit)})
    return query


def filter_fields(entity: Entity, view: ViewLayout) -> list[Field]:
    """Filters for the view's columns, plus every select field (the usual way to slice a list)."""
    keys = [k for k in view.columns if k in entity.by_key]
    keys += [f.key for f in entity.fields if f.type == "select" and f.key not in keys]
    fields = [entity.by_key[k] for k in keys]
    return [f for f in fields if f.value_type in FILTER_TYPES and f.type != "link" and not f.hidden][:8]


def _sort_link(args: Mapping[str, str], key: str) -> tuple[str, str]:
    current = args.get("sort", "")
    first = current.split(",")[0] if current else ""
    if first == key:
        new, mark = f"-{key}", "▲"
    elif first == f"-{key}":
        new, mark = key, "▼"
    else:
        new, mark = key, ""
    params = {k: v for k, v in args.items() if k not in ("after", "page", "sort")}
    params["sort"] = new
    return "?" + urlencode(params), mark


def _saved_views(entity_key: str) -> list[dict[str, Any]]:
    with context().runtime.db.read() as conn:
        rows = conn.execute(sa.select(saved_view).where(saved_view.c.user_id == shell.actor().id,
                                                        saved_view.c.entity == entity_key)
                            .order_by(saved_view.c.label)).mappings()
        return [dict(r) for r in rows]


def render_list(ce: CompiledEntity, view: ViewLayout) -> tuple[str, int]:
    entity = ce.entity
    shell.require(entity, "read")
    lang = language()
    service = shell.records()
    args = clean_args(request.args, view)
    try:
        result = service.list(entity.key, list_query(ce, args), actor=shell.actor())
        problem = None
    except ValidationFailed as exc:  # a bad filter: show the page with the message, not an error page
        result = {"items": [], "total": 0, "total_capped": False}
        problem = exc.problem(lang)
    items = result["items"]
    titles = fetch_titles(service, shell.actor(), collect_links(service.snapshot, entity, items))
    columns = [field_or_system(entity, k) for k in view.columns]
    rows = []
    for item in items:
        cells = []
        for f in columns:
            cells.append({"text": display(f, item.get(f.key), lang, titles, item), "type": f.value_type,
                          "href": value_href(f, item.get(f.key)),
                          "color": option_color(f, item.get(f.key)) if f.type == "select" else None,
                          "key": f.key})
        rows.append({"id": item["id"], "cells": cells})
    headers = []
    for f in columns:
        url, mark = _sort_link(args, f.key) if stored_type(f).sortable else ("", "")
        headers.append({"label": f.label.get(lang), "url": url, "mark": mark, "type": f.value_type})
    base = {k: v for k, v in request.args.items() if k not in ("after", "page") and v != ""}
    next_url = "?" + urlencode({**base, "after": result["next"]}) if result.get("next") else None
    filters = []
    for f in filter_fields(entity, view):
        filters.append({"key": f.key, "label": f.label.get(lang), "type": f.value_type,
                        "options": [(o.value, o.label.get(lang)) for o in f.options],
                        "value": request.args.get(f.key, ""), "like": request.args.get(f"{f.key}__like", ""),
                        "ge": request.args.get(f"{f.key}__ge", ""), "le": request.args.get(f"{f.key}__le", "")})
    export_args = {k: v for k, v in request.args.items() if k not in ("after", "page")}
    if view.key:
        export_args["view"] = view.key  # the export follows the view's own filters and sort
    export_query = urlencode(export_args)
    return shell.render(
        "screens/list.html", title=view.label.get(lang) if view.key else entity.label.get(lang),
        widgets=["list"], entity=entity, view=view, headers=headers, rows=rows, total=result.get("total", 0),
        capped=result.get("total_capped", False), next_url=next_url, first_url="?" + urlencode(base) if
        request.args.get("after") else None, filters=filters, q=request.args.get("q", ""), problem=problem,
        views=views_of(service.snapshot, entity.key), saved=_saved_views(entity.key),
        can_create=shell.actor().can(entity, "create"), can_delete=shell.actor().can(entity, "delete"),
        export_query=export_query, current_query=urlencode(base),
        has_date=any(f.value_type == "date" for f in entity.fields),
        has_select=any(f.type == "select" for f in entity.fields),
    )


@blueprint.get("/app/<entity>")
def list_page(entity: str) -> tuple[str, int]:
    ce = shell.compiled(entity)
    return render_list(ce, main_view(shell.snapshot(), ce.entity))


@blueprint.get("/app/views/<key>")
def view_page(key: str) -> Any:
    view = shell.snapshot().features.get("views", {}).get(key)
    if view is None or view.type == "portal":
        raise NotFound(Text(f"没有名为 {key} 的视图", f"there is no view named {key!r}"))
    ce = shell.compiled(view.entity)
    if view.type == "scan":
        shell.require(ce.entity, "read")
        return render_report(view) if view.scan.report is not None else render_scan(view)
    if view.type == "kanban":
        return render_kanban(ce, view.group_by or "", view)
    if view.type == "gantt":
        return render_row_gantt(ce, view) if view.gantt_rows else render_gantt(ce, view)
    if view.type == "calendar":
        return render_calendar(ce, view.date_field or "", view)
    return render_list(ce, view)


# -- saved views ---------------------------------------------------------------------------

@blueprint.post("/app/<entity>/saved-views")
def save_view(entity: str) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    label = (request.form.get("label") or "").strip()[:60]
    query = (request.form.get("query") or "").strip()[:2000]
    if label:
        with context().runtime.db.write() as conn:
            conn.execute(saved_view.insert().values(user_id=shell.actor().id, entity=entity, label=label, query=query,
                                                    created_at=datetime.now(UTC)))
        flash(_("View saved: %(label)s", label=label), "ok")
    return redirect(f"/app/{entity}?{query}")


@blueprint.post("/app/<entity>/saved-views/<int:view_id>/delete")
def delete_saved_view(entity: str, view_id: int) -> Response:
    shell.compiled(entity)
    with context().runtime.db.write() as conn:
        conn.execute(saved_view.delete().where(saved_view.c.id == view_id, saved_view.c.user_id == shell.actor().id))
    return redirect(f"/app/{entity}")


# -- bulk delete ---------------------------------------------------------------------------

@blueprint.post("/app/<entity>/bulk-delete")
def bulk_delete(entity: str) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "delete")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()][:500]
    done, failed = 0, 0
    for record_id in ids:
        try:
            shell.records().delete(entity, record_id, actor=shell.actor())
            done += 1
        except SunmaoError:
            failed += 1
    flash(_("%(n)s records moved to the recycle bin", n=done), "ok")
    if failed:
        flash(_("%(n)s records could not be deleted", n=failed), "error")
    back = request.form.get("back", "")
    return redirect(back if back.startswith("/app/") else f"/app/{entity}")


# -- export --------------------------------------------------------------------------------

def export_rows(ce: CompiledEntity, args: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
    """Batches of the list's records, following keyset cursors, up to ``EXPORT_CAP`` rows."""
    service = shell.records()
    query_args = dict(args)
    sent = 0
    while sent < EXPORT_CAP:
        result = service.list(ce.key, list_query(ce, query_args, limit=EXPORT_BATCH), actor=shell.actor())
        items = result["items"]
        if not items:
            return
        yield items
        sent += len(items)
        if not result.get("next"):
            return
        query_args["after"] = result["next"]


def export_fields(entity: Entity) -> list[Field]:
    return [field_or_system(entity, "name")] + [f for f in entity.fields if not f.hidden and f.type != "table"]


def cell_value(f: Field, value: Any, lang: str, titles: dict, record: Mapping[str, Any]) -> Any:
    """Numbers and dates stay numbers and dates in Excel; everything else as shown on screen."""
    if value is None:
        return None
    if f.value_type == "decimal" and f.type != "link":
        return Decimal(value)
    if f.value_type == "integer" and f.type != "link":
        return int(value)
    if f.value_type == "date":
        return date.fromisoformat(value)
    if f.value_type == "datetime":
        return datetime.fromisoformat(value).astimezone(UTC).replace(tzinfo=None)
    return display(f, value, lang, titles, record)


def _safe_text(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text (``=HYPERLINK(...)`` typed into a customer name)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@blueprint.get("/app/<entity>/export.<fmt>")
def export(entity: str, fmt: str) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "read")
    if fmt not in ("xlsx", "csv"):
        raise NotFound(Text("只支持 xlsx 和 csv", "only xlsx and csv are supported"))
    lang = language()
    view = shell.snapshot().features.get("views", {}).get(request.args.get("view", ""))
    if view is None or view.entity != entity or view.type == "portal":
        view = main_view(shell.snapshot(), ce.entity)
    args = clean_args(request.args, view)
    args.pop("after", None)
    service = shell.records()
    readable = set(service.readable_fields(entity, shell.actor())) | {"name"}
    fields = [f for f in export_fields(ce.entity) if f.key in readable]
    header = [f.label.get(lang) for f in fields]

    def rows() -> Iterator[list[Any]]:
        for batch in export_rows(ce, args):
            titles = fetch_titles(service, shell.actor(), collect_links(service.snapshot, ce.entity, batch))
            for item in batch:
                yield [cell_value(f, item.get(f.key), lang, titles, item) for f in fields]

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    filename = f"{entity}-{stamp}.{fmt}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        writer = csv.writer(buffer)
        writer.writerow(header)
        for row in rows():
            writer.writerow([_safe_text(v) if v is not None else "" for v in row])
        data = buffer.getvalue().encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    else:
        data = write_workbook(ce.entity.label.get(lang), header, rows(), [number_format(f) for f in fields])
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
