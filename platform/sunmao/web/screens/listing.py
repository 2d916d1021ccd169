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
from sunmao.web.screens.bulk import assignees, bulk_actions, editable_fields
from sunmao.web.screens.fields import collect_links, display, fetch_titles, option_color, titles_for, value_href
from sunmao.web.screens.gantt import render_row_gantt
from sunmao.web.screens.layouts import ViewLayout, field_or_system, highlighted, main_view, views_of
from sunmao.web.screens.reporting import render_report
from sunmao.web.screens.routes import blueprint
from sunmao.web.screens.scan import render_scan
from sunmao.web.screens.tables import saved_view

PAGE_PARAMS = ("view", "lang", "cols", "density", "ids")
DENSITIES = ("comfortable", "compact")
PAGE_SIZE = 50
EXPORT_CAP = 100_000
EXPORT_BATCH = 500
FILTER_TYPES = ("string", "text", "select", "boolean", "date", "datetime", "integer", "decimal")


def clean_args(args: MultiDict[str, str] | Mapping[str, str], view: ViewLayout) -> MultiDict[str, str]:
    """The API query of a page: empty inputs dropped, ticked values of one filter joined
    (``status__in=draft&status__in=submitted`` → ``status__in=draft,submitted``), and the view's sort
    and filters as defaults."""
    out: MultiDict[str, str] = MultiDict()
    multi = args.lists() if isinstance(args, MultiDict) else ((k, [v]) for k, v in args.items())
    for key, values in multi:
        values = [v for v in values if v != ""]
        if key in PAGE_PARAMS or not values:
            continue
        out[key] = ",".join(values) if key.endswith("__in") else values[0]
    if "sort" not in out and view.sort:
        out["sort"] = ",".join(view.sort)
    for key, op, value in view.filters:
        param = key if op == "eq" else f"{key}__{op}"
        if param not in out:
            out[param] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def page_params(*drop: str) -> list[tuple[str, str]]:
    """The page's own query, every value of every parameter, without ``drop`` and empty inputs."""
    return [(k, v) for k, v in request.args.items(multi=True) if k not in drop and v != ""]


def chosen_columns(entity: Entity, view: ViewLayout, readable: set[str]) -> list[str]:
    """The user's columns (``cols=``: their choice and order) or the view's; the number stays first."""
    wanted = request.args.get("cols")
    if not wanted:
        return list(view.columns)
    keys = [k for k in dict.fromkeys(wanted.split(",")) if k in readable and k != "name"]
    return (["name"] if "name" in view.columns or not entity.child else []) + keys


