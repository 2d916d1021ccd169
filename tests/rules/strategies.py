"""Hypothesis strategies: random rules and data for the differential test against json-logic-js.

The rules use every operator with the arities the compiler accepts, over data that mixes the
values where JavaScript coercion is surprising ("", "0", " 12 ", "0x1A", -0, 1e21, [], {})
and the server-side types (Decimal, date, datetime). Custom operations get arguments that are
mostly of the right kind, so that both successes and errors are compared.

Known, documented differences are kept out: integers beyond 2**53, astral-plane characters
(UTF-16 vs code points in regex matching), inherited JavaScript properties in ``var`` paths.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

INTERESTING_STRINGS = [
    "", "0", "1", "-1", "2", "10", "9", " 12 ", "1e3", "0x1A", "0b11", "0o7", "Infinity", "-Infinity",
    "-0", "abc", "ABC", "a", "b", "true", "false", "null", "1,2", ".5", "5.", "1.5e-3", "\t7\n", "1e",
    "2026-01-05", "2026-03-16", "2026/3/5", "2026年3月5日", "2026-03-15T20:30:00Z", "2026-03-15 23:59:59+08:00",
    "2026-02-30", "2026-13-01", "中文", "订单", "a.b", "+86 138-0013-8000", "13800138000", "(0086)13912345678",
    "  Mixed Case  ", "ß", "x y", "[object Object]", "undefined", "NaN", "1.005", "12.50", "-2.5", "3-1",
    "\u3000全角\u3000", "0.1", "1,000", "  ",
]
INTERESTING_NUMBERS = [
    0, 1, -1, 2, 3, 10, 0.5, -0.0, 1.005, 2.675, 0.1, 0.2, 1e21, 1e-7, 123.456, -7, 100, 50000,
    1e300, 9007199254740992, 1.5, -2.5, 0.125, 12.5, 1e16, 123456789.125, 5e-324,
]
VAR_PATHS = [
    "a", "b", "c", "s", "n", "arr", "arr.0", "arr.1", "arr.length", "nums", "objs", "objs.0.x",
    "objs.1.qty", "o", "o.x", "o.y.z", "o.q", "d", "dt", "m", "ds", "s.0", "s.length", "missing", "",
    "x", "qty", "amount", "current", "accumulator", "current.qty", "current.x", "0", "1", "a.x", "a.0",
    "nul", "empty", "t", "f", "lst", 0, 1,
]
PATTERNS = [
    "^1[3-9]\\d{9}$", "^[A-Z]{2}-\\d+$", "a|b", "^$", "\\s", "^\\w+$", "[0-9]+\\.[0-9]{2}", "中", "^(ab)+$",
    "x{2,3}", "^.{3}$", "\\bcase\\b", "[^a-z]", "(?:12|34)$", "^[+-]?\\d+(?:\\.\\d+)?$", "(a+)+",
    "[", "\\1", "(?<n>a)", "abc",
]
TEXT_ALPHABET = "abcXYZ019 .-_中文,"

small_text = st.text(alphabet=TEXT_ALPHABET, max_size=6)
text = st.one_of(st.sampled_from(INTERESTING_STRINGS), small_text)
number = st.one_of(
    st.sampled_from(INTERESTING_NUMBERS),
    st.integers(-1000, 1000),
    st.floats(allow_nan=False, allow_infinity=False),
)
json_scalar = st.one_of(st.none(), st.booleans(), number, text)
decimal_value = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=2, allow_nan=False, allow_infinity=False)
date_value = st.dates(min_value=date(1990, 1, 1), max_value=date(2035, 12, 31))
datetime_value = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]
    )
)
server_scalar = st.one_of(json_scalar, decimal_value, date_value, datetime_value)
keys = st.sampled_from(["x", "y", "a", "0", "1", "qty", "amount"])
value = st.recursive(
    server_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=3)),
    max_leaves=8,
)
row = st.fixed_dictionaries(
    {"x": server_scalar, "qty": st.one_of(number, text, st.none(), decimal_value),
     "amount": st.one_of(decimal_value, number, st.none(), st.sampled_from(["12.50", "abc"]))}
)
record = st.fixed_dictionaries(
    {
        "a": value, "b": json_scalar, "c": server_scalar, "s": text, "n": number,
        "arr": st.lists(json_scalar, max_size=5), "nums": st.lists(number, max_size=5),
        "objs": st.lists(row, max_size=4),
        "o": st.fixed_dictionaries({"x": server_scalar, "y": st.fixed_dictionaries({"z": json_scalar})}),
        "d": date_value, "dt": datetime_value, "m": decimal_value,
        "ds": st.one_of(date_value.map(date.isoformat), st.sampled_from(INTERESTING_STRINGS)),
        "nul": st.none(), "empty": st.just(""), "t": st.just(True), "f": st.just(False), "lst": st.just([]),
    }
)
data = st.one_of(record, record, record, value)

# ---------------------------------------------------------------------------- rules

var_rule = st.one_of(
    st.builds(lambda p: {"var": p}, st.sampled_from(VAR_PATHS)),
    st.builds(lambda p, d: {"var": [p, d]}, st.sampled_from(VAR_PATHS), json_scalar),
)
literal_object = st.sampled_from([{}, {"p": 1, "q": "x"}])
leaf = st.one_of(
    json_scalar, json_scalar, var_rule, var_rule, var_rule,
    st.lists(json_scalar, max_size=3), literal_object,
)
date_leaf = st.one_of(
    st.builds(lambda p: {"var": p}, st.sampled_from(["d", "dt", "ds", "s", "n", "nul", "m"])),
    st.sampled_from(["2026-01-05", "2026/2/28", "2026年10月8日", "2026-03-15T20:30:00Z",
                     "2026-03-16T00:30:00+08:00", "2026-02-29", "bad", "", None]),
    st.just({"today": []}),
    date_value.map(date.isoformat),
)
money_leaf = st.one_of(
    st.builds(lambda p: {"var": p}, st.sampled_from(["m", "n", "nums", "objs", "b", "s", "nul", "arr"])),
    number, decimal_value.map(str), st.sampled_from(["1.005", "2.675", " 12.50 ", "1e3", "abc", "", None, True]),
)


def _op(name: str, *args: Any) -> dict[str, Any]:
    return {name: list(args)}


def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    c = children
    binary = st.sampled_from(
        ["==", "===", "!=", "!==", ">", ">=", "<", "<=", "in", "%", "/", "-", "substr", "contains"]
    )
    ternary = st.sampled_from(["<", "<=", "substr", "if", "?:"])
    unary = st.sampled_from(["!", "!!", "-", "log", "*", "+", "lower", "upper", "trim", "normalize_phone", "date"])
    bare = st.sampled_from(["!", "!!", "-", "var", "missing", "merge", "cat"])  # {"!": x} without a list
    nary = st.sampled_from(["and", "or", "+", "*", "cat", "merge", "min", "max", "missing", "if"])
    array_op = st.sampled_from(["map", "filter", "all", "some", "none"])
    arrays = st.one_of(c, st.sampled_from([{"var": "arr"}, {"var": "objs"}, {"var": "nums"}]))
    reducers = st.one_of(
        c,
        st.just({"+": [{"var": "current"}, {"var": "accumulator"}]}),
        st.just({"+": [{"var": "accumulator"}, {"var": "current.qty"}]}),
    )
    keys = st.one_of(st.lists(st.sampled_from(VAR_PATHS[:12]), max_size=3), c)
    day_counts = st.one_of(st.integers(-400, 400), st.sampled_from([1.5, "3", None, True]), c)
    date_or_any = st.one_of(date_leaf, c)
    money_or_any = st.one_of(money_leaf, c)
    calendars = st.sampled_from(["cn", "empty", None])
    fields = st.sampled_from(["qty", "amount", "x", ""])
    return st.one_of(
        st.builds(lambda op, x, y: _op(op, x, y), binary, c, c),
        st.builds(lambda op, x, y, z: _op(op, x, y, z), ternary, c, c, c),
        st.builds(lambda op, x: _op(op, x), unary, c),
        st.builds(lambda op, x: {op: x}, bare, c.filter(lambda x: not isinstance(x, list))),
        st.builds(lambda op, xs: {op: xs}, nary, st.lists(c, min_size=1, max_size=4)),
        st.builds(lambda xs: {"if": xs}, st.lists(c, max_size=6)),
        st.builds(lambda x: {"var": [x]}, c),
        st.builds(lambda x, y: {"var": [x, y]}, c, c),
        st.builds(lambda x, y: _op("missing_some", x, y), st.one_of(st.integers(0, 3), c), keys),
        st.builds(lambda op, x, y: _op(op, x, y), array_op, arrays, c),
        st.builds(lambda x, y: _op("reduce", x, y), arrays, c),
        st.builds(lambda x, y, z: _op("reduce", x, y, z), arrays, reducers, c),
        # custom operations
        st.builds(lambda op: {op: []}, st.sampled_from(["today", "now"])),
        st.builds(lambda x: _op("date", x), date_or_any),
        st.builds(lambda op, x, y: _op(op, x, y), st.sampled_from(["days_between", "workdays_between"]), date_or_any,
                  date_leaf),
        st.builds(lambda x, y, cal: _op("workdays_between", x, y, cal), date_leaf, date_leaf, calendars),
        st.builds(lambda x, n: _op("add_days", x, n), date_or_any, day_counts),
        st.builds(lambda x: _op("round", x), money_or_any),
        st.builds(lambda x, p: _op("round", x, p), money_or_any, st.one_of(st.integers(-3, 6), st.just(None), c)),
        st.builds(lambda x: _op("sum", x), money_or_any),
        st.builds(lambda x, f: _op("sum", x, f), st.one_of(st.just({"var": "objs"}), money_or_any), fields),
        st.builds(lambda x, y: _op("money_mul", x, y), money_or_any, money_or_any),
        st.builds(lambda p, x: _op("regex_match", p, x), st.one_of(st.sampled_from(PATTERNS), c), c),
    )


rule = st.recursive(leaf, extend, max_leaves=10)
case = st.tuples(rule, data)
