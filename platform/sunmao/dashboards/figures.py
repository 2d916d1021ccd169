"""Plotly figures built on the server from a widget's rows (``go.Figure`` by hand: no plotly.express,
which needs pandas). Each clickable point carries its drill-down URL in ``customdata``; the
browser opens it. Figures go out as ``fig.to_json()`` with a small template of our own."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import plotly.graph_objects as go

from sunmao.dashboards import geo
from sunmao.dashboards.model import Group, Measure, Widget
from sunmao.dashboards.style import TEMPLATE
from sunmao.dashboards.style import figure_json as _fig
from sunmao.i18n import Text

EMPTY = Text("（空）", "(empty)")


def bucket_label(value: Any, bucket: str | None, lang: str) -> str:
    if bucket is None or value is None:
        return str(value)
    day = date.fromisoformat(str(value)[:10])
    if bucket == "day":
        return day.strftime("%m-%d")
    if bucket == "week":
        week = day.isocalendar()[1]
        return f"{week}周 {day:%m-%d}" if lang == "zh" else f"W{week} {day:%m-%d}"
    if bucket == "month":
        return f"{day.year}年{day.month}月" if lang == "zh" else f"{day:%b %Y}"
    if bucket == "quarter":
        return f"{day.year}年Q{(day.month - 1) // 3 + 1}" if lang == "zh" else f"Q{(day.month - 1) // 3 + 1} {day.year}"
    return str(day.year)


def group_label(group: Group, value: Any, lang: str, titles: Mapping[tuple[str, Any], str]) -> str:
    """How a group value reads: an option's label, a linked record's title, a date bucket."""
    if value is None:
        return EMPTY.get(lang)
    if group.bucket:
        return bucket_label(value, group.bucket, lang)
    f = group.path.field
    if f is not None and f.options:
        return next((o.label.get(lang) for o in f.options if o.value == value), str(value))
    if f is not None and f.type == "link":
        return titles.get((f.to or "", value), f"#{value}")
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    return str(value)


def option_color(group: Group, value: Any) -> str | None:
    f = group.path.field
    if f is not None and f.options:
        return next((o.color for o in f.options if o.value == value and getattr(o, "color", None)), None)
    return None


def in_option_order(group: Group, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of a select field in the order of its options (a workflow's stages in their order)."""
    f = group.path.field
    if f is None or not f.options or group.bucket:
        return rows
    order = {o.value: i for i, o in enumerate(f.options)}
    return sorted(rows, key=lambda r: order.get(r.get("g0"), len(order)))


def tick_format(m: Measure) -> str:
    if m.format == "percent":
        return ".1%"
    if m.format in ("integer",) or m.op in ("count", "count_distinct"):
        return ",d"
    decimals = m.decimals if m.decimals is not None else (0 if m.format == "money" else 1)
    return f",.{decimals}f"


def format_value(m: Measure, value: Any, lang: str) -> str:
    if value is None:
        return "—"
    if m.format == "percent":
        return f"{value * 100:.{m.decimals if m.decimals is not None else 1}f}%"
    if m.op in ("count", "count_distinct") or m.format == "integer":
        return f"{int(round(value)):,}"
    decimals = m.decimals if m.decimals is not None else (2 if m.format == "money" else 1)
    text = f"{value:,.{decimals}f}"
    if m.format == "money":
        return ("¥" if lang == "zh" else "CN¥") + text
    units = {"hours": ("小时", "h"), "minutes": ("分钟", "min"), "days": ("天", "days")}
    if m.format in units:
        return f"{text} {units[m.format][0 if lang == 'zh' else 1]}"
    return text


def shown(measures: Sequence[Measure]) -> list[Measure]:
    return [m for m in measures if m.show]


def _target(layout: dict[str, Any], widget: Widget, horizontal: bool) -> None:
    target = widget.options.get("target")
    if target is None:
        return
    line = {"type": "line", "xref": "paper" if not horizontal else "x", "yref": "y" if not horizontal else "paper",
            "line": {"color": "#ef4e4e", "dash": "dash", "width": 2}}
    if horizontal:
        line.update(x0=target, x1=target, y0=0, y1=1)
    else:
        line.update(x0=0, x1=1, y0=target, y1=target)
    layout["shapes"] = [line]


