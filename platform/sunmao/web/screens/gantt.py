"""A Gantt of a table's rows: one bar per row (a dispatch order's operations), grouped by a field
of the record (its production line), planned dates as the bar, actual dates as a thin bar over it.

A row whose planned end has passed without an actual end is late and drawn red. Records are
read through the record service with the reader's permissions, like every list; the window is
the same six weeks as the record Gantt (``boards.render_gantt``), paged with ``?from=``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import request

from sunmao import clock
from sunmao.records.compiled import CompiledEntity
from sunmao.records.query import ListQuery
from sunmao.web.app import language
from sunmao.web.i18n import format_day, format_value_date
from sunmao.web.screens import shell
from sunmao.web.screens.boards import GANTT_DAYS, GANTT_LIMIT, _day
from sunmao.web.screens.fields import display, fetch_titles, title_field
from sunmao.web.screens.layouts import ViewLayout

LATE = "#cf1124"


def _local_day(value: Any) -> date | None:
    """A date or an ISO datetime (stored UTC) as the business day it falls on."""
    if not value:
        return None
    text = str(value)
    if len(text) <= 10:
        return _day(text, None)  # type: ignore[arg-type]
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(clock.BUSINESS_ZONE).date()


def render_row_gantt(ce: CompiledEntity, view: ViewLayout) -> tuple[str, int]:
    shell.require(ce.entity, "read")
    lang = language()
    spec = view.gantt_rows or {}
    rows_key, group_key = spec["rows"] or "", spec.get("group_by")
    start_key, end_key = view.date_field or "", view.end_field or ""
    first = _day(request.args.get("from"), clock.today() - timedelta(days=7))
    last = first + timedelta(days=GANTT_DAYS - 1)
    today = clock.today()
    service = shell.records()
    key = title_field(ce.entity)
    wanted = ["name", key, rows_key, *(k for k in (group_key, view.color_by) if k)]
    result = service.list(ce.key, ListQuery(filters=list(view.filters), sort=[("id", False)], limit=GANTT_LIMIT,
                                            fields=list(dict.fromkeys(wanted))), actor=shell.actor())
    row_entity = service.snapshot.entities[ce.entity.by_key[rows_key].of or ""]
    row_title = title_field(row_entity)
    color_field = ce.entity.by_key[view.color_by] if view.color_by else None
    colors = {o.value: o.color for o in color_field.options} if color_field else {}
    group_field = ce.entity.by_key[group_key] if group_key else None
    titles = fetch_titles(service, shell.actor(), {group_field.to: {i[group_key] for i in result["items"]
                                                                     if i.get(group_key) is not None}}
                          ) if group_field is not None and group_field.type == "link" else {}
    span = GANTT_DAYS

    def place(begin: date, end: date) -> tuple[float, float] | None:
        if end < first or begin > last:
            return None
        left = max((begin - first).days, 0)
        right = min((end - first).days + 1, span)
        return round(100 * left / span, 3), round(100 * max(right - left, 0.5) / span, 3)

    groups: dict[Any, dict[str, Any]] = {}
    for item in result["items"]:
        group = item.get(group_key) if group_key else None
        heading = display(group_field, group, lang, titles) if group_field is not None else ""
        for row in item.get(rows_key) or ():
            begin = _local_day(row.get(start_key))
            if begin is None:
                continue
            end = _local_day(row.get(end_key)) or begin
            done = _local_day(row.get(spec["actual_end"])) if spec.get("actual_end") else None
            began = _local_day(row.get(spec["actual_start"])) if spec.get("actual_start") else None
            planned = place(begin, end)
            actual = place(began, done or today) if began is not None else None
            if planned is None and actual is None:
                continue
            late = done is None and end < today and bool(spec.get("actual_end"))
            words = [str(row.get(row_title) or ""), f"{format_day(begin, lang)} → {format_day(end, lang)}"]
            if began is not None:
                words.append(f"{format_day(began, lang)} → {format_day(done, lang) if done else '…'}")
            groups.setdefault(group, {"title": heading, "bars": []})["bars"].append({
                "id": item["id"], "title": f"{item.get('name') or ''} · {row.get(row_title) or ''}",
                "sub": str(item.get(key) or "") if key != "name" else "", "begin": begin,
                "left": planned[0] if planned else 0, "width": planned[1] if planned else 0,
                "actual": actual, "late": late, "state": " · ".join(w for w in words if w),
                "color": LATE if late else (colors.get(item.get(view.color_by)) if view.color_by else None)
                or "#8c4a2f", "dates": ""})
    ordered = sorted(groups.values(), key=lambda g: g["title"])
    for g in ordered:
        g["bars"].sort(key=lambda b: (b["begin"], b["id"]))
    weeks = [(round(100 * i / span, 3), format_day(first + timedelta(days=i), lang)) for i in range(0, span, 7)]
    today_at = (today - first).days
    return shell.render("screens/gantt.html", title=view.label.get(lang), widgets=["gantt"], entity=ce.entity,
                        groups=ordered, weeks=weeks, view=view,
                        today=round(100 * today_at / span, 3) if 0 <= today_at < span else None,
                        prev=(first - timedelta(days=28)).isoformat(), next=(first + timedelta(days=28)).isoformat(),
                        window=f"{format_value_date(first, lang)} – {format_value_date(last, lang)}",
                        capped=len(result["items"]) >= GANTT_LIMIT)
