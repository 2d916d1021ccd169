"""Kanban by a select field and calendar by a date field, for any entity.

A kanban card dragged to another column is an ordinary update through the record service
(with the card's version, so a stale board never overwrites a newer change).
"""

from __future__ import annotations

import calendar as cal
from datetime import date, timedelta
from typing import Any

from flask import Response, jsonify, request

from sunmao import clock
from sunmao.errors import NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.records.compiled import CompiledEntity
from sunmao.records.query import ListQuery
from sunmao.web.app import language
from sunmao.web.i18n import _
from sunmao.web.screens import shell
from sunmao.web.screens.fields import collect_links, display, fetch_titles, title_field
from sunmao.web.screens.layouts import ViewLayout, main_view
from sunmao.web.screens.routes import blueprint

CARDS_PER_COLUMN = 50
CALENDAR_LIMIT = 500


def _select_field(ce: CompiledEntity, key: str) -> Any:
    f = ce.entity.by_key.get(key)
    if f is None or f.type != "select":
        choices = [x.key for x in ce.entity.fields if x.type == "select"]
        raise NotFound(Text(f"{key} 不是单选字段；可选：{', '.join(choices)}",
                            f"{key!r} is not a select field; choose one of {', '.join(choices)}"))
    return f


def render_kanban(ce: CompiledEntity, by: str, view: ViewLayout) -> tuple[str, int]:
    shell.require(ce.entity, "read")
    lang = language()
    f = _select_field(ce, by)
    service = shell.records()
    columns = []
    sort = [(s.lstrip("-"), s.startswith("-")) for s in view.sort] or [("updated_at", True)]
    all_items = []
    for option in f.options:
        query = ListQuery(filters=[(by, "eq", option.value)], sort=sort, limit=CARDS_PER_COLUMN)
        result = service.list(ce.key, query, actor=shell.actor())
        columns.append({"value": option.value, "label": option.label.get(lang), "color": option.color,
                        "items": result["items"], "total": result["total"]})
        all_items += result["items"]
    titles = fetch_titles(service, shell.actor(), collect_links(service.snapshot, ce.entity, all_items))
    card_fields = [ce.entity.by_key[k] for k in (view.card or ()) if k in ce.entity.by_key]
    if not card_fields:
        card_fields = [x for x in ce.entity.fields if x.type in ("link", "date") and not x.hidden][:2]
    key = title_field(ce.entity)
    for column in columns:
        column["cards"] = [{"id": item["id"], "version": item["version"], "name": item.get("name", ""),
                            "title": str(item.get(key) or item.get("name") or ""),
                            "lines": [(c.label.get(lang), display(c, item.get(c.key), lang, titles, item))
                                      for c in card_fields if item.get(c.key) not in (None, "")]}
                           for item in column.pop("items")]
    selects = [(x.key, x.label.get(lang)) for x in ce.entity.fields if x.type == "select"]
    return shell.render("screens/kanban.html", title=view.label.get(lang) if view.key else
                        _("%(entity)s by %(field)s", entity=ce.entity.label.get(lang), field=f.label.get(lang)),
                        widgets=["kanban"], entity=ce.entity, columns=columns, by=by, selects=selects,
                        can_move=shell.actor().can(ce.entity, "update") and not f.read_only)


@blueprint.get("/app/<entity>/kanban")
def kanban(entity: str) -> tuple[str, int]:
    ce = shell.compiled(entity)
    default = next((x.key for x in ce.entity.fields if x.type == "select"), "")
    return render_kanban(ce, request.args.get("by") or default, main_view(shell.snapshot(), ce.entity))


@blueprint.post("/app/<entity>/<int:record_id>/move")
def move_card(entity: str, record_id: int) -> tuple[Response, int]:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "update")
    body = request.get_json(silent=True) or {}
    field = str(body.get("field") or "")
    _select_field(ce, field)
    version = body.get("version") if isinstance(body.get("version"), int) else None
    saved = shell.records().update(entity, record_id, {field: body.get("value")}, actor=shell.actor(),
                                   expected_version=version)
    return jsonify({"id": saved["id"], "version": saved["version"]}), 200


def _month(raw: str | None) -> date:
    try:
        year, month = (int(x) for x in (raw or "").split("-")[:2])
        return date(year, month, 1)
    except ValueError:
        today = date.today()
        return today.replace(day=1)