def chart(widget: Widget, rows: list[dict[str, Any]], lang: str, titles: Mapping[tuple[str, Any], str],
          drill: Callable[[Mapping[str, Any]], str | None]) -> dict[str, Any]:
    """The figure of a grouped widget (bar, line, area, pie, funnel, heat map, map)."""
    query = widget.query
    assert query is not None
    groups, measures = query.groups, shown(query.measures)
    first = measures[0]
    rows = in_option_order(groups[0], rows) if not query.sort else rows
    labels = [group_label(groups[0], r.get("g0"), lang, titles) for r in rows]
    links = [drill(r) for r in rows]
    kind = widget.type
    if kind == "pie":
        colors = [option_color(groups[0], r.get("g0")) for r in rows]
        pie = go.Pie(labels=labels, values=[r[first.key] or 0 for r in rows], customdata=links,
                     hole=widget.options.get("hole", 0.0), sort=False, textinfo="label+percent",
                     marker={"colors": colors} if all(colors) else None)
        return _fig([pie], {"showlegend": False, "margin": {"l": 8, "r": 8, "t": 8, "b": 8}})
    if kind == "funnel":
        funnel = go.Funnel(y=labels, x=[r[first.key] or 0 for r in rows], customdata=links,
                           textinfo="value+percent initial")
        return _fig([funnel], {"margin": {"l": 90, "r": 16, "t": 8, "b": 8}})
    if kind == "heatmap":
        xs = list(dict.fromkeys(r.get("g0") for r in rows))
        ys = list(dict.fromkeys(r.get("g1") for r in rows))
        z = [[None] * len(xs) for _ in ys]
        cells: list[list[Any]] = [[None] * len(xs) for _ in ys]
        for r, link in zip(rows, links, strict=True):
            z[ys.index(r.get("g1"))][xs.index(r.get("g0"))] = r[first.key]
            cells[ys.index(r.get("g1"))][xs.index(r.get("g0"))] = link
        heat = go.Heatmap(x=[group_label(groups[0], v, lang, titles) for v in xs],
                          y=[group_label(groups[1], v, lang, titles) for v in ys], z=z, customdata=cells,
                          colorscale="Blues", hoverongaps=False)
        return _fig([heat])
    if kind == "map":
        return geo.figure(widget, rows, links, first, lang)
    horizontal = widget.options.get("orientation") == "h"
    traces = []
    if len(groups) == 2:  # one series per value of the second group
        xs = list(dict.fromkeys(r.get("g0") for r in rows))
        for series in dict.fromkeys(r.get("g1") for r in rows):
            picked = {r.get("g0"): (r, link) for r, link in zip(rows, links, strict=True) if r.get("g1") == series}
            values = [picked[x][0][first.key] if x in picked else None for x in xs]
            xlabels = [group_label(groups[0], x, lang, titles) for x in xs]
            traces.append(_series(kind, group_label(groups[1], series, lang, titles), xlabels, values,
                                  [picked[x][1] if x in picked else None for x in xs], horizontal,
                                  option_color(groups[1], series)))
    else:
        for m in measures:
            colors = [option_color(groups[0], r.get("g0")) for r in rows] if len(measures) == 1 else None
            traces.append(_series(kind, m.label.get(lang), labels, [r[m.key] for r in rows], links, horizontal,
                                  colors if colors and all(colors) else None))
    axis = {"tickformat": tick_format(first)}
    layout: dict[str, Any] = {"barmode": "stack" if widget.options.get("stacked") else "group",
                              "showlegend": len(traces) > 1}
    if len(traces) > 1:  # above the plot: rotated date labels below never run into it
        layout["legend"] = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"}
        layout["margin"] = {**TEMPLATE["layout"]["margin"], "t": 30}
    layout["xaxis" if horizontal else "yaxis"] = axis
    if horizontal:
        layout["yaxis"] = {"autorange": "reversed", "automargin": True}
    _target(layout, widget, horizontal)
    return _fig(traces, layout)


def _series(kind: str, name: str, labels: list[str], values: list[Any], links: list[Any], horizontal: bool,
            color: Any) -> Any:
    if kind in ("line", "area"):
        return go.Scatter(x=labels, y=values, name=name, customdata=links, mode="lines+markers",
                          fill="tozeroy" if kind == "area" else None, line={"shape": "spline", "width": 3})
    marker = {"color": color} if color else None
    if horizontal:
        return go.Bar(y=labels, x=values, name=name, customdata=links, orientation="h", marker=marker)
    return go.Bar(x=labels, y=values, name=name, customdata=links, marker=marker)


