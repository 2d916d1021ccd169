"""JavaScript value semantics, in Python, for the standard JSONLogic operators.

Rules run in two places: here on the server and in the browser with json-logic-js. A rule
that says ``{"<": [{"var": "count"}, "10"]}`` must give the same answer in both, so the standard
operators follow the ECMAScript abstract operations that json-logic-js relies on: ToNumber,
parseFloat, ToString (including Number-to-String formatting), ToPrimitive, loose and strict
equality, the abstract relational comparison, and JSONLogic truthiness.

Value mapping (Python → JavaScript), applied by :func:`normalize` at the operator boundary:

===========================  ==========================================================
Python                       seen by the standard operators as
===========================  ==========================================================
None                         null
bool                         boolean
int, float                   number (a double; ints beyond 2**53 lose precision as in JS)
decimal.Decimal              number (``float(d)``)
str                          string (compared by UTF-16 code units, as JavaScript does)
datetime.date                ISO string ``YYYY-MM-DD``
datetime.datetime            ISO 8601 string in UTC, ``YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00``;
                             a naive datetime is taken as UTC (storage is UTC)
datetime.time, uuid.UUID     ISO / canonical string
list, tuple                  array
dict                         object
===========================  ==========================================================

``UNDEFINED`` stands for JavaScript ``undefined``: it appears only for arguments a rule did
not give (``{"-": [5]}`` has no second operand); no operation returns it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

__all__ = [
    "UNDEFINED",
    "NAN",
    "INF",
    "JS_WHITESPACE",
    "normalize",
    "datetime_iso",
    "truthy",
    "to_number",
    "string_to_number",
    "parse_float",
    "to_string",
    "number_to_string",
    "to_primitive",
    "strict_eq",
    "loose_eq",
    "js_lt",
    "js_le",
    "js_plus",
    "str_lt",
    "utf16_len",
    "utf16_slice",
    "to_integer_or_infinity",
]


class _Undefined:
    """JavaScript ``undefined`` (a missing argument)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False


UNDEFINED: Any = _Undefined()
NAN = float("nan")
INF = float("inf")

#: ECMAScript WhiteSpace + LineTerminator (what ``trim`` and ToNumber strip).
JS_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)

_MAX_SAFE = 9007199254740992  # 2**53

# Kinds of (normalized) values, for the slow paths of equality and comparison.
_K_UNDEF, _K_NULL, _K_BOOL, _K_NUM, _K_STR, _K_ARR, _K_OBJ = range(7)


def datetime_iso(value: datetime) -> str:
    """ISO 8601 in UTC with an explicit ``+00:00`` offset (naive means UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    else:
        value = value.astimezone(UTC)
    return value.isoformat()


def normalize(value: Any) -> Any:
    """Map a server-side Python value to the value json-logic-js would see."""
    t = type(value)
    if t is str or t is float or t is int or t is bool or t is list or t is dict or value is None:
        return value
    if value is UNDEFINED:
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return datetime_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"unsupported value type {t.__name__}")


def _kind(v: Any) -> int:
    t = type(v)
    if t is str:
        return _K_STR
    if t is float or t is int:
        return _K_NUM
    if t is bool:
        return _K_BOOL
    if v is None:
        return _K_NULL
    if t is list:
        return _K_ARR
    if t is dict:
        return _K_OBJ
    if v is UNDEFINED:
        return _K_UNDEF
    raise TypeError(f"unsupported value type {t.__name__}")


# ---------------------------------------------------------------------------- truthiness


def truthy(v: Any) -> bool:
    """JSONLogic truthiness: JavaScript's, except that an empty array is falsy."""
    if v is True:
        return True
    if v is False or v is None:
        return False
    t = type(v)
    if t is str or t is list:
        return len(v) > 0
    if t is int:
        return v != 0
    if t is float:
        return v == v and v != 0.0
    if t is dict:
        return True
    if v is UNDEFINED:
        return False
    return truthy(normalize(v))


# ---------------------------------------------------------------------------- numbers

