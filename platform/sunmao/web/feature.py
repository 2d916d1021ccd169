"""The web feature: sign-in, the REST API and its OpenAPI document, and the generated screens
(forms and views are its document kinds)."""

from __future__ import annotations

from sunmao.feature import Feature, Mount
from sunmao.web import api, auth, openapi
from sunmao.web.screens import pages, tables
from sunmao.web.screens.layouts import compile_forms, compile_views
from sunmao.web.screens.related import compile_related

FEATURE = Feature(
    name="web",
    kinds=("form", "view"),
    compilers=(compile_forms, compile_views, compile_related),
    blueprints=(
        Mount(auth.blueprint),
        Mount(api.blueprint, csrf_exempt=True),  # bearer tokens; cookie-authenticated writes need the CSRF token
        Mount(openapi.blueprint, csrf_exempt=True),
        Mount(pages.blueprint),
    ),
    openapi=(api.openapi,),
    tables=(tables.saved_view, tables.comment),
)
