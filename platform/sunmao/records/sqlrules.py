"""A subset of JSONLogic translated to SQL, for conditions that must run inside the database.

Roll-ups (count a customer's orders of the last twelve months) and, later, row-level read
rules need a condition as a SQL ``WHERE`` clause, not as a Python closure run row by row. The
subset is what such conditions use: ``var`` (a column), literals, ``== != < <= > >=``, ``and``,
``or``, ``!``, ``!!``, ``in`` (a column in a literal list), ``today`` and ``add_days``. Anything
else is refused at publish time with the path of the offending node.

A condition may also read the reader (``{"var": "$user.id"}``, row rules) and the record a
look-up is made for (``{"var": "$record.currency"}``, entity look-ups): both are bound as
parameters when the clause is built, never spliced into the SQL text.

Null semantics follow the JSONLogic reading a user expects, not SQL's three-valued logic:
``{"==": [{"var": "paid_date"}, null]}`` is ``IS NULL``, and ``!`` of a column means "empty".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

Clause = Callable[..., Any]  # clause(today, user=None): built per evaluation, ``today`` moves


class SqlRuleError(ValueError):
    def __init__(self, path: str, message: str):
        self.path = path
        super().__init__(f"{path}: {message}")


#: What a rule may know of the reader: ``{"var": "$user.id"}``.
USER_ATTRIBUTES = ("id", "username")
_USER: ContextVar[Mapping[str, Any]] = ContextVar("sql_rule_user", default=MappingProxyType({}))
_RECORD: ContextVar[Mapping[str, Any]] = ContextVar("sql_rule_record", default=MappingProxyType({}))

_COMPARE = {"==": "__eq__", "!=": "__ne__", "<": "__lt__", "<=": "__le__", ">": "__gt__", ">=": "__ge__"}


def compile_where(rule: Any, table: sa.Table, path: str = "$", record_fields: Mapping[str, Any] | None = None
                  ) -> Clause:
    """Translate ``rule`` into a function of today's date returning a SQL boolean clause.

    ``record_fields``: the fields of the record a look-up is made for, which ``$record.<key>``
    may name (None: the rule may not read a record)."""
    node = _value(rule, table, path, record_fields)

    def clause(today: date, user: Mapping[str, Any] | None = None, record: Mapping[str, Any] | None = None) -> Any:
        token, token_record = _USER.set(user or {}), _RECORD.set(record or {})
        try:
            return _as_bool(node(today))
        finally:
            _USER.reset(token)
            _RECORD.reset(token_record)

    return clause


def record_reads(rule: Any) -> frozenset[str]:
    """The fields of the record a condition reads through ``$record.<key>``."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for op, args in node.items():
                name = args[0] if op == "var" and isinstance(args, list) and args else args
                if op == "var" and isinstance(name, str) and name.startswith("$record."):
                    found.add(name.removeprefix("$record.").split(".", 1)[0])
                else:
                    walk(args)

    walk(rule)
    return frozenset(found)


def _as_bool(value: Any) -> Any:
    if isinstance(value, sa.ColumnElement) and not isinstance(value.type, sa.Boolean):
        return sa.and_(value.is_not(None), value != sa.literal(""))
    if isinstance(value, bool):
        return sa.true() if value else sa.false()
    return value


def _value(rule: Any, table: sa.Table, path: str, record_fields: Mapping[str, Any] | None = None
           ) -> Callable[[date], Any]:
    if not isinstance(rule, dict):
        if isinstance(rule, list):
            raise SqlRuleError(path, "a list is only allowed as the second operand of `in`")
        return lambda today: rule
    if len(rule) != 1:
        raise SqlRuleError(path, "an operation has exactly one operator key")
    (op, args), = rule.items()
    args = args if isinstance(args, list) else [args]
    where = f"{path}[{op!r}]"
    if op == "var":
        name = args[0] if args else ""
        if isinstance(name, str) and name.startswith("$user."):
            attribute = name.removeprefix("$user.")
            if attribute not in USER_ATTRIBUTES:
                raise SqlRuleError(where, f"{name!r}: the reader is known by {', '.join(USER_ATTRIBUTES)}")
            return lambda today: _USER.get().get(attribute)
        if isinstance(name, str) and name.startswith("$record."):
            key = name.removeprefix("$record.")
            if record_fields is None:
                raise SqlRuleError(where, f"{name!r}: this condition is not made for a record")
            if key not in record_fields:
                raise SqlRuleError(where, f"{key!r} is not a field of the record; use one of "
                                          f"{', '.join(sorted(record_fields))}")
            return lambda today: sa.literal(_RECORD.get().get(key), type_=record_fields[key])
        if not isinstance(name, str) or name not in table.c:
            raise SqlRuleError(where, f"{name!r} is not a column of {table.name}; a SQL condition reads the "
                                      "entity's own fields only")
        column = table.c[name]
        return lambda today: column
    if op == "today":
        return lambda today: today
    if op == "add_days":
        if len(args) != 2:
            raise SqlRuleError(where, "add_days takes a date and a number of days")
        base, days = _value(args[0], table, f"{where}[0]", record_fields), args[1]
        if not isinstance(days, int):
            raise SqlRuleError(f"{where}[1]", "the number of days must be a literal whole number")

        def shifted(today: date) -> Any:
            value = base(today)
            if isinstance(value, date):
                return value + timedelta(days=days)
            if isinstance(value, str):
                return date.fromisoformat(value) + timedelta(days=days)
            raise SqlRuleError(where, "add_days over a column is not supported in SQL conditions")
        return shifted
    if op in _COMPARE:
        if len(args) != 2:
            raise SqlRuleError(where, f"{op} takes two operands here")
        left = _value(args[0], table, f"{where}[0]", record_fields)
        right = _value(args[1], table, f"{where}[1]", record_fields)

        def compare(today: date) -> Any:
            a, b = left(today), right(today)
            if not isinstance(a, sa.ColumnElement) and isinstance(b, sa.ColumnElement):
                a, b = b, a
                flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}.get(op, op)
            else:
                flipped = op
            if isinstance(a, sa.ColumnElement) and b is None:
                return a.is_(None) if op == "==" else a.is_not(None)
            if not isinstance(a, sa.ColumnElement):
                return sa.literal(getattr(a, _COMPARE[flipped])(b))
            return getattr(a, _COMPARE[flipped])(b)
        return compare
    if op in ("and", "or"):
        parts = [_value(a, table, f"{where}[{i}]", record_fields) for i, a in enumerate(args)]
        join = sa.and_ if op == "and" else sa.or_
        return lambda today: join(*(_as_bool(p(today)) for p in parts))
    if op in ("!", "!!"):
        inner = _value(args[0], table, f"{where}[0]", record_fields)
        # typed Boolean: inside an `or` the negation must not be read as a value again ("is not empty")
        return lambda today: sa.type_coerce(sa.not_(_as_bool(inner(today))), sa.Boolean) if op == "!" \
            else _as_bool(inner(today))
    if op == "in":
        if len(args) != 2 or not isinstance(args[1], list):
            raise SqlRuleError(where, "in takes a field and a literal list of values")
        needle = _value(args[0], table, f"{where}[0]", record_fields)
        values = args[1]
        return lambda today: needle(today).in_(values)
    raise SqlRuleError(where, f"{op!r} cannot run inside the database; use var, comparisons, and, or, !, in, "
                              "today, add_days")
