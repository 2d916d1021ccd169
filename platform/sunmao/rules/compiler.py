"""The rule engine: JSONLogic documents compiled once into nested Python closures.

Rules come from metadata that business users edit, so compiling is also the gate: an unknown
operator, a wrong number of arguments, an unsafe regular expression, a rule deeper than 32
levels or larger than 2,000 nodes are refused here with a RuleCompileError naming the rule
and the JSON path, before any data is touched. Nothing is ever ``eval``-ed and no attribute
of the data is looked up: ``var`` reads dict keys, list indexes and string characters only.

An :class:`Engine` is immutable after construction (operators, time zone, clock, holiday
calendars), so one engine and the closures it compiled can be shared by all threads.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from sunmao import clock

from .check import check_rule
from .errors import OpError, RuleCompileError, RuleError, RuleEvalError
from .nodes import CompileContext, Node, OpSpec, arity_text, const_node, guarded, op_children
from .ops_custom import Calendar, CustomConfig, custom_ops
from .ops_std import const_var_parts, standard_ops

__all__ = ["Engine", "CompiledRule", "Arity", "DEFAULT_TIME_ZONE", "MAX_DEPTH", "MAX_NODES"]

DEFAULT_TIME_ZONE = clock.TIME_ZONE
MAX_DEPTH = 32
MAX_NODES = 2000

#: ``int`` (exactly n), ``(min, max)`` with ``max`` None for "any number", or None (any).
Arity = int | tuple[int, int | None] | None

#: A compiled rule: call it with the data. It also carries ``rule_name`` and ``rule``.
CompiledRule = Callable[..., Any]

_SCALARS = (str, int, float, bool)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Engine:
    """Compiles and runs rules.

    ``extra_ops`` registers operations for this engine only: ``{"name": (callable, arity)}``;
    the callable receives the evaluated arguments (Python values, unconverted) and any
    exception it raises becomes a RuleEvalError. ``holidays`` maps calendar names to
    ``{"holidays": [ISO dates], "workdays": [ISO dates of weekend working days]}`` for
    ``workdays_between``. ``clock`` returns the current time (aware; naive means UTC) and
    is what tests pin so that ``today`` is stable.
    """

    def __init__(
        self,
        *,
        extra_ops: Mapping[str, tuple[Callable[..., Any], Arity]] | None = None,
        holidays: Mapping[str, Mapping[str, Any]] | None = None,
        time_zone: str | tzinfo = DEFAULT_TIME_ZONE,
        clock: Callable[[], datetime] | None = None,
        max_depth: int = MAX_DEPTH,
        max_nodes: int = MAX_NODES,
    ) -> None:
        tz = ZoneInfo(time_zone) if isinstance(time_zone, str) else time_zone
        calendars = {name: Calendar.from_config(name, cfg) for name, cfg in (holidays or {}).items()}
        self.time_zone = tz
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self._config = CustomConfig(tz=tz, clock=clock or _utc_now, calendars=MappingProxyType(calendars))
        ops: dict[str, OpSpec] = standard_ops()
        ops.update(custom_ops(self._config))
        standard = set(standard_ops())
        for name, entry in (extra_ops or {}).items():
            if not isinstance(name, str) or not name:
                raise ValueError(f"operation names must be non-empty strings, got {name!r}")
            if name in standard:
                raise ValueError(f"{name!r} is a standard JSONLogic operator and cannot be replaced")
            impl, arity = entry
            if not callable(impl):
                raise ValueError(f"operation {name!r}: {impl!r} is not callable")
            ops[name] = _extra_op(name, impl, arity)
        self._ops: Mapping[str, OpSpec] = MappingProxyType(ops)
        self._compile_json = lru_cache(maxsize=512)(self._compile_from_json)

    # ------------------------------------------------------------------ introspection

    @property
    def operators(self) -> frozenset[str]:
        """Names of every operator this engine accepts."""
        return frozenset(self._ops)

    @property
    def calendars(self) -> frozenset[str]:
        return frozenset(self._config.calendars)

    def op_spec(self, name: str) -> OpSpec | None:
        return self._ops.get(name)

    # ------------------------------------------------------------------ compiling

    def compile(self, rule: Any, name: str | None = None) -> CompiledRule:
        """Compile ``rule`` into ``fn(data)``; raises RuleCompileError when it is refused."""
        self._measure(rule, name)
        ctx = CompileContext(name, self)
        fn = self._compile_node(rule, "$", ctx).fn

        def run(data: Any = None) -> Any:
            try:
                return fn(data)
            except RuleError:
                raise
            except Exception as exc:
                raise RuleEvalError(
                    name,
                    "$",
                    f"evaluation failed: {type(exc).__name__}: {exc}",
                    f"求值失败：{type(exc).__name__}: {exc}",
                ) from exc

        run.rule_name = name  # type: ignore[attr-defined]
        run.rule = rule  # type: ignore[attr-defined]
        return run

    def apply(self, rule: Any, data: Any = None) -> Any:
        """Compile then call (compiled rules are cached by their JSON text)."""
        try:
            key = json.dumps(rule, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError):
            return self.compile(rule)(data)
        return self._compile_json(key)(data)

    def _compile_from_json(self, key: str) -> CompiledRule:
        return self.compile(json.loads(key))

    def check(self, rule: Any, fields: Mapping[str, str]) -> list[Any]:
        """Static problems of ``rule`` against a field map; see :func:`sunmao.rules.check`."""
        return check_rule(self, rule, fields)

    def _measure(self, rule: Any, name: str | None) -> None:
        """Refuse rules that are too deep or too large before compiling anything."""
        count = 0

        def walk(node: Any, path: str, level: int) -> None:
            nonlocal count
            count += 1
            if count > self.max_nodes:
                raise RuleCompileError(
                    name,
                    "$",
                    f"the rule has more than {self.max_nodes} nodes",
                    f"规则的节点数超过 {self.max_nodes} 个",
                )
            if type(node) is dict and len(node) == 1:
                children = op_children(node, path)
            elif type(node) is list or type(node) is tuple:
                children = [(x, f"{path}[{i}]") for i, x in enumerate(node)]
            else:
                return
            if level + 1 > self.max_depth:
                raise RuleCompileError(
                    name,
                    path,
                    f"the rule is nested deeper than {self.max_depth} levels",
                    f"规则的嵌套层数超过 {self.max_depth} 层",
                )
            for child, child_path in children:
                walk(child, child_path, level + 1)

        walk(rule, "$", 0)

    def _compile_node(self, node: Any, path: str, ctx: CompileContext) -> Node:
        t = type(node)
        if t is dict:
            if len(node) != 1:  # not logic: json-logic-js returns the object itself
                return const_node(copy.deepcopy(node), path)
            return self._compile_op(node, path, ctx)
        if t is list or t is tuple:
            elements = [self._compile_node(x, f"{path}[{i}]", ctx) for i, x in enumerate(node)]
            if all(e.is_const for e in elements):
                frozen = tuple(e.const for e in elements)
                return Node(lambda d: list(frozen), path, literal=frozen)
            fns = [e.fn for e in elements]
            return Node(lambda d: [f(d) for f in fns], path)
        if node is None or t in _SCALARS:
            return const_node(node, path)
        if isinstance(node, (Decimal, date, str, int, float)):
            return const_node(node, path)
        raise RuleCompileError(
            ctx.rule_name,
            path,
            f"unsupported value of type {t.__name__} in the rule",
            f"规则中有不支持的值类型 {t.__name__}",
        )

    def _compile_op(self, node: dict[str, Any], path: str, ctx: CompileContext) -> Node:
        ((op, values),) = node.items()
        spec = self._ops.get(op) if isinstance(op, str) else None
        if spec is None:
            raise _unknown_operator(ctx.rule_name, path, op, self._ops)
        children = op_children(node, path)
        n = len(children)
        if n < spec.min_args or (spec.max_args is not None and n > spec.max_args):
            raise RuleCompileError(
                ctx.rule_name,
                path,
                f"{op!r} takes {arity_text(spec)}, got {n}",
                f"“{op}”需要 {arity_text(spec, 'zh')}，实际为 {n} 个",
            )
        args = [self._compile_node(child, child_path, ctx) for child, child_path in children]
        if spec.check_const is not None:
            try:
                spec.check_const(ctx, args)
            except OpError as exc:
                raise RuleCompileError(ctx.rule_name, path, exc.reason_en, exc.reason_zh) from None
        return Node(spec.build(ctx, args, path), path, var_parts=const_var_parts(op, args))


def _unknown_operator(name: str | None, path: str, op: Any, ops: Mapping[str, OpSpec]) -> RuleCompileError:
    if op == "method":
        return RuleCompileError(
            name,
            path,
            "the 'method' operator is not supported: rules cannot call code",
            "不支持“method”运算符：规则不能调用代码",
        )
    close = difflib.get_close_matches(str(op), list(ops), n=1)
    hint_en = f"; did you mean {close[0]!r}?" if close else ""
    hint_zh = f"；是否想用“{close[0]}”？" if close else ""
    return RuleCompileError(name, path, f"unknown operator {op!r}{hint_en}", f"未知的运算符“{op}”{hint_zh}")


def _extra_op(name: str, impl: Callable[..., Any], arity: Arity) -> OpSpec:
    if arity is None:
        lo, hi = 0, None
    elif isinstance(arity, int):
        lo, hi = arity, arity
    else:
        lo, hi = arity
    if lo < 0 or (hi is not None and hi < lo):
        raise ValueError(f"operation {name!r}: bad arity {arity!r}")

    def build(ctx: CompileContext, args: list[Node], path: str) -> Any:
        return guarded(ctx, path, impl, [a.fn for a in args], catch_all=True)

    return OpSpec(name, lo, hi, build, None, getattr(impl, "__doc__", "") or "")

