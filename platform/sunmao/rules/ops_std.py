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
            for key, parts in keys:
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
        c0, t0, e0 = args[0].fn, args[1].fn, args[2].fn

        def if3(d: Any) -> Any:
            c = c0(d)
            if c is True or (c is not False and truthy(c)):
                return t0(d)
            return e0(d)

        return if3
    pairs = [(args[i].fn, args[i + 1].fn) for i in range(0, n - 1, 2)]
    last = args[-1].fn if n % 2 == 1 else None

    def ifn(d: Any) -> Any:
        for cond, then in pairs:
            c = cond(d)
            if c is True or (c is not False and truthy(c)):
                return then(d)
        return None if last is None else last(d)

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


# ---------------------------------------------------------------------------- equality


def _build_equality(args: list[Node], cmp: Any, negate: bool) -> Fn:
    a, b = args
    if a.is_const and not b.is_const:
        a, b = b, a  # both equalities are symmetric
    fa = a.fn
    if b.is_const and type(b.const) in (str, int, float, bool):
        c = b.const
        tc = type(c)
        numeric = tc is int or tc is float
        if numeric and not negate:

            def eq_num(d: Any) -> bool:
                v = fa(d)
                tv = type(v)
                if tv is float or tv is int:
                    return v == c
                return cmp(v, c)

            return eq_num
        if numeric:

            def ne_num(d: Any) -> bool:
                v = fa(d)
                tv = type(v)
                if tv is float or tv is int:
                    return v != c
                return not cmp(v, c)

            return ne_num
        if not negate:

            def eq_const(d: Any) -> bool:
                v = fa(d)
                if type(v) is tc:
                    return v == c
                return cmp(v, c)

            return eq_const

        def ne_const(d: Any) -> bool:
            v = fa(d)
            if type(v) is tc:
                return v != c
            return not cmp(v, c)

        return ne_const
    fb = b.fn
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


# ---------------------------------------------------------------------------- comparison


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


def _build_compare(args: list[Node], strict: bool) -> Fn:
    """``a < b`` (strict) or ``a <= b`` for two nodes, specialised on constants."""
    a, b = args
    slow = js_lt if strict else js_le
    fast = _less if strict else _less_eq
    if b.is_const and (_is_number_const(b) or _is_safe_str_const(b)):
        c = b.const
        fa = a.fn
        if type(c) is str:
            if strict:

                def lt_str(d: Any) -> bool:
                    v = fa(d)
                    return v < c if type(v) is str else slow(v, c)

                return lt_str

            def le_str(d: Any) -> bool:
                v = fa(d)
                return v <= c if type(v) is str else slow(v, c)

            return le_str
        if strict:

            def lt_num(d: Any) -> bool:
                v = fa(d)
                tv = type(v)
                return v < c if (tv is float or tv is int) else slow(v, c)

            return lt_num

        def le_num(d: Any) -> bool:
            v = fa(d)
            tv = type(v)
            return v <= c if (tv is float or tv is int) else slow(v, c)

        return le_num
    if a.is_const and (_is_number_const(a) or _is_safe_str_const(a)):
        c = a.const
        fb = b.fn
        if type(c) is str:
            if strict:

                def gt_str(d: Any) -> bool:
                    v = fb(d)
                    return c < v if type(v) is str else slow(c, v)

                return gt_str

            def ge_str(d: Any) -> bool:
                v = fb(d)
                return c <= v if type(v) is str else slow(c, v)

            return ge_str
        if strict:

            def gt_num(d: Any) -> bool:
                v = fb(d)
                tv = type(v)
                return c < v if (tv is float or tv is int) else slow(c, v)

            return gt_num

        def ge_num(d: Any) -> bool:
            v = fb(d)
            tv = type(v)
            return c <= v if (tv is float or tv is int) else slow(c, v)

        return ge_num
    fa, fb = a.fn, b.fn
    return lambda d: fast(fa(d), fb(d))


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
        fa = a.fn

        def in_choices(d: Any) -> bool:
            v = fa(d)
            if type(v) is str:
                return v in choices
            return op_in(v, list(choices))

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


def op_add(*args: Any) -> float:
    total = 0.0
    for v in args:
        total += parse_float(v)
    return total + 0.0


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
    return eager(op_add, fns)


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

            def mul_const(d: Any) -> float:
                x = f0(d)
                tx = type(x)
                if tx is float:
                    return (0.0 if x == 0.0 else x) * c
                return (float(x) if tx is int else parse_float(x)) * c

            return mul_const

        def mul2(d: Any) -> float:
            return parse_float(f0(d)) * parse_float(f1(d))

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
        return [x for x in items if truthy(body(x))]

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
            if not truthy(body(x)):
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
            if truthy(body(x)):
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
            if truthy(body(x)):
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