_DEC_LITERAL = re.compile(r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|Infinity)\Z")
_RADIX_LITERAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)\Z")
_PARSE_FLOAT_PREFIX = re.compile(r"[+-]?(?:Infinity|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_RADIX = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}


def _int_to_float(v: int) -> float:
    try:
        return float(v)
    except OverflowError:
        return INF if v > 0 else -INF


def string_to_number(s: str) -> float:
    """ECMAScript StringToNumber: ``" 12 "`` → 12, ``""`` → 0, ``"0x1A"`` → 26, junk → NaN."""
    s = s.strip(JS_WHITESPACE)
    if not s:
        return 0.0
    if _DEC_LITERAL.match(s):
        if s[-1] == "y":
            return -INF if s[0] == "-" else INF
        return float(s)
    if _RADIX_LITERAL.match(s):
        return _int_to_float(int(s[2:], _RADIX[s[1]]))
    return NAN


def to_number(v: Any) -> float:
    """ECMAScript ToNumber (after :func:`normalize`)."""
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v) if -_MAX_SAFE <= v <= _MAX_SAFE else _int_to_float(v)
    if t is str:
        return string_to_number(v)
    if t is bool:
        return 1.0 if v else 0.0
    if v is None:
        return 0.0
    if v is UNDEFINED:
        return NAN
    if t is list:
        return string_to_number(to_string(v))
    if t is dict:
        return NAN
    return to_number(normalize(v))


def _parse_float_str(s: str) -> float:
    m = _PARSE_FLOAT_PREFIX.match(s.lstrip(JS_WHITESPACE))
    if m is None:
        return NAN
    text = m.group()
    if text[-1] == "y":
        return -INF if text[0] == "-" else INF
    return float(text)


def parse_float(v: Any) -> float:
    """JavaScript ``parseFloat(v)``: ToString then the longest numeric prefix."""
    t = type(v)
    if t is float:
        return 0.0 if v == 0.0 else v  # String(-0) is "0"
    if t is int:
        return float(v) if -_MAX_SAFE <= v <= _MAX_SAFE else _int_to_float(v)
    if t is str:
        return _parse_float_str(v)
    if isinstance(v, Decimal):
        return parse_float(float(v))
    return _parse_float_str(to_string(v))


def to_integer_or_infinity(v: Any) -> float:
    n = to_number(v)
    if n != n:
        return 0
    if n == INF or n == -INF:
        return n
    return math.trunc(n)


# ---------------------------------------------------------------------------- strings


def number_to_string(x: float) -> str:
    """ECMAScript Number::toString(10): 2.0 → "2", 1e21 → "1e+21", -0 → "0"."""
    if x != x:
        return "NaN"
    if x == 0:
        return "0"
    if x == INF:
        return "Infinity"
    if x == -INF:
        return "-Infinity"
    if -_MAX_SAFE < x < _MAX_SAFE and x.is_integer():
        return str(int(x))
    r = repr(x)
    sign = ""
    if r[0] == "-":
        sign, r = "-", r[1:]
    if "e" in r:
        mant, exp_text = r.split("e")
        exp = int(exp_text)
    else:
        mant, exp = r, 0
    if "." in mant:
        ip, fp = mant.split(".")
    else:
        ip, fp = mant, ""
    digits = ip + fp
    n = len(ip) + exp
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + out


def to_string(v: Any) -> str:
    """ECMAScript ToString (arrays join with "," and show null/undefined as "")."""
    t = type(v)
    if t is str:
        return v
    if t is int:
        return str(v) if -_MAX_SAFE <= v <= _MAX_SAFE else number_to_string(_int_to_float(v))
    if t is float:
        return number_to_string(v)
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "null"
    if v is UNDEFINED:
        return "undefined"
    if t is list:
        return ",".join("" if (x is None or x is UNDEFINED) else to_string(x) for x in v)
    if t is dict:
        return "[object Object]"
    return to_string(normalize(v))


def to_primitive(v: Any) -> Any:
    """ToPrimitive for our value kinds: arrays and objects become strings."""
    t = type(v)
    if t is list:
        return to_string(v)
    if t is dict:
        return "[object Object]"
    return v


