"""Sunmao's own operations: dates, decimal-safe money, and text.

They exist in two implementations with the same names and meaning: here, and in
``widgets/rules/sunmao-rules.js`` for the browser; the differential tests hold them together.

Null handling, on both sides — a blank optional field must not crash a rule:

* ``date``, ``add_days``, ``add_workdays``, ``days_between``, ``workdays_between``: null when any date argument
  (or the day count) is null. ``money_mul`` and ``round``: null when a number is null.
* ``sum``: a null list sums to 0; null items (or items whose field is null or absent) are
  skipped.
* ``lower``, ``upper``, ``trim``, ``normalize_phone``: null → null.
* ``contains``: null haystack or needle → false. ``regex_match``: null text → false.

Types, also on both sides: dates are ``date``/``datetime`` values or strings
``YYYY-MM-DD`` (also ``YYYY/MM/DD``, ``YYYY.MM.DD``, one-digit month and day, and
``YYYY年M月D日``) or ISO datetimes ``YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`` (with an
offset, the instant is converted to the engine's time zone before taking the date). Years run
from 1000 to 9999. Anything else is a RuleEvalError. Money operations take numbers,
``Decimal`` or numeric strings (``"12.50"``; at most 64 characters, |exponent| ≤ 40) and
compute exactly in decimal; booleans, other strings, arrays and objects are a
RuleEvalError. Results: ``round``, ``sum`` and ``money_mul`` return ``Decimal`` here and a
number in JavaScript (the nearest double to the same exact decimal); ``days_between`` and
``workdays_between`` return int; dates come back as ISO strings. Text operations turn
numbers and booleans into text as JavaScript's ``String()`` does; arrays and objects are a
RuleEvalError (``contains`` and ``regex_match`` answer false instead).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_HALF_UP, Context, Decimal
from typing import Any

from .access import lookup, split_path
from .coerce import JS_WHITESPACE, UNDEFINED, normalize, strict_eq, to_string
from .errors import OpError
from .nodes import CompileContext, Node, OpSpec, guarded
from .regex_subset import compile_pattern, translate

__all__ = ["Calendar", "CustomConfig", "custom_ops", "parse_date", "to_decimal"]

MIN_YEAR, MAX_YEAR = 1000, 9999
_MONEY_CONTEXT = Context(prec=400, Emax=10_000, Emin=-10_000)
_MAX_NUMBER_TEXT = 64
_MAX_EXPONENT = 40
_MAX_PLACES = 12
_MAX_DAY_SHIFT = 3_660_000

# ---------------------------------------------------------------------------- dates

_DATE_RE = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})\Z")
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DATE_ZH_RE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日\Z")
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:\.[0-9]{1,9})?)?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return repr(value if isinstance(value, str) else to_string(normalize(value)))


def _bad_date(value: Any) -> OpError:
    shown = _shown(value)
    return OpError(f"not a valid date: {shown}", f"不是有效的日期：{shown}")


def _make_date(y: int, m: int, d: int, original: Any) -> date:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise _bad_date(original)
    try:
        return date(y, m, d)
    except ValueError:
        raise _bad_date(original) from None


def _check_range(value: date, original: Any) -> date:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise _bad_date(original)
    return value


def parse_date(value: Any, tz: tzinfo) -> date | None:
    """A date argument as a ``date`` (None for null); OpError when it is not a date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        try:
            return _check_range(value.astimezone(tz).date(), value)
        except OverflowError:
            raise _bad_date(value) from None
    if isinstance(value, date):
        return _check_range(value, value)
    if not isinstance(value, str):
        raise _bad_date(value)
    text = value.strip(JS_WHITESPACE)
    m = _DATE_RE.match(text)
    if m:
        return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)), value)
    m = _DATE_ZH_RE.match(text)
    if m:
        return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), value)
    m = _DATETIME_RE.match(text)
    if not m:
        raise _bad_date(value)
    day = _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), value)
    hour, minute, second = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _bad_date(value)
    offset = m.group(7)
    if offset is None:
        return day
    if offset == "Z":
        minutes = 0
    else:
        digits = offset[1:].replace(":", "")
        oh, om = int(digits[:2]), int(digits[2:])
        if oh > 23 or om > 59:
            raise _bad_date(value)
        minutes = (oh * 60 + om) * (-1 if offset[0] == "-" else 1)
    moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=timezone(timedelta(minutes=minutes)))
    try:
        return _check_range(moment.astimezone(tz).date(), value)
    except OverflowError:
        raise _bad_date(value) from None