def render_calendar(ce: CompiledEntity, field_key: str, view: ViewLayout) -> tuple[str, int]:
    shell.require(ce.entity, "read")
    lang = language()
    f = ce.entity.by_key.get(field_key)
    if f is None or f.value_type != "date":
        raise ValidationFailed(errors={"field": [Text(f"{field_key} 不是日期字段",
                                                      f"{field_key!r} is not a date field")]})
    first = _month(request.args.get("month"))
    weeks = cal.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start, end = weeks[0][0], weeks[-1][-1]
    query = ListQuery(filters=[(field_key, "ge", start.isoformat()), (field_key, "le", end.isoformat())],
                      sort=[(field_key, False)], limit=CALENDAR_LIMIT)
    result = shell.records().list(ce.key, query, actor=shell.actor())
    key = title_field(ce.entity)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for item in result["items"]:
        by_day.setdefault(item[field_key], []).append(
            {"id": item["id"], "title": str(item.get("name") or ""), "sub": str(item.get(key) or "")
             if key != "name" else ""})
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    dates = [x.key for x in ce.entity.fields if x.value_type == "date"]
    return shell.render("screens/calendar.html", title=view.label.get(lang) if view.key else
                        _("%(entity)s by %(field)s", entity=ce.entity.label.get(lang), field=f.label.get(lang)),
                        widgets=["calendar"], entity=ce.entity, weeks=weeks, month=first, by_day=by_day,
                        day_names=names, field_key=field_key, today=date.today(),
                        month_label=f"{first.year}年{first.month}月" if lang == "zh" else first.strftime("%B %Y"),
                        prev=prev_month.strftime("%Y-%m"), next=next_month.strftime("%Y-%m"),
                        capped=len(result["items"]) >= CALENDAR_LIMIT, dates=[
                            (k, ce.entity.by_key[k].label.get(lang)) for k in dates])


@blueprint.get("/app/<entity>/calendar")
def calendar_page(entity: str) -> tuple[str, int]:
    ce = shell.compiled(entity)
    default = next((x.key for x in ce.entity.fields if x.value_type == "date"), "")
    return render_calendar(ce, request.args.get("field") or default, main_view(shell.snapshot(), ce.entity))


# -- Gantt ---------------------------------------------------------------------------------

GANTT_LIMIT = 300
GANTT_DAYS = 42


def _day(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return fallback


def render_gantt(ce: CompiledEntity, view: ViewLayout) -> tuple[str, int]:
    """Bars from each record's start date to its end date over a six-week window.

    Only records overlapping the window are read, with the reader's permissions and scopes,
    through the record service like every list."""
    shell.require(ce.entity, "read")
    lang = language()
    start_key, end_key = view.date_field or "", view.end_field or ""
    first = _day(request.args.get("from"), clock.today() - timedelta(days=7))
    last = first + timedelta(days=GANTT_DAYS - 1)
    query = ListQuery(filters=[(start_key, "le", last.isoformat()), (end_key, "ge", first.isoformat())]
                      + list(view.filters), sort=[(start_key, False)], limit=GANTT_LIMIT)
    result = shell.records().list(ce.key, query, actor=shell.actor())
    key = title_field(ce.entity)
    colors = {o.value: o.color for o in ce.entity.by_key[view.color_by].options} if view.color_by else {}
    labels = {o.value: o.label.get(lang) for o in ce.entity.by_key[view.color_by].options} if view.color_by else {}
    span = GANTT_DAYS
    bars = []
    for item in result["items"]:
        begin = _day(item.get(start_key), first)
        end = _day(item.get(end_key), begin)
        left = max((begin - first).days, 0)
        right = min((end - first).days + 1, span)
        state = item.get(view.color_by) if view.color_by else None
        bars.append({"id": item["id"], "title": str(item.get("name") or ""),
                     "sub": str(item.get(key) or "") if key != "name" else "",
                     "left": round(100 * left / span, 3), "width": round(100 * max(right - left, 0.5) / span, 3),
                     "color": colors.get(state) or "#8c4a2f", "state": labels.get(state, ""),
                     "dates": f"{begin.isoformat()} → {end.isoformat()}"})
    weeks = [(round(100 * i / span, 3), (first + timedelta(days=i)).strftime("%m-%d")) for i in range(0, span, 7)]
    today_at = (clock.today() - first).days
    return shell.render("screens/gantt.html", title=view.label.get(lang), widgets=["gantt"], entity=ce.entity,
                        groups=[{"title": "", "bars": bars}] if bars else [], weeks=weeks, view=view,
                        today=round(100 * today_at / span, 3) if 0 <= today_at < span else None,
                        prev=(first - timedelta(days=28)).isoformat(), next=(first + timedelta(days=28)).isoformat(),
                        window=f"{first.isoformat()} – {last.isoformat()}",
                        capped=len(result["items"]) >= GANTT_LIMIT)
