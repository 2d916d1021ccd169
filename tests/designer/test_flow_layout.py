"""The flow designer's layered layout (widgets/designer/flowlayout.js), run in node on every
workflow of the bundled app: the same document always draws the same picture, states never
overlap, arrows go down a layer at a time except the ones going back (drawn beside), and no arrow
crosses a state it does not join."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from sunmao.resources import app_path
from tests.conftest import require_service
from tests.rules.jsbridge import find_node

LAYOUT = Path(__file__).resolve().parents[2] / "widgets" / "designer" / "flowlayout.js"
SCRIPT = """
global.window = {};
require(process.argv[1]);
const doc = JSON.parse(require("fs").readFileSync(0, "utf8"));
const nodes = doc.states.map(s => ({id: s.key, width: 40 + 14 * s.label.zh.length, height: 34}));
const edges = [];
doc.transitions.forEach(t => (t.from || []).forEach(f => { if (t.to) edges.push({from: f, to: t.to}); }));
const once = window.FlowLayout.layout({nodes, edges, start: doc.initial});
const again = window.FlowLayout.layout({nodes, edges, start: doc.initial});
process.stdout.write(JSON.stringify({once, same: JSON.stringify(once) === JSON.stringify(again)}));
"""


def _layout(doc: dict[str, Any]) -> dict[str, Any]:
    node = find_node()
    if node is None:
        require_service("node", "node is missing (apt-get install nodejs)")
    done = subprocess.run([node, "-e", SCRIPT, str(LAYOUT)], input=json.dumps(doc), capture_output=True, text=True,
                          check=True, timeout=30)
    return json.loads(done.stdout)


def _crosses(a: list[float], b: list[float], box: dict[str, float]) -> bool:
    """Whether the segment a–b passes through the inside of ``box`` (sampled: the boxes are big)."""
    for i in range(1, 50):
        x, y = a[0] + (b[0] - a[0]) * i / 50, a[1] + (b[1] - a[1]) * i / 50
        if box["x"] + 1 < x < box["x"] + box["width"] - 1 and box["y"] + 1 < y < box["y"] + box["height"] - 1:
            return True
    return False


def test_the_bundled_workflows_are_drawn_without_overlaps_or_crossed_states() -> None:
    folder = app_path("order_management") / "workflows"
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    assert docs
    for doc in docs:
        result = _layout(doc)
        assert result["same"]
        g = result["once"]
        boxes = g["nodes"]
        assert set(boxes) == {s["key"] for s in doc["states"]}
        keys = sorted(boxes)
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                p, q = boxes[a], boxes[b]
                assert (p["x"] + p["width"] <= q["x"] or q["x"] + q["width"] <= p["x"] or
                        p["y"] + p["height"] <= q["y"] or q["y"] + q["height"] <= p["y"]), (a, b)
        for edge in g["edges"]:
            if not edge["back"]:
                assert boxes[edge["from"]]["layer"] < boxes[edge["to"]]["layer"]
            points = edge["points"]
            for key, box in boxes.items():
                if key in (edge["from"], edge["to"]):
                    continue
                assert not any(_crosses(points[i - 1], points[i], box) for i in range(1, len(points))), (edge, key)
        assert boxes[doc["initial"]]["layer"] == 0
