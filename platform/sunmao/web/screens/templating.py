"""Template helpers shared by the screens, the portal and the login page.

Autoescaping stays on everywhere: helpers return plain strings, never Markup, so a label or a
customer name containing ``<script>`` is shown as text. Data for scripts goes into
``<script type="application/json">`` through ``tojson``, which escapes ``<``, ``>`` and ``&``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from sunmao.i18n import Text
from sunmao.web.screens.widgets import known_widgets

ASSET_VERSION = "1"


def widget_template(name: str) -> str:
    """The macro file of a widget, by name (unknown names fall back to the plain input)."""
    widgets = known_widgets()
    return (widgets.get(name) or widgets["input"]).template


def text_in(value: Any, lang: str) -> str:
    return Text.of(value).get(lang) if value is not None else ""


def install(app: Flask) -> None:
    app.jinja_env.globals.update(widget_template=widget_template, asset_version=ASSET_VERSION)
    app.jinja_env.filters["text_in"] = text_in
