"""Compiled nodes, operator specifications, and the closure builders they share.

A rule compiles to a tree of Python closures ``fn(data) -> value``. Each operator builds its
closure from the already compiled argument nodes, so it can specialise on what it knows at
compile time: how many arguments there are, and which of them are constants. Knowing a
constant lets a comparison skip a call and test the one type that matters first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import OpError, RuleEvalError, json_path_key

__all__ = ["NOCONST", "Node", "OpSpec", "CompileContext", "arity_text", "const_node", "eager",
           "guarded", "op_children"]

Fn = Callable[[Any], Any]


class _NoConst:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOCONST"


NOCONST: Any = _NoConst()


class Node:
    """One compiled rule node.

    ``const`` holds the value when the node is a constant scalar (or a literal object),
    else NOCONST. ``literal`` holds the constant elements of a literal array whose elements
    are all constant scalars (the closure still returns a fresh list on every call, as
    json-logic-js builds a new array), else NOCONST. ``var_parts`` holds the steps of a
    ``{"var": "a.b"}`` with a constant path and no default, so that operators can read the
    variable inline instead of calling the node.
    """

    __slots__ = ("fn", "const", "literal", "path", "var_parts")

    def __init__(
        self, fn: Fn, path: str, const: Any = NOCONST, literal: Any = NOCONST, var_parts: list[str] | None = None
    ) -> None:
        self.fn = fn
        self.path = path
        self.const = const
        self.literal = literal
        self.var_parts = var_parts

    @property
    def is_const(self) -> bool:
        return self.const is not NOCONST


def const_node(value: Any, path: str) -> Node:
    def constant(_data: Any) -> Any:
        return value

    return Node(constant, path, const=value)


@dataclass
class CompileContext:
    """What a builder may need besides its arguments."""

    rule_name: str | None
    engine: Any
    scratch: dict[str, Any] = field(default_factory=dict)

    def eval_error(self, path: str, exc: OpError) -> RuleEvalError:
        return RuleEvalError(self.rule_name, path, exc.reason_en, exc.reason_zh)


Builder = Callable[[CompileContext, list[Node], str], Fn]


@dataclass(frozen=True)
class OpSpec:
    """An operator: its arity and how to build its closure.

    ``build(ctx, args, path)`` returns the closure. ``check_const(args)`` runs at compile
    time and may raise OpError about constant arguments (an unsafe regex, an unknown
    calendar); the compiler reports it as RuleCompileError.
    """

    name: str
    min_args: int
    max_args: int | None
    build: Builder
    check_const: Callable[[CompileContext, list[Node]], None] | None = None
    doc: str = ""


def eager(impl: Callable[..., Any], fns: list[Fn]) -> Fn:
    """``impl(*[f(data) for f in fns])``, unrolled for small arities."""
    n = len(fns)
    if n == 0:
        return lambda d: impl()
    if n == 1:
        (f0,) = fns
        return lambda d: impl(f0(d))
    if n == 2:
        f0, f1 = fns
        return lambda d: impl(f0(d), f1(d))
    if n == 3:
        f0, f1, f2 = fns
        return lambda d: impl(f0(d), f1(d), f2(d))
    return lambda d: impl(*[f(d) for f in fns])


def guarded(ctx: CompileContext, path: str, impl: Callable[..., Any], fns: list[Fn], catch_all: bool = False) -> Fn:
    """Like :func:`eager`, turning OpError (and with ``catch_all`` any Exception, for
    operations registered by callers) into RuleEvalError naming the rule and ``path``."""
    call = eager(impl, fns)
    name = ctx.rule_name
    errors: tuple[type[BaseException], ...] = (Exception,) if catch_all else (OpError,)

    def run(d: Any) -> Any:
        try:
            return call(d)
        except RuleEvalError:
            raise
        except errors as exc:
            if isinstance(exc, OpError):
                raise RuleEvalError(name, path, exc.reason_en, exc.reason_zh) from None
            raise RuleEvalError(
                name, path, f"operation failed: {type(exc).__name__}: {exc}", f"运算失败：{type(exc).__name__}: {exc}"
            ) from exc

    return run


def op_children(node: dict[str, Any], path: str) -> list[tuple[Any, str]]:
    """The arguments of an operator node ``{op: values}``, each with its JSON path (compiler and checker)."""
    ((op, values),) = node.items()
    step = path + json_path_key(str(op))
    if type(values) is list:
        return [(v, f"{step}[{i}]") for i, v in enumerate(values)]
    return [(values, step)]


def arity_text(spec: OpSpec, lang: str = "en") -> str:
    """How many arguments an operator takes, in words (its compile and check errors say it)."""
    lo, hi = spec.min_args, spec.max_args
    if lang == "zh":
        return f"至少 {lo} 个参数" if hi is None else f"{lo} 个参数" if lo == hi else f"{lo} 到 {hi} 个参数"
    if hi is None:
        return f"at least {lo} argument{'s' if lo != 1 else ''}"
    return f"{lo} argument{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} arguments"
