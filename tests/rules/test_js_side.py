"""The browser files load as plain <script>s (no module system) and install the custom ops."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .jsbridge import NodeRules, find_node

ROOT = Path(__file__).resolve().parents[2]

# Loads logic.js then sunmao-rules.js into a fresh global scope, as two <script> tags would.
BROWSER_LIKE = r"""
const vm = require("vm");
const fs = require("fs");
const context = vm.createContext({});
for (const file of process.argv.slice(1)) {
  vm.runInContext(fs.readFileSync(file, "utf8"), context, {filename: file});
}
const out = vm.runInContext(`
  const names = SunmaoRules.install(jsonLogic, {
    clock: () => new Date("2026-03-15T20:30:00Z"),
    holidays: {cn: {holidays: ["2026-10-01"], workdays: []}},
  });
  let refused = null;
  try { SunmaoRules.checkPattern("(a+)+"); } catch (e) { refused = [e.name, e.messageEn, e.messageZh]; }
  JSON.stringify({
    names: names,
    today: jsonLogic.apply({"today": []}),
    round: jsonLogic.apply({"round": [1.005, 2]}),
    sum: jsonLogic.apply({"sum": [{"var": "lines"}, "amount"]}, {lines: [{amount: 0.1}, {amount: 0.2}]}),
    workdays: jsonLogic.apply({"workdays_between": ["2026-09-30", "2026-10-02", "cn"]}),
    refused: refused,
  });
`, context);
process.stdout.write(out);
"""


def test_scripts_work_without_a_module_system(node: NodeRules) -> None:  # the fixture skips without node
    files = [ROOT / "widgets/vendor/json-logic-js/logic.js", ROOT / "widgets/rules/sunmao-rules.js"]
    result = subprocess.run(
        [str(find_node()), "-e", BROWSER_LIKE, *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(result.stdout)
    assert "regex_match" in out["names"] and "workdays_between" in out["names"]
    assert out["today"] == "2026-03-16"
    assert out["round"] == 1.01
    assert out["sum"] == 0.3
    assert out["workdays"] == 1
    name, message_en, message_zh = out["refused"]
    assert name == "SunmaoRuleError" and "nested quantifiers" in message_en and "嵌套量词" in message_zh


def test_vendored_json_logic_is_the_pinned_version() -> None:
    vendor = ROOT / "widgets/vendor/json-logic-js"
    assert (vendor / "VERSION").read_text().strip() == "2.0.5"
    assert "MIT" in (vendor / "LICENSE").read_text()
    assert "MIT" in (vendor / "README.md").read_text()
