"""The recycle bin: deleted records of the entities a user may read, and restoring them.

A delete only sets ``deleted_at``; the record service lists live records only, so the bin
reads the entity table directly (for entities the role may read) and restores through
``RecordService.restore`` — the one write path — once the record service offers it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, flash, redirect, request

from sunmao.errors import Forbidden, SunmaoError
from sunmao.i18n import Text
from sunmao.records.values import json_value
from sunmao.web.app import context, language
from sunmao.web.i18n import _, format_value_datetime
from sunmao.web.screens import shell
from sunmao.web.screens.fields import title_field
from sunmao.web.screens.routes import blueprint

PAGE = 100


def can_restore() -> bool:
    return hasattr(shell.records(), "restore")


@blueprint.get("/app/trash")
def trash() -> tuple[str, int]:
    lang = language()
    snap = shell.snapshot()
    readable = [e for e in snap.top_entities if shell.actor().can(e, "read")]
    chosen = request.args.get("entity") or (readable[0].key if readable else "")
    entity = next((e for e in readable if e.key == chosen), None)
    rows: list[dict[str, Any]] = []
    if entity is not None:
        table = snap.tables[entity.key]
        key = title_field(entity)
        cols = [table.c.id, table.c.name, table.c.deleted_at, table.c.version] + (
            [table.c[key]] if key in table.c and key != "name" else [])
        with context().runtime.db.read() as conn:
            found = conn.execute(sa.select(*cols).where(table.c.deleted_at.is_not(None))
                                 .order_by(table.c.deleted_at.desc()).limit(PAGE)).mappings()
            for r in found:
                rows.append({"id": r["id"], "name": r["name"], "title": str(json_value(r.get(key)) or "")
                             if key != "name" else "", "deleted": format_value_datetime(r["deleted_at"], lang)})
    return shell.render("screens/trash.html", title=_("Recycle bin"), entities=[(e.key, e.label.get(lang))
                        for e in readable], entity=entity, rows=rows, restorable=can_restore() and entity is not None
                        and shell.actor().can(entity, "delete"))


@blueprint.post("/app/trash/<entity>/<int:record_id>/restore")
def restore(entity: str, record_id: int) -> Response:
    ce = shell.compiled(entity)
    shell.require(ce.entity, "delete")
    service = shell.records()
    if not hasattr(service, "restore"):
        raise Forbidden(Text("记录服务尚不支持恢复", "the record service cannot restore records yet"))
    try:
        service.restore(entity, record_id, actor=shell.actor())  # type: ignore[attr-defined]
        flash(_("Restored."), "ok")
    except SunmaoError as exc:
        body = exc.problem(language())
        flash(body.get("detail") or body["title"], "error")
    return redirect(f"/app/trash?entity={entity}")
