"""The notification centre page: my approvals, mentions, reminders and notices, newest first."""

from __future__ import annotations

from flask import Response, redirect, request

from sunmao import notices as store
from sunmao.web.app import context, language
from sunmao.web.i18n import _, format_value_datetime
from sunmao.web.screens import shell
from sunmao.web.screens.routes import blueprint

KIND_LABELS = {"approval": "Approval", "overdue": "Overdue", "mention": "Mention", "notice": "Notice"}


@blueprint.get("/app/notices")
def notice_list() -> tuple[str, int]:
    user = shell.actor()
    lang = language()
    only_unread = request.args.get("show") == "unread"
    rows = store.notices(context().runtime.db, user.id, unread_only=only_unread) if user.id is not None else []
    items = [{
        "id": r["id"], "kind": _(KIND_LABELS.get(r["kind"], "Notice")), "kind_key": r["kind"],
        "title": (r["title"] or {}).get(lang) or (r["title"] or {}).get("zh", ""),
        "url": f"/app/{r['entity']}/{r['record_id']}" if r["entity"] and r["record_id"] else None,
        "at": format_value_datetime(r["created_at"], lang), "unread": r["read_at"] is None,
    } for r in rows]
    return shell.render("screens/notices.html", title=_("Notifications"), items=items, only_unread=only_unread)


@blueprint.post("/app/notices/read")
def notice_read() -> Response:
    user = shell.actor()
    ids = [int(i) for i in request.form.getlist("id") if i.isdigit()]
    store.mark_read(context().runtime.db, user.id, ids or None)
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/app/") else "/app/notices")
