"""The webhook and job designers' routes on the designer API (``/api/v1/_design/...``).

Registered on the designer API's blueprint (imported at the end of ``designer/api.py``): the same
access rule (the designer or admin role), body checks against the API document and answers. The
work is done in ``designer/webhooks.py`` and ``designer/outputs.py``.
"""

from __future__ import annotations

from flask import Response, g, request

from sunmao.designer import audit, outputs, webhooks
from sunmao.designer.api import blueprint, body, designer, drafts, reply
from sunmao.errors import ValidationFailed
from sunmao.i18n import Text
from sunmao.web.app import context


@blueprint.post("/drafts/<int:draft_id>/webhooks/preview")
def webhook_preview(draft_id: int) -> Response:
    """The draft's webhook rendered from a sample record (nothing is sent, nothing is written)."""
    designer()
    data = body()
    apps = drafts().documents(draft_id)
    _hook, _event, out = webhooks.render(context().runtime, apps, data, g.user.username)
    return reply(out)


@blueprint.post("/drafts/<int:draft_id>/webhooks/test")
def webhook_test(draft_id: int) -> Response:
    """Render as the preview does, then really post it to the target once; the receiver's answer."""
    who = designer()
    data = body()
    runtime = context().runtime
    apps = drafts().documents(draft_id)
    hook, event, out = webhooks.render(runtime, apps, data, g.user.username)
    if hook is None or out.get("body") is None:
        errors = {p["path"].removeprefix("$.") or "document": [Text(p["message"], p["message"])]
                  for p in out["problems"]}
        raise ValidationFailed(Text("Webhook 文档还有问题，不能发送",
                                    "the webhook document has problems; nothing was sent"), errors=errors)
    sent = webhooks.send_test(runtime, hook, event, out["body"])
    with runtime.db.write() as conn:
        audit.record(conn, who, "webhook.test", draft_id=draft_id,
                     detail={"webhook": hook.key, "delivery": sent["delivery"], "status_code": sent["status_code"]})
    return reply({**out, **sent})


@blueprint.get("/webhooks/deliveries")
def webhook_deliveries() -> Response:
    return reply({"items": webhooks.deliveries(context().runtime.db, request.args.get("webhook"),
                                               request.args.get("status"))})


@blueprint.post("/drafts/<int:draft_id>/jobs/preview")
def job_preview(draft_id: int) -> Response:
    """The draft's scheduled job checked, what it runs and its next run times (nothing runs)."""
    designer()
    data = body()
    apps = drafts().documents(draft_id)
    return reply(outputs.job_preview(apps, context().runtime.snapshot(), data["address"], data.get("document"),
                                     int(data.get("count") or outputs.NEXT_RUNS)))