def _weekdays_through(ordinal: int) -> int:
    """How many Mondays–Fridays have an ordinal ≤ ``ordinal`` (ordinal 1 is a Monday)."""
    return (ordinal // 7) * 5 + min(ordinal % 7, 5)


@dataclass(frozen=True)
class Calendar:
    """A holiday calendar: weekday holidays and weekend working days, as sorted ordinals."""

    name: str
    weekday_holidays: tuple[int, ...]
    weekend_workdays: tuple[int, ...]

    @classmethod
    def from_config(cls, name: str, config: Mapping[str, Iterable[Any]]) -> Calendar:
        unknown = set(config) - {"holidays", "workdays"}
        if unknown:
            raise ValueError(f"calendar {name!r}: unknown keys {sorted(unknown)}; use 'holidays' and 'workdays'")

        def days(key: str) -> set[date]:
            out = set()
            for item in config.get(key, ()):
                if isinstance(item, date) and not isinstance(item, datetime):
                    out.add(item)
                elif isinstance(item, str) and _ISO_DATE_RE.match(item):
                    try:
                        out.add(date.fromisoformat(item))
                    except ValueError:
                        raise ValueError(f"calendar {name!r}: {item!r} is not a valid date") from None
                else:
                    raise ValueError(f"calendar {name!r}: {key} must be ISO dates (YYYY-MM-DD), got {item!r}")
            return out

        holidays, workdays = days("holidays"), days("workdays")
        return cls(
            name,
            tuple(sorted(d.toordinal() for d in holidays - workdays if d.weekday() < 5)),
            tuple(sorted(d.toordinal() for d in workdays if d.weekday() >= 5)),
        )

    def workdays_in(self, start: int, end: int) -> int:
        """Working days with ordinal in (start, end], for start ≤ end."""
        count = _weekdays_through(end) - _weekdays_through(start)
        hol = self.weekday_holidays
        extra = self.weekend_workdays
        count -= bisect_right(hol, end) - bisect_right(hol, start)
        count += bisect_right(extra, end) - bisect_right(extra, start)
        return count


_NO_CALENDAR = Calendar("", (), ())


def _whole_number(value: Any) -> int | None:
    """The int a JS-integral number stands for (bools and text are not numbers), or None."""
    t = type(value)
    if t is int or (t is float and value.is_integer()):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def _day_count(value: Any) -> int | None:
    if value is None:
        return None
    n = _whole_number(value)
    if n is not None and abs(n) <= _MAX_DAY_SHIFT:
        return n
    raise OpError(
        f"the number of days must be a whole number, not {_shown(value)}", f"天数必须是整数，而不是 {_shown(value)}"
    )


# ---------------------------------------------------------------------------- money

_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def _not_number(value: Any) -> OpError:
    shown = _shown(value)
    return OpError(f"a money operation needs a number, got {shown}", f"金额运算需要数字，得到的是 {shown}")


def to_decimal(value: Any) -> Decimal:
    """A money operand as an exact Decimal (floats by their shortest decimal text)."""
    t = type(value)
    if t is int:
        d = Decimal(value)
    elif t is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise _not_number(value)
        d = Decimal(repr(value))
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise _not_number(value)
        d = value
    elif t is str:
        text = value.strip(JS_WHITESPACE)
        if len(text) > _MAX_NUMBER_TEXT or not _NUMBER_TEXT.match(text):
            raise _not_number(value)
        d = Decimal(text)
    else:
        raise _not_number(value)
    if d and (abs(d.adjusted()) > _MAX_EXPONENT or len(d.as_tuple().digits) > _MAX_NUMBER_TEXT):
        raise OpError("the number is out of range for a money operation", "数字超出金额运算的范围")
    return d


def _places(value: Any) -> int:
    if value is None or value is UNDEFINED:
        return 0
    n = _whole_number(value)
    if n is not None and -_MAX_PLACES <= n <= _MAX_PLACES:
        return n
    raise OpError(
        f"decimal places must be a whole number from -{_MAX_PLACES} to {_MAX_PLACES}",
        f"小数位数必须是 -{_MAX_PLACES} 到 {_MAX_PLACES} 之间的整数",
    )


def money_round(value: Any, places: Any = UNDEFINED) -> Decimal | None:
    """ROUND_HALF_UP to ``places`` decimals: 1.005 → 1.01, -2.5 → -3."""
    n = _places(places)
    if value is None:
        return None
    d = to_decimal(value)
    result = d.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP, context=_MONEY_CONTEXT)
    if n < 0:
        result = Decimal(int(result))
    if result.is_zero():
        result = abs(result)
    return result


