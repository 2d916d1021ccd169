"""Source paths: where a value sits in a provider's payload.

Two spellings, because payloads differ and so do the people who map them:

* dotted, as most people write it: ``billing.phone``, ``line_items[0].sku``,
  ``数据.客户名称``, and a selector for key/value lists (WooCommerce ``meta_data``, form
  answers): ``meta_data[key=_due_date].value`` picks the first item whose ``key`` is
  ``_due_date``;
* JSON Pointer (RFC 6901) for keys with dots or brackets: ``/billing/phone``, ``/a~1b``.

``$`` (or an empty path) is the object itself. Paths are parsed once, when the channel is
compiled, so a typo is a publish problem rather than a runtime surprise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()


@dataclass(frozen=True)
class Select:
    """``[field=value]``: the first list item whose ``field`` equals ``value`` (compared as text)."""

    field: str
    value: str


Step = str | int | Select

_TOKEN = re.compile(r"""
    (?P<key>[^.\[\]]+)                     # a key: anything but dots and brackets
  | \[(?P<index>-?[0-9]+)\]                # [3] or [-1]
  | \[(?P<field>[^=\[\]]+)=(?P<value>[^\[\]]*)\]   # [key=_due_date]
  | (?P<dot>\.)
""", re.VERBOSE)


class PathError(ValueError):
    """A path that cannot be parsed; the message says where."""


def parse_path(text: str) -> tuple[Step, ...]:
    """Parse a dotted path or a JSON Pointer into steps."""
    if not isinstance(text, str):
        raise PathError(f"a path must be text, not {type(text).__name__}")
    if text in ("", "$"):
        return ()
    if text.startswith("/"):
        steps: list[Step] = []
        for token in text[1:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            steps.append(int(token) if token.isdigit() else token)
        return tuple(steps)
    if text.startswith("$."):
        text = text[2:]
    steps = []
    pos, expect_key = 0, True
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise PathError(f"cannot read the path {text!r} at character {pos + 1}")
        if m.group("dot"):
            if expect_key:
                raise PathError(f"empty step in the path {text!r} at character {pos + 1}")
            expect_key = True
        elif m.group("key") is not None:
            if not expect_key:
                raise PathError(f"a dot is missing in the path {text!r} before character {pos + 1}")
            steps.append(m.group("key").strip())
            expect_key = False
        elif m.group("index") is not None:
            steps.append(int(m.group("index")))
            expect_key = False
        else:
            steps.append(Select(m.group("field").strip(), m.group("value").strip()))
            expect_key = False
        pos = m.end()
    if expect_key:
        raise PathError(f"the path {text!r} ends with a dot")
    return tuple(steps)


def get_path(value: Any, steps: tuple[Step, ...]) -> Any:
    """The value at ``steps``, or MISSING when any step does not exist."""
    for step in steps:
        if isinstance(step, Select):
            if not isinstance(value, list):
                return MISSING
            value = next((item for item in value if isinstance(item, dict)
                          and _text(item.get(step.field)) == step.value), MISSING)
        elif isinstance(step, int):
            if isinstance(value, list) and -len(value) <= step < len(value):
                value = value[step]
            elif isinstance(value, dict) and str(step) in value:
                value = value[str(step)]
            else:
                return MISSING
        elif isinstance(value, dict) and step in value:
            value = value[step]
        else:
            return MISSING
        if value is MISSING:
            return MISSING
    return value


def show_path(steps: tuple[Step, ...]) -> str:
    """The dotted spelling of a parsed path (for messages)."""
    out = ""
    for step in steps:
        if isinstance(step, Select):
            out += f"[{step.field}={step.value}]"
        elif isinstance(step, int):
            out += f"[{step}]"
        else:
            out += f".{step}" if out else step
    return out or "$"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
