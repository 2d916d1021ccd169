"""Errors raised by the rule engine.

Every error a rule author can cause names the rule and the JSON path of the node at fault,
in both languages, because the same message is shown in the designer (Chinese first) and in
logs and API problems (English). ``str(error)`` is the English message so that tracebacks and
log lines stay readable for developers.
"""

from __future__ import annotations

import json
import re

__all__ = ["RuleError", "RuleCompileError", "RuleEvalError", "OpError", "json_path_key"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def json_path_key(key: str) -> str:
    """The JSON-path step for an object key: ``.and`` or ``["=="]``."""
    if _IDENT.match(key):
        return "." + key
    return "[" + json.dumps(key, ensure_ascii=False) + "]"


class RuleError(Exception):
    """Base class: a rule could not be compiled or evaluated.

    Attributes: ``rule_name`` (may be None), ``path`` (JSON path such as
    ``$.and[1]["=="][0]``), ``message_zh`` and ``message_en`` (full sentences that already
    mention the rule and the path), ``reason_zh``/``reason_en`` (the same without them).
    """

    def __init__(self, rule_name: str | None, path: str, reason_en: str, reason_zh: str) -> None:
        self.rule_name = rule_name
        self.path = path
        self.reason_en = reason_en
        self.reason_zh = reason_zh
        where_en = f"rule {rule_name!r}" if rule_name else "rule"
        where_zh = f"规则“{rule_name}”" if rule_name else "规则"
        self.message_en = f"{where_en} at {path}: {reason_en}"
        self.message_zh = f"{where_zh}（位置 {path}）：{reason_zh}"
        super().__init__(self.message_en)

    def __str__(self) -> str:
        return self.message_en


class RuleCompileError(RuleError):
    """The rule is refused before it runs: unknown operator, bad arity, too deep or too big,
    an unsafe regular expression, an unknown holiday calendar..."""


class RuleEvalError(RuleError):
    """The rule failed while evaluating data, e.g. a bad date string given to ``date`` or
    text given to a money operation."""


class OpError(Exception):
    """Raised by an operation implementation; the compiler turns it into RuleEvalError with
    the rule name and node path, which the implementation does not know."""

    def __init__(self, reason_en: str, reason_zh: str) -> None:
        super().__init__(reason_en)
        self.reason_en = reason_en
        self.reason_zh = reason_zh
