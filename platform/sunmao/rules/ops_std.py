"""The standard JSONLogic operators, built as closures with json-logic-js 2.0.x semantics.

Each builder receives the compiled argument nodes and returns ``fn(data)``. The hot
operators (``var``, comparisons, ``and``/``or``/``if``, ``in``, arithmetic) are unrolled by
arity and by which arguments are constants, and test the common Python types first
(``type(x) is float``) before falling back to the exact JavaScript coercions in
:mod:`.coerce`. Arities json-logic-js would throw on, or that make no sense
(``{"and": []}``, ``{"map": [list]}``), are refused at compile time by the OpSpec table.

Numbers produced by arithmetic (``+ - * / %``, ``min``, ``max``) are Python floats, as in
JavaScript; values passed through (``var``, ``if``, ``and``/``or``, ``*`` with one operand)
keep their Python type (an int stays an int, a Decimal a Decimal).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .access import MISSING, lookup, split_path, var_value
from .coerce import (
    INF,
    NAN,
    UNDEFINED,
    js_le,
    js_lt,
    js_plus,
    loose_eq,
    normalize,
    parse_float,
    strict_eq,
    to_integer_or_infinity,
    to_number,
    to_string,
    truthy,
    utf16_len,
    utf16_slice,
)
from .errors import OpError
from .nodes import NOCONST, CompileContext, Fn, Node, OpSpec, eager

__all__ = ["standard_ops"]

_NUMBER_TYPES = (int, float)


def _is_number_const(node: Node) -> bool:
    return node.is_const and type(node.const) in _NUMBER_TYPES


def _is_safe_str_const(node: Node) -> bool:
    """A string constant whose Python ordering equals JavaScript's UTF-16 ordering."""
    return node.is_const and type(node.const) is str and (node.const.isascii() or max(node.const) < "\ud800")


# ---------------------------------------------------------------------------- var


def const_var_parts(op: str, args: list[Node]) -> list[str] | None:
    """The path steps of ``{"var": "<constant>"}`` (no default), for inline reads."""
    if op != "var" or len(args) != 1 or not args[0].is_const:
        return None
    return split_path(args[0].const)



