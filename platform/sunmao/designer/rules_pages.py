"""The rules page and the settings editor's extras, on the designer pages' blueprint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sunmao.designer import rules
from sunmao.designer.pages import EDITORS, _page, _runtime, _setup, _workspace, blueprint
from sunmao.meta import settings as app_settings
from sunmao.web.app import language

EDITORS["settings"] = "designer/settings.html"  # one field per parameter (settings.js)


def _operators() -> frozenset[str]:
    runtime = _runtime()
    return runtime.snapshot().rules.operators if runtime.current_version() is not None else frozenset()


def settings_extras(apps: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """What the settings editor shows beside each parameter: the rules that read it."""
    return {"settings_used": rules.settings_in_rules(rules.locate(apps, _operators()))}


@blueprint.get("/designer/drafts/<int:draft_id>/rules")
def rules_page(draft_id: int) -> tuple[str, int]:
    ws = _workspace(draft_id)
    locations = rules.locate(ws["apps"], _operators())
    params = [{"address": where, "key": p["key"], "label": p.get("label"), "value": p.get("value"),
               "type": p.get("type")} for _k, (where, p) in app_settings.parameters(ws["apps"]).items()]
    title = "规则" if language() == "zh" else "Rules"
    return _page("designer/rules.html", title, ws=ws, address=None,
                 setup=_setup(ws, None, rules=locations, settings=params))