def column_choices(entity: Entity, shown: list[str], readable: set[str], lang: str) -> list[dict[str, Any]]:
    """Every column a user may put in the list: the shown ones in their order, then the others."""
    keys = [k for k in shown if k != "name"]
    keys += [f.key for f in entity.fields if f.key in readable and f.key not in keys and f.type != "table"]
    keys += [k for k in ("created_at", "updated_at") if k not in keys]
    return [{"key": k, "label": field_or_system(entity, k).label.get(lang), "on": k in shown} for k in keys]


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
    readable = set(service.readable_fields(entity.key, shell.actor())) | {"name", "created_at", "updated_at"}
    shown = chosen_columns(entity, view, readable)
    columns = [field_or_system(entity, k) for k in shown]
    changeable = editable_fields(ce)
    editable = {f.key: f for f in changeable} if view.inline_edit else {}
    rows = []
    for item in items:
        cells = []
        for f in columns:
            cells.append({"text": display(f, item.get(f.key), lang, titles, item), "type": f.value_type,
                          "href": value_href(f, item.get(f.key)),
                          "color": option_color(f, item.get(f.key)) if f.type == "select" else None,
                          "key": f.key, "edit": f.key in editable,
                          "value": "" if item.get(f.key) is None else str(item.get(f.key)).lower()
                          if isinstance(item.get(f.key), bool) else str(item.get(f.key))})
        rows.append({"id": item["id"], "version": item.get("version"), "cells": cells,
                     "mark": highlighted(view, item, lang)})
    headers = []
    for f in columns:
        url, mark = _sort_link(args, f.key) if stored_type(f).sortable else ("", "")
        headers.append({"label": f.label.get(lang), "url": url, "mark": mark, "type": f.value_type, "key": f.key})
    base = page_params("after", "page")
    next_url = "?" + urlencode([*base, ("after", result["next"])]) if result.get("next") else None
    filters = []
    for f in filter_fields(entity, view):
        ticked = set(request.args.getlist(f"{f.key}__in")) | {request.args.get(f.key, "")}
        filters.append({"key": f.key, "label": f.label.get(lang), "type": f.value_type,
                        "options": [(o.value, o.label.get(lang), o.value in ticked) for o in f.options],
                        "value": request.args.get(f.key, ""), "like": request.args.get(f"{f.key}__like", ""),
                        "ge": request.args.get(f"{f.key}__ge", ""), "le": request.args.get(f"{f.key}__le", "")})
    export_args = [(k, v) for k, v in base if k not in ("cols", "density")]
    link_chips = _link_chips(entity, base, lang)
    if view.key:
        export_args.append(("view", view.key))  # the export follows the view's own filters and sort
    density = request.args.get("density") if request.args.get("density") in DENSITIES else "comfortable"
    keep = [(k, v) for k, v in base if k not in ("cols", "density")]
    cols = [("cols", request.args["cols"])] if request.args.get("cols") else []
    actor = shell.actor()
    prints = [(p.key, p.label.get(lang)) for p in service.snapshot.features.get("prints", {}).values()
              if p.entity == entity.key]
    edit_options = [{"key": f.key, "label": f.label.get(lang), "type": f.value_type,
                     "options": [(o.value, o.label.get(lang)) for o in f.options]} for f in changeable]
    return shell.render(
        "screens/list.html", title=view.label.get(lang) if view.key else entity.label.get(lang),
        widgets=["list"], entity=entity, view=view, headers=headers, rows=rows, total=result.get("total", 0),
        capped=result.get("total_capped", False), next_url=next_url, first_url="?" + urlencode(base) if
        request.args.get("after") else None, filters=filters, q=request.args.get("q", ""), problem=problem,
        views=views_of(service.snapshot, entity.key), saved=_saved_views(entity.key),
        can_create=actor.can(entity, "create"), can_delete=actor.can(entity, "delete"),
        export_query=urlencode(export_args), current_query=urlencode(base),
        has_date=any(f.value_type == "date" for f in entity.fields),
        has_select=any(f.type == "select" for f in entity.fields),
        link_chips=link_chips, filtering=any(k not in ("q", "sort", "after", *PAGE_PARAMS) for k in request.args),
        density=density, density_urls={d: "?" + urlencode([*keep, *cols, ("density", d)]) for d in DENSITIES},
        column_choices=column_choices(entity, shown, readable, lang), keep_params=keep,
        bulk_actions=bulk_actions(entity, lang), edit_fields=edit_options, prints=prints,
        assignees=assignees() if view.assign_field in {f.key for f in changeable} else [],
    )


def _link_chips(entity: Entity, base: list[tuple[str, str]], lang: str) -> list[dict[str, str]]:
    """Links the list is filtered on (``customer=4``, from a record's related list) as removable chips."""
    links = {f.key: f for f in entity.fields if f.type == "link"}
    picked = {k: int(v) for k, v in base if k in links and v.isdigit()}
    if not picked:
        return []
    titles = titles_for(shell.records(), shell.actor(), entity, [picked])
    return [{"key": k, "value": str(v), "label": links[k].label.get(lang),
             "text": display(links[k], v, lang, titles, picked),
             "url": "?" + urlencode([(p, w) for p, w in base if p != k])} for k, v in picked.items()]


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
    ticked = request.args.get("ids")
    if ticked:  # exactly the ticked rows (still only those the user may read)
        parts = ticked.split(",")
        if not all(p.isdigit() for p in parts) or len(parts) > EXPORT_BATCH:
            raise ValidationFailed(Text("ids 须为逗号分隔的记录编号", "ids must be record ids separated by commas"),
                                   errors={"ids": [Text(f"最多 {EXPORT_BATCH} 个记录编号，以逗号分隔",
                                                        f"up to {EXPORT_BATCH} record ids, separated by commas")]})
        args["id__in"] = ticked
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
