"""Kanban by a select field and calendar by a date field, for any entity.

A kanban card dragged to another column is an ordinary update through the record service
(with the card's version, so a stale board never overwrites a newer change). When the column
field is the state field of the entity's workflow, the drop takes the workflow action that
leads there, through the workflow service: its roles, guards, required fields and comment
hold as on the record page, and a refused drop says why.
"""

from __future__ import annotations

import calendar as cal
import os
from datetime import date, timedelta
from typing import Any

from flask import Response, jsonify, request

from sunmao import clock
from sunmao.errors import Conflict, Forbidden, NotFound, ValidationFailed
from sunmao.i18n import Text
from sunmao.records.compiled import CompiledEntity
from sunmao.records.query import ListQuery
from sunmao.web.app import context, language
from sunmao.web.i18n import _, format_day, format_value_date
from sunmao.web.screens import shell
from sunmao.web.screens.fields import collect_links, display, fetch_titles, title_field
from sunmao.web.screens.layouts import ViewLayout, highlighted, main_view
from sunmao.web.screens.routes import blueprint
from sunmao.workflow import WorkflowService

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
                            "mark": highlighted(view, item, lang),
                            "title": str(item.get(key) or item.get("name") or ""),
                            "lines": [(c.label.get(lang), display(c, item.get(c.key), lang, titles, item))
                                      for c in card_fields if item.get(c.key) not in (None, "")]}
                           for item in column.pop("items")]
    selects = [(x.key, x.label.get(lang)) for x in ce.entity.fields if x.type == "select"]
    return shell.render("screens/kanban.html", title=view.label.get(lang) if view.key else
                        _("%(entity)s by %(field)s", entity=ce.entity.label.get(lang), field=f.label.get(lang)),
                        widgets=["kanban"], entity=ce.entity, columns=columns, by=by, selects=selects,
                        can_move=_can_move(ce, f))


def _can_move(ce: CompiledEntity, f: Any) -> bool:
    """Cards move on a workflow's state field when the user may take any of its actions, else
    on a field the user may edit."""
    actor = shell.actor()
    flow = shell.workflows().get(ce.key)
    if flow is not None and flow.state_field == f.key:
        return any(t.to is not None and t.allowed_for(set(actor.roles), actor.system) and not t.system
                   for t in flow.transitions.values())
    return actor.can(ce.entity, "update") and not f.read_only


@blueprint.get("/app/<entity>/kanban")
def kanban(entity: str) -> tuple[str, int]:
    ce = shell.compiled(entity)
    default = next((x.key for x in ce.entity.fields if x.type == "select"), "")
    return render_kanban(ce, request.args.get("by") or default, main_view(shell.snapshot(), ce.entity))


@blueprint.post("/app/<entity>/<int:record_id>/move")
def move_card(entity: str, record_id: int) -> tuple[Response, int]:
    ce = shell.compiled(entity)
    body = request.get_json(silent=True) or {}
    field = str(body.get("field") or "")
    flow = shell.workflows().get(entity)
    by_workflow = flow is not None and flow.state_field == field
    shell.require(ce.entity, "read" if by_workflow else "update")  # an action's own roles decide
    _select_field(ce, field)
    version = body.get("version") if isinstance(body.get("version"), int) else None
    if by_workflow:
        return _move_by_workflow(ce, flow, record_id, body, version)
    saved = shell.records().update(entity, record_id, {field: body.get("value")}, actor=shell.actor(),
                                   expected_version=version)
    return jsonify({"id": saved["id"], "version": saved["version"]}), 200


