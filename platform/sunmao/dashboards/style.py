"""How every chart looks: fonts with CJK glyphs, the palette, and a Plotly figure as plain JSON.

Shared by :mod:`.figures` (bars, lines, pies...) and :mod:`.geo` (the map); neither imports the other's
internals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

FONT = "WenQuanYi Micro Hei, Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif"
COLORS = ["#2680c2", "#3ebd93", "#f0b429", "#6c63ff", "#ef4e4e", "#27ab83", "#b990ff", "#de911d", "#47a3f3",
          "#8c8c8c"]
TEMPLATE = {"layout": {
    "font": {"family": FONT, "size": 13, "color": "#243b53"}, "colorway": COLORS,
    "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
    "margin": {"l": 48, "r": 16, "t": 12, "b": 40}, "hoverlabel": {"font": {"family": FONT}},
    "xaxis": {"gridcolor": "#e4e7eb", "zeroline": False, "automargin": True},
    "yaxis": {"gridcolor": "#e4e7eb", "zeroline": False, "automargin": True},
    "legend": {"orientation": "h", "y": -0.18}}}


def figure_json(data: list[Any], layout: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The traces ``data`` in our template, as the JSON plotly.js draws."""
    fig = go.Figure(data=data, layout={"template": TEMPLATE, "autosize": True, **(layout or {})})
    return json.loads(fig.to_json())
