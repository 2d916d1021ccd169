"""The designer: drafts of every document kind, checks in words, publish, history, packages."""

from __future__ import annotations

from sunmao.designer import api, pages, tables
from sunmao.feature import Feature, Mount

FEATURE = Feature(
    name="designer",
    # bearer tokens; cookie-authenticated writes are checked by the app (_csrf_for_session_writes)
    blueprints=(Mount(api.blueprint, csrf_exempt=True), Mount(pages.blueprint)),
    openapi=(api.openapi,),
    tables=(tables.draft, tables.draft_document, tables.draft_edit, tables.design_audit),
)