def build_var(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    if not args:
        return lambda d: d
    p = args[0]
    default = args[1] if len(args) > 1 else None
    if not p.is_const:
        pf = p.fn
        if default is None:
            return lambda d: var_value(d, pf(d))
        df = default.fn
        return lambda d: var_value(d, pf(d), df(d))
    parts = split_path(p.const)
    if parts is None:
        return lambda d: d
    if default is None:
        return _var_const_path(parts)
    if default.is_const and default.literal is NOCONST:
        return _var_const_path_default(parts, default.const)
    return _var_dynamic_default(parts, default.fn)


def _var_const_path(parts: list[str]) -> Fn:
    if len(parts) == 1:
        (k,) = parts

        def var1(d: Any) -> Any:
            if type(d) is dict:
                return d.get(k)
            return lookup(d, parts)

        return var1
    if len(parts) == 2:
        k0, k1 = parts

        def var2(d: Any) -> Any:
            if type(d) is dict:
                v = d.get(k0)
                if type(v) is dict:
                    return v.get(k1)
            return lookup(d, parts)

        return var2

    def varn(d: Any) -> Any:
        return lookup(d, parts)

    return varn


def _var_const_path_default(parts: list[str], default: Any) -> Fn:
    if len(parts) == 1:
        (k,) = parts

        def var1d(d: Any) -> Any:
            if type(d) is dict:
                v = d.get(k, MISSING)
                return default if v is MISSING else v
            return lookup(d, parts, default)

        return var1d
    return lambda d: lookup(d, parts, default)


def _var_dynamic_default(parts: list[str], df: Fn) -> Fn:
    # json-logic-js evaluates the default before looking up (it may fail, or be an array).
    return lambda d: lookup(d, parts, df(d))


# ---------------------------------------------------------------------------- missing


def _missing_keys(data: Any, args: list[Any]) -> list[Any]:
    keys = args[0] if args and type(args[0]) is list else args
    out = []
    for key in keys:
        if type(key) is list:
            value = var_value(data, key[0] if key else UNDEFINED, key[1] if len(key) > 1 else UNDEFINED)
        elif type(key) is dict and len(key) == 1:
            raise OpError("missing: a key cannot be a rule taken from data", "missing：键不能是来自数据的规则")
        else:
            value = var_value(data, key)
        if value is None or (type(value) is str and value == ""):
            out.append(key)
    return out


def build_missing(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    if all(a.is_const and type(a.const) is str for a in args):
        keys = [(a.const, split_path(a.const)) for a in args]

        def missing_const(d: Any) -> list[Any]:
            out = []
            is_dict = type(d) is dict
            for key, parts in keys:
                if is_dict and parts is not None and len(parts) == 1:
                    value = d.get(key)
                else:
                    value = d if parts is None else lookup(d, parts)
                if value is None or (type(value) is str and value == ""):
                    out.append(key)
            return out

        return missing_const
    fns = [a.fn for a in args]

    def missing(d: Any) -> list[Any]:
        try:
            return _missing_keys(d, [f(d) for f in fns])
        except OpError as exc:
            raise ctx.eval_error(path, exc) from None

    return missing


def build_missing_some(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    need_f, options_f = args[0].fn, args[1].fn

    def missing_some(d: Any) -> list[Any]:
        need = need_f(d)
        options = options_f(d)
        if options is None:
            raise ctx.eval_error(path, OpError("missing_some needs a list of keys", "missing_some 需要键的列表"))
        try:
            are_missing = _missing_keys(d, options if type(options) is list else [options])
        except OpError as exc:
            raise ctx.eval_error(path, exc) from None
        opts = normalize(options)
        if type(opts) is list:
            count: Any = float(len(opts))
        elif type(opts) is str:
            count = float(utf16_len(opts))
        elif type(opts) is dict and "length" in opts:
            count = to_number(opts["length"])
        else:
            count = NAN
        if js_le(need, count - len(are_missing)):
            return []
        return are_missing

    return missing_some


# ---------------------------------------------------------------------------- logic


def build_if(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    n = len(args)
    if n == 0:
        return lambda d: None
    if n == 1:
        return args[0].fn
    if n == 2:
        c0, t0 = args[0].fn, args[1].fn

        def if2(d: Any) -> Any:
            c = c0(d)
            if c is True or (c is not False and truthy(c)):
                return t0(d)
            return None

        return if2
    if n == 3:
        c0, then, other = args
        if then.is_const and other.is_const:  # {"if": [cond, "A", "B"]}: no calls for the branches
            tv, ev, cf0 = then.const, other.const, c0.fn

            def if3_const(d: Any) -> Any:
                c = cf0(d)
                if c is True or (c is not False and truthy(c)):
                    return tv
                return ev

            return if3_const
        cf, tf, ef = c0.fn, then.fn, other.fn

        def if3(d: Any) -> Any:
            c = cf(d)
            if c is True or (c is not False and truthy(c)):
                return tf(d)
            return ef(d)

        return if3
    if n == 5 and args[1].is_const and args[3].is_const and args[4].is_const:
        # {"if": [c1, "A", c2, "B", "C"]}, the common grading shape, unrolled.
        cf1, cf2 = args[0].fn, args[2].fn
        v1, v2, v3 = args[1].const, args[3].const, args[4].const

        def if5_const(d: Any) -> Any:
            c = cf1(d)
            if c is True or (c is not False and truthy(c)):
                return v1
            c = cf2(d)
            if c is True or (c is not False and truthy(c)):
                return v2
            return v3

        return if5_const
    # if / else-if chains: a constant branch is returned without a call.
    pairs = [(args[i].fn, args[i + 1].const, args[i + 1].fn) for i in range(0, n - 1, 2)]
    last = args[-1] if n % 2 == 1 else None
    last_const = last.const if last is not None else None
    last_fn = last.fn if last is not None and not last.is_const else None

    def ifn(d: Any) -> Any:
        for cond, then_const, then in pairs:
            c = cond(d)
            if c is True or (c is not False and truthy(c)):
                return then(d) if then_const is NOCONST else then_const
        return last_const if last_fn is None else last_fn(d)

    return ifn


def build_and(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fns = [a.fn for a in args]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        f0, f1 = fns

        def and2(d: Any) -> Any:
            v = f0(d)
            if v is False or (v is not True and not truthy(v)):
                return v
            return f1(d)

        return and2
    if len(fns) == 3:
        f0, f1, f2 = fns

        def and3(d: Any) -> Any:
            v = f0(d)
            if v is False or (v is not True and not truthy(v)):
                return v
            v = f1(d)
            if v is False or (v is not True and not truthy(v)):
                return v
            return f2(d)

        return and3
    *head, tail = fns

    def andn(d: Any) -> Any:
        for f in head:
            v = f(d)
            if v is False or (v is not True and not truthy(v)):
                return v
        return tail(d)

    return andn


def build_or(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fns = [a.fn for a in args]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        f0, f1 = fns

        def or2(d: Any) -> Any:
            v = f0(d)
            if v is True or (v is not False and truthy(v)):
                return v
            return f1(d)

        return or2
    if len(fns) == 3:
        f0, f1, f2 = fns

        def or3(d: Any) -> Any:
            v = f0(d)
            if v is True or (v is not False and truthy(v)):
                return v
            v = f1(d)
            if v is True or (v is not False and truthy(v)):
                return v
            return f2(d)

        return or3
    *head, tail = fns

    def orn(d: Any) -> Any:
        for f in head:
            v = f(d)
            if v is True or (v is not False and truthy(v)):
                return v
        return tail(d)

    return orn


def build_not(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    f0 = args[0].fn

    def not_(d: Any) -> bool:
        v = f0(d)
        if v is True:
            return False
        if v is False:
            return True
        return not truthy(v)

    return not_


def build_truthy(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    f0 = args[0].fn
    return lambda d: truthy(f0(d))


# ---------------------------------------------------------------------------- equality and comparison
#
# A comparison of a variable with a constant is the most common rule there is, so it gets
# one closure that reads the variable inline (no call for the ``var`` node), tests the one or
# two Python types for which the Python operator already means the JavaScript one, and falls
# back to the exact coercion otherwise. ``pyop`` is a C-level function from ``operator``.


def _fused(var: Node, c: Any, t1: type, t2: type, pyop: Any, slow: Any) -> Fn:
    """``pyop(v, c)`` when ``type(v)`` is t1 or t2, else ``slow(v, c)``, with v = var(data)."""
    parts = var.var_parts
    if parts is not None and len(parts) == 1:
        k = parts[0]

        def cmp_var1(d: Any) -> bool:
            v = d.get(k) if type(d) is dict else lookup(d, parts)
            tv = type(v)
            if tv is t1 or tv is t2:
                return pyop(v, c)
            return slow(v, c)

        return cmp_var1
    if parts is not None and len(parts) == 2:
        k0, k1 = parts
        rest = parts[1:]

        def cmp_var2(d: Any) -> bool:
            if type(d) is dict:
                v = d.get(k0)
                v = v.get(k1) if type(v) is dict else lookup(v, rest)
            else:
                v = lookup(d, parts)
            tv = type(v)
            if tv is t1 or tv is t2:
                return pyop(v, c)
            return slow(v, c)

        return cmp_var2
    fa = var.fn

    def cmp_node(d: Any) -> bool:
        v = fa(d)
        tv = type(v)
        if tv is t1 or tv is t2:
            return pyop(v, c)
        return slow(v, c)

    return cmp_node


def _fast_types(c: Any) -> tuple[type, type]:
    tc = type(c)
    return (float, int) if (tc is int or tc is float) else (tc, tc)


def _not_loose_eq(a: Any, b: Any) -> bool:
    return not loose_eq(a, b)


def _not_strict_eq(a: Any, b: Any) -> bool:
    return not strict_eq(a, b)


def _build_equality(args: list[Node], cmp: Any, negate: bool) -> Fn:
    a, b = args
    if a.is_const and not b.is_const:
        a, b = b, a  # both equalities are symmetric
    if b.is_const and type(b.const) in (str, int, float, bool):
        t1, t2 = _fast_types(b.const)
        if negate:
            return _fused(a, b.const, t1, t2, operator.ne, _not_loose_eq if cmp is loose_eq else _not_strict_eq)
        return _fused(a, b.const, t1, t2, operator.eq, cmp)
    fa, fb = a.fn, b.fn
    if negate:
        return lambda d: not cmp(fa(d), fb(d))
    return lambda d: cmp(fa(d), fb(d))


def build_eq(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_equality(args, loose_eq, False)


def build_ne(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_equality(args, loose_eq, True)


def build_seq(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_equality(args, strict_eq, False)


def build_sne(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_equality(args, strict_eq, True)


def _less(a: Any, b: Any) -> bool:
    ta = type(a)
    if (ta is float or ta is int) and (type(b) is float or type(b) is int):
        return a < b
    return js_lt(a, b)


def _less_eq(a: Any, b: Any) -> bool:
    ta = type(a)
    if (ta is float or ta is int) and (type(b) is float or type(b) is int):
        return a <= b
    return js_le(a, b)


def _greater(v: Any, c: Any) -> bool:
    return js_lt(c, v)


def _greater_eq(v: Any, c: Any) -> bool:
    return js_le(c, v)


def _comparable_const(node: Node) -> bool:
    return _is_number_const(node) or _is_safe_str_const(node)


def _build_compare(args: list[Node], strict: bool) -> Fn:
    """``a < b`` (strict) or ``a <= b`` for two nodes, specialised on constants."""
    a, b = args
    pyop = operator.lt if strict else operator.le
    slow = js_lt if strict else js_le
    if _comparable_const(b) and not a.is_const:
        t1, t2 = _fast_types(b.const)
        return _fused(a, b.const, t1, t2, pyop, slow)
    if _comparable_const(a) and not b.is_const:
        t1, t2 = _fast_types(a.const)
        return _fused(b, a.const, t1, t2, operator.gt if strict else operator.ge, _greater if strict else _greater_eq)
    fa, fb = a.fn, b.fn

    def compare(d: Any) -> bool:
        x = fa(d)
        y = fb(d)
        tx = type(x)
        ty = type(y)
        if (tx is float or tx is int) and (ty is float or ty is int):
            return pyop(x, y)
        return slow(x, y)

    return compare


def _build_between(args: list[Node], strict: bool) -> Fn:
    fast = _less if strict else _less_eq
    a, b, c = args
    if _is_number_const(a) and _is_number_const(c):
        lo, hi, fb = a.const, c.const, b.fn
        if strict:

            def between_lt(d: Any) -> bool:
                v = fb(d)
                if type(v) is float or type(v) is int:
                    return lo < v < hi
                return js_lt(lo, v) and js_lt(v, hi)

            return between_lt

        def between_le(d: Any) -> bool:
            v = fb(d)
            if type(v) is float or type(v) is int:
                return lo <= v <= hi
            return js_le(lo, v) and js_le(v, hi)

        return between_le
    fa, fb, fc = a.fn, b.fn, c.fn

    def between(d: Any) -> bool:
        x, y, z = fa(d), fb(d), fc(d)
        return fast(x, y) and fast(y, z)

    return between


def build_lt(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_compare(args, True) if len(args) == 2 else _build_between(args, True)


def build_le(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_compare(args, False) if len(args) == 2 else _build_between(args, False)


def build_gt(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_compare([args[1], args[0]], True)


def build_ge(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return _build_compare([args[1], args[0]], False)


# ---------------------------------------------------------------------------- in, cat, substr, merge, log

_PLAIN_TYPES = frozenset({str, int, float, bool, type(None), list, dict})


def _js_falsy(v: Any) -> bool:
    """JavaScript (not JSONLogic) falsiness: ``[]`` is truthy here."""
    if v is None or v is UNDEFINED or v is False:
        return True
    t = type(v)
    if t is str:
        return v == ""
    if t is int or t is float:
        return not (v == v and v != 0)
    return False


def op_in(a: Any, b: Any) -> bool:
    b = normalize(b)
    if _js_falsy(b):
        return False
    tb = type(b)
    if tb is str:
        return to_string(normalize(a)) in b
    if tb is list:
        for item in b:
            if strict_eq(item, a):
                return True
        return False
    return False


def build_in(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    a, b = args
    fb = b.fn
    if a.is_const and type(a.const) is str:
        needle = a.const

        def in_str(d: Any) -> bool:
            hay = fb(d)
            th = type(hay)
            if th is list:
                if needle in hay:
                    return True
                if not hay or set(map(type, hay)) <= _PLAIN_TYPES:
                    return False
                return op_in(needle, hay)
            if th is str:
                return needle in hay and hay != ""  # "" is falsy: json-logic-js says false
            return op_in(needle, hay)

        return in_str
    if b.literal is not NOCONST and all(type(x) is str for x in b.literal):
        choices = frozenset(b.literal)
        listed = list(b.literal)
        fa = a.fn
        parts = a.var_parts
        if parts is not None and len(parts) <= 2:
            k0, rest = parts[0], parts[1:]

            def in_choices_var(d: Any) -> bool:  # {"in": [{"var": "region"}, ["华东", "华南"]]}
                if type(d) is dict:
                    v = d.get(k0)
                    if rest:
                        v = v.get(rest[0]) if type(v) is dict else lookup(v, rest)
                else:
                    v = lookup(d, parts)
                if type(v) is str:
                    return v in choices
                return op_in(v, listed)

            return in_choices_var

        def in_choices(d: Any) -> bool:
            v = fa(d)
            if type(v) is str:
                return v in choices
            return op_in(v, listed)

        return in_choices
    fa = a.fn
    return lambda d: op_in(fa(d), fb(d))


def op_cat(*args: Any) -> str:
    return "".join("" if (v is None or v is UNDEFINED) else to_string(v) for v in args)


def build_cat(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fns = [a.fn for a in args]
    if len(fns) == 2:
        f0, f1 = fns

        def cat2(d: Any) -> str:
            x, y = f0(d), f1(d)
            if type(x) is str and type(y) is str:
                return x + y
            return op_cat(x, y)

        return cat2
    return eager(op_cat, fns)


def _substr(s: str, start: Any, length: Any) -> str:
    size = utf16_len(s)
    i = to_integer_or_infinity(start)
    if i == -INF:
        i = 0
    elif i < 0:
        i = max(size + i, 0)
    else:
        i = min(i, size)
    n = size if length is UNDEFINED else to_integer_or_infinity(length)
    n = min(max(n, 0), size)
    end = min(i + n, size)
    if i >= end:
        return ""
    return utf16_slice(s, int(i), int(end))


def op_substr(source: Any, start: Any = UNDEFINED, end: Any = UNDEFINED) -> str:
    text = to_string(source)
    if end is not UNDEFINED and js_lt(end, 0):
        temp = _substr(text, start, UNDEFINED)  # PHP-style negative length
        return _substr(temp, 0, js_plus(utf16_len(temp), end))
    return _substr(text, start, end)


def op_merge(*args: Any) -> list[Any]:
    out: list[Any] = []
    for v in args:
        if type(v) is list:
            out.extend(v)
        elif isinstance(v, (list, tuple)):
            out.extend(v)
        else:
            out.append(v)
    return out


def build_log(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    return args[0].fn  # the console side effect is not needed on the server


# ---------------------------------------------------------------------------- arithmetic


def build_add(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fns = [a.fn for a in args]
    if len(fns) == 2:
        f0, f1 = fns

        def add2(d: Any) -> float:
            x, y = f0(d), f1(d)
            tx, ty = type(x), type(y)
            if tx is not float:
                x = float(x) if tx is int else parse_float(x)
            if ty is not float:
                y = float(y) if ty is int else parse_float(y)
            return x + y + 0.0

        return add2
    if len(fns) == 1:
        (f0,) = fns
        return lambda d: parse_float(f0(d)) + 0.0

    def addn(d: Any) -> float:
        total = 0.0
        for f in fns:
            v = f(d)
            t = type(v)
            if t is float or t is int:
                total += v
            else:
                total += parse_float(v)
        return total + 0.0

    return addn


def _pf_acc(v: float) -> float:
    return 0.0 if v == 0.0 else v  # parseFloat(String(-0)) is 0


def op_mul(*args: Any) -> Any:
    if len(args) == 1:
        return args[0]
    acc = parse_float(args[0]) * parse_float(args[1])
    for v in args[2:]:
        acc = _pf_acc(acc) * parse_float(v)
    return acc


def build_mul(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fns = [a.fn for a in args]
    if len(fns) == 1:
        return fns[0]
    if len(fns) == 2:
        f0, f1 = fns
        if args[1].is_const and type(args[1].const) in _NUMBER_TYPES:
            c = parse_float(args[1].const)
            parts = args[0].var_parts
            if parts is not None and len(parts) <= 2:
                k0, rest = parts[0], parts[1:]

                def mul_var_const(d: Any) -> float:  # {"*": [{"var": "a.b"}, 2]}, the variable read inline
                    if type(d) is dict:
                        x = d.get(k0)
                        if rest:
                            x = x.get(rest[0]) if type(x) is dict else lookup(x, rest)
                    else:
                        x = lookup(d, parts)
                    tx = type(x)
                    if tx is float:
                        return (0.0 if x == 0.0 else x) * c
                    return (float(x) if tx is int else parse_float(x)) * c

                return mul_var_const

            def mul_const(d: Any) -> float:
                x = f0(d)
                tx = type(x)
                if tx is float:
                    return (0.0 if x == 0.0 else x) * c
                return (float(x) if tx is int else parse_float(x)) * c

            return mul_const

        def mul2(d: Any) -> float:
            x, y = f0(d), f1(d)
            tx, ty = type(x), type(y)
            if tx is float:
                x = 0.0 if x == 0.0 else x  # parseFloat(String(-0)) is 0
            else:
                x = float(x) if tx is int else parse_float(x)
            if ty is float:
                y = 0.0 if y == 0.0 else y
            else:
                y = float(y) if ty is int else parse_float(y)
            return x * y

        return mul2
    return eager(op_mul, fns)


def _num(v: Any) -> float:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    return to_number(v)


def op_sub(a: Any, b: Any = UNDEFINED) -> float:
    if b is UNDEFINED:
        return -_num(a)
    return _num(a) - _num(b)


def build_sub(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    if len(args) == 1:
        f0 = args[0].fn
        return lambda d: -_num(f0(d))
    f0, f1 = args[0].fn, args[1].fn
    if args[0].is_const and type(args[0].const) in _NUMBER_TYPES:
        c = float(args[0].const)

        def sub_from_const(d: Any) -> float:  # {"-": [20, x]}
            y = f1(d)
            ty = type(y)
            if ty is float or ty is int:
                return c - y
            return c - _num(y)

        return sub_from_const

    def sub2(d: Any) -> float:
        x, y = f0(d), f1(d)
        tx, ty = type(x), type(y)
        if (tx is float or tx is int) and (ty is float or ty is int):
            return float(x) - y
        return _num(x) - _num(y)

    return sub2


def op_div(a: Any, b: Any) -> float:
    x, y = _num(a), _num(b)
    if y == 0.0:
        if x == 0.0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)
    return x / y


def op_mod(a: Any, b: Any) -> float:
    x, y = _num(a), _num(b)
    if y == 0.0 or x != x or y != y or x == INF or x == -INF:
        return NAN
    if y == INF or y == -INF:
        return x
    return math.fmod(x, y)


def _min_max(args: tuple[Any, ...], is_min: bool) -> float:
    result = INF if is_min else -INF
    for v in args:
        n = _num(v)
        if n != n:
            return NAN
        if is_min:
            if n < result or (n == 0.0 and result == 0.0 and math.copysign(1.0, n) < 0):
                result = n
        elif n > result or (n == 0.0 and result == 0.0 and math.copysign(1.0, n) > 0):
            result = n
    return result


def op_min(*args: Any) -> float:
    return _min_max(args, True)


def op_max(*args: Any) -> float:
    return _min_max(args, False)


# ---------------------------------------------------------------------------- array operations


def build_map(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn

    def map_(d: Any) -> list[Any]:
        items = fa(d)
        if type(items) is not list:
            return []
        return [body(x) for x in items]

    return map_


def build_filter(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn

    def filter_(d: Any) -> list[Any]:
        items = fa(d)
        if type(items) is not list:
            return []
        out = []
        for x in items:
            r = body(x)
            if r is True or (r is not False and truthy(r)):
                out.append(x)
        return out

    return filter_


def build_reduce(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn
    finit = args[2].fn if len(args) > 2 else None

    def reduce_(d: Any) -> Any:
        items = fa(d)
        acc = None if finit is None else finit(d)
        if type(items) is not list:
            return acc
        for current in items:
            acc = body({"current": current, "accumulator": acc})
        return acc

    return reduce_


def build_all(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn

    def all_(d: Any) -> bool:
        items = fa(d)
        if type(items) is not list or not items:
            return False
        for x in items:
            r = body(x)
            if r is not True and (r is False or not truthy(r)):
                return False
        return True

    return all_


def build_some(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn

    def some_(d: Any) -> bool:
        items = fa(d)
        if type(items) is not list:
            return False
        for x in items:
            r = body(x)
            if r is True or (r is not False and truthy(r)):
                return True
        return False

    return some_


def build_none(ctx: CompileContext, args: list[Node], path: str) -> Fn:
    fa, body = args[0].fn, args[1].fn

    def none_(d: Any) -> bool:
        items = fa(d)
        if type(items) is not list:
            return True
        for x in items:
            r = body(x)
            if r is True or (r is not False and truthy(r)):
                return False
        return True

    return none_


# ---------------------------------------------------------------------------- table


def _plain(impl: Any) -> Any:
    def build(ctx: CompileContext, args: list[Node], path: str) -> Fn:
        return eager(impl, [a.fn for a in args])

    return build


def standard_ops() -> dict[str, OpSpec]:
    """The json-logic-js operators (all but ``method``, which would run host code)."""
    specs = [
        OpSpec("var", 0, 2, build_var, doc="value at a dotted path of the data, with a default"),
        OpSpec("missing", 0, None, build_missing, doc="the keys whose values are null or empty"),
        OpSpec("missing_some", 2, 2, build_missing_some, doc="[need, keys] → missing keys if fewer than need present"),
        OpSpec("if", 0, None, build_if, doc="[cond, then, cond2, then2, ..., else]"),
        OpSpec("?:", 0, None, build_if, doc="same as if"),
        OpSpec("and", 1, None, build_and, doc="first falsy operand, or the last"),
        OpSpec("or", 1, None, build_or, doc="first truthy operand, or the last"),
        OpSpec("!", 1, 1, build_not, doc="not"),
        OpSpec("!!", 1, 1, build_truthy, doc="truthiness as a boolean"),
        OpSpec("==", 2, 2, build_eq, doc="JavaScript loose equality"),
        OpSpec("!=", 2, 2, build_ne, doc="JavaScript loose inequality"),
        OpSpec("===", 2, 2, build_seq, doc="strict equality"),
        OpSpec("!==", 2, 2, build_sne, doc="strict inequality"),
        OpSpec("<", 2, 3, build_lt, doc="less than; with 3 arguments, strictly between"),
        OpSpec("<=", 2, 3, build_le, doc="less or equal; with 3 arguments, between inclusive"),
        OpSpec(">", 2, 2, build_gt, doc="greater than"),
        OpSpec(">=", 2, 2, build_ge, doc="greater or equal"),
        OpSpec("in", 2, 2, build_in, doc="substring of a string, or element of an array"),
        OpSpec("cat", 0, None, build_cat, doc="concatenate as text"),
        OpSpec("substr", 2, 3, _plain(op_substr), doc="[text, start, length] (negative values count from the end)"),
        OpSpec("merge", 0, None, _plain(op_merge), doc="flatten arguments one level into one array"),
        OpSpec("log", 1, 1, build_log, doc="returns its argument"),
        OpSpec("+", 0, None, build_add, doc="sum (parseFloat of each operand)"),
        OpSpec("*", 1, None, build_mul, doc="product (parseFloat of each operand)"),
        OpSpec("-", 1, 2, build_sub, doc="difference, or negation"),
        OpSpec("/", 2, 2, _plain(op_div), doc="quotient"),
        OpSpec("%", 2, 2, _plain(op_mod), doc="remainder (sign of the dividend)"),
        OpSpec("min", 1, None, _plain(op_min), doc="smallest number"),
        OpSpec("max", 1, None, _plain(op_max), doc="largest number"),
        OpSpec("map", 2, 2, build_map, doc="[array, rule] → rule applied to each element"),
        OpSpec("filter", 2, 2, build_filter, doc="[array, rule] → elements for which rule is truthy"),
        OpSpec("reduce", 2, 3, build_reduce, doc="[array, rule over current/accumulator, initial]"),
        OpSpec("all", 2, 2, build_all, doc="[array, rule] → every element passes (false when empty)"),
        OpSpec("some", 2, 2, build_some, doc="[array, rule] → some element passes"),
        OpSpec("none", 2, 2, build_none, doc="[array, rule] → no element passes"),
    ]
    return {spec.name: spec for spec in specs}