def _is_bmp_safe(s: str) -> bool:
    return s.isascii() or max(s) < "\ud800"


def str_lt(a: str, b: str) -> bool:
    """``a < b`` by UTF-16 code units, as JavaScript compares strings."""
    if _is_bmp_safe(a) and _is_bmp_safe(b):
        return a < b
    return a.encode("utf-16-be", "surrogatepass") < b.encode("utf-16-be", "surrogatepass")


def utf16_len(s: str) -> int:
    if s.isascii() or max(s) < "\U00010000":
        return len(s)
    return len(s.encode("utf-16-le", "surrogatepass")) // 2


def utf16_slice(s: str, start: int, end: int) -> str:
    """``s`` sliced by UTF-16 code units (may split a surrogate pair, as JS does)."""
    if s.isascii() or max(s) < "\U00010000":
        return s[start:end]
    raw = s.encode("utf-16-le", "surrogatepass")
    return raw[2 * start : 2 * end].decode("utf-16-le", "surrogatepass")


# ---------------------------------------------------------------------------- equality


def strict_eq(a: Any, b: Any) -> bool:
    """JavaScript ``===``: same type and value; arrays and objects by identity."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is float or ta is int or ta is bool):
        return a == b
    return _strict_eq_slow(a, b)


def _strict_eq_slow(a: Any, b: Any) -> bool:
    a = normalize(a)
    b = normalize(b)
    ka = _kind(a)
    if ka != _kind(b):
        return False
    if ka == _K_ARR or ka == _K_OBJ:
        return a is b
    return a == b


def loose_eq(a: Any, b: Any) -> bool:
    """JavaScript ``==`` (IsLooselyEqual)."""
    ta = type(a)
    if ta is type(b) and (ta is str or ta is float or ta is int or ta is bool):
        return a == b
    return _loose_eq_slow(normalize(a), normalize(b))


def _loose_eq_slow(a: Any, b: Any) -> bool:
    ka = _kind(a)
    kb = _kind(b)
    if ka == kb:
        if ka == _K_ARR or ka == _K_OBJ:
            return a is b
        return a == b
    if ka <= _K_NULL and kb <= _K_NULL:  # null == undefined
        return True
    if ka <= _K_NULL or kb <= _K_NULL:
        return False
    if ka == _K_NUM and kb == _K_STR:
        return a == string_to_number(b)
    if ka == _K_STR and kb == _K_NUM:
        return string_to_number(a) == b
    if ka == _K_BOOL:
        return _loose_eq_slow(1.0 if a else 0.0, b)
    if kb == _K_BOOL:
        return _loose_eq_slow(a, 1.0 if b else 0.0)
    if (ka == _K_NUM or ka == _K_STR) and kb >= _K_ARR:
        return _loose_eq_slow(a, to_primitive(b))
    if ka >= _K_ARR and (kb == _K_NUM or kb == _K_STR):
        return _loose_eq_slow(to_primitive(a), b)
    return False


# ---------------------------------------------------------------------------- comparison


def js_lt(a: Any, b: Any) -> bool:
    """JavaScript ``a < b`` (abstract relational comparison)."""
    a = to_primitive(normalize(a))
    b = to_primitive(normalize(b))
    if type(a) is str and type(b) is str:
        return str_lt(a, b)
    return to_number(a) < to_number(b)


def js_le(a: Any, b: Any) -> bool:
    """JavaScript ``a <= b``: not (b < a), and false when either side is NaN."""
    a = to_primitive(normalize(a))
    b = to_primitive(normalize(b))
    if type(a) is str and type(b) is str:
        return not str_lt(b, a)
    return to_number(a) <= to_number(b)


def js_plus(a: Any, b: Any) -> Any:
    """JavaScript binary ``+``: string concatenation if either primitive is a string."""
    a = to_primitive(normalize(a))
    b = to_primitive(normalize(b))
    if type(a) is str or type(b) is str:
        return to_string(a) + to_string(b)
    return to_number(a) + to_number(b)
