"""The screens' language, as the screens import it: it lives in ``sunmao.http.i18n`` (below the
features, whose pages and prints use it too); these are its names."""

from sunmao.http.i18n import (
    BABEL_LOCALES,
    DEFAULT_TIMEZONE,
    TRANSLATIONS,
    _,
    babel_locale,
    format_day,
    format_money,
    format_number,
    format_percent,
    format_value_date,
    format_value_datetime,
    gettext,
    init_babel,
    label,
    lazy_gettext,
    ngettext,
)

__all__ = ["BABEL_LOCALES", "DEFAULT_TIMEZONE", "TRANSLATIONS", "_", "babel_locale", "format_day", "format_money",
           "format_number", "format_percent", "format_value_date", "format_value_datetime", "gettext", "init_babel",
           "label", "lazy_gettext", "ngettext"]