def money_sum(items: Any, field: Any = UNDEFINED) -> Decimal:
    """Exact decimal sum of a list, or of one field over a list of rows."""
    parts: list[str] | None = None
    if field is not UNDEFINED:
        if type(field) is not str:
            raise OpError("the field name given to sum must be text", "sum 的字段名必须是文本")
        parts = split_path(field)
    if items is None:
        return Decimal(0)
    if type(items) is not list:
        if isinstance(items, (list, tuple)):
            items = list(items)
        else:
            raise OpError("sum needs a list", "sum 需要一个列表")
    total = Decimal(0)
    for item in items:
        if parts is not None:
            item = lookup(item, parts, None)  # a field of "" names the whole item, as {"var": ""} does
        if item is None:
            continue
        total = _MONEY_CONTEXT.add(total, to_decimal(item))
    return abs(total) if total.is_zero() else total


def money_mul(a: Any, b: Any) -> Decimal | None:
    """Exact decimal product (round it with ``round``)."""
    if a is None or b is None:
        return None
    product = _MONEY_CONTEXT.multiply(to_decimal(a), to_decimal(b))
    return abs(product) if product.is_zero() else product


# ---------------------------------------------------------------------------- text


def _text(value: Any, op: str) -> str | None:
    if value is None:
        return None
    value = normalize(value)
    t = type(value)
    if t is str:
        return value
    if t is int or t is float or t is bool:
        return to_string(value)
    raise OpError(f"{op} needs text, not an array or object", f"{op} 需要文本，不能是数组或对象")


def op_lower(value: Any) -> str | None:
    text = _text(value, "lower")
    return None if text is None else text.lower()


def op_upper(value: Any) -> str | None:
    text = _text(value, "upper")
    return None if text is None else text.upper()


def op_trim(value: Any) -> str | None:
    text = _text(value, "trim")
    return None if text is None else text.strip(JS_WHITESPACE)


def op_contains(haystack: Any, needle: Any) -> bool:
    if haystack is None or needle is None:
        return False
    haystack = normalize(haystack)
    if type(haystack) is list:
        return any(strict_eq(item, needle) for item in haystack)
    if type(haystack) is not str:
        return False
    needle = normalize(needle)
    if type(needle) in (list, dict):
        return False
    return to_string(needle) in haystack


def op_regex_match(pattern: Any, value: Any) -> bool:
    pattern = normalize(pattern)  # a date pattern is its ISO text, as in the browser
    if type(pattern) is not str:
        raise OpError("the pattern given to regex_match must be text", "regex_match 的正则表达式必须是文本")
    regex = compile_pattern(pattern)
    if value is None:
        return False
    value = normalize(value)
    if type(value) in (list, dict):
        return False
    return regex.search(to_string(value)) is not None


_PHONE_JUNK = re.compile("[" + re.escape(JS_WHITESPACE) + r"\-()（）－]")
_MOBILE = re.compile(r"(?:\+86|0086|86)?(1[0-9]{10})\Z")


def op_normalize_phone(value: Any) -> str | None:
    """Chinese mobile numbers to 11 digits: "+86 138-0013-8000" → "13800138000"."""
    text = _text(value, "normalize_phone")
    if text is None:
        return None
    cleaned = _PHONE_JUNK.sub("", text)
    m = _MOBILE.match(cleaned)
    return m.group(1) if m else cleaned


# ---------------------------------------------------------------------------- registration


@dataclass(frozen=True)
class CustomConfig:
    """Per-engine settings the custom operations read: time zone, clock and calendars."""

    tz: tzinfo
    clock: Callable[[], datetime]
    calendars: Mapping[str, Calendar]

    def now_utc(self) -> datetime:
        moment = self.clock()
        if moment.tzinfo is None or moment.utcoffset() is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)

    def calendar(self, name: Any) -> Calendar:
        if name is None or name is UNDEFINED:
            return _NO_CALENDAR
        if type(name) is str and name in self.calendars:
            return self.calendars[name]
        known = ", ".join(sorted(self.calendars)) or "none"
        raise OpError(
            f"unknown holiday calendar {name!r} (known: {known})", f"未知的节假日日历 {name!r}（已配置：{known}）"
        )


def _simple(name: str, impl: Callable[..., Any], lo: int, hi: int | None, doc: str, check: Any = None) -> OpSpec:
    def build(ctx: CompileContext, args: list[Node], path: str) -> Any:
        return guarded(ctx, path, impl, [a.fn for a in args])

    return OpSpec(name, lo, hi, build, check, doc)


def _check_regex(ctx: CompileContext, args: list[Node]) -> None:
    if args[0].is_const:
        translate(args[0].const)


def _check_round(ctx: CompileContext, args: list[Node]) -> None:
    if len(args) > 1 and args[1].is_const:
        _places(args[1].const)


