"""The screens' language: Flask-Babel for engine UI strings, Babel for dates and money.

Metadata labels carry both languages already (``Text``); what Flask-Babel translates are the
engine's own words on the screens ("Save", "Recycle bin"...). Message ids are English and the
catalogue translates them to zh-CN, the default language.

The compiled ``.mo`` catalogue is committed next to its ``.po`` source (``tests/screens``
checks that they agree): an installed package may sit on a read-only file system, so compiling
at import is not always possible, and a build step would break the two-command setup.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.numbers import format_currency, format_decimal
from flask import Flask
from flask_babel import Babel, gettext, lazy_gettext, ngettext

from sunmao import clock
from sunmao.http.context import language
from sunmao.i18n import Text

TRANSLATIONS = Path(__file__).resolve().parents[1] / "translations"
DEFAULT_TIMEZONE = clock.TIME_ZONE
BABEL_LOCALES = {"zh": "zh_CN", "en": "en"}

_ = gettext
__all__ = ["_", "gettext", "lazy_gettext", "ngettext", "init_babel", "babel_locale", "format_value_date",
           "format_value_datetime", "format_day", "format_money", "format_number", "format_percent", "label"]


def babel_locale(lang: str) -> str:
    return BABEL_LOCALES.get(lang, "zh_CN")


def _locale_selector() -> str:
    return babel_locale(language())


def init_babel(app: Flask) -> None:
    """Attach Flask-Babel to one app (each published version has its own app)."""
    if "babel" in app.extensions:
        return
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh_CN")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=_locale_selector)


def label(value: Any, lang: str) -> str:
    """A metadata label (``{"zh", "en"}`` or ``Text``) in the reader's language."""
    return Text.of(value).get(lang) if value is not None else ""


def format_value_date(value: date | str | None, lang: str) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return _babel_date(value, "medium", locale=babel_locale(lang))


def format_value_datetime(value: datetime | str | None, lang: str, tz: str = DEFAULT_TIMEZONE) -> str:
    """The reader's date format and a 24-hour time, in ``tz``: one look for dates everywhere
    (``2026年12月6日 20:15`` / ``Dec 6, 2026 20:15``). A naive value is UTC (as SQLite returns it)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    moment = (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).astimezone(ZoneInfo(tz))
    return f"{format_value_date(moment.date(), lang)} {moment:%H:%M}"


def format_day(value: date, lang: str) -> str:
    """A day of a near period, without the year (a Gantt scale): ``12月7日`` / ``Dec 7``."""
    return format_skeleton("MMMd", value, locale=babel_locale(lang))


def format_number(value: Decimal | int | str | None, lang: str, scale: int | None = None) -> str:
    if value in (None, ""):
        return ""
    number = Decimal(str(value))
    if scale is not None:
        number = number.quantize(Decimal(1).scaleb(-scale))
        pattern = "#,##0" + ("." + "0" * scale if scale else "")
        return format_decimal(number, format=pattern, locale=babel_locale(lang))
    return format_decimal(number, locale=babel_locale(lang))


def format_percent(value: Decimal | int | str | None, lang: str, scale: int | None = None) -> str:
    """A ratio as a percentage: 0.5 → 50%, 0.1234 (scale 4) → 12.34%."""
    if value in (None, ""):
        return ""
    digits = max((scale or 2) - 2, 0)
    number = (Decimal(str(value)) * 100).quantize(Decimal(1).scaleb(-digits))
    return format_decimal(number, format="#,##0" + ("." + "0" * digits if digits else ""),
                          locale=babel_locale(lang)) + "%"


def format_money(value: Decimal | str | None, currency: str | None, lang: str) -> str:
    if value in (None, ""):
        return ""
    return format_currency(Decimal(str(value)), currency or "CNY", locale=babel_locale(lang))
