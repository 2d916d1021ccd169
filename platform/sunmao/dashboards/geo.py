"""The map widget: provinces of China and countries of the world from Natural Earth, shipped with the
app (``widgets/vendor/natural-earth``), drawn by plotly.js — no tile server, nothing fetched.

Group values are matched to shapes by name as people write them: ``浙江省``, ``浙江``,
``Zhejiang``; ``United States``, ``美国``, ``USA``. Unmatched values are listed under the map.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import plotly.graph_objects as go

from sunmao.dashboards.style import TEMPLATE, figure_json
from sunmao.resources import bundle_path

SUFFIXES = re.compile(r"(壮族自治区|回族自治区|维吾尔自治区|特别行政区|自治区|省|市)$")
ALIASES = {"united states": "united states of america", "usa": "united states of america",
           "us": "united states of america", "uk": "united kingdom", "great britain": "united kingdom",
           "korea": "south korea", "republic of korea": "south korea", "czech republic": "czechia",
           "uae": "united arab emirates", "内蒙": "内蒙古", "inner mongol": "inner mongolia"}


def normalize(value: Any) -> str:
    text = str(value or "").strip()
    text = SUFFIXES.sub("", text) if len(text) > 2 else text
    text = text.lower()
    return ALIASES.get(text, text)


@cache
def shapes(scope: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The GeoJSON of ``china`` or ``world`` and its index: normalized name → feature key."""
    data = json.loads((bundle_path("widgets") / "vendor" / "natural-earth" / f"{scope}.geojson")
                      .read_text(encoding="utf-8"))
    index: dict[str, str] = {}
    for f in data["features"]:
        p = f["properties"]
        for name in (p["key"], p["zh"], p["en"]):
            index.setdefault(normalize(name), p["key"])
    return data, index


def figure(widget: Any, rows: Sequence[Mapping[str, Any]], links: Sequence[Any], measure: Any, lang: str
           ) -> dict[str, Any]:
    scope = widget.options.get("scope", "china")
    data, index = shapes(scope)
    names = {f["properties"]["key"]: f["properties"][lang] for f in data["features"]}
    values: dict[str, float] = {}
    targets: dict[str, Any] = {}
    missing = []
    for row, link in zip(rows, links, strict=True):
        if row.get("g0") in (None, ""):
            continue  # no address: nothing to place, nothing to report
        key = index.get(normalize(row.get("g0")))
        if key is None:
            missing.append(str(row.get("g0")))
            continue
        values[key] = values.get(key, 0) + (row.get(measure.key) or 0)
        targets[key] = link
    keys = list(names)
    base = go.Choropleth(geojson=data, locations=keys, z=[0] * len(keys), featureidkey="properties.key",
                         colorscale=[[0, "#f0f4f8"], [1, "#f0f4f8"]], showscale=False, hoverinfo="skip",
                         marker={"line": {"color": "#bcccdc", "width": 0.5}})
    shown = [k for k in keys if k in values]
    layer = go.Choropleth(
        geojson=data, locations=shown, z=[values[k] for k in shown], featureidkey="properties.key",
        text=[names[k] for k in shown], customdata=[targets[k] for k in shown], colorscale="Blues",
        marker={"line": {"color": "#829ab1", "width": 0.6}}, hovertemplate="%{text}: %{z}<extra></extra>",
        colorbar={"thickness": 10, "len": 0.6, "x": 1.0})
    geo = {"visible": False, "fitbounds": "geojson" if scope == "china" else False,
           "projection": {"type": "mercator" if scope == "china" else "natural earth"},
           "bgcolor": "rgba(0,0,0,0)", "showframe": False}
    layout = {"geo": geo, "margin": {"l": 0, "r": 0, "t": 0, "b": 0}, "template": TEMPLATE}
    fig = figure_json([base, layer], layout)
    if missing:
        fig["layout"]["annotations"] = [{"text": ("未匹配：" if lang == "zh" else "not on the map: ") +
                                         "、".join(missing[:6]), "showarrow": False, "xref": "paper",
                                         "yref": "paper", "x": 0, "y": 0, "font": {"size": 11, "color": "#829ab1"}}]
    return fig
