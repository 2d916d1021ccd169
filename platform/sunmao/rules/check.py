"""Static checks of a rule against the fields of an entity, for the designer.

Compiling tells whether a rule *can* run; checking tells whether it *means* something for
this entity: every variable names a field, every operator exists with a sensible number of
arguments, and no comparison or arithmetic is obviously between the wrong kinds of value
(a date field against ``5``, arithmetic on a text field). Each problem carries the JSON path,
both languages, and a suggested fix (the closest field key, the closest operator...).

The checker is conservative: it says nothing about what it cannot see (dynamic ``var`` paths,
the elements of arrays that are not table fields, data behind ``link`` and ``json`` fields),
so a valid rule gets no problems.

``fields`` maps variable paths to type names (:data:`FIELD_TYPES`). Columns of a ``table``
field are given as ``"lines.qty"``; inside ``map``/``filter``/``all``/``some``/``none`` over
``{"var": "lines"}`` they are read as ``qty``, and inside ``reduce`` as ``current.qty``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from .coerce import string_to_number
from .errors import OpError, RuleCompileError
from .nodes import Node, arity_text, const_node, op_children

if TYPE_CHECKING:
    from .compiler import Engine

__all__ = ["FIELD_TYPES", "Problem", "check_rule"]

FIELD_TYPES = frozenset(
    "string text integer decimal boolean date datetime select multiselect link table json attachment".split()
)
_OPAQUE = frozenset({"link", "json", "attachment"})
_TEXTUAL = frozenset({"string", "text", "select"})
_NUMERIC = frozenset({"integer", "decimal"})
_DATES = frozenset({"date", "datetime"})
_NOT_ARITHMETIC = frozenset({"string", "text", "select", "multiselect", "date", "datetime", "table", "attachment"})
_COMPARISONS = frozenset({"==", "===", "!=", "!==", "<", "<=", ">", ">="})
_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_DATE_OPS = frozenset({"date", "days_between", "add_days", "add_workdays", "workdays_between"})
_ROW_OPS = frozenset({"map", "filter", "all", "some", "none"})
_DATE_TEXT = re.compile(r"\s*[0-9]{4}([-/.])[0-9]{1,2}\1[0-9]{1,2}|\s*[0-9]{4}年")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a rule. ``code`` is one of ``unknown_variable``,
    ``unknown_operator``, ``arity``, ``type_mismatch``, ``invalid_argument``,
    ``too_complex``; ``suggestion`` is the replacement value when there is one."""

    code: str
    path: str
    message_zh: str
    message_en: str
    fix_zh: str
    fix_en: str
    suggestion: Any = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message_en} ({self.fix_en})"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Scope:
    """The fields visible where a node is evaluated; ``fields`` None means unknown."""

    fields: dict[str, str] | None
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    row: _Scope | None = None  # inside reduce: the scope of "current"


def _split_fields(fields: Mapping[str, str]) -> _Scope:
    for key, kind in fields.items():
        if kind not in FIELD_TYPES:
            raise ValueError(f"field {key!r}: unknown type {kind!r}; expected one of {sorted(FIELD_TYPES)}")
    table_keys = {k for k, t in fields.items() if t == "table"}
    top: dict[str, str] = {}
    nested: dict[str, dict[str, str]] = {k: {} for k in table_keys}
    for key, kind in fields.items():
        owner = next((t for t in sorted(table_keys, key=len, reverse=True) if key.startswith(t + ".")), None)
        if owner is None:
            top[key] = kind
        else:
            nested[owner][key[len(owner) + 1 :]] = kind
    return _Scope(top, nested)


def _row_scope(scope: _Scope, table: str) -> _Scope:
    columns = scope.tables.get(table)
    if not columns:
        return _Scope(None)
    inner_tables = {k: {} for k, t in columns.items() if t == "table"}
    return _Scope(dict(columns), inner_tables)


def _is_index(step: str) -> bool:
    return step.isdigit() and step.isascii()