def _move_by_workflow(ce: CompiledEntity, flow: Any, record_id: int, body: dict[str, Any],
                      version: int | None) -> tuple[Response, int]:
    """Take the action that leads from the card's state to the column's: the one the user may take.

    An action that needs fields or a comment the drop did not bring answers 422 with ``needs``
    (the board asks for them and drops again); everything else is the workflow service's answer."""
    actor = shell.actor()
    lang = language()
    record = shell.records().get(ce.key, record_id, actor=actor)
    source, target = record.get(flow.state_field), str(body.get("value") or "")
    label = {k: s.label for k, s in flow.states.items()}
    here, there = label.get(source, Text(str(source), str(source))), label.get(target, Text(target, target))
    leading = [t for t in flow.transitions.values() if t.to == target and source in t.sources and not t.system]
    if not leading:
        raise Conflict(Text(f"从“{here.zh}”不能直接移到“{there.zh}”",
                            f"a record cannot go straight from “{here.en}” to “{there.en}”"), state=source)
    allowed = [t for t in leading if t.allowed_for(set(actor.roles), actor.system)]
    if not allowed:
        t = leading[0]
        roles = sorted({r for x in leading for r in x.roles})
        raise Forbidden(Text(f"只有 {'、'.join(roles)} 可以执行“{t.label.zh}”",
                             f"only {', '.join(roles)} may take “{t.label.en}”"))
    t = allowed[0]
    raw = body.get("values") if isinstance(body.get("values"), dict) else {}
    values = {k: raw[k] for k in t.fields_required if raw.get(k) not in (None, "")}
    comment = str(body.get("comment") or "").strip() or None
    missing = [k for k in t.fields_required if k not in values and record.get(k) in (None, "", [])]
    if missing or (t.comment_required and comment is None):
        fields = [ce.entity.by_key[k] for k in missing if k in ce.entity.by_key]
        what = "、".join(f.label.zh for f in fields) + ("、意见" if t.comment_required and comment is None else "")
        what_en = ", ".join(f.label.en for f in fields) + (", a comment" if t.comment_required and comment is None
                                                            else "")
        raise ValidationFailed(Text(f"执行“{t.label.zh}”需要填写：{what.strip('、')}",
                                    f"“{t.label.en}” needs {what_en.strip(', ')}"),
                               needs={"action": t.key, "label": t.label.get(lang),
                                      "comment": t.comment_required and comment is None,
                                      "fields": [{"key": f.key, "label": f.label.get(lang), "type": f.value_type}
                                                 for f in fields]})
    saved = WorkflowService(context().runtime.db, shell.snapshot()).transition(
        ce.key, record_id, t.key, actor, comment=comment, values=values, expected_version=version)
    return jsonify({"id": saved["id"], "version": saved["version"], "action": t.key,
                    "state": saved.get(flow.state_field)}), 200


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
             if key != "name" else "", "mark": highlighted(view, item, lang)})
    agenda = sorted((date.fromisoformat(day), items) for day, items in by_day.items()
                    if date.fromisoformat(day).month == first.month)
    prev_month = (first - timedelta(days=1)).replace(day=1)
    next_month = (first + timedelta(days=32)).replace(day=1)
    names = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    dates = [x.key for x in ce.entity.fields if x.value_type == "date"]
    return shell.render("screens/calendar.html", title=view.label.get(lang) if view.key else
                        _("%(entity)s by %(field)s", entity=ce.entity.label.get(lang), field=f.label.get(lang)),
                        widgets=["calendar"], entity=ce.entity, weeks=weeks, month=first, by_day=by_day,
                        agenda=agenda, day_label=lambda d: f"{format_value_date(d, lang)} {names[d.weekday()]}",
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
SEPARATORS = "-_/. "
GANTT_DAYS = 42


def _day(raw: str | None, fallback: date) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return fallback


def short_names(names: list[str]) -> dict[str, str]:
    """Each name without the head all of them share, cut at a separator: what tells them apart.

    ``SO-202612-00006`` among ``SO-202612-000xx`` is ``00006``; a lone name keeps its last part.
    A narrow column then shows the digits, not ``SO-2026…`` on every row."""
    if not names:
        return {}
    head = os.path.commonprefix(names) if len(names) > 1 else names[0]
    cut = max(head.rfind(sep) for sep in SEPARATORS) + 1
    return {n: n[cut:] or n for n in names}


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
    short = short_names([str(item.get("name") or "") for item in result["items"]])
    bars = []
    for item in result["items"]:
        begin = _day(item.get(start_key), first)
        end = _day(item.get(end_key), begin)
        left = max((begin - first).days, 0)
        right = min((end - first).days + 1, span)
        state = item.get(view.color_by) if view.color_by else None
        bars.append({"id": item["id"], "title": str(item.get("name") or ""),
                     "short": short.get(str(item.get("name") or ""), ""),
                     "sub": str(item.get(key) or "") if key != "name" else "",
                     "left": round(100 * left / span, 3), "width": round(100 * max(right - left, 0.5) / span, 3),
                     "color": colors.get(state) or "#8c4a2f", "state": labels.get(state, ""),
                     "mark": highlighted(view, item, lang),
                     "dates": f"{format_value_date(begin, lang)} → {format_value_date(end, lang)}"})
    weeks = [(round(100 * i / span, 3), format_day(first + timedelta(days=i), lang)) for i in range(0, span, 7)]
    today_at = (clock.today() - first).days
    return shell.render("screens/gantt.html", title=view.label.get(lang), widgets=["gantt"], entity=ce.entity,
                        groups=[{"title": "", "bars": bars}] if bars else [], weeks=weeks, view=view,
                        today=round(100 * today_at / span, 3) if 0 <= today_at < span else None,
                        prev=(first - timedelta(days=28)).isoformat(), next=(first + timedelta(days=28)).isoformat(),
                        window=f"{format_value_date(first, lang)} – {format_value_date(last, lang)}",
                        capped=len(result["items"]) >= GANTT_LIMIT)
