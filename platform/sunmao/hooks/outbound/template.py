"""Payload and message templates: JSON with ``{{ path }}`` placeholders, and JSONLogic values.

No template language that can run code (no Jinja, no eval): a placeholder only reads a value
by its dotted path (``record.lines.0.sku``), and computing anything goes through the same
JSONLogic compiler as every other rule. A business user cannot do more damage with a
template than with a rule.

- A string containing placeholders renders to a string (``None`` becomes empty, objects JSON).
- A string that is exactly one placeholder keeps the value's JSON type (a number stays a number).
- ``{"$logic": <JSONLogic>}`` is replaced by the rule's result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sunmao.rules import Engine

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)\s*\}\}")
LOGIC = "$logic"

Render = Callable[[Mapping[str, Any]], Any]


def lookup(data: Any, path: str) -> Any:
    """The value at a dotted path (list items by index); None when any step is missing."""
    value = data
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def render_text(template: str, data: Mapping[str, Any]) -> str:
    return PLACEHOLDER.sub(lambda m: as_text(lookup(data, m.group(1))), template)


def compile_text(template: str) -> Callable[[Mapping[str, Any]], str]:
    if not PLACEHOLDER.search(template):
        return lambda _data: template
    return lambda data: render_text(template, data)


def compile_template(node: Any, engine: Engine, name: str) -> Render:
    """Compile a JSON template once per snapshot; rule errors raise ``RuleError`` here, not per event."""
    if isinstance(node, str):
        whole = PLACEHOLDER.fullmatch(node.strip())
        if whole:
            path = whole.group(1)
            return lambda data: lookup(data, path)
        return compile_text(node)
    if isinstance(node, Mapping):
        if set(node) == {LOGIC}:
            rule = engine.compile(node[LOGIC], name=name)
            return lambda data: rule(dict(data))
        parts = {key: compile_template(value, engine, f"{name}.{key}") for key, value in node.items()}
        return lambda data: {key: part(data) for key, part in parts.items()}
    if isinstance(node, list):
        items = [compile_template(value, engine, f"{name}[{i}]") for i, value in enumerate(node)]
        return lambda data: [item(data) for item in items]
    return lambda _data: node