def _check_sum(ctx: CompileContext, args: list[Node]) -> None:
    if len(args) > 1 and args[1].is_const and type(args[1].const) is not str:
        raise OpError("the field name given to sum must be text", "sum 的字段名必须是文本")


def custom_ops(config: CustomConfig) -> dict[str, OpSpec]:
    """The custom operations bound to one engine's configuration."""
    tz = config.tz

    def op_today() -> str:
        return config.now_utc().astimezone(tz).date().isoformat()

    def op_now() -> str:
        return config.now_utc().replace(microsecond=0).isoformat()

    def op_date(value: Any) -> str | None:
        day = parse_date(value, tz)
        return None if day is None else day.isoformat()

    def op_days_between(a: Any, b: Any) -> int | None:
        start, end = parse_date(a, tz), parse_date(b, tz)
        if start is None or end is None:
            return None
        return end.toordinal() - start.toordinal()

    def op_add_days(value: Any, days: Any) -> str | None:
        day = parse_date(value, tz)
        n = _day_count(days)
        if day is None or n is None:
            return None
        ordinal = day.toordinal() + n
        if not date(MIN_YEAR, 1, 1).toordinal() <= ordinal <= date(MAX_YEAR, 12, 31).toordinal():
            raise OpError("the resulting date is out of range", "计算出的日期超出范围")
        return date.fromordinal(ordinal).isoformat()

    def op_workdays_between(a: Any, b: Any, calendar: Any = UNDEFINED) -> int | None:
        cal = config.calendar(calendar)
        start, end = parse_date(a, tz), parse_date(b, tz)
        if start is None or end is None:
            return None
        s, e = start.toordinal(), end.toordinal()
        return cal.workdays_in(s, e) if s <= e else -cal.workdays_in(e, s)

    def op_add_workdays(value: Any, days: Any, calendar: Any = UNDEFINED) -> str | None:
        """The date ``days`` working days after ``value`` (0: the date itself): the first day
        with ``workdays_between(value, day) == days``. It counts forward only."""
        cal = config.calendar(calendar)
        day = parse_date(value, tz)
        n = _day_count(days)
        if day is None or n is None:
            return None
        if n < 0:
            raise OpError("add_workdays counts forward: the number of working days must be 0 or more",
                          "add_workdays 只能向后数：工作日数必须大于等于 0")
        start = day.toordinal()
        last = date(MAX_YEAR, 12, 31).toordinal()
        end = start + n + 2 * (n // 5)  # Monday to Friday: close, and holidays move it a few days
        while cal.workdays_in(start, end) < n:
            end += 1
            if end > last:
                raise OpError("the resulting date is out of range", "计算出的日期超出范围")
        while end > start and cal.workdays_in(start, end - 1) >= n:
            end -= 1
        if end > last:
            raise OpError("the resulting date is out of range", "计算出的日期超出范围")
        return date.fromordinal(end).isoformat()

    def check_calendar(ctx: CompileContext, args: list[Node]) -> None:
        if len(args) > 2 and args[2].is_const:
            config.calendar(args[2].const)

    specs = [
        _simple("today", op_today, 0, 0, "today's date (ISO) in the engine's time zone"),
        _simple("now", op_now, 0, 0, "the current instant, ISO 8601 in UTC, whole seconds"),
        _simple("date", op_date, 1, 1, "a date value or text as an ISO date"),
        _simple("days_between", op_days_between, 2, 2, "[a, b] → b − a in days"),
        _simple("add_days", op_add_days, 2, 2, "[date, n] → the ISO date n days later"),
        _simple("add_workdays", op_add_workdays, 2, 3, "[date, n ≥ 0, calendar?] → the date n working days later",
                check_calendar),
        _simple(
            "workdays_between", op_workdays_between, 2, 3, "[a, b, calendar?] → working days in (a, b]", check_calendar
        ),
        _simple("round", money_round, 1, 2, "[x, places=0] → Decimal, ROUND_HALF_UP", _check_round),
        _simple("sum", money_sum, 1, 2, "[list] or [rows, field] → exact Decimal sum", _check_sum),
        _simple("money_mul", money_mul, 2, 2, "[a, b] → exact Decimal product"),
        _simple("lower", op_lower, 1, 1, "lower-case text"),
        _simple("upper", op_upper, 1, 1, "upper-case text"),
        _simple("trim", op_trim, 1, 1, "text without surrounding whitespace"),
        _simple("contains", op_contains, 2, 2, "[text or list, needle] → bool"),
        _simple("regex_match", op_regex_match, 2, 2, "[pattern, text] → bool (safe subset)", _check_regex),
        _simple("normalize_phone", op_normalize_phone, 1, 1, "Chinese mobile number → 11 digits"),
    ]
    return {spec.name: spec for spec in specs}