class _Checker:
    def __init__(self, engine: Engine, fields: Mapping[str, str]) -> None:
        self.engine = engine
        self.top = _split_fields(fields)
        self.problems: list[Problem] = []

    def add(self, code: str, path: str, en: str, zh: str, fix_en: str, fix_zh: str, suggestion: Any = None) -> None:
        self.problems.append(Problem(code, path, zh, en, fix_zh, fix_en, suggestion))

    # ------------------------------------------------------------------ variables

    def resolve(self, var_path: str, scope: _Scope) -> tuple[bool, str | None]:
        """(known, type) of a constant ``var`` path; unknown scopes know everything."""
        if scope.fields is None or var_path == "":
            return True, None
        if scope.row is not None:  # inside reduce
            head, _, rest = var_path.partition(".")
            if head == "accumulator":
                return True, None
            if head == "current":
                return (True, None) if not rest else self.resolve(rest, scope.row)
            return False, None
        fields = scope.fields
        if var_path in fields:
            return True, fields[var_path]
        steps = var_path.split(".")
        for i in range(len(steps) - 1, 0, -1):
            prefix = ".".join(steps[:i])
            if prefix not in fields:
                continue
            kind, rest = fields[prefix], steps[i:]
            if kind in _OPAQUE:
                return True, None
            if rest == ["length"] and kind in ("table", "multiselect", "string", "text", "select"):
                return True, "integer"
            if _is_index(rest[0]):
                if kind == "table":
                    if len(rest) == 1:
                        return True, None
                    return self.resolve(".".join(rest[1:]), _row_scope(scope, prefix))
                if kind in ("multiselect", "string", "text", "select") and len(rest) == 1:
                    return True, "string"
            return False, None
        return False, None

    def candidates(self, scope: _Scope) -> list[str]:
        if scope.row is not None:
            inner = self.candidates(scope.row) if scope.row.fields is not None else []
            return ["accumulator", "current"] + ["current." + c for c in inner]
        return list(scope.fields or ())

    def check_var(self, var_path: Any, path: str, scope: _Scope) -> str | None:
        if isinstance(var_path, bool) or not isinstance(var_path, (str, int, float)):
            return None
        text = var_path if isinstance(var_path, str) else json.dumps(var_path)
        known, kind = self.resolve(text, scope)
        if known:
            return kind
        # A column of a table read outside a loop over the table.
        for table, columns in scope.tables.items():
            if text.startswith(table + ".") and text[len(table) + 1 :] in columns and scope.row is None:
                column = text[len(table) + 1 :]
                self.add(
                    "unknown_variable",
                    path,
                    f"{text!r} is a column of the table {table!r}, not a field of the record",
                    f"“{text}”是子表“{table}”的列，不是记录的字段",
                    f'read it inside map/filter/reduce over {{"var": "{table}"}}, or total it with '
                    f'{{"sum": [{{"var": "{table}"}}, "{column}"]}}',
                    f'请在对 {{"var": "{table}"}} 的 map/filter/reduce 中读取，或用 '
                    f'{{"sum": [{{"var": "{table}"}}, "{column}"]}} 求和',
                )
                return None
        close = difflib.get_close_matches(text, self.candidates(scope), n=1, cutoff=0.6)
        if close:
            fix_en, fix_zh = f"did you mean {close[0]!r}?", f"是否想用“{close[0]}”？"
        else:
            fix_en, fix_zh = "check the field key, or add the field to the entity", "请检查字段键，或在实体中添加该字段"
        self.add(
            "unknown_variable",
            path,
            f"unknown variable {text!r}",
            f"未知的变量“{text}”",
            fix_en,
            fix_zh,
            close[0] if close else None,
        )
        return None

    def var_type(self, node: Any, scope: _Scope) -> str | None:
        """The field type of a ``{"var": <constant>}`` node, without reporting."""
        if type(node) is dict and len(node) == 1 and "var" in node:
            values = node["var"]
            target = values[0] if type(values) is list and values else values
            if isinstance(target, str) and scope.fields is not None:
                known, kind = self.resolve(target, scope)
                return kind if known else None
        return None

    # ------------------------------------------------------------------ walking

    def walk(self, node: Any, path: str, scope: _Scope) -> None:
        if type(node) is list:
            for i, item in enumerate(node):
                self.walk(item, f"{path}[{i}]", scope)
            return
        if type(node) is not dict or len(node) != 1:
            return
        ((op, values),) = node.items()
        children = op_children(node, path)
        spec = self.engine.op_spec(op) if isinstance(op, str) else None
        if spec is None:
            close = difflib.get_close_matches(str(op), sorted(self.engine.operators), n=1)
            self.add(
                "unknown_operator",
                path,
                f"unknown operator {op!r}",
                f"未知的运算符“{op}”",
                f"did you mean {close[0]!r}?" if close else "use one of the supported operators",
                f"是否想用“{close[0]}”？" if close else "请使用支持的运算符",
                close[0] if close else None,
            )
        else:
            n = len(children)
            if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
                self.add(
                    "arity",
                    path,
                    f"{op!r} takes {arity_text(spec)}, got {n}",
                    f"“{op}”需要 {arity_text(spec, 'zh')}，实际为 {n} 个",
                    f"give {op!r} {arity_text(spec)}",
                    f"请给“{op}”{arity_text(spec, 'zh')}",
                )
            elif spec.check_const is not None:
                nodes = [const_node(c, p) if _is_scalar(c) else Node(lambda d: None, p) for c, p in children]
                try:
                    spec.check_const(None, nodes)  # type: ignore[arg-type]
                except OpError as exc:
                    self.add(
                        "invalid_argument", path, exc.reason_en, exc.reason_zh, "correct the argument", "请修改该参数"
                    )

        if op == "var":
            if children and not _is_logic(children[0][0]) and type(children[0][0]) is not list:
                self.check_var(children[0][0], children[0][1], scope)
            for child, child_path in children:
                self.walk(child, child_path, scope)
            return
        if op in ("missing", "missing_some"):
            keys = children if op == "missing" else children[1:]
            for child, child_path in keys:
                if type(child) is list:
                    for i, key in enumerate(child):
                        if isinstance(key, str):
                            self.check_var(key, f"{child_path}[{i}]", scope)
                elif isinstance(child, str):
                    self.check_var(child, child_path, scope)
            for child, child_path in children:
                self.walk(child, child_path, scope)
            return
        if op in _ROW_OPS or op == "reduce":
            if not children:
                return
            array, array_path = children[0]
            self.walk(array, array_path, scope)
            row = self.row_scope_of(array, scope)
            body_scope = row if op != "reduce" else _Scope({}, row=row)
            for child, child_path in children[1:2]:
                self.walk(child, child_path, body_scope)
            for child, child_path in children[2:]:
                self.walk(child, child_path, scope)
            return
        if op == "sum" and len(children) == 2 and isinstance(children[1][0], str):
            row = self.row_scope_of(children[0][0], scope)
            if row.fields is not None:
                self.check_var(children[1][0], children[1][1], row)

        if op in _COMPARISONS:
            self.check_comparison(op, children, scope)
        elif op in _ARITHMETIC:
            for child, child_path in children:
                kind = self.var_type(child, scope)
                if kind in _NOT_ARITHMETIC:
                    self.add(
                        "type_mismatch",
                        child_path,
                        f"arithmetic ({op}) on a {kind} field",
                        f"对{_TYPE_ZH.get(kind, kind)}字段做算术运算（{op}）",
                        _ARITH_FIX_EN.get(kind, "use a number field"),
                        _ARITH_FIX_ZH.get(kind, "请使用数字字段"),
                    )
        elif op in _DATE_OPS:
            for child, child_path in children[:2]:
                kind = self.var_type(child, scope)
                if kind in _NUMERIC or kind in ("boolean", "table"):
                    self.add(
                        "type_mismatch",
                        child_path,
                        f"{op} needs a date, but this is a {kind} field",
                        f"{op} 需要日期，但这是{_TYPE_ZH.get(kind, kind)}字段",
                        "use a date or datetime field",
                        "请使用日期或日期时间字段",
                    )
        for child, child_path in children:
            self.walk(child, child_path, scope)

    def row_scope_of(self, array: Any, scope: _Scope) -> _Scope:
        if scope.fields is None or scope.row is not None:
            if scope.row is not None and type(array) is dict and "var" in array:
                target = array["var"][0] if type(array["var"]) is list and array["var"] else array["var"]
                if isinstance(target, str) and target.startswith("current.") and scope.row.fields is not None:
                    return _row_scope(scope.row, target[len("current.") :])
            return _Scope(None)
        if type(array) is dict and len(array) == 1 and "var" in array:
            target = array["var"][0] if type(array["var"]) is list and array["var"] else array["var"]
            if isinstance(target, str) and scope.fields.get(target) == "table":
                return _row_scope(scope, target)
        return _Scope(None)

    def check_comparison(self, op: str, children: list[tuple[Any, str]], scope: _Scope) -> None:
        kinds = [self.var_type(child, scope) for child, _ in children]
        for i, kind in enumerate(kinds):
            if kind is None:
                continue
            for j, (other, other_path) in enumerate(children):
                if j == i or _is_logic(other) or type(other) in (list, dict):
                    continue
                problem = _mismatch(kind, other)
                if problem:
                    en, zh, fix_en, fix_zh = problem
                    self.add("type_mismatch", other_path, en, zh, fix_en, fix_zh)


