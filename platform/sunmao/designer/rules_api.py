"""The rule builder's, the settings' and the impact preview's routes on the designer API.

Kept beside ``api.py`` (same blueprint, same plumbing) so that the rules work stays in its own
module: where the draft's rules live, what a rule over an entity may read, the server's answer
for "test this rule", and what the draft would do to the last N real records.
"""

from __future__ import annotations

from typing import Any

from flask import Response

from sunmao.designer import impact, rules
from sunmao.designer.api import blueprint, body, designer, drafts, reply
from sunmao.errors import ValidationFailed
from sunmao.i18n import Text
from sunmao.meta import settings as app_settings
from sunmao.web.app import context


def _draft_snapshot(draft_id: int) -> tuple[Any, Any, dict[str, Any]]:
    from sunmao.designer import boards

    store = drafts()
    info = store.info(draft_id)
    apps = store.documents(draft_id)
    return info, boards.snapshot(context().runtime, apps, info.base_version), apps


@blueprint.get("/drafts/<int:draft_id>/rules")
def draft_rules(draft_id: int) -> Response:
    """Every rule of the draft with its document, path and entity; the settings and where each is read."""
    designer()
    apps = drafts().documents(draft_id)
    runtime = context().runtime
    items = rules.locate(apps, runtime.snapshot().rules.operators)
    params = [{"address": where, **p} for _k, (where, p) in app_settings.parameters(apps).items()]
    return reply({"items": items, "settings": params, "used": rules.settings_used(apps)})


@blueprint.get("/drafts/<int:draft_id>/rules/fields/<entity>")
def rule_fields(draft_id: int, entity: str) -> Response:
    """What a rule over ``entity`` may read in the draft: paths (through links), types, labels, options."""
    from sunmao.web.app import language

    designer()
    _info, snap, _apps = _draft_snapshot(draft_id)
    return reply({"items": rules.fields(snap, entity, language())})


@blueprint.post("/drafts/<int:draft_id>/rules/test")
def test_rule(draft_id: int) -> Response:
    """The server's answer for a rule over a stored record (``record_id``) or a typed ``sample``:
    the rule with the draft's settings put in, the data as the rules see it, the result."""
    designer()
    data = body()
    _info, snap, apps = _draft_snapshot(draft_id)
    record_id = data.get("record_id")
    return reply(rules.test(context().runtime, snap, apps, data.get("entity"), data.get("rule"),
                            record_id=int(record_id) if record_id is not None else None, sample=data.get("sample")))


@blueprint.post("/drafts/<int:draft_id>/impact")
def impact_preview(draft_id: int) -> Response:
    """What publishing the draft would change on the last ``sample`` records (default 500) of each
    entity it touches, beside the published version; nothing is written, no event is sent."""
    designer()
    data = body()
    sample = data.get("sample", impact.DEFAULT_SAMPLE)
    _info, snap, _apps = _draft_snapshot(draft_id)
    runtime = context().runtime
    if runtime.current_version(fresh=True) is None:
        raise ValidationFailed(Text("还没有发布的版本", "nothing is published yet"))
    findings = impact.preview(runtime, runtime.snapshot(), snap, sample)
    return reply({"sample": sample, "items": [f.as_dict() for f in findings]})
