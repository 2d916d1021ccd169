"""Reading spreadsheet cells the way people actually type them (the field types' ``import_cell``).

Workbooks hold real dates, Excel serial numbers (46376 is 2026-12-20), texts such as
``2026/12/20``, ``2026年12月20日`` or ``12月20日``, numbers with thousands separators, currency
signs and full-width digits, Chinese numerals, and phone numbers in every spelling. Each
converter returns ``(value, None)`` or ``(None, problem)``; a problem says what was found and
what would be accepted, in both languages, so the preview can name the cell and the cure.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sunmao.i18n import Text

#: Excel's day 0 (the 1900 system, counting its phantom 1900-02-29): serial 1 is 1900-01-01.
EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers taken for dates: 1990-01-01 … 2199-12-31 (a quantity of 120 is not a date).
SERIAL_RANGE = (32874, 109938)

TRUE = {"1", "true", "yes", "y", "是", "对", "✓", "√", "启用", "x", "有"}
FALSE = {"0", "false", "no", "n", "否", "不", "×", "停用", "无", ""}

_SPACES = re.compile(r"\s+")
_FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_MONTH_DAY = re.compile(r"^(\d{1,2})\s*[月/-]\s*(\d{1,2})\s*[日号]?$")
_DATETIME = re.compile(r"^(.+?)[\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_NUMBER_JUNK = re.compile(r"[,，\s¥￥$元]|^RMB|^CNY", re.I)
_PHONE_JUNK = re.compile(r"[\s\-()（）.]")

_DIGITS = {"〇": 0, "零": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
           "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10_000, "萬": 10_000, "亿": 100_000_000}

DATE_HINT = Text("可填 2026-12-20、2026/12/20、2026年12月20日、12月20日或 Excel 日期",
                 "accepted: 2026-12-20, 2026/12/20, 2026年12月20日, 12月20日 or an Excel date")
NUMBER_HINT = Text("可填 1200、1,200.50 或 一千二百", "accepted: 1200, 1,200.50 or 一千二百")


def text_of(raw: Any) -> str:
    """A cell as trimmed text: full-width letters and digits made half-width, runs of spaces one."""
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, datetime):
        return raw.isoformat(sep=" ", timespec="minutes") if raw.time() != time() else raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(raw))).strip()


def shown(raw: Any) -> str:
    """The value as the user typed it, for messages (Excel's 1.0 shown as 1)."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip() if raw is not None else ""


def chinese_number(text: str) -> int | None:
    """A complete Chinese numeral (一千二百零五, 壹仟贰佰元整) as an integer, or None.

    Only numerals with one reading are taken: every digit carries its unit, so the colloquial
    "一千五" (1,500 or 1,005?) and "两万三" are refused rather than guessed."""
    text = text.removesuffix("整").removesuffix("元").removesuffix("圆")
    if not text or any(ch not in _DIGITS and ch not in _UNITS and ch not in _BIG for ch in text):
        return None
    total = section = 0
    digit: int | None = None
    last_unit = 10 ** 9
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0 and digit != 0:
                return None  # two digits in a row: 一二 is not a numeral
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None
            section += (1 if digit is None and unit == 10 and section == 0 else (digit or 0)) * unit
            if digit == 0:
                return None
            digit, last_unit = None, unit
        else:
            big = _BIG[ch]
            total = (total + section + (digit or 0)) * big
            section, digit, last_unit = 0, None, 10 ** 9
    if digit:
        if len(text) > 1 and text[-2] not in ("十", "拾", "零", "〇"):
            return None  # 一千五, 两万三: the unit of the last digit is left out
        section += digit
    return total + section


def to_decimal(raw: Any) -> Decimal | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))
    text = _NUMBER_JUNK.sub("", text_of(raw))
    if text.endswith("%"):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        whole = chinese_number(text)
        return Decimal(whole) if whole is not None else None
    return value if value.is_finite() else None


def to_date(raw: Any, today: date) -> date | None:
    """A date from a date cell, a serial number or a date text; ``today`` gives 12月20日 its year."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if SERIAL_RANGE[0] <= raw <= SERIAL_RANGE[1] and float(raw).is_integer():
            return EXCEL_EPOCH + timedelta(days=int(raw))
        return None
    text = text_of(raw)
    try:
        if m := _FULL_DATE.match(text) or _COMPACT_DATE.match(text):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _MONTH_DAY.match(text):
            return date(today.year, int(m[1]), int(m[2]))
        if text.isdigit() and SERIAL_RANGE[0] <= int(text) <= SERIAL_RANGE[1]:
            return EXCEL_EPOCH + timedelta(days=int(text))
    except ValueError:
        return None
    return None


def to_datetime(raw: Any, today: date) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, float) and SERIAL_RANGE[0] <= raw <= SERIAL_RANGE[1]:
        return datetime.combine(EXCEL_EPOCH, time()) + timedelta(days=raw)
    text = text_of(raw)
    m = _DATETIME.match(text)
    day = to_date(m[1] if m else raw, today)
    if day is None:
        return None
    if not m:
        return datetime.combine(day, time())
    return datetime.combine(day, time(int(m[2]), int(m[3]), int(m[4] or 0)))


def clean_phone(raw: Any) -> str:
    """A phone in any common spelling to the form the channels store: 11 digits for a mobile,
    the area code and number for a landline (``+86 574 6382 1234`` → ``057463821234``)."""
    text = _PHONE_JUNK.sub("", text_of(raw))
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            rest = text[len(prefix):]
            text = rest if rest.startswith("1") and len(rest) == 11 else "0" + rest.lstrip("0")
    if text.startswith("86") and len(text) == 13 and text[2] == "1":
        text = text[2:]
    return text
