"""Turning a provider's value into the value a target field takes.

Providers disagree about everything: amounts as strings ("1,280.50") or integer cents,
dates as "2026年12月20日", Unix seconds or milliseconds, local times without an offset.
Conversion follows the target field's type, so a mapping rarely says more than the path;
a channel's ``time_zone`` says what a local time means, and dates are taken in the app's
zone (the rule engine's, Asia/Shanghai by default) after conversion. Values are handed to
the record service in its API form (ISO text for dates, Decimal for money), which parses
and validates them like any other input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from sunmao.fields import stored_type
from sunmao.i18n import Text
from sunmao.meta.model import Field


class ConvertError(ValueError):
    """A value that does not fit its target field; ``text`` says why in both languages."""

    def __init__(self, text: Text):
        super().__init__(text.en)
        self.text = text


_DATE = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})\Z")
_DATE_ZH = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?\Z")
_DATETIME = re.compile(
    r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})[T ]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6})[0-9]*)?)?"
    r"\s*(Z|[+-][0-9]{2}:?[0-9]{2})?\Z")
_NUMBER_JUNK = re.compile(r"[\s,，_]")
_TRUE = {"true", "1", "yes", "y", "on", "是", "真"}
_FALSE = {"false", "0", "no", "n", "off", "否", "假", ""}


def _bad(value: Any, zh: str, en: str) -> ConvertError:
    shown = repr(value)[:60]
    return ConvertError(Text(f"{shown} 不是{zh}", f"{shown} is not {en}"))


def to_decimal(value: Any, factor: Decimal | None = None) -> Decimal:
    """Numbers, numeric text with thousands separators, or integer cents times a factor."""
    if isinstance(value, bool):
        raise _bad(value, "数字", "a number")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(_NUMBER_JUNK.sub("", value))
        except InvalidOperation:
            raise _bad(value, "数字", "a number") from None
    else:
        raise _bad(value, "数字", "a number")
    if not number.is_finite():
        raise _bad(value, "有限的数字", "a finite number")
    return number * factor if factor is not None else number


def to_moment(value: Any, local: tzinfo) -> datetime:
    """An aware datetime from ISO text (with or without offset), Unix seconds or milliseconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=local)
    if isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        seconds = float(value)
        if seconds > 1e11:  # milliseconds
            seconds /= 1000
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            return to_moment(int(text), local)
        m = _DATETIME.match(text)
        if m:
            y, mo, d, h, mi, s, frac, zone = m.groups()
            try:
                moment = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0),
                                  int((frac or "0").ljust(6, "0")))
            except ValueError:
                raise _bad(value, "有效的时间", "a valid date and time") from None
            if zone is None:
                return moment.replace(tzinfo=local)
            return datetime.fromisoformat(moment.isoformat() + ("+00:00" if zone == "Z" else _colon(zone)))
        day = _parse_day(text)
        if day is not None:
            return datetime(day.year, day.month, day.day, tzinfo=local)
    raise _bad(value, "有效的时间", "a valid date and time")


def _colon(zone: str) -> str:
    return zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"


def _parse_day(text: str) -> date | None:
    m = _DATE.match(text) or _DATE_ZH.match(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def to_date(value: Any, local: tzinfo, app_zone: tzinfo) -> date:
    """A calendar date: plain dates stay as written; moments are taken in the app's zone."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        day = _parse_day(value.strip())
        if day is not None:
            return day
    try:
        return to_moment(value, local).astimezone(app_zone).date()
    except ConvertError:
        raise _bad(value, "有效的日期", "a valid date") from None


@dataclass(frozen=True, slots=True)
class _Reading:
    """A channel's way of reading values (``sunmao.fields.base.Payload``): its money factor and zones."""

    factor: Decimal | None
    local: tzinfo
    app_zone: tzinfo

    def decimal(self, value: Any) -> Decimal:
        return to_decimal(value, self.factor)

    def yes_no(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise _bad(value, "是/否", "yes or no")

    def day(self, value: Any) -> date:
        return to_date(value, self.local, self.app_zone)

    def moment(self, value: Any) -> datetime:
        return to_moment(value, self.local)

    def refuse(self, value: Any, zh: str, en: str) -> ConvertError:
        return _bad(value, zh, en)


def convert(field: Field, value: Any, *, factor: Decimal | None, local: tzinfo, app_zone: tzinfo) -> Any:
    """``value`` in the API form of ``field``, as its field type reads a provider's value; raises ConvertError."""
    if value is None:
        return None
    return stored_type(field).from_payload(field, value, _reading(factor, local, app_zone))


@lru_cache(maxsize=256)
def _reading(factor: Decimal | None, local: tzinfo, app_zone: tzinfo) -> _Reading:
    return _Reading(factor, local, app_zone)  # one per channel source: every order's every value reads with it