_TYPE_ZH = {
    "string": "文本",
    "text": "长文本",
    "select": "选项",
    "multiselect": "多选",
    "date": "日期",
    "datetime": "日期时间",
    "table": "子表",
    "attachment": "附件",
    "integer": "整数",
    "decimal": "小数",
    "boolean": "布尔",
}
_ARITH_FIX_EN = {
    "date": 'use days_between / add_days for dates, e.g. {"days_between": [{"today": []}, {"var": "due_date"}]}',
    "datetime": "use days_between / add_days for dates",
    "table": 'total a column with {"sum": [{"var": "<table>"}, "<column>"]}',
}
_ARITH_FIX_ZH = {
    "date": '日期请用 days_between / add_days，例如 {"days_between": [{"today": []}, {"var": "due_date"}]}',
    "datetime": "日期请用 days_between / add_days",
    "table": '对子表的列求和请用 {"sum": [{"var": "<子表>"}, "<列>"]}',
}


def _is_logic(node: Any) -> bool:
    return type(node) is dict and len(node) == 1


def _is_scalar(node: Any) -> bool:
    return node is None or type(node) in (str, int, float, bool)


def _mismatch(kind: str, const: Any) -> tuple[str, str, str, str] | None:
    if kind in _DATES:
        if isinstance(const, (int, float)) and not isinstance(const, bool):
            return (
                f"a {kind} field compared with the number {const!r}",
                f"{_TYPE_ZH[kind]}字段与数字 {const!r} 比较",
                'compare with a date such as "2026-01-31", or with {"today": []}',
                '请与日期比较，例如 "2026-01-31" 或 {"today": []}',
            )
        if isinstance(const, str) and const.strip() and not _DATE_TEXT.match(const):
            return (
                f"a {kind} field compared with {const!r}, which is not a date",
                f"{_TYPE_ZH[kind]}字段与非日期文本 {const!r} 比较",
                'write the date as "YYYY-MM-DD", e.g. "2026-01-31"',
                '日期请写成 "YYYY-MM-DD"，例如 "2026-01-31"',
            )
    if kind in _NUMERIC and isinstance(const, str) and const.strip():
        number = string_to_number(const)
        if number != number:
            return (
                f"a number field compared with the text {const!r}",
                f"数字字段与文本 {const!r} 比较",
                "compare with a number",
                "请与数字比较",
            )
    return None


def check_rule(engine: Engine, rule: Any, fields: Mapping[str, str]) -> list[Problem]:
    """All problems found in ``rule`` (an empty list when there are none)."""
    checker = _Checker(engine, fields)
    try:
        engine._measure(rule, None)
    except RuleCompileError as exc:
        checker.add(
            "too_complex",
            exc.path,
            exc.reason_en,
            exc.reason_zh,
            "split the rule into smaller rules",
            "请把规则拆分为更小的规则",
        )
        return checker.problems
    checker.walk(rule, "$", checker.top)
    return checker.problems