def number(widget: Widget, rows: list[dict[str, Any]], previous: list[dict[str, Any]] | None, lang: str
           ) -> dict[str, Any]:
    """A number card: the first measure, its change against the previous period, the target."""
    query = widget.query
    assert query is not None
    m = shown(query.measures)[0]
    value = rows[0].get(m.key) if rows else None
    before = previous[0].get(m.key) if previous else None
    target = widget.options.get("target")
    lower = widget.options.get("better") == "lower"
    out: dict[str, Any] = {"value": value, "text": format_value(m, value, lang), "label": m.label.get(lang)}
    if before not in (None, 0) and value is not None:
        change = (value - before) / abs(before)
        good = (change <= 0) if lower else (change >= 0)
        out["change"] = {"ratio": change, "text": f"{change * 100:+.1f}%", "good": good,
                         "before": format_value(m, before, lang)}
    if target is not None:
        met = value is not None and (value <= target if lower else value >= target)
        out["target"] = {"value": target, "text": format_value(m, target, lang), "met": met,
                         "sign": "≤" if lower else "≥"}
    return out


def gauge(widget: Widget, rows: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    query = widget.query
    assert query is not None
    m = shown(query.measures)[0]
    value = rows[0].get(m.key) if rows else None
    target = widget.options.get("target")
    top = widget.options.get("max") or max(v for v in (value or 0, target or 0, 1) if v is not None) * 1.5
    scale = 100 if m.format == "percent" else 1
    lower = widget.options.get("better") == "lower"
    good, bad = "#3ebd93", "#ef4e4e"
    steps = []
    if target is not None:
        steps = [{"range": [0, target * scale], "color": "#e3f9e5" if lower else "#ffe3e3"},
                 {"range": [target * scale, top * scale], "color": "#ffe3e3" if lower else "#e3f9e5"}]
    met = value is not None and target is not None and (value <= target if lower else value >= target)
    indicator = go.Indicator(
        mode="gauge+number", value=None if value is None else value * scale,
        number={"suffix": "%" if m.format == "percent" else "", "valueformat": ".1f"},
        gauge={"axis": {"range": [0, top * scale]}, "bar": {"color": good if met else bad}, "steps": steps,
               "threshold": {"line": {"color": "#243b53", "width": 3}, "value": target * scale}
               if target is not None else None})
    return _fig([indicator], {"margin": {"l": 24, "r": 24, "t": 16, "b": 8}})


def gantt(widget: Widget, rows: list[dict[str, Any]], lang: str, titles: Mapping[tuple[str, Any], str]
          ) -> dict[str, Any]:
    """Bars from start to end per record (``go.Bar(base=start, x=duration)``), coloured by a field."""
    paths = widget.paths
    start, end = paths["start"], paths["end"]
    label = paths.get("label")
    color = paths.get("color")
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        if r.get(start.text) and r.get(end.text):
            groups.setdefault(r.get(color.text) if color else None, []).append(r)
    traces = []
    for value, items in groups.items():
        starts = [_moment(r[start.text]) for r in items]
        spans = [(_moment(r[end.text]) - s).total_seconds() * 1000 + (86400000 if end.value_type == "date" else 0)
                 for s, r in zip(starts, items, strict=True)]
        name = group_label(Group(color, None, color.label), value, lang, titles) if color else ""
        colour = option_color(Group(color, None, color.label), value) if color else None
        traces.append(go.Bar(
            base=[s.isoformat() for s in starts], x=spans, orientation="h", name=name,
            y=[str(r.get(label.text) if label else r["id"]) for r in items],
            customdata=[f"/app/{widget.query.entity}/{r['id']}" for r in items],  # type: ignore[union-attr]
            marker={"color": colour} if colour else None))
    layout = {"xaxis": {"type": "date"}, "yaxis": {"autorange": "reversed", "automargin": True},
              "barmode": "overlay", "showlegend": bool(color)}
    return _fig(traces, layout)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    text = str(value)
    return datetime.fromisoformat(text if "T" in text or " " in text else text + "T00:00:00")
