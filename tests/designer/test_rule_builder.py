"""The rule builder's model (widgets/designer/rulemodel.js, run in node): every rule of the
bundled app reads into the model and writes back unchanged, the usual shapes are drawn (not
left as JSON), and what the builder writes passes the engine's static checks."""

from __future__ import annotations

import copy
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sunmao.designer.rules import fields, locate
from sunmao.meta.package import load_package
from sunmao.meta.settings import resolve_settings
from sunmao.resources import app_path
from sunmao.rules import default_engine
from sunmao.snapshot import compile_snapshot, rule_fields
from tests.rules.jsbridge import find_node

MODEL = Path(__file__).resolve().parents[2] / "widgets" / "designer" / "rulemodel.js"
NODE = find_node()
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

#: Reads [ {op, ...} ] on stdin, answers one JSON line per item.
DRIVER = """
const M = require(process.argv[1]);
const items = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = items.map((item) => {
  if (item.op === 'roundtrip') {
    const node = M.parse(item.rule);
    return {same: M.same(M.format(node), item.rule), written: M.format(node), top: node.t,
            kinds: kinds(node)};
  }
  if (item.op === 'build') {  // one condition per field and operator the builder offers, in one group
    const group = M.newGroup('and');
    item.fields.forEach((f) => M.operatorsFor(f.type).forEach((op) => {
      const c = M.newCondition(f.path, f.type, op);
      if (f.options && f.options.length && c.values.length) c.values = c.values.map(
        (v) => Array.isArray(v) ? [f.options[0].value] : f.options[0].value);
      group.rules.push(c);
    }));
    const any = M.newGroup('or');
    any.rules.push({t: 'not', rule: group.rules[0], bare: false});
    any.rules.push({t: 'group', combinator: 'and', rules: group.rules.slice(1, 6)});
    return {rules: group.rules.map(M.format).concat([M.format(any)]), count: group.rules.length};
  }
});
function kinds(node) {
  if (node.t === 'group') return [node.t].concat(...node.rules.map(kinds));
  if (node.t === 'not') return [node.t].concat(kinds(node.rule));
  return [node.t];
}
process.stdout.write(JSON.stringify(out));
"""


def run_model(items: list[dict[str, Any]]) -> list[Any]:
    done = subprocess.run([NODE, "-e", DRIVER, str(MODEL)], input=json.dumps(items), capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def _apps() -> dict[str, dict[str, Any]]:
    package = load_package(app_path("order_management"))
    return {package.key: copy.deepcopy(package.documents)}


def test_every_rule_of_the_bundled_app_round_trips_unchanged() -> None:
    apps = _apps()
    found = locate(apps, default_engine().operators)
    assert len(found) > 80
    answers = run_model([{"op": "roundtrip", "rule": f["rule"]} for f in found])
    changed = [(f["address"], f["path"]) for f, a in zip(found, answers, strict=True) if not a["same"]]
    assert changed == []
    drawn = sum(1 for a in answers if a["top"] != "raw")
    assert drawn >= 25, drawn  # conditions and groups are drawn, not left as JSON


def test_the_review_conditions_are_drawn_as_groups_and_conditions() -> None:
    flow = _apps()["order_management"]["workflows/order_lifecycle.json"]
    branches = {b["key"]: b["when"] for b in flow["approvals"][0]["branches"]}
    finance, tech, capacity = run_model([{"op": "roundtrip", "rule": branches[k]}
                                         for k in ("finance", "tech", "capacity")])
    assert finance["kinds"] == ["group", "cond", "cond"]  # grade is not A, amount above the threshold setting
    assert tech["kinds"] == ["cond"]
    assert capacity["kinds"] == ["cond"]  # days from today until the due date, under 3


def test_odd_shapes_stay_json_and_are_never_rewritten() -> None:
    odd = [
        {"var": ["amount", 0]},
        {">": [{"var": "amount"}, 1, 2]},
        {"and": [{"==": [{"var": "a"}, 1]}, {"some": [{"var": "lines"}, {">": [{"var": "qty"}, 1]}]}]},
        {"!": {"or": [{"==": [{"var": "a"}, 1]}]}},
        {"in": [{"var": "status"}, ["a", {"var": "b"}]]},
        {"if": [{"var": "x"}, 1, 2]},
        {"<=": [0, {"var": "amount"}, {"setting": "finance_review_threshold"}]},
        {"==": [{"var": "due_date"}, {"add_days": [{"today": []}, 3]}]},
    ]
    answers = run_model([{"op": "roundtrip", "rule": r} for r in odd])
    assert all(a["same"] for a in answers)
    assert [a["written"] for a in answers] == odd
    assert answers[0]["top"] == "raw" and answers[1]["top"] == "raw"
    assert answers[2]["kinds"] == ["group", "cond", "raw"]
    assert answers[3]["kinds"] == ["not", "group", "cond"]


def test_what_the_builder_writes_passes_the_static_checks() -> None:
    apps = _apps()
    snap = compile_snapshot(1, apps)
    engine = default_engine()
    for entity in ("order", "customer"):
        catalogue = [f for f in fields(snap, entity) if f["type"] != "json"]
        (built,) = run_model([{"op": "build", "fields": catalogue}])
        assert built["count"] > 40
        known = rule_fields(snap.entities[entity], snap.entities)
        problems = {json.dumps(r): engine.check(r, known) for r in built["rules"]}
        assert {k: v for k, v in problems.items() if v} == {}
        for rule in built["rules"]:
            engine.compile(rule)  # and compiles


def test_a_threshold_named_as_a_setting_checks_once_the_setting_is_put_in() -> None:
    apps = _apps()
    snap = compile_snapshot(1, apps)
    rule = {">": [{"var": "amount_cny"}, {"setting": "finance_review_threshold"}]}
    (answer,) = run_model([{"op": "roundtrip", "rule": rule}])
    assert answer["kinds"] == ["cond"]
    resolved, problems = resolve_settings({"x": {"r.json": {"r": answer["written"]}}, **apps})
    assert problems == []
    assert resolved["x"]["r.json"]["r"] == {">": [{"var": "amount_cny"}, 50000]}
    assert default_engine().check(resolved["x"]["r.json"]["r"], rule_fields(snap.entities["order"],
                                                                              snap.entities)) == []


def test_a_due_date_within_three_working_days_is_drawn_and_checks() -> None:
    snap = compile_snapshot(1, _apps())
    rule = {"<=": [{"var": "due_date"}, {"add_workdays": [{"today": []}, 3]}]}
    (answer,) = run_model([{"op": "roundtrip", "rule": rule}])
    assert answer["same"] and answer["kinds"] == ["cond"]
    assert default_engine().check(rule, rule_fields(snap.entities["order"], snap.entities)) == []
