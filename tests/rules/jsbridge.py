"""Run rules in node with the vendored json-logic-js, and compare with the Python engine.

One node process serves a whole test session (see ``js_driver.js`` for the line protocol);
requests are pipelined through a writer thread so that thousands of rules cost one process.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from sunmao.rules import RuleCompileError, RuleEvalError
from sunmao.rules.coerce import datetime_iso

DRIVER = Path(__file__).with_name("js_driver.js")
NODE_CANDIDATES = ("/usr/bin/node", "node", "nodejs")


def find_node() -> str | None:
    for candidate in NODE_CANDIDATES:
        if os.sep in candidate:
            if os.access(candidate, os.X_OK):
                return candidate
        elif found := shutil.which(candidate):
            return found
    return None


class JsUndefined:
    def __repr__(self) -> str:
        return "js:undefined"


JS_UNDEFINED = JsUndefined()
JS_FUNCTION = object()


def to_js_json(value: Any) -> Any:
    """The JSON a browser would hold for a server-side value (see sunmao.rules.coerce)."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            raise ValueError("NaN and Infinity cannot be sent as JSON data")
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return datetime_iso(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_js_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_js_json(v) for k, v in value.items()}
    raise TypeError(type(value).__name__)


def from_js(value: Any) -> Any:
    if isinstance(value, list):
        return [from_js(v) for v in value]
    if isinstance(value, dict):
        if "$o" in value:
            return {k: from_js(v) for k, v in value["$o"].items()}
        tag = value["$"]
        return {
            "undefined": JS_UNDEFINED,
            "NaN": math.nan,
            "Infinity": math.inf,
            "-Infinity": -math.inf,
            "-0": -0.0,
            "function": JS_FUNCTION,
        }[tag]
    return value


@dataclass
class Outcome:
    """What one side did: ``kind`` is "ok", "error" (evaluation) or "refused" (compile)."""

    kind: str
    value: Any = None
    message: str = ""

    def __repr__(self) -> str:
        return f"{self.kind}:{self.value!r}" if self.kind == "ok" else f"{self.kind}:{self.message}"


def python_outcome(engine: Any, rule: Any, data: Any) -> Outcome:
    try:
        fn = engine.compile(rule, name="differential")
    except RuleCompileError as exc:
        return Outcome("refused", message=str(exc))
    try:
        return Outcome("ok", fn(data))
    except RuleEvalError as exc:
        return Outcome("error", message=str(exc))


def _plain(value: Any) -> Any:
    """A Python result as JSON-ish data for comparison (Decimal → float, date → text...)."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return value
    if isinstance(value, (Decimal, datetime, date, time, UUID)):
        return to_js_json(value)
    return value


def same_value(py: Any, js: Any) -> bool:
    """Equal as JavaScript values: numbers by value (NaN equals NaN, 0 and -0 differ)."""
    py = _plain(py)
    if js is JS_UNDEFINED or js is JS_FUNCTION:
        return False
    if isinstance(py, bool) or isinstance(js, bool):
        return type(py) is bool and type(js) is bool and py == js
    if isinstance(py, (int, float)) and isinstance(js, (int, float)):
        if js != js or py != py:
            return js != js and py != py
        if js == 0 and py == 0:
            return math.copysign(1.0, js) == math.copysign(1.0, py)
        return float(py) == float(js)
    if isinstance(py, list) and isinstance(js, list):
        return len(py) == len(js) and all(same_value(a, b) for a, b in zip(py, js, strict=True))
    if isinstance(py, dict) and isinstance(js, dict):
        return py.keys() == js.keys() and all(same_value(py[k], js[k]) for k in py)
    return type(py) is type(js) and py == js


def same_outcome(py: Outcome, js: Outcome) -> bool:
    if py.kind == "error" or js.kind == "error":
        return py.kind == js.kind
    return py.kind == "ok" and js.kind == "ok" and same_value(py.value, js.value)


class NodeRules:
    """One node process evaluating rules with json-logic-js + sunmao-rules.js."""

    def __init__(self, node: str, options: dict[str, Any]) -> None:
        self.proc = subprocess.Popen(
            [node, str(DRIVER), json.dumps(options)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._next_id = 0
        self._lock = threading.Lock()

    def run_many(self, cases: list[tuple[Any, Any]]) -> list[Outcome]:
        """Evaluate (rule, data) pairs; data are server values, sent as the browser sees them."""
        with self._lock:
            lines = []
            first = self._next_id
            for i, (rule, data) in enumerate(cases):
                lines.append(json.dumps({"id": first + i, "rule": rule, "data": to_js_json(data)}, ensure_ascii=False))
            self._next_id += len(cases)
            assert self.proc.stdin is not None and self.proc.stdout is not None

            def write() -> None:
                assert self.proc.stdin is not None
                for line in lines:
                    self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()

            writer = threading.Thread(target=write, daemon=True)
            writer.start()
            out = []
            for i in range(len(cases)):
                line = self.proc.stdout.readline()
                if not line:
                    err = self.proc.stderr.read() if self.proc.stderr else ""
                    raise RuntimeError(f"node stopped answering: {err}")
                reply = json.loads(line)
                assert reply["id"] == first + i, reply
                if "error" in reply:
                    out.append(Outcome("error", message=reply["error"]))
                else:
                    out.append(Outcome("ok", from_js(reply["ok"])))
            writer.join()
            return out

    def run(self, rule: Any, data: Any) -> Outcome:
        return self.run_many([(rule, data)])[0]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
